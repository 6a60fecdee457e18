from odoo import _, fields, models
from odoo.exceptions import RedirectWarning, UserError


class BillabexCreditNoteUpload(models.TransientModel):
    """Upload one or several credit note PDFs: one draft per file."""

    _name = "billabex.credit.note.upload"
    _description = "Upload Credit Note PDFs"

    attachment_ids = fields.Many2many("ir.attachment", string="PDF Files")
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        help="Leave empty to detect the customer from each document.",
    )
    confirm_cancelled = fields.Boolean(
        string="Create it anyway",
        help="Also create credit notes that the document marks as cancelled.",
    )

    def action_upload(self):
        self.ensure_one()
        if not self.attachment_ids:
            raise UserError(_("Add at least one PDF file."))
        importer = self.env["billabex.credit.note.import"]
        moves = self.env["account.move"]
        errors = []
        for attachment in self.attachment_ids:
            content = importer.attachment_content(attachment)
            try:
                with self.env.cr.savepoint():
                    moves |= importer.create_from_pdf(
                        attachment.name,
                        content,
                        partner=self.partner_id or None,
                        confirm_cancelled=self.confirm_cancelled,
                    )
            except (UserError, RedirectWarning) as error:
                if len(self.attachment_ids) == 1:
                    raise
                errors.append(str(error.args[0]))
        # The uploaded copies were only a vehicle: each draft has its own.
        self.attachment_ids.unlink()
        if not moves:
            raise UserError("\n".join(errors))
        if len(moves) == 1 and not errors:
            return {
                "type": "ir.actions.act_window",
                "res_model": "account.move",
                "res_id": moves.id,
                "views": [(False, "form")],
                "target": "current",
            }
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "billabex_credits.account_move_action_credit_note"
        )
        action["domain"] = [("id", "in", moves.ids)]
        action["context"] = {"default_move_type": "out_refund"}
        if errors:
            return {
                "type": "ir.actions.client",
                "tag": "display_notification",
                "params": {
                    "title": _(
                        "%(done)s credit note(s) added, %(failed)s file(s) refused",
                        done=len(moves),
                        failed=len(errors),
                    ),
                    "message": "\n".join(errors),
                    "type": "warning",
                    "sticky": True,
                    "next": action,
                },
            }
        return action

    def action_enter_manually(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": "account.move",
            "views": [(False, "form")],
            "target": "current",
            "context": {
                "default_move_type": "out_refund",
                "default_partner_id": self.partner_id.id,
            },
        }
