from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    billabex_auto_allocate = fields.Boolean(
        string="Allocate Credit Notes Automatically",
        default=True,
        help="Apply each posted customer credit note to the customer's open "
        "invoices, oldest first, and any remaining credit to the next invoice.",
    )
