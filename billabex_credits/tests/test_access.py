from ast import literal_eval

from odoo.exceptions import AccessError
from odoo.tests import freeze_time, new_test_user, tagged

from .common import TODAY, BillabexCreditsCommon


@freeze_time(TODAY)
@tagged("post_install", "-at_install")
class TestAccess(BillabexCreditsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.env.company
        cls.invoicing_user = new_test_user(
            cls.env,
            login="billing",
            groups="account.group_account_invoice",
            company_id=company.id,
            company_ids=[(6, 0, company.ids)],
        )
        cls.readonly_user = new_test_user(
            cls.env,
            login="auditor",
            groups="base.group_user,account.group_account_readonly",
            company_id=company.id,
            company_ids=[(6, 0, company.ids)],
        )

    def test_invoicing_user_runs_every_flow(self):
        self.assertFalse(self.invoicing_user.has_group("account.group_account_user"))
        env = self.env(user=self.invoicing_user)
        customer = self.customer.with_env(env)
        Move = env["account.move"]
        inv1 = Move.create(
            {
                "move_type": "out_invoice",
                "partner_id": customer.id,
                "invoice_date": "2025-01-10",
                "invoice_line_ids": [(0, 0, {"name": "A", "price_unit": 100, "tax_ids": []})],
            }
        )
        inv2 = inv1.copy({"invoice_date": "2025-02-10"})
        (inv1 + inv2).action_post()
        credit_note = Move.create(
            {
                "move_type": "out_refund",
                "partner_id": customer.id,
                "invoice_date": "2025-03-01",
                "invoice_line_ids": [
                    (0, 0, {"name": "Discount", "price_unit": 150, "tax_ids": []})
                ],
            }
        )
        credit_note.action_post()
        self.assertEqual((inv1 + inv2 + credit_note).mapped("amount_residual"), [0.0, 50.0, 0.0])
        self.assertEqual(customer.billabex_outstanding, 50.0)
        credit_note.action_billabex_unallocate()
        self.assertEqual((inv1 + inv2).mapped("amount_residual"), [100.0, 100.0])
        credit_note.action_billabex_allocate()
        self.assertEqual((inv1 + inv2).mapped("amount_residual"), [0.0, 50.0])
        inv2.billabex_allocation_ids.action_billabex_unallocate()
        customer.action_billabex_allocate()  # the credit note is on hold: nothing moves
        self.assertEqual(inv2.amount_residual, 100.0)
        # The list and the partner tab render for this user.
        env["account.move"].get_views([(False, "list"), (False, "form")])
        action = env["ir.actions.act_window"]._for_xml_id(
            "billabex_credits.account_move_action_credit_note"
        )
        self.assertEqual(Move.search(literal_eval(action["domain"])), credit_note)
        customer.read(
            ["billabex_credit_note_ids", "billabex_due_amount", "billabex_unapplied_credit"]
        )

    def test_readonly_user_sees_but_cannot_change(self):
        invoice = self._invoice(100, "2025-01-10")
        credit_note = self._credit_note(40, "2025-02-01")
        env = self.env(user=self.readonly_user)
        customer = self.customer.with_env(env)
        self.assertEqual(customer.billabex_outstanding, 60.0)
        self.assertEqual(credit_note.with_env(env).billabex_credit_state, "applied")
        self.assertEqual(invoice.with_env(env).billabex_allocation_ids.billabex_amount, 40.0)
        for action in (
            credit_note.with_env(env).action_billabex_unallocate,
            credit_note.with_env(env).action_billabex_allocate,
            customer.action_billabex_allocate,
            invoice.with_env(env).billabex_allocation_ids.action_billabex_unallocate,
        ):
            with self.assertRaises(AccessError):
                action()
        self.assertEqual(invoice.amount_residual, 60.0)

    def test_multi_company_rules(self):
        company_2 = self.setup_other_company()
        foreign_credit = self._credit_note(40, "2025-02-01", company_data=company_2)
        env = self.env(user=self.invoicing_user)
        with self.assertRaises(AccessError):
            foreign_credit.with_env(env).read(["billabex_credit_state"])
        self.assertFalse(self.customer.with_env(env).billabex_credit_note_ids)
