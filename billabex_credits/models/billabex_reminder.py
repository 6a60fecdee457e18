import logging
from collections import defaultdict

from odoo import Command, _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, format_amount

from ..services import dunning
from ..services.allocation import OpenItem, from_minor_units, plan_allocation, to_minor_units
from ..services.dunning import DunningItem, Level, decide_claim

_logger = logging.getLogger(__name__)

SECTIONS = [
    (dunning.OVERDUE, "Overdue"),
    (dunning.CREDIT, "Unapplied Credit"),
    (dunning.NOT_DUE, "Not Yet Due"),
    (dunning.PROMISED, "Promise to Pay"),
    (dunning.DISPUTED, "Disputed"),
]


class BillabexReminder(models.Model):
    """One reminder per scope key (company, commercial partner, currency).

    What it claims is :func:`services.dunning.decide_claim` on the open items
    of that scope, computed when the plan is prepared and again when it is
    sent: credit notes, payments and disputes that arrived in between count.
    """

    _name = "billabex.reminder"
    _description = "Customer Reminder"
    _inherit = ["mail.thread"]
    _order = "date desc, id desc"
    _check_company_auto = True

    name = fields.Char(string="Reference", required=True, readonly=True, default="/", copy=False)
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, readonly=True, index=True
    )
    recipient_id = fields.Many2one(
        "res.partner",
        string="Send To",
        compute="_compute_recipient_id",
        help="The customer's invoice address when it has an email, else the customer.",
    )
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    level_id = fields.Many2one("billabex.reminder.level", readonly=True, check_company=True)
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("to_approve", "To Approve"),
            ("sent", "Sent"),
            ("cancelled", "Cancelled"),
        ],
        default="draft",
        required=True,
        readonly=True,
        tracking=True,
        index=True,
    )
    date = fields.Date(string="Prepared On", readonly=True)
    sent_date = fields.Date(string="Sent On", readonly=True, copy=False)
    days_late = fields.Integer(
        readonly=True,
        help="Days past due of the oldest overdue invoice not covered by credit.",
    )
    line_ids = fields.One2many(
        "billabex.reminder.line", "reminder_id", string="Lines", readonly=True
    )
    amount_overdue = fields.Monetary(string="Overdue Remaining", readonly=True)
    amount_unapplied_credit = fields.Monetary(string="Unapplied Credit", readonly=True)
    amount_claimed = fields.Monetary(readonly=True, tracking=True)
    cancel_reason = fields.Char(readonly=True, copy=False)

    def init(self):
        # At most one reminder in preparation per scope key, whatever runs at
        # the same time (cron and a user): the database says no to a second.
        self.env.cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS billabex_reminder_open_scope_uniq
                ON billabex_reminder (company_id, partner_id, currency_id)
             WHERE state IN ('draft', 'to_approve')
            """
        )

    @api.depends("partner_id")
    def _compute_recipient_id(self):
        for reminder in self:
            address = self.env["res.partner"].browse(
                reminder.partner_id.address_get(["invoice"])["invoice"]
            )
            reminder.recipient_id = address if address.email else reminder.partner_id

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].next_by_code("billabex.reminder") or "/"
        return super().create(vals_list)

    # ------------------------------------------------------------------
    # Preparing the plan
    # ------------------------------------------------------------------

    @api.model
    def prepare_reminders(self, date=None):
        """Build the reminder plan of the companies in the environment.

        One draft reminder per scope key that must be reminded today, created
        or updated in place; drafts that no longer apply are cancelled.
        :return: the draft (or to approve) reminders created or updated.
        """
        self._check_invoicing_user()
        today = fields.Date.to_date(date) if date else fields.Date.context_today(self)
        companies = self.env.companies
        Level_ = self.env["billabex.reminder.level"]
        Level_._create_default_levels(companies)
        items = self._gather_items(companies.ids)
        open_reminders = self.search(
            [("state", "in", ("draft", "to_approve")), ("company_id", "in", companies.ids)]
        )
        by_scope = {reminder._scope(): reminder for reminder in open_reminders}
        decisions = self._decide(items, today, companies)
        to_create, to_update = [], {}
        for scope, (decision, rows) in decisions.items():
            existing = by_scope.pop(scope, None)
            if decision.remind:
                vals = self._reminder_vals(scope, decision, rows, today)
                if existing:
                    to_update[existing] = vals
                else:
                    to_create.append(vals)
            elif existing:
                existing._cancel(decision.reason)
        for leftover in by_scope.values():
            leftover._cancel(dunning.NOTHING_OVERDUE)
        return self.create(to_create) | self._apply_decisions(to_update)

    @api.model
    def _cron_prepare_reminders(self):
        companies = self.env["res.company"].search([])
        return self.with_context(allowed_company_ids=companies.ids).prepare_reminders()

    def action_prepare_reminders(self):
        reminders = self.prepare_reminders()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "billabex_credits.billabex_reminder_action"
        )
        action["domain"] = [("state", "in", ("draft", "to_approve"))]
        action["context"] = {"create": False}
        if not reminders:
            action["help"] = _("<p>Nobody to remind today: every overdue amount is covered.</p>")
        return action

    def _scope(self):
        self.ensure_one()
        return (self.company_id.id, self.partner_id.id, self.currency_id.id)

    @api.model
    def _gather_items(self, company_ids, partner_ids=None, include_excluded=False):
        """Open receivable items per scope key, in one query: invoice
        installments (with what credit notes applied to them) and unapplied
        credits (credit notes, payments)."""
        self.env.flush_all()
        partner_filter = (
            SQL("AND line.partner_id IN %s", tuple(partner_ids)) if partner_ids else SQL()
        )
        excluded_filter = (
            SQL() if include_excluded else SQL("AND partner.billabex_no_reminder IS NOT TRUE")
        )
        query = SQL(
            """
            SELECT line.id, line.move_id, line.company_id, line.partner_id, line.currency_id,
                   line.date_maturity, line.amount_currency, line.amount_residual_currency,
                   line.amount_residual, line.balance,
                   move.move_type, move.name, move.invoice_date, move.date,
                   move.billabex_disputed, move.billabex_dispute_reason, move.billabex_promise_date,
                   COALESCE(credited.amount, 0) AS credited, credited.refs AS credit_refs
              FROM account_move_line line
              JOIN account_move move ON move.id = line.move_id
              JOIN account_account account ON account.id = line.account_id
              JOIN res_partner partner ON partner.id = line.partner_id
         LEFT JOIN LATERAL (
                    SELECT SUM(part.debit_amount_currency) AS amount,
                           STRING_AGG(DISTINCT credit_move.name, ', ') AS refs
                      FROM account_partial_reconcile part
                      JOIN account_move_line credit_line ON credit_line.id = part.credit_move_id
                      JOIN account_move credit_move ON credit_move.id = credit_line.move_id
                     WHERE part.debit_move_id = line.id
                       AND credit_move.move_type = 'out_refund'
                   ) credited ON line.amount_residual_currency > 0
             WHERE account.account_type = 'asset_receivable'
               AND line.parent_state = 'posted'
               AND line.reconciled IS NOT TRUE
               AND line.amount_residual_currency != 0
               AND line.company_id IN %(company_ids)s
               AND move.payment_state IS DISTINCT FROM 'in_payment'
               AND (line.amount_residual_currency < 0
                    OR move.move_type IN ('out_invoice', 'out_receipt'))
               %(excluded_filter)s
               %(partner_filter)s
            """,
            company_ids=tuple(company_ids),
            excluded_filter=excluded_filter,
            partner_filter=partner_filter,
        )
        items = defaultdict(list)
        for row in self.env.execute_query_dict(query):
            items[(row["company_id"], row["partner_id"], row["currency_id"])].append(row)
        return items

    @api.model
    def _decide(self, items, today, companies):
        """decide_claim for every scope key; ``{scope: (decision, rows)}``."""
        levels = self.env["billabex.reminder.level"].search([("company_id", "in", companies.ids)])
        levels_by_company = defaultdict(list)
        level_by_id = {}
        for level in levels:
            level_by_id[level.id] = Level(level.id, level.sequence, level.days)
            levels_by_company[level.company_id.id].append(level_by_id[level.id])
        last_sent = self._last_sent_by_scope(companies.ids)
        currencies = {c.id: c for c in self.env["res.currency"].browse({s[2] for s in items})}
        decisions = {}
        for scope, rows in items.items():
            company = companies.browse(scope[0])
            currency = currencies[scope[2]]
            places = currency.decimal_places
            tolerance = company.currency_id._convert(
                company.billabex_reminder_tolerance, currency, company, today
            )
            last_level_id, last_date = last_sent.get(scope, (None, None))
            decision = decide_claim(
                [self._dunning_item(row, places) for row in rows],
                today,
                levels_by_company.get(scope[0], []),
                tolerance=to_minor_units(tolerance, places),
                last_sent_level=level_by_id.get(last_level_id),
                last_sent_date=last_date,
            )
            decisions[scope] = (decision, rows)
        return decisions

    @api.model
    def _dunning_item(self, row, places):
        residual = to_minor_units(row["amount_residual_currency"], places)
        is_credit = residual < 0
        original = to_minor_units(row["amount_currency"], places)
        credited = to_minor_units(row["credited"], places)
        return DunningItem(
            id=row["id"],
            residual=abs(residual),
            is_credit=is_credit,
            number=row["name"] or "",
            document_date=row["invoice_date"] or row["date"],
            due_date=None if is_credit else row["date_maturity"],
            original=abs(original),
            credited=credited,
            paid=0 if is_credit else max(0, original - credited - residual),
            disputed=bool(row["billabex_disputed"]) and not is_credit,
            promise_date=row["billabex_promise_date"],
        )

    @api.model
    def _last_sent_by_scope(self, company_ids):
        self.flush_model()
        rows = self.env.execute_query(
            SQL(
                """
                SELECT DISTINCT ON (company_id, partner_id, currency_id)
                       company_id, partner_id, currency_id, level_id, sent_date
                  FROM billabex_reminder
                 WHERE state = 'sent' AND company_id IN %s
              ORDER BY company_id, partner_id, currency_id, sent_date DESC, id DESC
                """,
                tuple(company_ids),
            )
        )
        return {(c, p, cur): (level, sent) for c, p, cur, level, sent in rows}

    @api.model
    def _reminder_vals(self, scope, decision, rows, today):
        company_id, partner_id, currency_id = scope
        places = self.env["res.currency"].browse(currency_id).decimal_places
        row_by_id = {row["id"]: row for row in rows}

        def amount(value):
            return float(from_minor_units(value, places))

        lines = []
        for sequence, line in enumerate(decision.lines, start=1):
            item, row = line.item, row_by_id[line.item.id]
            remaining = -item.residual if item.is_credit else item.residual
            lines.append(
                Command.create(
                    {
                        "sequence": sequence,
                        "section": line.section,
                        "move_id": row["move_id"],
                        "move_line_id": row["id"],
                        "name": row["name"],
                        "invoice_date": item.document_date,
                        "due_date": item.due_date,
                        "days_late": line.days_late,
                        "amount_original": amount(
                            -item.original if item.is_credit else item.original
                        ),
                        "amount_credited": amount(item.credited),
                        "credit_note_refs": row["credit_refs"],
                        "amount_paid": amount(item.paid),
                        "amount_remaining": amount(remaining),
                        "dispute_reason": row["billabex_dispute_reason"]
                        if item.disputed
                        else False,
                        "promise_date": item.promise_date,
                    }
                )
            )
        return {
            "company_id": company_id,
            "partner_id": partner_id,
            "currency_id": currency_id,
            "level_id": decision.level.id,
            "date": today,
            "days_late": decision.oldest_uncovered_days,
            "amount_overdue": amount(decision.overdue_remaining),
            "amount_unapplied_credit": amount(decision.unapplied_credit),
            "amount_claimed": amount(decision.amount_claimed),
            "line_ids": lines,
        }

    @api.model
    def _apply_decisions(self, vals_by_reminder):
        """Replace the content of reminders in preparation, lines in batch."""
        reminders = self.browse([reminder.id for reminder in vals_by_reminder])
        reminders.line_ids.unlink()
        line_vals = []
        for reminder, vals in vals_by_reminder.items():
            vals = dict(vals)
            line_vals += [
                dict(command[2], reminder_id=reminder.id) for command in vals.pop("line_ids")
            ]
            for key in ("company_id", "partner_id", "currency_id"):
                vals.pop(key)
            level = self.env["billabex.reminder.level"].browse(vals["level_id"])
            if reminder.state == "to_approve" and not level.needs_approval:
                vals["state"] = "draft"
            reminder.write(vals)
        self.env["billabex.reminder.line"].create(line_vals)
        return reminders

    def _cancel(self, reason):
        labels = {
            dunning.NOTHING_OVERDUE: _("nothing is overdue any more"),
            dunning.COVERED_BY_CREDIT: _("the overdue amount is covered by credit"),
            dunning.BELOW_TOLERANCE: _("the amount left is below the tolerance"),
            dunning.NO_LEVEL_REACHED: _("no reminder level is reached"),
            dunning.LEVEL_ALREADY_SENT: _("this level was already sent"),
        }
        text = labels.get(reason, reason)
        self.write({"state": "cancelled", "cancel_reason": text})
        for reminder in self:
            reminder.message_post(body=_("Reminder cancelled: %(reason)s.", reason=text))

    @api.model
    def _partner_analysis(self, partners, today):
        """Per commercial partner, in the current company's currency: overdue
        amounts by age bucket once the unapplied credit of each currency is
        applied to the oldest overdue items (virtually), the amount claimable
        now, and the last reminder sent. Two queries for all partners."""
        if not partners:
            return {}
        company = self.env.company
        places = company.currency_id.decimal_places
        items = self._gather_items(company.ids, partners.ids, include_excluded=True)
        result = defaultdict(lambda: defaultdict(float))
        for (_company, partner_id, _currency), rows in items.items():
            credits, overdue, claimable = [], [], 0
            for row in rows:
                residual = to_minor_units(row["amount_residual"], places)
                due = row["date_maturity"]
                open_item = OpenItem(
                    row["id"], abs(residual), row["invoice_date"], due, row["name"] or ""
                )
                if residual < 0:
                    credits.append(open_item)
                elif due and due < today:
                    overdue.append(open_item)
                    paused = row["billabex_disputed"] or (
                        row["billabex_promise_date"] and row["billabex_promise_date"] >= today
                    )
                    claimable += 0 if paused else residual
            covered = defaultdict(int)
            for allocation in plan_allocation(credits, overdue):
                covered[allocation.debit_id] += allocation.amount
            values = result[partner_id]
            for item in overdue:
                days = (today - item.due_date).days
                bucket = (
                    "0_30"
                    if days <= 30
                    else "31_60"
                    if days <= 60
                    else "61_90"
                    if days <= 90
                    else "90_plus"
                )
                values[bucket] += float(from_minor_units(item.amount - covered[item.id], places))
            credit_total = sum(credit.amount for credit in credits)
            values["claimable"] += float(from_minor_units(max(0, claimable - credit_total), places))
        last = self.search(
            [
                ("state", "=", "sent"),
                ("company_id", "=", company.id),
                ("partner_id", "in", partners.ids),
            ],
            order="sent_date desc, id desc",
        )
        for reminder in last:
            result[reminder.partner_id.id].setdefault("last_reminder", reminder.id)
        return result

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def _check_invoicing_user(self):
        if not self.env.su and not self.env.user.has_group("account.group_account_invoice"):
            raise AccessError(_("Only Invoicing users can prepare and send reminders."))

    def action_refresh(self):
        """Recompute these reminders from the ledger now."""
        self._check_invoicing_user()
        self._refresh(fields.Date.context_today(self))
        return True

    def _refresh(self, today):
        pending = self.filtered(lambda r: r.state in ("draft", "to_approve"))
        if not pending:
            return pending
        items = self._gather_items(pending.company_id.ids, pending.partner_id.ids)
        scopes = {reminder._scope() for reminder in pending}
        decisions = self._decide(
            {scope: rows for scope, rows in items.items() if scope in scopes},
            today,
            pending.company_id,
        )
        to_update = {}
        for reminder in pending:
            decision, rows = decisions.get(reminder._scope(), (None, []))
            if decision is None or not decision.remind:
                reminder._cancel(decision.reason if decision else dunning.NOTHING_OVERDUE)
                continue
            to_update[reminder] = reminder._reminder_vals(reminder._scope(), decision, rows, today)
        return self._apply_decisions(to_update)

    def action_send(self):
        """Re-check everything, then send, or ask for approval, or cancel."""
        self._check_invoicing_user()
        if any(reminder.state not in ("draft", "to_approve") for reminder in self):
            raise UserError(_("Only reminders in preparation can be sent."))
        is_manager = self.env.user.has_group("account.group_account_manager")
        to_send = self.browse()
        for reminder in self._refresh(fields.Date.context_today(self)):
            if reminder.level_id.needs_approval and not is_manager:
                if reminder.state == "draft":
                    reminder.state = "to_approve"
                    reminder.message_post(
                        body=_(
                            "%(level)s: waiting for an Invoicing manager's approval.",
                            level=reminder.level_id.name,
                        )
                    )
                continue
            to_send |= reminder
        missing = to_send.filtered(lambda r: not r.recipient_id.email)
        if missing:
            raise UserError(
                _(
                    "No email address for %(partners)s: add one on the customer, "
                    "or on its invoice address.",
                    partners=", ".join(missing.recipient_id.mapped("display_name")),
                )
            )
        to_send._send()
        return True

    def action_approve(self):
        """Invoicing managers: approve and send reminders waiting for approval."""
        if not self.env.user.has_group("account.group_account_manager"):
            raise AccessError(_("Only Invoicing managers can approve reminders."))
        return self.action_send()

    def action_cancel(self):
        self._check_invoicing_user()
        if any(reminder.state == "sent" for reminder in self):
            raise UserError(_("A sent reminder cannot be cancelled."))
        self.write(
            {
                "state": "cancelled",
                "cancel_reason": _("Cancelled by %(user)s", user=self.env.user.name),
            }
        )
        return True

    def _send(self):
        today = fields.Date.context_today(self)
        for reminder in self:
            reminder.message_post_with_source(
                reminder.level_id.mail_template_id,
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )
            summary = _(
                "Reminder %(name)s sent (%(level)s): %(amount)s claimed.",
                name=reminder.name,
                level=reminder.level_id.name,
                amount=format_amount(self.env, reminder.amount_claimed, reminder.currency_id),
            )
            reminder.partner_id._message_log(body=summary)
            invoices = reminder.line_ids.filtered(
                lambda line: line.section == dunning.OVERDUE
            ).move_id
            invoices._message_log_batch(bodies=dict.fromkeys(invoices.ids, summary))
        self.write({"state": "sent", "sent_date": today})


class BillabexReminderLine(models.Model):
    _name = "billabex.reminder.line"
    _description = "Customer Reminder Line"
    _order = "reminder_id, sequence, id"

    reminder_id = fields.Many2one(
        "billabex.reminder", required=True, ondelete="cascade", index=True
    )
    sequence = fields.Integer()
    section = fields.Selection(SECTIONS, required=True)
    move_id = fields.Many2one("account.move", string="Document", index=True)
    move_line_id = fields.Many2one("account.move.line", string="Journal Item")
    name = fields.Char(string="Number")
    invoice_date = fields.Date(string="Date")
    due_date = fields.Date()
    days_late = fields.Integer()
    currency_id = fields.Many2one(related="reminder_id.currency_id")
    amount_original = fields.Monetary(string="Original Amount")
    amount_credited = fields.Monetary(string="Credit Notes Applied")
    credit_note_refs = fields.Char(string="Credit Notes")
    amount_paid = fields.Monetary(string="Payments Received")
    amount_remaining = fields.Monetary(string="Remaining")
    dispute_reason = fields.Char()
    promise_date = fields.Date(string="Promise to Pay")
