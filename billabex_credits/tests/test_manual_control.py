from unittest.mock import patch

from odoo.api import call_kw
from odoo.exceptions import UserError
from odoo.tests import Form, freeze_time, tagged

from .common import TODAY, BillabexCreditsCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestManualControl(BillabexCreditsCommon):
    def test_unallocate_credit_note_holds_it_and_allocate_now_reapplies(self):
        inv1 = self._invoice(100, "2025-01-10")
        inv2 = self._invoice(200, "2025-02-10")
        credit_note = self._credit_note(250, "2025-03-01")
        credit_note.action_billabex_unallocate()
        self.assertMovesValues(
            inv1 + inv2 + credit_note,
            [
                {"amount_residual": 100.0, "payment_state": "not_paid"},
                {"amount_residual": 200.0, "payment_state": "not_paid"},
                {
                    "amount_residual": 250.0,
                    "billabex_credit_state": "available",
                    "billabex_allocation_hold": True,
                },
            ],
        )
        # On hold: neither a new invoice nor the scheduled action applies it.
        inv3 = self._invoice(50, "2025-04-01")
        self.env["billabex.credit.allocator"]._cron_allocate_pending()
        self.assertEqual((inv1 + inv2 + inv3).mapped("amount_residual"), [100.0, 200.0, 50.0])
        # Allocate Now lifts the hold and applies it oldest first.
        action = credit_note.action_billabex_allocate()
        self.assertEqual(action["params"]["type"], "success")
        self.assertMovesValues(
            inv1 + inv2 + inv3 + credit_note,
            [
                {"amount_residual": 0.0},
                {"amount_residual": 50.0},
                {"amount_residual": 50.0},
                {
                    "amount_residual": 0.0,
                    "billabex_credit_state": "applied",
                    "billabex_allocation_hold": False,
                },
            ],
        )

    def test_unallocate_one_invoice(self):
        inv1 = self._invoice(100, "2025-01-10")
        inv2 = self._invoice(200, "2025-02-10")
        credit_note = self._credit_note(250, "2025-03-01")
        inv1.action_billabex_unallocate()
        self.assertMovesValues(
            inv1 + inv2 + credit_note,
            [
                {
                    "amount_residual": 100.0,
                    "payment_state": "not_paid",
                    "billabex_credited_amount": 0.0,
                },
                {
                    "amount_residual": 50.0,
                    "payment_state": "partial",
                    "billabex_credited_amount": 150.0,
                },
                {
                    "amount_residual": 100.0,
                    "billabex_credit_state": "partially_applied",
                    "billabex_allocation_hold": True,
                },
            ],
        )
        self.assertEqual(self._allocations(credit_note), {inv2.name: 150.0})

    def test_unallocate_one_allocation_row(self):
        inv1 = self._invoice(100, "2025-01-10")
        inv2 = self._invoice(200, "2025-02-10")
        credit_note = self._credit_note(300, "2025-03-01")
        row = credit_note.billabex_allocation_ids.filtered(lambda p: p.billabex_invoice_id == inv2)
        row.action_billabex_unallocate()
        self.assertEqual((inv1 + inv2 + credit_note).mapped("amount_residual"), [0.0, 200.0, 200.0])
        self.assertTrue(credit_note.billabex_allocation_hold)

    def test_unallocate_keeps_refund_payments(self):
        invoice = self._invoice(100, "2025-01-10")
        credit_note = self._credit_note(100, "2025-02-01")
        with self.assertRaisesRegex(UserError, "no credit note allocation"):
            self._invoice(10, "2025-03-01").action_billabex_unallocate()
        credit_note.action_billabex_unallocate()
        self.assertEqual(invoice.amount_residual, 100.0)

    def test_company_setting_off_then_scheduled_action(self):
        self.env.company.billabex_auto_allocate = False
        invoice = self._invoice(100, "2025-01-10")
        credit_note = self._credit_note(60, "2025-02-01")
        self.assertEqual(invoice.amount_residual, 100.0)
        self.assertEqual(self.env["billabex.credit.allocator"]._pending_groups(), [])
        # Manual allocation still works when the setting is off.
        self.customer.action_billabex_allocate()
        self.assertEqual(invoice.amount_residual, 40.0)
        self.assertEqual(credit_note.billabex_credit_state, "applied")
        # Turned on again, the scheduled action catches up what is pending.
        late_invoice = self._invoice(30, "2025-03-01")
        late_credit = self._credit_note(50, "2025-03-02")
        self.env.company.billabex_auto_allocate = True
        self.assertEqual(
            self.env["billabex.credit.allocator"]._pending_groups(),
            [(self.env.company.id, self.customer.id)],
        )
        self.assertEqual(self.env["billabex.credit.allocator"]._cron_allocate_pending(), 1)
        self.assertEqual(
            (invoice + late_invoice + late_credit).mapped("amount_residual"), [0.0, 20.0, 0.0]
        )
        self.assertEqual(self.env["billabex.credit.allocator"]._pending_groups(), [])

    def test_partner_opt_out(self):
        self.customer.billabex_no_auto_allocate = True
        invoice = self._invoice(100, "2025-01-10", partner=self.contact)
        self._credit_note(60, "2025-02-01")
        self.assertEqual(invoice.amount_residual, 100.0)
        self.assertEqual(self.env["billabex.credit.allocator"]._pending_groups(), [])
        self.customer.action_billabex_allocate()
        self.assertEqual(invoice.amount_residual, 40.0)

    def test_list_actions_on_many_records(self):
        other = self.partner_a
        inv_a = self._invoice(100, "2025-01-10")
        inv_b = self._invoice(100, "2025-01-10", partner=other)
        cn_a = self._credit_note(70, "2025-02-01")
        cn_b = self._credit_note(80, "2025-02-01", partner=other)
        (cn_a + cn_b).action_billabex_unallocate()
        self.assertEqual((inv_a + inv_b).mapped("amount_residual"), [100.0, 100.0])
        (cn_a + cn_b).action_billabex_allocate()
        self.assertEqual((inv_a + inv_b).mapped("amount_residual"), [30.0, 20.0])
        (cn_a + cn_b).action_billabex_unallocate()
        (cn_a + cn_b).billabex_allocation_hold = False
        (self.customer + other).action_billabex_allocate()
        self.assertEqual((inv_a + inv_b).mapped("amount_residual"), [30.0, 20.0])

    def test_allocate_refuses_drafts(self):
        draft = self._credit_note(10, "2025-02-01", post=False)
        with self.assertRaisesRegex(UserError, "Only posted"):
            draft.action_billabex_allocate()

    def test_nothing_to_allocate_notification(self):
        credit_note = self._credit_note(10, "2025-02-01")
        action = credit_note.action_billabex_allocate()
        self.assertEqual(action["params"]["type"], "info")

    def test_linked_documents_navigation(self):
        inv1 = self._invoice(100, "2025-01-10")
        inv2 = self._invoice(200, "2025-02-10")
        credit_note = self._credit_note(250, "2025-03-01")
        self.assertEqual(credit_note.billabex_linked_move_count, 2)
        action = credit_note.action_billabex_view_linked_moves()
        self.assertEqual(self.env["account.move"].search(action["domain"]), inv1 + inv2)
        action = inv1.action_billabex_view_linked_moves()
        self.assertEqual(action["res_id"], credit_note.id)
        row = inv1.billabex_allocation_ids
        self.assertEqual(row.billabex_amount, 100.0)
        self.assertEqual(
            row.with_context(billabex_open="credit_note").action_billabex_open_counterpart()[
                "res_id"
            ],
            credit_note.id,
        )
        self.assertEqual(
            row.with_context(billabex_open="invoice").action_billabex_open_counterpart()["res_id"],
            inv1.id,
        )

    def test_allocation_error_never_blocks_posting(self):
        invoice = self._invoice(100, "2025-01-10")
        line_class = type(self.env["account.move.line"])
        failing = patch.object(
            line_class, "_reconcile_plan", side_effect=UserError("locked period")
        )
        logger = "odoo.addons.billabex_credits.models.billabex_credit_allocator"
        with failing, self.assertLogs(logger, "WARNING") as logs:
            credit_note = self._credit_note(60, "2025-02-01")
        self.assertIn("locked period", logs.output[0])
        self.assertEqual(credit_note.state, "posted")
        self.assertEqual(invoice.amount_residual, 100.0)
        # A manual click says what is wrong instead.
        with failing, self.assertRaisesRegex(UserError, "locked period"):
            credit_note.action_billabex_allocate()
        # Nothing half-done: the scheduled action allocates once it can.
        self.env["billabex.credit.allocator"]._cron_allocate_pending()
        self.assertEqual(invoice.amount_residual, 40.0)

    def test_credit_note_entered_in_the_form(self):
        invoice = self._invoice(100, "2025-01-10")
        # As the list's header button calls it: with an empty list of ids.
        action = call_kw(self.env["account.move"], "action_billabex_add_credit_note", [[]], {})
        self.assertEqual(action["res_model"], "billabex.credit.note.upload")
        wizard = self.env["billabex.credit.note.upload"].create({"partner_id": self.customer.id})
        action = wizard.action_enter_manually()
        with Form(self.env["account.move"].with_context(**action["context"])) as form:
            self.assertEqual(form.partner_id, self.customer)
            form.invoice_date = "2025-02-01"
            with form.invoice_line_ids.new() as line:
                line.name = "Goodwill"
                line.price_unit = 30.0
                line.tax_ids.clear()
        credit_note = form.record
        self.assertEqual(credit_note.move_type, "out_refund")
        self.assertEqual(credit_note.billabex_credit_state, "draft")
        credit_note.action_post()
        self.assertEqual(invoice.amount_residual, 70.0)
        self.assertEqual(credit_note.billabex_credit_state, "applied")
