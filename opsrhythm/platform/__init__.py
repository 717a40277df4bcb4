"""Shared pieces every ritual builds on: config base, periods, ledger, mail, Temporal runtime,
approvals, schedules, rendering, the web and CLI shells. Nothing here imports a ritual."""
