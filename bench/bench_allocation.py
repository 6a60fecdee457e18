"""Benchmarks of the allocation, run inside a real Odoo 18 (see bin/billabex-bench).

Usage: python3 bench/bench_allocation.py --addons-path=... -d DB

1. One credit note spread over 500 open invoices of one customer, against
   Odoo's own single ``_reconcile_plan`` call on the same pairs, same run.
2. Posting one invoice that picks up an available credit, against posting the
   same invoice with automatic allocation off.
3. The outstanding figures of 80 customers holding 10,000 open invoices, and
   their query count against the same for 8 customers.

Every measure is the median of several runs, each rolled back to a savepoint
so that all runs see the same data.
"""

import statistics
import sys
import time
from contextlib import contextmanager
from datetime import date, timedelta

import odoo
from odoo import Command, api
from odoo.tools import config

NO_MAIL = {
    "tracking_disable": True,
    "mail_create_nolog": True,
    "mail_notrack": True,
    "mail_create_nosubscribe": True,
    "billabex_no_auto_allocate": True,
}


@contextmanager
def measure(env, sink):
    """Time and queries of the block, including what Odoo defers to the
    commit (mail tracking of payment states runs in precommit hooks)."""
    env.cr.flush()
    queries = env.cr.sql_log_count
    start = time.perf_counter()
    yield
    env.cr.flush()
    sink.append((time.perf_counter() - start, env.cr.sql_log_count - queries))


def rolled_back(env, runs, func):
    """Median (seconds, queries) of ``runs`` calls of func, each undone."""
    samples = []
    for _ in range(runs):
        savepoint = env.cr.savepoint()
        env.invalidate_all()
        func(samples)
        savepoint.rollback()
        savepoint.close(rollback=False)
        env.invalidate_all()
    seconds = statistics.median(s for s, _q in samples)
    queries = statistics.median(q for _s, q in samples)
    return seconds, int(queries)


def make_invoices(env, partners, per_partner, amount=100.0, move_type="out_invoice", batch=250):
    start = date(2024, 1, 1)
    vals = [
        {
            "move_type": move_type,
            "partner_id": partner.id,
            "invoice_date": start + timedelta(days=index % 600),
            "invoice_date_due": start + timedelta(days=index % 600 + 30),
            "invoice_line_ids": [
                Command.create({"name": "Service", "price_unit": amount, "tax_ids": []})
            ],
        }
        for partner in partners
        for index in range(per_partner)
    ]
    moves = env["account.move"]
    for offset in range(0, len(vals), batch):
        chunk = env["account.move"].with_context(**NO_MAIL).create(vals[offset : offset + batch])
        chunk.action_post()
        moves |= chunk
        env.cr.commit()
        print(f"  {len(moves)}/{len(vals)} {move_type}", file=sys.stderr, flush=True)
    return moves


def receivable(moves):
    return moves.line_ids.filtered(lambda line: line.account_id.account_type == "asset_receivable")


def bench_500(env):
    partners = env["res.partner"].create([{"name": "Bench 500 ours"}, {"name": "Bench 500 odoo"}])
    invoices = make_invoices(env, partners, 500)
    credits = env["account.move"]
    for partner in partners:
        credits |= make_invoices(env, partner, 1, amount=500 * 100.0, move_type="out_refund")
    ours_cn, odoo_cn = credits
    odoo_invoices = invoices.filtered(lambda m: m.partner_id == partners[1])
    allocator = env["billabex.credit.allocator"]

    def ours(samples):
        with measure(env, samples):
            allocator.allocate_credit_notes(ours_cn)
        assert ours_cn.amount_residual == 0.0, ours_cn.amount_residual

    def odoo_plan(samples):
        ordered = odoo_invoices.sorted(lambda m: (m.invoice_date, m.name, m.id))
        credit_line = receivable(odoo_cn)
        with measure(env, samples):
            pairs = [credit_line + receivable(invoice) for invoice in ordered]
            env["account.move.line"]._reconcile_plan(pairs)
        assert odoo_cn.amount_residual == 0.0, odoo_cn.amount_residual

    # Alternate so that neither side always runs on a warmer cache.
    ours_runs, odoo_runs = [], []
    for _ in range(3):
        ours_runs.append(rolled_back(env, 1, ours))
        odoo_runs.append(rolled_back(env, 1, odoo_plan))
    ours_s = statistics.median(s for s, _ in ours_runs)
    odoo_s = statistics.median(s for s, _ in odoo_runs)
    return {
        "allocate 1 credit note over 500 invoices (addon)": (
            f"{ours_s:.2f} s, {ours_runs[0][1]} queries"
        ),
        "same pairs, Odoo's single _reconcile_plan": f"{odoo_s:.2f} s, {odoo_runs[0][1]} queries",
        "ratio addon / Odoo": f"{ours_s / odoo_s:.2f}x",
    }


