from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    billabex_auto_allocate = fields.Boolean(
        related="company_id.billabex_auto_allocate",
        readonly=False,
    )
    billabex_reminder_tolerance = fields.Monetary(
        related="company_id.billabex_reminder_tolerance",
        currency_field="currency_id",
        readonly=False,
    )
    billabex_pdf_max_size_mb = fields.Integer(
        related="company_id.billabex_pdf_max_size_mb", readonly=False
    )
    billabex_pdf_max_pages = fields.Integer(
        related="company_id.billabex_pdf_max_pages", readonly=False
    )
    billabex_pdf_timeout = fields.Integer(related="company_id.billabex_pdf_timeout", readonly=False)
