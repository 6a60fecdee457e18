from odoo import _, api, fields, models
from odoo.tools import SQL

from .billabex_credit_allocator import CREDIT_MOVE_TYPES, DEBIT_MOVE_TYPES

FIGURES = (
    "billabex_due_amount",
    "billabex_overdue_amount",
    "billabex_unapplied_credit",
    "billabex_outstanding",
)


class ResPartner(models.Model):
    _inherit = "res.partner"

    billabex_no_auto_allocate = fields.Boolean(
        string="No Automatic Credit Allocation",
        help="Credit notes of this customer are only applied to invoices when "
        "someone clicks Allocate Now.",
    )
    billabex_currency_id = fields.Many2one(
        "res.currency",
        string="Outstanding Currency",
        compute="_compute_billabex_currency_id",
    )
    billabex_due_amount = fields.Monetary(
        string="Amount Due",
        compute="_compute_billabex_figures",
        currency_field="billabex_currency_id",
        groups="account.group_account_invoice,account.group_account_readonly",
        help="Open (residual) amount of the customer's posted invoices, "
        "in the current company's currency.",
    )
    billabex_overdue_amount = fields.Monetary(
        string="Amount Overdue",
        compute="_compute_billabex_figures",
        currency_field="billabex_currency_id",
        groups="account.group_account_invoice,account.group_account_readonly",
        help="Part of the amount due whose due date has passed.",
    )
    billabex_unapplied_credit = fields.Monetary(
        string="Unapplied Credit",
        compute="_compute_billabex_figures",
        currency_field="billabex_currency_id",
        groups="account.group_account_invoice,account.group_account_readonly",
        help="Remaining credit of the customer's posted credit notes not yet "
        "applied to an invoice.",
    )
    billabex_outstanding = fields.Monetary(
        string="Real Outstanding",
        compute="_compute_billabex_figures",
        currency_field="billabex_currency_id",
        groups="account.group_account_invoice,account.group_account_readonly",
        help="Amount due minus unapplied credit: what the customer really owes.",
    )
    # Billing tool sync
    billabex_connector_id = fields.Many2one(
        "billabex.connector", string="Billing Tool", copy=False, index="btree_not_null"
    )
    billabex_external_id = fields.Char(string="Billing Tool ID", copy=False)
    billabex_external_version = fields.Char(string="Billing Tool Version", copy=False)
    # Collection
    billabex_no_reminder = fields.Boolean(
        string="No Reminders",
        help="Never send payment reminders to this customer.",
    )
    billabex_overdue_0_30 = fields.Monetary(
        string="Overdue 0-30 Days",
        compute="_compute_billabex_collection",
        currency_field="billabex_currency_id",
        groups="account.group_account_invoice,account.group_account_readonly",
    )
    billabex_overdue_31_60 = fields.Monetary(
        string="Overdue 31-60 Days",
        compute="_compute_billabex_collection",
        currency_field="billabex_currency_id",
        groups="account.group_account_invoice,account.group_account_readonly",
    )
    billabex_overdue_61_90 = fields.Monetary(
        string="Overdue 61-90 Days",
        compute="_compute_billabex_collection",
        currency_field="billabex_currency_id",
        groups="account.group_account_invoice,account.group_account_readonly",
    )
    billabex_overdue_90_plus = fields.Monetary(
        string="Overdue 90+ Days",
        compute="_compute_billabex_collection",
        currency_field="billabex_currency_id",
        groups="account.group_account_invoice,account.group_account_readonly",
    )
    billabex_claimable_amount = fields.Monetary(
        string="Claimable Now",
        compute="_compute_billabex_collection",
        currency_field="billabex_currency_id",
        groups="account.group_account_invoice,account.group_account_readonly",
        help="Overdue amount that is neither disputed nor promised, minus the unapplied "
        "credit of the same currency: what a reminder would claim today.",
    )
    billabex_last_reminder_id = fields.Many2one(
        "billabex.reminder",
        string="Last Reminder",
        compute="_compute_billabex_collection",
        groups="account.group_account_invoice,account.group_account_readonly",
    )
    billabex_credit_note_ids = fields.Many2many(
        "account.move",
        string="Credit Notes",
        compute="_compute_billabex_credit_note_ids",
    )
    billabex_credit_note_count = fields.Integer(
        string="Credit Note Count",
        compute="_compute_billabex_credit_note_ids",
    )

    _sql_constraints = [
        (
            "billabex_external_uniq",
            "unique(billabex_connector_id, billabex_external_id)",
            "A customer of the billing tool is linked to one partner only.",
        ),
    ]

    @api.depends_context("company")
    def _compute_billabex_currency_id(self):
        self.billabex_currency_id = self.env.company.currency_id

    @api.depends_context("company")
    def _compute_billabex_figures(self):
        """All four figures of all partners in one grouped query, on the
        commercial partner (a contact shows its company's figures)."""
        commercial_ids = tuple(set(self._origin.commercial_partner_id.ids))
        figures = {}
        if commercial_ids:
            self.env["account.move.line"].flush_model(
                [
                    "amount_residual",
                    "partner_id",
                    "company_id",
                    "parent_state",
                    "reconciled",
                    "account_id",
                    "date_maturity",
                    "move_id",
                ]
            )
            self.env["account.move"].flush_model(["move_type"])
            query = SQL(
                """
                SELECT line.partner_id,
                       COALESCE(SUM(line.amount_residual) FILTER (
                           WHERE move.move_type IN %(debit_types)s
                             AND line.amount_residual > 0), 0),
                       COALESCE(SUM(line.amount_residual) FILTER (
                           WHERE move.move_type IN %(debit_types)s
                             AND line.amount_residual > 0
                             AND line.date_maturity < %(today)s), 0),
                       COALESCE(-SUM(line.amount_residual) FILTER (
                           WHERE move.move_type IN %(credit_types)s
                             AND line.amount_residual < 0), 0)
                  FROM account_move_line line
                  JOIN account_move move ON move.id = line.move_id
                  JOIN account_account account ON account.id = line.account_id
                  JOIN res_company company ON company.id = line.company_id
                 WHERE line.partner_id IN %(partner_ids)s
                   AND company.parent_path LIKE %(company_path)s
                   AND line.parent_state = 'posted'
                   AND line.reconciled IS NOT TRUE
                   AND account.account_type = 'asset_receivable'
                   AND move.move_type IN %(all_types)s
              GROUP BY line.partner_id
                """,
                debit_types=DEBIT_MOVE_TYPES,
                credit_types=CREDIT_MOVE_TYPES,
                all_types=DEBIT_MOVE_TYPES + CREDIT_MOVE_TYPES,
                today=fields.Date.context_today(self),
                partner_ids=commercial_ids,
                # The current company and its branches.
                company_path=f"{self.env.company.sudo().parent_path}%",
            )
            figures = {row[0]: row[1:] for row in self.env.execute_query(query)}
        for partner in self:
            due, overdue, unapplied = figures.get(
                partner._origin.commercial_partner_id.id, (0.0, 0.0, 0.0)
            )
            partner.billabex_due_amount = due
            partner.billabex_overdue_amount = overdue
            partner.billabex_unapplied_credit = unapplied
            partner.billabex_outstanding = due - unapplied

    @api.depends_context("company")
    def _compute_billabex_collection(self):
        """Outstanding analysis in the current company's currency: overdue
        buckets after the unapplied credit of each currency is applied to the
        oldest items first, and the amount claimable now."""
        analysis = self.env["billabex.reminder"]._partner_analysis(
            self._origin.commercial_partner_id, fields.Date.context_today(self)
        )
        for partner in self:
            values = analysis.get(partner._origin.commercial_partner_id.id, {})
            partner.billabex_overdue_0_30 = values.get("0_30", 0.0)
            partner.billabex_overdue_31_60 = values.get("31_60", 0.0)
            partner.billabex_overdue_61_90 = values.get("61_90", 0.0)
            partner.billabex_overdue_90_plus = values.get("90_plus", 0.0)
            partner.billabex_claimable_amount = values.get("claimable", 0.0)
            partner.billabex_last_reminder_id = values.get("last_reminder", False)

    def _compute_billabex_credit_note_ids(self):
        credit_notes = self.env["account.move"].search(
            [
                ("move_type", "in", CREDIT_MOVE_TYPES),
                ("commercial_partner_id", "in", self._origin.commercial_partner_id.ids),
            ],
            order="invoice_date desc, id desc",
        )
        by_partner = credit_notes.grouped("commercial_partner_id")
        for partner in self:
            partner_notes = by_partner.get(
                partner._origin.commercial_partner_id, self.env["account.move"]
            )
            partner.billabex_credit_note_ids = partner_notes
            partner.billabex_credit_note_count = len(partner_notes)

    def action_billabex_allocate(self):
        """Allocate now the available credit of these customers, in the
        companies selected in the company switcher."""
        self.env["account.move"]._billabex_check_invoicing_user()
        groups = {
            (company.id, partner.id)
            for partner in self.commercial_partner_id
            for company in self.env.companies
        }
        result = self.env["billabex.credit.allocator"].allocate_groups(groups)
        return self.env["account.move"]._billabex_allocation_notification(result.partials)

    def action_billabex_view_reminders(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "billabex_credits.billabex_reminder_action"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"create": False}
        return action

    def action_billabex_view_credit_notes(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "billabex_credits.account_move_action_credit_note"
        )
        action["domain"] = [
            ("move_type", "in", CREDIT_MOVE_TYPES),
            ("commercial_partner_id", "=", self.commercial_partner_id.id),
        ]
        action["context"] = {
            "default_move_type": "out_refund",
            "default_partner_id": self.id,
        }
        action["display_name"] = _("Credit Notes of %(partner)s", partner=self.display_name)
        return action
