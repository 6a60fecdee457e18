from contextlib import closing, contextmanager

from odoo import SUPERUSER_ID, api, sql_db
from odoo.exceptions import UserError
from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestConcurrency(TransactionCase):
    """Two real database connections, outside the test transaction: the data
    is committed so that both see it, and removed at the end."""

    @contextmanager
    def _env(self):
        with closing(sql_db.db_connect(self.env.cr.dbname).cursor()) as cr:
            yield api.Environment(cr, SUPERUSER_ID, {"billabex_test": True})

    def _create_documents(self, env):
        partner = env["res.partner"].create({"name": "Concurrent Customer", "is_company": True})
        moves = env["account.move"].create(
            [
                {
                    "move_type": move_type,
                    "partner_id": partner.id,
                    "invoice_date": date,
                    "invoice_line_ids": [
                        (0, 0, {"name": "x", "price_unit": amount, "tax_ids": []})
                    ],
                }
                for move_type, amount, date in (
                    ("out_invoice", 100.0, "2025-01-10"),
                    ("out_invoice", 200.0, "2025-02-10"),
                    ("out_refund", 250.0, "2025-03-01"),
                )
            ]
        )
        moves.with_context(billabex_no_auto_allocate=True).action_post()
        return partner, moves

    def _cleanup(self, partner_id, move_ids):
        with self._env() as env:
            moves = env["account.move"].browse(move_ids).exists()
            moves.button_draft()
            moves.with_context(force_delete=True).unlink()
            env["res.partner"].browse(partner_id).unlink()
            env.cr.commit()

    def test_locked_customer_is_skipped_never_over_applied(self):
        with self._env() as env:
            partner, moves = self._create_documents(env)
            partner_id, move_ids, company_id = partner.id, moves.ids, moves.company_id.id
            receivable_ids = moves.line_ids.filtered(
                lambda line: line.account_id.account_type == "asset_receivable"
            ).ids
            env.cr.commit()
        try:
            group = (company_id, partner_id)
            with self._env() as holder, self._env() as worker:
                # Transaction 1 (say, a user reconciling by hand) holds the rows.
                holder.cr.execute(
                    "SELECT id FROM account_move_line WHERE id IN %s FOR UPDATE",
                    [tuple(receivable_ids)],
                )
                allocator = worker["billabex.credit.allocator"]
                # Transaction 2, automatic (posting hook / cron): skips at once.
                result = allocator.allocate_groups([group], automatic=True)
                self.assertEqual(result.locked, [group])
                self.assertFalse(result.partials)
                # Posting another credit note meanwhile never fails the posting.
                extra = worker["account.move"].create(
                    {
                        "move_type": "out_refund",
                        "partner_id": partner_id,
                        "invoice_date": "2025-03-05",
                        "invoice_line_ids": [
                            (0, 0, {"name": "y", "price_unit": 10.0, "tax_ids": []})
                        ],
                    }
                )
                extra.action_post()
                self.assertEqual(extra.state, "posted")
                self.assertEqual(extra.amount_residual, 10.0)
                # A manual click gets a clear message instead of waiting.
                with self.assertRaisesRegex(UserError, "try again"):
                    admin = worker(user=worker.ref("base.user_admin"))
                    admin["account.move"].browse(move_ids[2]).action_billabex_allocate()
                worker.cr.rollback()
                # The lock is released: the next run allocates, exactly once.
                holder.cr.rollback()
                result = allocator.allocate_groups([group], automatic=True)
                self.assertEqual(result.locked, [])
                self.assertEqual(sorted(result.partials.mapped("amount")), [100.0, 150.0])
                worker.cr.commit()
            with self._env() as env:
                moves = env["account.move"].browse(move_ids)
                self.assertEqual(moves.mapped("amount_residual"), [0.0, 50.0, 0.0])
                # Two runs in a row never apply the credit twice.
                env["billabex.credit.allocator"].allocate_groups([group], automatic=True)
                self.assertEqual(moves.mapped("amount_residual"), [0.0, 50.0, 0.0])
                self.assertEqual(moves[2].billabex_applied_amount, 250.0)
        finally:
            self._cleanup(partner_id, move_ids)
