"""Regenerate Acme's example KPI data: ``python examples/acme/generate_data.py``.

Writes ``warehouse.sqlite`` (event-level tables a SQL query aggregates per month) and
``product_metrics.csv`` (one row per month), 24 months ending October 2026. Seeded, so the
files are the same on every run and the README's numbers stay true.
"""

from __future__ import annotations

import csv
import random
import sqlite3
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIRST_MONTH = date(2024, 11, 1)
MONTHS = 24


def month_starts() -> list[date]:
    starts = []
    year, month = FIRST_MONTH.year, FIRST_MONTH.month
    for _ in range(MONTHS):
        starts.append(date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return starts


def days_in(start: date) -> int:
    following = date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    return (following - start).days


def write_warehouse(rng: random.Random, path: Path) -> None:
    path.unlink(missing_ok=True)
    db = sqlite3.connect(path)
    db.executescript(
        """
        CREATE TABLE accounts_monthly (
            month TEXT PRIMARY KEY, mrr REAL, active_accounts INTEGER, churned_accounts INTEGER
        );
        CREATE TABLE signups (id INTEGER PRIMARY KEY, signed_up_on TEXT, converted INTEGER);
        CREATE TABLE support_tickets (
            id INTEGER PRIMARY KEY, opened_on TEXT, hours_to_resolve REAL
        );
        """
    )
    accounts, mrr = 1180, 412_000.0
    for index, start in enumerate(month_starts()):
        month = start.strftime("%Y-%m")
        churn_rate = 0.021 + 0.004 * rng.random() + (0.012 if month == "2026-10" else 0)
        churned = round(accounts * churn_rate)
        new_accounts = round(55 + 2.2 * index + rng.uniform(-8, 8))
        accounts += new_accounts - churned
        mrr = round(mrr * (1.012 + rng.uniform(-0.006, 0.012)) - churned * 95, 2)
        db.execute(
            "INSERT INTO accounts_monthly VALUES (?, ?, ?, ?)", (month, mrr, accounts, churned)
        )
        signups = round(420 + 9 * index + rng.uniform(-35, 35) + (-90 if month == "2026-10" else 0))
        for _ in range(signups):
            day = start + timedelta(days=rng.randrange(days_in(start)))
            converted = int(rng.random() < 0.16 + 0.002 * index)
            db.execute(
                "INSERT INTO signups (signed_up_on, converted) VALUES (?, ?)",
                (day.isoformat(), converted),
            )
        for _ in range(round(380 + 4 * index + rng.uniform(-30, 30))):
            day = start + timedelta(days=rng.randrange(days_in(start)))
            hours = rng.lognormvariate(2.6 - 0.012 * index, 0.5)
            db.execute(
                "INSERT INTO support_tickets (opened_on, hours_to_resolve) VALUES (?, ?)",
                (day.isoformat(), round(hours, 2)),
            )
    db.commit()
    db.close()


def write_product_metrics(rng: random.Random, path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["month", "nps", "activation_rate", "insights_adoption"])
        for index, start in enumerate(month_starts()):
            nps = round(31 + 0.5 * index + rng.uniform(-3, 3))
            activation = round(38 + 0.35 * index + rng.uniform(-1.5, 1.5), 1)
            adoption = round(12 + 1.1 * index + rng.uniform(-1, 1) + (6 if index >= 21 else 0), 1)
            writer.writerow([start.strftime("%Y-%m"), nps, activation, adoption])


def main() -> None:
    rng = random.Random(20261028)
    write_warehouse(rng, HERE / "warehouse.sqlite")
    write_product_metrics(rng, HERE / "product_metrics.csv")


if __name__ == "__main__":
    main()
