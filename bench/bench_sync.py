"""Benchmark of a Pennylane sync against the local fake server, inside a real
Odoo 18 (see bin/billabex-bench).

Usage: python3 bench/bench_sync.py --addons-path=... -d DB [--scale 0.1]

A first sync of 5,000 customers, 20,000 invoices and 5,000 credit notes
(times --scale), then a run with nothing new. The fake server runs in its own
process (its data does not count in the sync's memory), and the sync runs as
in production, committing per batch: use a database made for it.
"""

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def serve(scale):
    """Child process: fill a fake Pennylane, print its URL, serve until killed."""
    from billabex_credits.tests.fake_billing import FakePennylane

    customers, invoices, credit_notes = (int(n * scale) for n in (5000, 20000, 5000))
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
        customer = server.invoices[credited]["customer"]["id"]
        server.add_invoice(
            2 * 10**6 + index,
            customer,
            f"AV-{index:06d}",
            -60.0,
            credited=credited,
            date="2026-11-15",
        )
    print(
        json.dumps(
            {
                "url": server.base_url,
                "token": server.token,
                "counts": [customers, invoices, credit_notes],
            }
        ),
        flush=True,
    )
    while True:
        time.sleep(3600)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--serve", action="store_true")
    options, odoo_args = parser.parse_known_args()
    if options.serve:
        serve(options.scale)
        return
    import odoo
    from odoo import api
    from odoo.tools import config

    child = subprocess.Popen(
        [sys.executable, __file__, "--serve", "--scale", str(options.scale)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        server = json.loads(child.stdout.readline())
        customers, invoices, credit_notes = server["counts"]
        results = {
            "documents served": f"{customers:,} customers, {invoices:,} invoices, "
            f"{credit_notes:,} credit notes",
        }
        config.parse_config(odoo_args)
        registry = odoo.modules.registry.Registry(config["db_name"])
        with registry.cursor() as cr:
            env = api.Environment(cr, odoo.SUPERUSER_ID, {})
            connector = env["billabex.connector"].create(
                {
                    "name": f"Bench {time.time():.0f}",
                    "provider": "pennylane",
                    "base_url": server["url"],
                    "pennylane_api_token": server["token"],
                }
            )
            cr.commit()
            start = time.perf_counter()
            run = connector._sync()
            results["first sync"] = (
                f"{time.perf_counter() - start:.0f} s ({run.state}), {run.request_count} requests, "
                f"{run.invoices_created:,} invoices and "
                f"{run.credit_notes_created:,} credit notes created"
            )
            results["peak RSS of the sync process"] = (
                f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
            )
            start = time.perf_counter()
            run = connector._sync()
            elapsed = time.perf_counter() - start
            results["run with nothing new"] = (
                f"{elapsed:.2f} s, {run.request_count} requests ({run.state})"
            )
    finally:
        child.kill()
    width = max(map(len, results))
    for name, value in results.items():
        print(f"{name:<{width}}  {value}")


if __name__ == "__main__":
    main()
