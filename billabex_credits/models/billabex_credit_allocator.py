import logging
import threading
import time
from collections import defaultdict

from psycopg2 import errors as pgerrors

from odoo import _, api, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, mute_logger

from ..services.allocation import OpenItem, plan_allocation, to_minor_units

_logger = logging.getLogger(__name__)

CREDIT_MOVE_TYPES = ("out_refund",)
DEBIT_MOVE_TYPES = ("out_invoice", "out_receipt")


class AllocationResult:
    """What one allocation run did, for callers and user notifications."""

    def __init__(self, env):
        self.partials = env["account.partial.reconcile"]
        self.locked = []  # (company, partner) groups skipped: locked elsewhere
        self.failed = []  # (company, partner, message) groups that raised

    @property
    def count(self):
        return len(self.partials)


class BillabexCreditAllocator(models.AbstractModel):
    """Applies customer credit notes to open invoices with Odoo reconciliation.

    The decision is :func:`services.allocation.plan_allocation`; this model
    only gathers the open receivable lines, locks them, and reconciles the
    planned pairs in one ``_reconcile_plan`` call per customer.
    """

    _name = "billabex.credit.allocator"
    _description = "Credit Note Allocation"

    # ------------------------------------------------------------------
    # Entry points
    # ------------------------------------------------------------------

    @api.model
    def allocate_moves(self, moves, automatic=False):
        """Allocate the credit available to the customers of ``moves``.

        Called when invoices or credit notes are posted (``automatic=True``)
        and by the "Allocate now" buttons. Credit notes on hold are left alone.
        """
        groups = {
            (move.company_id.id, move.commercial_partner_id.id)
            for move in moves
            if move.move_type in CREDIT_MOVE_TYPES + DEBIT_MOVE_TYPES
            and move.state == "posted"
            and move.commercial_partner_id
        }
        return self.allocate_groups(groups, automatic=automatic)

    @api.model
    def allocate_credit_notes(self, credit_notes):
        """Allocate exactly these credit notes (held or not) to their customers."""
        groups = {
            (move.company_id.id, move.commercial_partner_id.id)
            for move in credit_notes
            if move.state == "posted" and move.commercial_partner_id
        }
        return self.allocate_groups(groups, credit_moves=credit_notes)

    @api.model
    def allocate_groups(self, groups, credit_moves=None, automatic=False):
        """Allocate per ``(company_id, commercial_partner_id)`` group.

        :param groups: iterable of ``(company_id, partner_id)`` tuples.
        :param credit_moves: restrict the credits to these credit notes.
        :param automatic: posting hook and scheduled action: respect the
            company setting and the partner opt-out, skip a customer whose
            lines another transaction holds, and log errors instead of
            raising them. Manual calls raise a clear error instead.
        :return: :class:`AllocationResult`
        """
        result = AllocationResult(self.env)
        lines_by_group = self._open_lines_by_group(groups, automatic, credit_moves)
        for group, lines in lines_by_group.items():
            self._allocate_group(group, lines, automatic, result)
        if result.locked and not automatic:
            raise UserError(
                _(
                    "Another user or a scheduled action is updating the entries "
                    "of %(partners)s. Nothing was allocated for them: try again "
                    "in a moment.",
                    partners=", ".join(
                        self.env["res.partner"].browse(p).display_name for _c, p in result.locked
                    ),
                )
            )
        return result

    @api.model
    def allocate_fixed(self, credit_note, pairs):
        """Reproduce an allocation decided elsewhere (the billing tool):
        ``pairs`` = [(invoice, amount or None for "as much as it can")],
        capped by what both sides still have. Same currency only. Runs in the
        background sync: it waits for row locks rather than skip (a skipped
        billing-tool allocation would not be tried again)."""
        credit_lines = credit_note.line_ids.filtered(
            lambda line: (
                line.account_id.account_type == "asset_receivable"
                and not line.reconciled
                and line.amount_residual_currency < 0
            )
        )
        if not credit_lines:
            return self.env["account.partial.reconcile"]
        before = credit_lines.matched_debit_ids
        with self.env.cr.savepoint():
            invoice_lines = self.env["account.move.line"]
            for invoice, _amount in pairs:
                invoice_lines |= invoice.line_ids
            if not self._lock_lines(credit_lines | invoice_lines, wait=True):
                raise UserError(
                    _(
                        "%(credit_note)s changed meanwhile: the next run applies it.",
                        credit_note=credit_note.name,
                    )
                )
            for invoice, amount in pairs:
                self._apply_fixed_pair(credit_lines, invoice, amount)
        return credit_lines.matched_debit_ids - before

    def _apply_fixed_pair(self, credit_lines, invoice, amount):
        debit_lines = invoice.line_ids.filtered(
            lambda line: (
                line.account_id.account_type == "asset_receivable"
                and not line.reconciled
                and line.amount_residual_currency > 0
                and line.account_id == credit_lines[:1].account_id
                and line.currency_id == credit_lines[:1].currency_id
            )
        ).sorted(lambda line: (line.date_maturity or line.date, line.id))
        currency = credit_lines[:1].currency_id
        left = None if amount is None else float(amount)
        for debit in debit_lines:
            for credit in credit_lines.filtered(lambda line: not line.reconciled):
                available = min(debit.amount_residual_currency, -credit.amount_residual_currency)
                take = available if left is None else min(available, left)
                if currency.is_zero(take):
                    continue
                if not currency.compare_amounts(take, available):
                    self.env["account.move.line"]._reconcile_plan([credit + debit])
                else:
                    # Less than both residuals: Odoo's reconcile cannot say
                    # "this much", the partial is written as Odoo would.
                    rate = (
                        abs(credit.balance / credit.amount_currency)
                        if credit.amount_currency
                        else 1
                    )
                    self.env["account.partial.reconcile"].create(
                        {
                            "debit_move_id": debit.id,
                            "credit_move_id": credit.id,
                            "amount": credit.company_currency_id.round(take * rate),
                            "debit_amount_currency": take,
                            "credit_amount_currency": take,
                        }
                    )
                if left is not None:
                    left -= take
                    if currency.is_zero(left):
                        return

    # ------------------------------------------------------------------
    # Scheduled action
    # ------------------------------------------------------------------

    @api.model
    def _cron_allocate_pending(self, batch_size=100, time_limit=240):
        """Allocate what posting could not (locks, imports, setting turned on).

        Commits after each customer outside tests so that a long backlog makes
        progress and a failure only loses one customer's work.
        """
        auto_commit = not getattr(threading.current_thread(), "testing", False)
        started = time.monotonic()
        done = 0
        seen = set()
        while time.monotonic() - started < time_limit:
            groups = [
                g for g in self._pending_groups(limit=batch_size + len(seen)) if g not in seen
            ]
            if not groups:
                break
            for group in groups[:batch_size]:
                seen.add(group)
                self.allocate_groups([group], automatic=True)
                done += 1
                if auto_commit:
                    # Commit per customer: a later failure must not undo
                    # allocations already made (see docstring).
                    self.env.cr.commit()  # pylint: disable=invalid-commit
                if time.monotonic() - started >= time_limit:
                    break
        else:
            # Out of time with work left: run again as soon as possible.
            self.env.ref("billabex_credits.ir_cron_allocate_pending")._trigger()
        _logger.info("Credit note allocation: %s customer(s) processed", done)
        return done

    @api.model
    def _pending_groups(self, limit=None):
        """(company, customer) pairs with both open credit and open invoices
        in one receivable account and currency, where automatic allocation
        applies. One grouped query."""
        self.env.flush_all()
        query = SQL(
            """
            SELECT line.company_id, line.partner_id
              FROM account_move_line line
              JOIN account_move move ON move.id = line.move_id
              JOIN account_account account ON account.id = line.account_id
              JOIN res_company company ON company.id = line.company_id
              JOIN res_partner partner ON partner.id = line.partner_id
             WHERE line.parent_state = 'posted'
               AND line.reconciled IS NOT TRUE
               AND account.account_type = 'asset_receivable'
               AND move.move_type IN %(types)s
               AND company.billabex_auto_allocate
               AND partner.billabex_no_auto_allocate IS NOT TRUE
               AND move.payment_state IS DISTINCT FROM 'blocked'
          GROUP BY line.company_id, line.partner_id, line.account_id, line.currency_id
            HAVING BOOL_OR(move.move_type IN %(credit_types)s
                           AND move.billabex_allocation_hold IS NOT TRUE
                           AND line.amount_residual_currency < 0)
               AND BOOL_OR(move.move_type IN %(debit_types)s
                           AND line.amount_residual_currency > 0)
          ORDER BY line.company_id, line.partner_id
            """,
            types=CREDIT_MOVE_TYPES + DEBIT_MOVE_TYPES,
            credit_types=CREDIT_MOVE_TYPES,
            debit_types=DEBIT_MOVE_TYPES,
        )
        groups = list(dict.fromkeys(tuple(row) for row in self.env.execute_query(query)))
        return groups[:limit] if limit else groups

    # ------------------------------------------------------------------
    # Internals
    # ------------------------------------------------------------------

    def _open_lines_by_group(self, groups, automatic, credit_moves=None):
        """Open receivable lines of the groups that have credit to allocate:
        credit lines (of ``credit_moves`` if given, else of credit notes not on
        hold) and the invoice lines they may settle."""
        groups = set(groups)
        if not groups:
            return {}
        Line = self.env["account.move.line"]

        def open_lines(groups, move_types, sign, extra_domain):
            return Line.search(
                [
                    ("company_id", "in", list({company for company, _p in groups})),
                    ("partner_id", "in", list({partner for _c, partner in groups})),
                    ("parent_state", "=", "posted"),
                    ("reconciled", "=", False),
                    ("account_id.account_type", "=", "asset_receivable"),
                    ("move_id.move_type", "in", move_types),
                    ("move_id.payment_state", "!=", "blocked"),
                    ("amount_residual_currency", sign, 0),
                    *extra_domain,
                ],
                order="id",
            )

        if credit_moves is not None:
            credit_domain = [("move_id", "in", credit_moves.ids)]
        else:
            credit_domain = [("move_id.billabex_allocation_hold", "=", False)]
        # Credits first: most postings are invoices of customers with no open
        # credit, and then the (possibly many) open invoices are never loaded.
        credit_lines = open_lines(groups, CREDIT_MOVE_TYPES, "<", credit_domain)
        groups &= {(line.company_id.id, line.partner_id.id) for line in credit_lines}
        if automatic:
            groups = {
                (company, partner)
                for company, partner in groups
                if self.env["res.company"].browse(company).billabex_auto_allocate
                and not self.env["res.partner"].browse(partner).billabex_no_auto_allocate
            }
        if not groups:
            return {}
        lines = credit_lines | open_lines(groups, DEBIT_MOVE_TYPES, ">", [])
        ids_by_group = defaultdict(list)
        for line in lines:
            group = (line.company_id.id, line.partner_id.id)
            if group in groups:
                ids_by_group[group].append(line.id)
        return {group: Line.browse(ids) for group, ids in ids_by_group.items()}

    def _allocate_group(self, group, lines, automatic, result):
        credit_lines = lines.filtered(lambda line: line.move_id.move_type in CREDIT_MOVE_TYPES)
        debit_lines = lines - credit_lines
        if not credit_lines or not debit_lines:
            return
        try:
            with self.env.cr.savepoint():
                if not self._lock_lines(credit_lines | debit_lines):
                    result.locked.append(group)
                    return
                before = credit_lines.matched_debit_ids
                pairs = self._plan_pairs(credit_lines, debit_lines)
                if pairs:
                    self.env["account.move.line"]._reconcile_plan(pairs)
                result.partials |= credit_lines.matched_debit_ids - before
        except (UserError, ValidationError) as error:
            if not automatic:
                raise
            message = str(error.args[0]) if error.args else str(error)
            _logger.warning(
                "Credit note allocation skipped for partner %s, company %s: %s",
                group[1],
                group[0],
                message,
            )
            result.failed.append((*group, message))

    def _lock_lines(self, lines, wait=False):
        """Row-lock the lines; without ``wait``, False at once when another
        transaction holds (or has changed) one of them since this one started."""
        nowait = SQL("") if wait else SQL("NOWAIT")
        try:
            with self.env.cr.savepoint(flush=False), mute_logger("odoo.sql_db"):
                self.env.cr.execute(
                    SQL(
                        "SELECT id FROM account_move_line WHERE id IN %s "
                        "ORDER BY id FOR NO KEY UPDATE %s",
                        tuple(lines.ids),
                        nowait,
                    )
                )
            return True
        except (pgerrors.LockNotAvailable, pgerrors.SerializationFailure):
            return False

    def _plan_pairs(self, credit_lines, debit_lines):
        """The planned (credit line + debit line) pairs, in application order,
        for every (account, currency) sub-group: accounts and currencies never
        mix."""
        pairs = []
        debits_by_key = debit_lines.grouped(lambda line: (line.account_id, line.currency_id))
        for key, credits in credit_lines.grouped(
            lambda line: (line.account_id, line.currency_id)
        ).items():
            debits = debits_by_key.get(key)
            if not debits:
                continue
            places = key[1].decimal_places
            line_by_id = {line.id: line for line in credits | debits}
            preferred = self._preferred_debit_ids(credits, debits)
            plan = plan_allocation(
                [self._open_item(line, places) for line in credits],
                [self._open_item(line, places) for line in debits],
                preferred,
            )
            pairs += [line_by_id[a.credit_id] + line_by_id[a.debit_id] for a in plan]
        return pairs

    @api.model
    def _open_item(self, line, places):
        return OpenItem(
            id=line.id,
            amount=abs(to_minor_units(line.amount_residual_currency, places)),
            document_date=line.move_id.invoice_date or line.date,
            due_date=line.date_maturity,
            number=line.move_id.name or "",
        )

    @api.model
    def _preferred_debit_ids(self, credit_lines, debit_lines):
        """Debit lines each credit line must settle first: those of the invoice
        it reverses and of the invoices it refers to, oldest first."""
        debits_by_move = debit_lines.grouped("move_id")
        preferred = {}
        for line in credit_lines:
            move = line.move_id
            invoices = (move.reversed_entry_id | move.billabex_referenced_invoice_ids).sorted(
                lambda inv: (inv.invoice_date or inv.date, inv.name or "", inv.id)
            )
            ids = [
                debit.id
                for invoice in invoices
                for debit in debits_by_move.get(invoice, debit_lines.browse()).sorted(
                    lambda debit: (debit.date_maturity or debit.date, debit.id)
                )
            ]
            if ids:
                preferred[line.id] = ids
        return preferred
