from odoo import _, api, fields, models
from odoo.exceptions import UserError

from .billabex_credit_allocator import CREDIT_MOVE_TYPES, DEBIT_MOVE_TYPES


class AccountPartialReconcile(models.Model):
    """A partial between a credit note and an invoice *is* an allocation: these
    fields only present it; nothing is stored besides Odoo's own partial."""

    _inherit = "account.partial.reconcile"

    billabex_credit_note_id = fields.Many2one(
        "account.move",
        string="Credit Note",
        compute="_compute_billabex_documents",
    )
    billabex_invoice_id = fields.Many2one(
        "account.move",
        string="Invoice",
        compute="_compute_billabex_documents",
    )
    billabex_amount = fields.Monetary(
        string="Amount Applied",
        compute="_compute_billabex_documents",
        currency_field="billabex_currency_id",
    )
    billabex_currency_id = fields.Many2one(
        "res.currency",
        string="Currency",
        compute="_compute_billabex_documents",
    )

    @api.depends("debit_move_id", "credit_move_id")
    def _compute_billabex_documents(self):
        for partial in self:
            moves = partial.debit_move_id.move_id | partial.credit_move_id.move_id
            credit_note = moves.filtered(lambda m: m.move_type in CREDIT_MOVE_TYPES)[:1]
            invoice = moves.filtered(lambda m: m.move_type in DEBIT_MOVE_TYPES)[:1]
            partial.billabex_credit_note_id = credit_note
            partial.billabex_invoice_id = invoice
            # The amount in the credit note's currency (the invoice's too: the
            # allocator never mixes currencies).
            if credit_note and partial.credit_move_id.move_id == credit_note:
                partial.billabex_amount = partial.credit_amount_currency
                partial.billabex_currency_id = partial.credit_currency_id
            else:
                partial.billabex_amount = partial.debit_amount_currency
                partial.billabex_currency_id = partial.debit_currency_id

    def action_billabex_unallocate(self):
        """Remove these allocations; their credit notes are put on hold so that
        automatic allocation does not simply apply them again."""
        self.env["account.move"]._billabex_check_invoicing_user()
        allocations = self.filtered(lambda p: p.billabex_credit_note_id and p.billabex_invoice_id)
        if not allocations:
            raise UserError(_("There is no credit note allocation to remove."))
        credit_notes = allocations.billabex_credit_note_id
        invoices = allocations.billabex_invoice_id
        credit_notes.billabex_allocation_hold = True
        for credit_note in credit_notes:
            names = ", ".join(
                allocations.filtered(
                    lambda p, cn=credit_note: p.billabex_credit_note_id == cn
                ).billabex_invoice_id.mapped("name")
            )
            credit_note.message_post(
                body=_(
                    "Allocation removed from %(invoices)s; automatic allocation is on hold.",
                    invoices=names,
                )
            )
        allocations.unlink()
        (credit_notes | invoices).invalidate_recordset()
        return {"type": "ir.actions.client", "tag": "soft_reload"}

    def action_billabex_open_counterpart(self):
        """Open the document on the other side of the allocation."""
        self.ensure_one()
        target = self.env.context.get("billabex_open") == "invoice"
        move = self.billabex_invoice_id if target else self.billabex_credit_note_id
        return {
            "type": "ir.actions.act_window",
            "res_model": "account.move",
            "res_id": move.id,
            "views": [(False, "form")],
            "target": "current",
        }
