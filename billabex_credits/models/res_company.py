from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    billabex_auto_allocate = fields.Boolean(
        string="Allocate Credit Notes Automatically",
        default=True,
        help="Apply each posted customer credit note to the customer's open "
        "invoices, oldest first, and any remaining credit to the next invoice.",
    )
    billabex_reminder_tolerance = fields.Monetary(
        string="Reminder Tolerance",
        currency_field="currency_id",
        default=1.0,
        help="A net amount to claim below this amount (in the currency of the "
        "reminder) does not trigger a reminder.",
    )
    billabex_pdf_max_size_mb = fields.Integer(
        string="Credit Note PDF Size Limit (MB)",
        default=20,
        help="Larger uploaded PDFs are refused before being read.",
    )
    billabex_pdf_max_pages = fields.Integer(
        string="Credit Note PDF Page Limit",
        default=20,
        help="PDFs with more pages are refused (counted before being read).",
    )
    billabex_pdf_timeout = fields.Integer(
        string="Credit Note PDF Time Limit (s)",
        default=20,
        help="Reading a PDF is stopped after this many seconds.",
    )

    def _billabex_sale_tax(self, rate):
        """The company's sale tax of this rate (percent, price excluded), for
        documents read from a PDF or a billing tool."""
        self.ensure_one()
        taxes = self.env["account.tax"].search(
            [
                ("company_id", "=", self.id),
                ("type_tax_use", "=", "sale"),
                ("amount_type", "=", "percent"),
                ("amount", "=", float(rate)),
            ],
            limit=5,
        )
        return taxes.filtered(lambda tax: not tax.price_include)[:1]
