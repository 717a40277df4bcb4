"""Feedback triage: intake, rules, dedupe and the feedback ledger (the system of record)."""
