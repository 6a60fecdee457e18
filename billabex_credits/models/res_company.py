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
