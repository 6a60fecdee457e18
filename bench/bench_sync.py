"""Benchmark of a Pennylane sync against the local fake server, inside a real
Odoo 18 (see bin/billabex-bench).

Usage: python3 bench/bench_sync.py --addons-path=... -d DB [--scale 0.1]

A first sync of 5,000 customers, 20,000 invoices and 5,000 credit notes
(times --scale), then a run with nothing new. The database changes are rolled
back at the end (the connector commits per batch, so the bench runs it with
commits disabled and measures the same work).
"""

import argparse
import resource
import sys
import time
from pathlib import Path
from unittest.mock import patch

import odoo
from odoo import api
from odoo.tools import config

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0)
    options, odoo_args = parser.parse_known_args()
    config.parse_config(odoo_args)
    registry = odoo.modules.registry.Registry(config["db_name"])
    # The standalone package: importing it does not load the Odoo tests.
    from billabex_credits.tests.fake_billing import FakePennylane

    customers = int(5000 * options.scale)
    invoices = int(20000 * options.scale)
    credit_notes = int(5000 * options.scale)
    server = FakePennylane().start()
    for index in range(1, customers + 1):
        server.add_customer(
            index, f"Bench customer {index:05d}", emails=[f"c{index}@bench.example"]
        )
    for index in range(1, invoices + 1):
        server.add_invoice(
            10**6 + index,
            1 + index % customers,
            f"F-{index:06d}",
            120.0,
            date=f"2026-{1 + index % 10:02d}-{1 + index % 28:02d}",
        )
    for index in range(1, credit_notes + 1):
        credited = 10**6 + index * (invoices // max(credit_notes, 1))
        server.add_invoice(
            2 * 10**6 + index,
            server.invoices[credited]["customer"]["id"],
            f"AV-{index:06d}",
            -60.0,
            credited=credited,
            date="2026-11-15",
        )
    results = {
        "documents served": f"{customers:,} customers, {invoices:,} invoices, "
        f"{credit_notes:,} credit notes"
    }
    try:
        with registry.cursor() as cr:
            env = api.Environment(cr, odoo.SUPERUSER_ID, {})
            journal = env["account.journal"].search(
                [("type", "=", "sale"), ("company_id", "=", env.company.id)], limit=1
            )
            connector = env["billabex.connector"].create(
                {
                    "name": "Bench",
                    "provider": "pennylane",
                    "base_url": server.base_url,
                    "pennylane_api_token": server.token,
                    "journal_id": journal.id,
                }
            )
            with patch.object(type(connector), "_auto_commit", lambda self: False):
                start = time.perf_counter()
                run = connector._sync()
                first = time.perf_counter() - start
                results["first sync"] = (
                    f"{first:.0f} s ({run.state}), {run.request_count} requests, "
                    f"{run.invoices_created:,} invoices and "
                    f"{run.credit_notes_created:,} credit notes created"
                )
                start = time.perf_counter()
                run = connector._sync()
                elapsed = time.perf_counter() - start
                results["run with nothing new"] = (
                    f"{elapsed:.2f} s, {run.request_count} requests ({run.state})"
                )
            results["peak RSS"] = (
                f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
            )
            cr.rollback()
    finally:
        server.stop()
    width = max(map(len, results))
    for name, value in results.items():
        print(f"{name:<{width}}  {value}")


if __name__ == "__main__":
    main()
