"""Benchmark of the reminder plan, inside a real Odoo 18 (see bin/billabex-bench).

Usage: python3 bench/bench_dunning.py --addons-path=... -d DB

2,000 customers holding 50,000 open items: per customer one invoice created
and posted by the ORM, then copied 24 times in SQL with older dates (the ORM
would take half an hour to post 50,000 invoices; the copies are exact row
copies of posted invoices, only numbers and dates change), plus an unapplied
credit note for one customer in five. Then ``prepare_reminders`` runs twice:
first on an empty plan (every reminder created), then again (every draft
updated in place).
"""

import resource
import sys
import time
from datetime import date, timedelta

import odoo
from odoo import Command, api
from odoo.tools import SQL, config

CUSTOMERS = 2000
COPIES = 24
TODAY = date(2025, 6, 30)
NO_MAIL = {
    "tracking_disable": True,
    "mail_create_nolog": True,
    "mail_notrack": True,
    "mail_create_nosubscribe": True,
    "billabex_no_auto_allocate": True,
}


def columns(env, table):
    rows = env.execute_query(
        SQL(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
            "AND column_name != 'id' ORDER BY ordinal_position",
            table,
        )
    )
    return [row[0] for row in rows]


def create_data(env):
    partners = env["res.partner"].create(
        [
            {"name": f"Dunning bench {i:04d}", "email": f"c{i}@bench.example"}
            for i in range(CUSTOMERS)
        ]
    )
    moves = env["account.move"]
    for offset in range(0, CUSTOMERS, 250):
        batch = (
            env["account.move"]
            .with_context(**NO_MAIL)
            .create(
                [
                    {
                        "move_type": "out_invoice",
                        "partner_id": partner.id,
                        "invoice_date": TODAY - timedelta(days=40),
                        "invoice_date_due": TODAY - timedelta(days=10),
                        "invoice_line_ids": [
                            Command.create({"name": "Service", "price_unit": 100.0, "tax_ids": []})
                        ],
                    }
                    for partner in partners[offset : offset + 250]
                ]
            )
        )
        batch.action_post()
        moves |= batch
        env.cr.commit()
        print(f"  {len(moves)}/{CUSTOMERS} invoices", file=sys.stderr, flush=True)
    credits = (
        env["account.move"]
        .with_context(**NO_MAIL)
        .create(
            [
                {
                    "move_type": "out_refund",
                    "partner_id": partner.id,
                    "invoice_date": TODAY - timedelta(days=5),
                    "invoice_line_ids": [
                        Command.create({"name": "Credit", "price_unit": 150.0, "tax_ids": []})
                    ],
                }
                for partner in partners[::5]
            ]
        )
    )
    credits.action_post()
    env.cr.commit()
    clone(env, moves)
    env.cr.commit()


def clone(env, moves):
    """Copy each posted invoice COPIES times, k weeks older each time."""
    env.flush_all()
    move_cols = columns(env, "account_move")
    line_cols = columns(env, "account_move_line")
    overrides = {
        "name": SQL("'BENCH/' || src.id || '/' || k"),
        "ref": SQL("'bench:' || src.id || ':' || k"),
        "sequence_prefix": SQL("'BENCH/' || src.id || '/'"),
        "sequence_number": SQL("k"),
        "invoice_date": SQL("src.invoice_date - 7 * k"),
        "invoice_date_due": SQL("src.invoice_date_due - 7 * k"),
        "date": SQL("src.date - 7 * k"),
        "access_token": SQL("NULL"),
        "payment_reference": SQL("'BENCH/' || src.id || '/' || k"),
        "inalterable_hash": SQL("NULL"),
    }
    select = SQL(", ").join(
        overrides.get(col, SQL("src.%s", SQL.identifier(col))) for col in move_cols
    )
    env.cr.execute(
        SQL(
            "INSERT INTO account_move (%s) SELECT %s FROM account_move src, "
            "generate_series(1, %s) k WHERE src.id IN %s",
            SQL(", ").join(SQL.identifier(c) for c in move_cols),
            select,
            COPIES,
            tuple(moves.ids),
        )
    )
    line_overrides = {
        "move_id": SQL("new.id"),
        "move_name": SQL("new.name"),
        "date": SQL("new.date"),
        "date_maturity": SQL(
            "CASE WHEN src.date_maturity IS NULL THEN NULL ELSE new.invoice_date_due END"
        ),
        "matching_number": SQL("NULL"),
    }
    line_select = SQL(", ").join(
        line_overrides.get(col, SQL("src.%s", SQL.identifier(col))) for col in line_cols
    )
    env.cr.execute(
        SQL(
            "INSERT INTO account_move_line (%s) SELECT %s FROM account_move new "
            "JOIN account_move_line src ON src.move_id = split_part(new.ref, ':', 2)::int "
            "WHERE new.ref LIKE 'bench:%%'",
            SQL(", ").join(SQL.identifier(c) for c in line_cols),
            line_select,
        )
    )
    env.invalidate_all()


def main():
    config.parse_config(sys.argv[1:])
    registry = odoo.modules.registry.Registry(config["db_name"])
    with registry.cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, {})
        if not env["res.partner"].search_count([("name", "=like", "Dunning bench %")]):
            print("-- creating 2,000 customers and 50,000 open items", file=sys.stderr, flush=True)
            create_data(env)
        env = env(context={"allowed_company_ids": env.company.ids})
        items = sum(
            len(rows) for rows in env["billabex.reminder"]._gather_items(env.company.ids).values()
        )
        results = {"open items in the company": f"{items:,}"}
        for label in ("prepare reminders, empty plan", "prepare reminders again (updates)"):
            env.invalidate_all()
            start = time.perf_counter()
            queries = cr.sql_log_count
            reminders = env["billabex.reminder"].prepare_reminders(TODAY)
            env.cr.flush()
            seconds = time.perf_counter() - start
            results[label] = (
                f"{seconds:.1f} s, {cr.sql_log_count - queries:,} queries, "
                f"{len(reminders):,} reminders, {len(reminders.line_ids):,} lines"
            )
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        results["peak RSS of the process"] = f"{peak:,.0f} MiB"
        cr.rollback()
    width = max(map(len, results))
    for name, value in results.items():
        print(f"{name:<{width}}  {value}")


if __name__ == "__main__":
    main()
