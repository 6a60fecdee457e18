from odoo.tests import freeze_time, tagged

from .common import TODAY, BillabexCreditsCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestAllocation(BillabexCreditsCommon):
    def test_credit_equal_to_total_due_settles_everything(self):
        inv1 = self._invoice(400, "2025-01-10")
        inv2 = self._invoice(600, "2025-02-10")
        credit_note = self._credit_note(1000, "2025-03-01")
        self.assertMovesValues(
            inv1 + inv2 + credit_note,
            [
                {
                    "amount_residual": 0.0,
                    "payment_state": "reversed",
                    "billabex_credited_amount": 400.0,
                },
                {
                    "amount_residual": 0.0,
                    "payment_state": "reversed",
                    "billabex_credited_amount": 600.0,
                },
                {
                    "amount_residual": 0.0,
                    "payment_state": "paid",
                    "billabex_credit_state": "applied",
                    "billabex_applied_amount": 1000.0,
                },
            ],
        )
        self.assertEqual(self._allocations(credit_note), {inv1.name: 400.0, inv2.name: 600.0})

    def test_credit_below_total_due_settles_oldest_and_one_partly(self):
        # Created newest first and all due the same day: only the invoice date
        # decides, not Odoo's amount-ascending tie-break.
        inv3 = self._invoice(100, "2025-03-10", due="2025-07-31")
        inv2 = self._invoice(500, "2025-02-10", due="2025-07-31")
        inv1 = self._invoice(1000, "2025-01-10", due="2025-07-31")
        credit_note = self._credit_note(1200, "2025-04-01")
        self.assertMovesValues(
            inv1 + inv2 + inv3 + credit_note,
            [
                {
                    "amount_residual": 0.0,
                    "payment_state": "reversed",
                    "billabex_credited_amount": 1000.0,
                },
                {
                    "amount_residual": 300.0,
                    "payment_state": "partial",
                    "billabex_credited_amount": 200.0,
                },
                {
                    "amount_residual": 100.0,
                    "payment_state": "not_paid",
                    "billabex_credited_amount": 0.0,
                },
                {
                    "amount_residual": 0.0,
                    "payment_state": "paid",
                    "billabex_credit_state": "applied",
                    "billabex_applied_amount": 1200.0,
                },
            ],
        )
        self.assertEqual(self._allocations(credit_note), {inv1.name: 1000.0, inv2.name: 200.0})
        self.assertEqual(inv2.billabex_allocation_ids.billabex_credit_note_id, credit_note)

    def test_credit_above_total_due_carries_over_to_next_invoices(self):
        inv1 = self._invoice(300, "2025-01-10")
        credit_note = self._credit_note(1000, "2025-02-01")
        self.assertMovesValues(
            inv1 + credit_note,
            [
                {"amount_residual": 0.0, "payment_state": "reversed"},
                {
                    "amount_residual": 700.0,
                    "payment_state": "partial",
                    "billabex_credit_state": "partially_applied",
                    "billabex_applied_amount": 300.0,
                },
            ],
        )
        # The next invoice picks the excess up when it is posted...
        inv2 = self._invoice(500, "2025-03-10")
        self.assertMovesValues(
            inv2 + credit_note,
            [
                {
                    "amount_residual": 0.0,
                    "payment_state": "reversed",
                    "billabex_credited_amount": 500.0,
                },
                {
                    "amount_residual": 200.0,
                    "billabex_credit_state": "partially_applied",
                    "billabex_applied_amount": 800.0,
                },
            ],
        )
        # ... and so on until the credit is used up.
        inv3 = self._invoice(450, "2025-04-10")
        self.assertMovesValues(
            inv3 + credit_note,
            [
                {
                    "amount_residual": 250.0,
                    "payment_state": "partial",
                    "billabex_credited_amount": 200.0,
                },
                {
                    "amount_residual": 0.0,
                    "payment_state": "paid",
                    "billabex_credit_state": "applied",
                    "billabex_applied_amount": 1000.0,
                },
            ],
        )
        self.assertEqual(
            self._allocations(credit_note), {inv1.name: 300.0, inv2.name: 500.0, inv3.name: 200.0}
        )

    def test_credit_with_no_open_invoice_stays_available(self):
        credit_note = self._credit_note(250, "2025-02-01")
        self.assertRecordValues(
            credit_note,
            [
                {
                    "amount_residual": 250.0,
                    "payment_state": "not_paid",
                    "billabex_credit_state": "available",
                    "billabex_applied_amount": 0.0,
                },
            ],
        )
        self.assertFalse(credit_note.billabex_allocation_ids)

    def test_several_credit_notes_are_used_oldest_first(self):
        cn_new = self._credit_note(150, "2025-02-01", post=False)
        cn_old = self._credit_note(100, "2025-01-01", post=False)
        (cn_new + cn_old).action_post()
        inv1 = self._invoice(120, "2025-03-01")
        inv2 = self._invoice(200, "2025-03-02")
        self.assertMovesValues(
            inv1 + inv2 + cn_old + cn_new,
            [
                {"amount_residual": 0.0, "billabex_credited_amount": 120.0},
                {"amount_residual": 70.0, "billabex_credited_amount": 130.0},
                {"amount_residual": 0.0, "billabex_credit_state": "applied"},
                {"amount_residual": 0.0, "billabex_credit_state": "applied"},
            ],
        )
        self.assertEqual(self._allocations(cn_old), {inv1.name: 100.0})
        self.assertEqual(self._allocations(cn_new), {inv1.name: 20.0, inv2.name: 130.0})

    def test_referenced_invoices_are_settled_first(self):
        inv1 = self._invoice(100, "2025-01-10")
        inv2 = self._invoice(200, "2025-02-10")
        inv3 = self._invoice(300, "2025-03-10")
        credit_note = self._credit_note(
            450, "2025-04-01", billabex_referenced_invoice_ids=[(6, 0, inv3.ids)]
        )
        self.assertMovesValues(
            inv1 + inv2 + inv3,
            [
                {"amount_residual": 0.0, "payment_state": "reversed"},
                {"amount_residual": 150.0, "payment_state": "partial"},
                {"amount_residual": 0.0, "payment_state": "reversed"},
            ],
        )
        self.assertEqual(
            self._allocations(credit_note), {inv3.name: 300.0, inv1.name: 100.0, inv2.name: 50.0}
        )

    def test_credit_note_from_invoice_reversal_settles_its_invoice_then_oldest(self):
        inv1 = self._invoice(100, "2025-01-10")
        inv2 = self._invoice(200, "2025-02-10")
        wizard = (
            self.env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=inv2.ids)
            .create({"journal_id": inv2.journal_id.id, "date": "2025-03-01", "reason": "Discount"})
        )
        credit_note = self.env["account.move"].browse(wizard.refund_moves()["res_id"])
        credit_note.invoice_line_ids.price_unit = 250.0
        credit_note.action_post()
        self.assertMovesValues(
            inv1 + inv2 + credit_note,
            [
                {"amount_residual": 50.0, "payment_state": "partial"},
                {"amount_residual": 0.0, "payment_state": "reversed"},
                {"amount_residual": 0.0, "billabex_credit_state": "applied"},
            ],
        )

    def test_child_contacts_count_as_their_company(self):
        inv_company = self._invoice(100, "2025-01-10")
        inv_contact = self._invoice(200, "2025-02-10", partner=self.contact)
        credit_note = self._credit_note(250, "2025-03-01", partner=self.contact)
        self.assertMovesValues(
            inv_company + inv_contact + credit_note,
            [
                {"amount_residual": 0.0},
                {"amount_residual": 50.0},
                {"amount_residual": 0.0, "billabex_credit_state": "applied"},
            ],
        )

    def test_installments_are_settled_in_due_order(self):
        # partner_b's terms: 30% now, 70% at the end of next month.
        invoice = self._invoice(
            1000, "2025-01-10", partner=self.partner_b, invoice_payment_term_id=self.pay_terms_b.id
        )
        receivables = invoice.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        ).sorted("date_maturity")
        self.assertEqual(receivables.mapped("balance"), [300.0, 700.0])
        self._credit_note(500, "2025-02-01", partner=self.partner_b)
        self.assertEqual(receivables.mapped("amount_residual"), [0.0, 500.0])
        self.assertRecordValues(invoice, [{"amount_residual": 500.0, "payment_state": "partial"}])

    def test_other_customers_are_untouched(self):
        other_invoice = self._invoice(100, "2025-01-10", partner=self.partner_a)
        credit_note = self._credit_note(100, "2025-02-01")
        self.assertEqual(other_invoice.amount_residual, 100.0)
        self.assertEqual(credit_note.billabex_credit_state, "available")

    def test_draft_and_cancelled_credit_notes_never_count(self):
        invoice = self._invoice(500, "2025-01-10")
        draft = self._credit_note(200, "2025-02-01", post=False)
        self.assertEqual(draft.billabex_credit_state, "draft")
        self.assertEqual(invoice.amount_residual, 500.0)
        posted = self._credit_note(300, "2025-02-02")
        self.assertEqual(invoice.amount_residual, 200.0)
        # Cancelling a posted credit note removes its allocation at once.
        posted.button_draft()
        posted.button_cancel()
        self.assertMovesValues(
            invoice + posted,
            [
                {
                    "amount_residual": 500.0,
                    "payment_state": "not_paid",
                    "billabex_credited_amount": 0.0,
                },
                {"billabex_credit_state": "cancelled", "billabex_applied_amount": 0.0},
            ],
        )

    def test_refunded_credit_note(self):
        credit_note = self._credit_note(300, "2025-02-01")
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=credit_note.ids
        ).create({"payment_date": "2025-02-05"})._create_payments()
        self.assertRecordValues(
            credit_note,
            [
                {
                    "amount_residual": 0.0,
                    "billabex_credit_state": "refunded",
                    "billabex_refunded_amount": 300.0,
                    "billabex_applied_amount": 0.0,
                },
            ],
        )
        # A refunded credit note gives nothing to the next invoice.
        invoice = self._invoice(100, "2025-03-01")
        self.assertEqual(invoice.amount_residual, 100.0)

    def test_posting_in_batch_allocates_per_customer_once(self):
        moves = self._invoice(100, "2025-01-10", post=False)
        moves |= self._invoice(200, "2025-02-10", post=False)
        moves |= self._credit_note(250, "2025-03-01", post=False)
        moves |= self._invoice(50, "2025-01-05", partner=self.partner_a, post=False)
        moves |= self._credit_note(80, "2025-03-01", partner=self.partner_a, post=False)
        moves.action_post()
        self.assertEqual(moves.mapped("amount_residual"), [0.0, 50.0, 0.0, 0.0, 30.0])

    def test_no_auto_allocate_context_key(self):
        invoice = self._invoice(100, "2025-01-10")
        credit_note = self._credit_note(100, "2025-02-01", post=False)
        credit_note.with_context(billabex_no_auto_allocate=True).action_post()
        self.assertEqual(invoice.amount_residual, 100.0)
        self.assertEqual(credit_note.billabex_credit_state, "available")