def bench_posting(env):
    partner = env["res.partner"].create({"name": "Bench posting"})
    make_invoices(env, partner, 1, amount=1_000_000.0, move_type="out_refund")
    drafts = [
        env["account.move"]
        .with_context(**NO_MAIL)
        .create(
            {
                "move_type": "out_invoice",
                "partner_id": partner.id,
                "invoice_date": date(2025, 1, 1),
                "invoice_line_ids": [
                    Command.create({"name": "x", "price_unit": 100.0, "tax_ids": []})
                ],
            }
        )
        for _ in range(2)
    ]
    env.cr.commit()

    def post(auto):
        def run(samples):
            move = drafts[0].with_context(billabex_no_auto_allocate=not auto)
            with measure(env, samples):
                move.action_post()
            assert (move.amount_residual == 0.0) == auto

        return run

    with_alloc = rolled_back(env, 7, post(True))
    without = rolled_back(env, 7, post(False))
    return {
        "post 1 invoice, credit applied": f"{with_alloc[0] * 1000:.0f} ms, {with_alloc[1]} queries",
        "post 1 invoice, allocation off": f"{without[0] * 1000:.0f} ms, {without[1]} queries",
        "added by the allocation": f"{(with_alloc[0] - without[0]) * 1000:.0f} ms",
    }


def bench_outstanding(env):
    partners = env["res.partner"].search([("name", "=like", "Bench outstanding %")], order="id")
    if len(partners) < 80:
        partners = env["res.partner"].create(
            [{"name": f"Bench outstanding {i:02d}"} for i in range(80)]
        )
        make_invoices(env, partners, 125)
        # One unapplied credit note per customer, so every figure has data.
        for partner in partners:
            env["account.move"].with_context(**NO_MAIL).create(
                {
                    "move_type": "out_refund",
                    "partner_id": partner.id,
                    "invoice_date": date(2025, 1, 1),
                    "invoice_line_ids": [
                        Command.create({"name": "x", "price_unit": 50.0, "tax_ids": []})
                    ],
                }
            ).action_post()
        env.cr.commit()

    def figures(group):
        def run(samples):
            group.invalidate_recordset()
            with measure(env, samples):
                group.mapped("billabex_outstanding")

        return run

    all_80 = rolled_back(env, 7, figures(partners))
    few_8 = rolled_back(env, 7, figures(partners[:8]))
    total = sum(partners.mapped("billabex_due_amount"))
    return {
        "outstanding of 80 customers / 10,000 open invoices": (
            f"{all_80[0] * 1000:.1f} ms, {all_80[1]} queries"
        ),
        "outstanding of 8 customers": f"{few_8[0] * 1000:.1f} ms, {few_8[1]} queries",
        "check: total due": f"{total:,.2f}",
    }


def main():
    config.parse_config(sys.argv[1:])
    db = config["db_name"]
    registry = odoo.modules.registry.Registry(db)
    results = {}
    with registry.cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, {})
        for bench in (bench_500, bench_posting, bench_outstanding):
            print(f"-- {bench.__name__}", file=sys.stderr, flush=True)
            results.update(bench(env))
        cr.rollback()
    width = max(map(len, results))
    for name, value in results.items():
        print(f"{name:<{width}}  {value}")


if __name__ == "__main__":
    main()
