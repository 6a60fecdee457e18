from collections import defaultdict

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, format_amount

from .billabex_credit_allocator import CREDIT_MOVE_TYPES, DEBIT_MOVE_TYPES

CREDIT_STATES = [
    ("draft", "To Validate"),
    ("available", "Available"),
    ("partially_applied", "Partially Applied"),
    ("applied", "Applied"),
    ("refunded", "Refunded"),
    ("cancelled", "Cancelled"),
]


class AccountMove(models.Model):
    _inherit = "account.move"

    billabex_credit_state = fields.Selection(
        CREDIT_STATES,
        string="Credit State",
        compute="_compute_billabex_credit_state",
        store=True,
        index="btree_not_null",
        help="To Validate: draft. Available: posted, nothing applied yet. "
        "Partially Applied / Applied: part or all of the credit settles invoices. "
        "Refunded: paid back to the customer. Cancelled: does not count.",
    )
    billabex_applied_amount = fields.Monetary(
        string="Applied Amount",
        compute="_compute_billabex_amounts",
        store=True,
        help="Part of this credit note applied to customer invoices.",
    )
    billabex_refunded_amount = fields.Monetary(
        string="Refunded Amount",
        compute="_compute_billabex_amounts",
        store=True,
        help="Part of this credit note paid back to the customer.",
    )
    billabex_credited_amount = fields.Monetary(
        string="Credited Amount",
        compute="_compute_billabex_amounts",
        store=True,
        help="Part of this invoice settled by credit notes.",
    )
    billabex_allocation_hold = fields.Boolean(
        string="Hold Automatic Allocation",
        copy=False,
        tracking=True,
        help="Automatic allocation leaves this credit note alone. Set when its "
        "allocations are removed by hand; cleared by Allocate Now.",
    )
    billabex_referenced_invoice_ids = fields.Many2many(
        "account.move",
        "billabex_credit_note_invoice_rel",
        "credit_note_id",
        "invoice_id",
        string="Credited Invoices",
        copy=False,
        check_company=True,
        domain="[('move_type', 'in', ('out_invoice', 'out_receipt')),"
        " ('commercial_partner_id', '=', commercial_partner_id)]",
        help="Invoices this credit note refers to: it settles them first, "
        "then the other open invoices, oldest first.",
    )
    billabex_allocation_ids = fields.Many2many(
        "account.partial.reconcile",
        string="Allocations",
        compute="_compute_billabex_allocation_ids",
        help="Credit notes applied to this invoice, or invoices this credit "
        "note is applied to, with the amount of each.",
    )
    billabex_linked_move_count = fields.Integer(
        string="Linked Documents",
        compute="_compute_billabex_allocation_ids",
    )
    # Added from a PDF
    billabex_pdf_status = fields.Selection(
        [
            ("to_deduct", "To Deduct"),
            ("refunded", "Already Refunded"),
            ("settled", "Already Settled"),
            ("cancelled", "Cancelled"),
            ("unknown", "Unknown"),
        ],
        string="Status on the Document",
        copy=False,
        help="What the uploaded credit note says of itself. Already refunded or settled "
        "credit notes are not allocated to invoices.",
    )
    billabex_pdf_checksum = fields.Char(
        string="PDF Checksum", copy=False, index="btree_not_null", readonly=True
    )
    billabex_pdf_data = fields.Json(string="Detected Values", copy=False, readonly=True)
    billabex_pdf_notes = fields.Text(string="Points to Check", copy=False, readonly=True)
    billabex_pdf_review = fields.Html(
        string="Detection", compute="_compute_billabex_pdf_review", sanitize=False
    )
    # Billing tool sync
    billabex_connector_id = fields.Many2one(
        "billabex.connector",
        string="Billing Tool",
        copy=False,
        index="btree_not_null",
        readonly=True,
    )
    billabex_external_id = fields.Char(string="Billing Tool ID", copy=False, readonly=True)
    billabex_external_version = fields.Char(
        string="Billing Tool Version", copy=False, readonly=True
    )
    # Collection (reminders)
    billabex_disputed = fields.Boolean(
        string="Disputed",
        copy=False,
        tracking=True,
        help="The customer disputes this invoice: it is never claimed by reminders "
        "and does not count for the reminder level, but is shown in its own section.",
    )
    billabex_dispute_reason = fields.Char(string="Dispute Reason", copy=False, tracking=True)
    billabex_promise_date = fields.Date(
        string="Promise to Pay",
        copy=False,
        tracking=True,
        help="The customer promised to pay by this date: no reminder claims this "
        "invoice until the day after.",
    )

    _sql_constraints = [
        (
            "billabex_external_uniq",
            "unique(billabex_connector_id, billabex_external_id)",
            "A document of the billing tool is imported once.",
        ),
    ]

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------

    @api.depends(
        "state",
        "amount_residual",
        "line_ids.matched_debit_ids",
        "line_ids.matched_credit_ids",
    )
    def _compute_billabex_amounts(self):
        totals = self._billabex_counterpart_totals()
        for move in self:
            by_kind = totals.get(move.id, {})
            is_credit_note = move.move_type in CREDIT_MOVE_TYPES
            is_invoice = move.move_type in DEBIT_MOVE_TYPES
            move.billabex_applied_amount = by_kind.get("invoice", 0.0) if is_credit_note else 0.0
            move.billabex_refunded_amount = by_kind.get("payment", 0.0) if is_credit_note else 0.0
            move.billabex_credited_amount = by_kind.get("credit_note", 0.0) if is_invoice else 0.0

    @api.depends(
        "move_type",
        "state",
        "amount_residual",
        "amount_total",
        "billabex_applied_amount",
        "billabex_refunded_amount",
    )
    def _compute_billabex_credit_state(self):
        for move in self:
            if move.move_type not in CREDIT_MOVE_TYPES:
                move.billabex_credit_state = False
            elif move.state == "draft":
                move.billabex_credit_state = "draft"
            elif move.state == "cancel":
                move.billabex_credit_state = "cancelled"
            elif move.currency_id.is_zero(move.amount_residual):
                move.billabex_credit_state = (
                    "refunded"
                    if not move.currency_id.is_zero(move.billabex_refunded_amount)
                    else "applied"
                )
            elif move.currency_id.compare_amounts(move.amount_residual, move.amount_total) < 0:
                move.billabex_credit_state = "partially_applied"
            else:
                move.billabex_credit_state = "available"

    @api.depends("line_ids.matched_debit_ids", "line_ids.matched_credit_ids")
    def _compute_billabex_allocation_ids(self):
        for move in self:
            partials = move._billabex_credit_partials()
            move.billabex_allocation_ids = partials
            counterparts = partials.debit_move_id.move_id | partials.credit_move_id.move_id
            move.billabex_linked_move_count = len(counterparts - move)

    @api.depends("billabex_pdf_data")
    def _compute_billabex_pdf_review(self):
        importer = self.env["billabex.credit.note.import"]
        for move in self:
            move.billabex_pdf_review = importer.review_html(move)

    def _billabex_counterpart_totals(self):
        """Amounts (document currency) reconciled with invoices, credit notes
        and payments, per move: one query for the whole recordset."""
        move_ids = tuple(self._origin.ids)
        if not move_ids:
            return {}
        self.env["account.partial.reconcile"].flush_model()
        self.env["account.move.line"].flush_model(["move_id", "account_id"])
        queries = [
            SQL(
                """
                SELECT line.move_id,
                       CASE WHEN cp_move.move_type IN %(credit_types)s THEN 'credit_note'
                            WHEN cp_move.move_type IN %(debit_types)s THEN 'invoice'
                            WHEN cp_move.origin_payment_id IS NOT NULL
                              OR cp_move.statement_line_id IS NOT NULL THEN 'payment'
                            ELSE 'other' END AS kind,
                       SUM(part.%(own_amount)s) AS amount
                  FROM account_partial_reconcile part
                  JOIN account_move_line line ON line.id = part.%(own_side)s
                  JOIN account_account account ON account.id = line.account_id
                  JOIN account_move_line cp_line ON cp_line.id = part.%(other_side)s
                  JOIN account_move cp_move ON cp_move.id = cp_line.move_id
                 WHERE line.move_id IN %(move_ids)s
                   AND account.account_type = 'asset_receivable'
                   AND cp_line.move_id != line.move_id
              GROUP BY 1, 2
                """,
                credit_types=CREDIT_MOVE_TYPES,
                debit_types=DEBIT_MOVE_TYPES,
                own_amount=SQL.identifier(own_amount),
                own_side=SQL.identifier(own_side),
                other_side=SQL.identifier(other_side),
                move_ids=move_ids,
            )
            for own_side, other_side, own_amount in (
                ("debit_move_id", "credit_move_id", "debit_amount_currency"),
                ("credit_move_id", "debit_move_id", "credit_amount_currency"),
            )
        ]
        totals = defaultdict(lambda: defaultdict(float))
        for move_id, kind, amount in self.env.execute_query(SQL(" UNION ALL ").join(queries)):
            totals[move_id][kind] += amount
        return totals

    def _billabex_credit_partials(self):
        """Partials between this move's receivable lines and credit notes (for
        an invoice) or invoices (for a credit note): the allocations."""
        self.ensure_one()
        if self.move_type in CREDIT_MOVE_TYPES:
            counterpart_types = DEBIT_MOVE_TYPES
        elif self.move_type in DEBIT_MOVE_TYPES:
            counterpart_types = CREDIT_MOVE_TYPES
        else:
            return self.env["account.partial.reconcile"]
        lines = self.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        )
        return (lines.matched_debit_ids | lines.matched_credit_ids).filtered(
            lambda part: (part.debit_move_id | part.credit_move_id).move_id.filtered(
                lambda m: m.move_type in counterpart_types
            )
        )

    # ------------------------------------------------------------------
    # Posting
    # ------------------------------------------------------------------

    def _post(self, soft=True):
        # A credit note already refunded or used elsewhere has nothing to give.
        self.filtered(
            lambda m: (
                m.billabex_pdf_status in ("refunded", "settled") and not m.billabex_allocation_hold
            )
        ).billabex_allocation_hold = True
        posted = super()._post(soft=soft)
        if not self.env.context.get("billabex_no_auto_allocate"):
            # After super(): Odoo has already reconciled a credit note with the
            # invoice it reverses; the allocator spreads what is left.
            self.env["billabex.credit.allocator"].allocate_moves(posted, automatic=True)
        return posted

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def _billabex_check_invoicing_user(self):
        if not self.env.user.has_group("account.group_account_invoice"):
            raise AccessError(_("Only Invoicing users can allocate or unallocate credit notes."))

    def action_billabex_allocate(self):
        """Allocate now: these credit notes (their hold lifted), or the credit
        available to the customers of these invoices."""
        self._billabex_check_invoicing_user()
        moves = self.filtered(lambda m: m.move_type in CREDIT_MOVE_TYPES + DEBIT_MOVE_TYPES)
        if not moves or any(move.state != "posted" for move in moves):
            raise UserError(_("Only posted customer invoices and credit notes can be allocated."))
        allocator = self.env["billabex.credit.allocator"]
        credit_notes = moves.filtered(lambda m: m.move_type in CREDIT_MOVE_TYPES)
        credit_notes.filtered("billabex_allocation_hold").billabex_allocation_hold = False
        partials = self.env["account.partial.reconcile"]
        if credit_notes:
            partials |= allocator.allocate_credit_notes(credit_notes).partials
        invoices = moves - credit_notes
        if invoices:
            partials |= allocator.allocate_moves(invoices).partials
        return self._billabex_allocation_notification(partials)

    def action_billabex_unallocate(self):
        """Remove the allocations of these credit notes, or of these invoices,
        and hold the credit notes concerned so that automatic allocation does
        not apply them again by itself."""
        self._billabex_check_invoicing_user()
        partials = self.env["account.partial.reconcile"]
        for move in self:
            partials |= move._billabex_credit_partials()
        if not partials:
            raise UserError(_("There is no credit note allocation to remove."))
        return partials.action_billabex_unallocate()

    def action_billabex_view_linked_moves(self):
        self.ensure_one()
        partials = self._billabex_credit_partials()
        linked = (partials.debit_move_id.move_id | partials.credit_move_id.move_id) - self
        if self.move_type in CREDIT_MOVE_TYPES:
            action = self.env["ir.actions.act_window"]._for_xml_id(
                "account.action_move_out_invoice_type"
            )
        else:
            action = self.env["ir.actions.act_window"]._for_xml_id(
                "billabex_credits.account_move_action_credit_note"
            )
        action["domain"] = [("id", "in", linked.ids)]
        action["context"] = {"create": False}
        if len(linked) == 1:
            action.update(views=[(False, "form")], res_id=linked.id, view_mode="form")
        return action

    def action_billabex_add_credit_note(self):
        """The list's "Add" button: upload PDFs (or enter one by hand)."""
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "billabex_credits.billabex_credit_note_upload_action"
        )
        action["context"] = {
            "default_partner_id": self.env.context.get("billabex_partner_id", False),
        }
        return action

    def action_billabex_save_draft(self):
        """Review form of an uploaded credit note: keep it as a draft, back to the list."""
        return self.env["ir.actions.act_window"]._for_xml_id(
            "billabex_credits.account_move_action_credit_note"
        )

    @api.model
    def billabex_create_credit_note_from_pdf(self, filename, content):
        """The draft customer credit note read from a PDF (``content``: bytes).

        Raises a UserError with a clear message for a file that cannot be
        used, and a RedirectWarning to the existing record for a duplicate.
        """
        return self.env["billabex.credit.note.import"].create_from_pdf(filename, content)

    def _billabex_allocation_notification(self, partials):
        if partials:
            amounts = defaultdict(float)
            for partial in partials:
                amounts[partial.credit_currency_id] += partial.credit_amount_currency
            message = _(
                "%(amount)s applied to %(count)s invoice(s).",
                amount=", ".join(
                    format_amount(self.env, amount, currency)
                    for currency, amount in amounts.items()
                ),
                count=len(partials.debit_move_id.move_id),
            )
            kind = "success"
        else:
            message = _("Nothing to allocate: no open invoice matches the available credit.")
            kind = "info"
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("Credit note allocation"),
                "message": message,
                "type": kind,
                "sticky": False,
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }
