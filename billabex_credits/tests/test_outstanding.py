from odoo.tests import freeze_time, tagged

from .common import TODAY, BillabexCreditsCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestOutstanding(BillabexCreditsCommon):
    def _figures(self, partner):
        partner.invalidate_recordset()
        return [
            partner.billabex_due_amount,
            partner.billabex_overdue_amount,
            partner.billabex_unapplied_credit,
            partner.billabex_outstanding,
        ]

    def test_figures_follow_every_credit_note_event(self):
        self._invoice(1000, "2025-04-01", due="2025-05-01")  # overdue
        self._invoice(500, "2025-06-01", due="2025-07-31")  # not yet due
        self.assertEqual(self._figures(self.customer), [1500.0, 1000.0, 0.0, 1500.0])
        # Posted: applied to the oldest invoice at once.
        credit_note = self._credit_note(300, "2025-06-10")
        self.assertEqual(self._figures(self.customer), [1200.0, 700.0, 0.0, 1200.0])
        # Unallocated: the credit is unapplied, the outstanding is unchanged.
        credit_note.action_billabex_unallocate()
        self.assertEqual(self._figures(self.customer), [1500.0, 1000.0, 300.0, 1200.0])
        # Cancelled: it no longer counts at all.
        credit_note.button_draft()
        credit_note.button_cancel()
        self.assertEqual(self._figures(self.customer), [1500.0, 1000.0, 0.0, 1500.0])
        # Excess credit stays unapplied.
        self._credit_note(2000, "2025-06-20")
        self.assertEqual(self._figures(self.customer), [0.0, 0.0, 500.0, -500.0])

    def test_contact_shows_its_company_figures(self):
        self._invoice(100, "2025-06-01", partner=self.contact, due="2025-07-01")
        self.assertEqual(self._figures(self.contact), [100.0, 0.0, 0.0, 100.0])
        self.assertEqual(self._figures(self.customer), [100.0, 0.0, 0.0, 100.0])

    def test_figures_are_per_company(self):
        company_2 = self.setup_other_company()
        self._invoice(100, "2025-06-01", due="2025-07-01")
        self._invoice(70, "2025-06-01", due="2025-07-01", company_data=company_2)
        self.assertEqual(self._figures(self.customer), [100.0, 0.0, 0.0, 100.0])
        partner_in_2 = self.customer.with_company(company_2["company"])
        self.assertEqual(self._figures(partner_in_2), [70.0, 0.0, 0.0, 70.0])

    def test_query_count_does_not_grow_with_partners(self):
        partners = self.env["res.partner"].create([{"name": f"P{i}"} for i in range(12)])
        for partner in partners:
            self._invoice(100, "2025-06-01", partner=partner)
            self._credit_note(30, "2025-06-02", partner=partner, post=False).with_context(
                billabex_no_auto_allocate=True
            ).action_post()
        self.customer.mapped("billabex_outstanding")  # warm the company cache
        few, many = partners[:2], partners
        # One query reads the partners, one computes every figure of them all.
        few.invalidate_recordset()
        with self.assertQueryCount(2):
            few.mapped("billabex_outstanding")
        many.invalidate_recordset()
        with self.assertQueryCount(2):
            values = many.mapped("billabex_outstanding")
        self.assertEqual(values, [70.0] * 12)
        self.assertEqual(many.mapped("billabex_unapplied_credit"), [30.0] * 12)

    def test_credit_notes_tab_and_smart_button(self):
        cn1 = self._credit_note(10, "2025-06-01")
        cn2 = self._credit_note(20, "2025-06-02", partner=self.contact, post=False)
        self.assertEqual(self.customer.billabex_credit_note_ids, cn2 + cn1)
        self.assertEqual(self.customer.billabex_credit_note_count, 2)
        action = self.customer.action_billabex_view_credit_notes()
        self.assertEqual(self.env["account.move"].search(action["domain"]), cn1 + cn2)
