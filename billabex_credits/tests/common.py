from odoo import Command, fields

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

TODAY = "2025-06-30"


class BillabexCreditsCommon(AccountTestInvoicingCommon):
    """Customer documents created the fast way (create + post, no Form) with
    untaxed lines, so every amount in the tests is the amount on the line."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.company.billabex_auto_allocate = True
        cls.partner_a.property_payment_term_id = False
        cls.customer = cls.env["res.partner"].create({"name": "Customer SA", "is_company": True})
        cls.contact = cls.env["res.partner"].create(
            {"name": "Accounts payable", "parent_id": cls.customer.id, "type": "invoice"}
        )

    @classmethod
    def _document(
        cls,
        move_type,
        amount,
        date,
        partner=None,
        post=True,
        due=None,
        currency=None,
        company_data=None,
        **values,
    ):
        company_data = company_data or cls.company_data
        vals = {
            "move_type": move_type,
            "partner_id": (partner or cls.customer).id,
            "invoice_date": date,
            "company_id": company_data["company"].id,
            "journal_id": company_data["default_journal_sale"].id,
            "invoice_line_ids": [
                Command.create(
                    {"name": "Services", "quantity": 1, "price_unit": amount, "tax_ids": []}
                )
            ],
            **values,
        }
        if due:
            vals["invoice_date_due"] = due
        if currency:
            vals["currency_id"] = currency.id
        move = cls.env["account.move"].with_company(company_data["company"]).create(vals)
        if post:
            move.action_post()
        return move

    @classmethod
    def _invoice(cls, amount, date, **kwargs):
        return cls._document("out_invoice", amount, date, **kwargs)

    @classmethod
    def _credit_note(cls, amount, date, **kwargs):
        return cls._document("out_refund", amount, date, **kwargs)

    def _allocations(self, credit_note):
        """{invoice name: amount applied} read from Odoo's partials."""
        return {
            partial.billabex_invoice_id.name: partial.billabex_amount
            for partial in credit_note.billabex_allocation_ids
        }

    @staticmethod
    def _date(value):
        return fields.Date.to_date(value)

    def assertMovesValues(self, records, expected_values):
        """assertRecordValues, but each record may check its own fields."""
        self.assertEqual(len(records), len(expected_values))
        for record, values in zip(records, expected_values, strict=True):
            self.assertRecordValues(record, [values])
