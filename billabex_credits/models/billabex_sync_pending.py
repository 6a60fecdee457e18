from odoo import _, fields, models
from odoo.exceptions import UserError


class BillabexSyncPending(models.Model):
    """A customer of the billing tool that could not be matched safely (none
    or several partners): a person decides; its documents wait with it."""

    _name = "billabex.sync.pending"
    _description = "Billing Tool Customer to Review"
    _order = "id desc"

    connector_id = fields.Many2one(
        "billabex.connector", required=True, ondelete="cascade", index=True
    )
    external_id = fields.Char(required=True, index=True)
    name = fields.Char()
    email = fields.Char()
    vat = fields.Char(string="VAT")
    reason = fields.Char()
    candidate_ids = fields.Many2many("res.partner", string="Candidates")
    partner_id = fields.Many2one("res.partner", string="Link To")
    state = fields.Selection(
        [("open", "To Review"), ("done", "Done")], default="open", required=True
    )

    _sql_constraints = [
        (
            "external_uniq",
            "unique(connector_id, external_id)",
            "This customer is already to review.",
        ),
    ]

    def action_link(self):
        for pending in self:
            if not pending.partner_id:
                raise UserError(_("Choose the partner to link %(name)s to.", name=pending.name))
            pending.partner_id.commercial_partner_id.write(
                {
                    "billabex_connector_id": pending.connector_id.id,
                    "billabex_external_id": pending.external_id,
                }
            )
            pending.state = "done"
            # Its documents were skipped: the next run reads everything again.
            pending.connector_id.sudo().checkpoint = False
        return True

    def action_create_partner(self):
        for pending in self:
            pending.partner_id = self.env["res.partner"].create(
                {
                    "name": pending.name,
                    "email": pending.email,
                    "vat": pending.vat,
                    "is_company": True,
                    "billabex_connector_id": pending.connector_id.id,
                    "billabex_external_id": pending.external_id,
                }
            )
            pending.state = "done"
            pending.connector_id.sudo().checkpoint = False
        return True
