from odoo.tests import freeze_time, tagged

from .common import TODAY, BillabexCreditsCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestIsolation(BillabexCreditsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.eur = cls.setup_other_currency("EUR", rates=[("2016-01-01", 2.0)])
        cls.company_2_data = cls.setup_other_company()

    def test_currencies_never_mix(self):
        inv_usd = self._invoice(100, "2025-01-10")
        inv_eur = self._invoice(100, "2025-01-05", currency=self.eur)
        credit_eur = self._credit_note(150, "2025-02-01", currency=self.eur)
        self.assertMovesValues(
            inv_usd + inv_eur + credit_eur,
            [
                {"amount_residual": 100.0, "payment_state": "not_paid"},
                {"amount_residual": 0.0, "payment_state": "reversed"},
                {
                    "amount_residual": 50.0,
                    "billabex_credit_state": "partially_applied",
                    "billabex_applied_amount": 100.0,
                },
            ],
        )
        self.assertEqual(self._allocations(credit_eur), {inv_eur.name: 100.0})
        # The EUR excess never goes to a USD invoice, even when asked.
        self.customer.action_billabex_allocate()
        self.assertEqual(inv_usd.amount_residual, 100.0)
        # Unapplied credit is counted in company currency (rate 2.0: 50 EUR = 25 USD).
        self.customer.invalidate_recordset()
        self.assertEqual(self.customer.billabex_unapplied_credit, 25.0)
        self.assertEqual(self.customer.billabex_outstanding, 75.0)

    def test_foreign_currency_allocation_at_different_rates(self):
        self.env["res.currency.rate"].create(
            {
                "name": "2025-03-01",
                "rate": 2.5,
                "currency_id": self.eur.id,
                "company_id": self.env.company.id,
            }
        )
        invoice = self._invoice(1000, "2025-02-10", currency=self.eur)  # 500 USD
        credit_note = self._credit_note(400, "2025-03-10", currency=self.eur)  # 160 USD
        self.assertMovesValues(
            invoice + credit_note,
            [
                {
                    "amount_residual": 600.0,
                    "payment_state": "partial",
                    "billabex_credited_amount": 400.0,
                },
                {
                    "amount_residual": 0.0,
                    "billabex_credit_state": "applied",
                    "billabex_applied_amount": 400.0,
                },
            ],
        )
        partial = credit_note.billabex_allocation_ids
        self.assertRecordValues(
            partial,
            [
                {"amount": 160.0, "debit_amount_currency": 400.0, "credit_amount_currency": 400.0},
            ],
        )
        self.assertTrue(partial.exchange_move_id, "the rate difference is booked by Odoo")

    def test_companies_never_mix(self):
        company_2 = self.company_2_data["company"]
        inv_1 = self._invoice(100, "2025-01-10")
        inv_2 = self._invoice(100, "2025-01-05", company_data=self.company_2_data)
        credit_2 = self._credit_note(150, "2025-02-01", company_data=self.company_2_data)
        self.assertEqual((inv_1 + inv_2 + credit_2).mapped("amount_residual"), [100.0, 0.0, 50.0])
        # Allocating in both companies still keeps them apart.
        self.customer.with_context(
            allowed_company_ids=[self.env.company.id, company_2.id]
        ).action_billabex_allocate()
        self.assertEqual(inv_1.amount_residual, 100.0)
        self.customer.invalidate_recordset()
        self.assertEqual(self.customer.billabex_unapplied_credit, 0.0)
        self.assertEqual(self.customer.with_company(company_2).billabex_unapplied_credit, 50.0)

    def test_other_receivable_account_never_mixes(self):
        other_receivable = self.copy_account(self.company_data["default_account_receivable"])
        invoice = self._invoice(100, "2025-01-10")
        credit_note = self._credit_note(100, "2025-02-01", post=False)
        credit_note.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        ).account_id = other_receivable
        credit_note.action_post()
        self.assertEqual(invoice.amount_residual, 100.0)
        self.assertEqual(credit_note.billabex_credit_state, "available")
