"""What to claim from one customer, and whether to remind at all.

Pure Python (no Odoo import). The Odoo layer gathers the open items of one
scope key — (company, commercial partner, currency) — and asks
:func:`decide_claim`; the reminder it prepares is exactly the decision.

Amounts are integers in the currency's smallest unit, as in
:mod:`.allocation`, whose oldest-first rule is reused to decide which overdue
invoice an unapplied credit virtually covers first (for the level only: the
dunning never reconciles anything).
"""

from dataclasses import dataclass, field
from datetime import date

from .allocation import OpenItem, oldest_first_key, plan_allocation

__all__ = [
    "ClaimDecision",
    "DunningItem",
    "Level",
    "decide_claim",
]

# Sections of a reminder, in display order.
OVERDUE = "overdue"
CREDIT = "credit"
NOT_DUE = "not_due"
DISPUTED = "disputed"
PROMISED = "promised"

# Why no reminder is sent.
NOTHING_OVERDUE = "nothing_overdue"
COVERED_BY_CREDIT = "covered_by_credit"
BELOW_TOLERANCE = "below_tolerance"
NO_LEVEL_REACHED = "no_level_reached"
LEVEL_ALREADY_SENT = "level_already_sent"


@dataclass(frozen=True)
class DunningItem:
    """One open receivable line of the scope key.

    An invoice installment (``is_credit`` false, ``residual`` > 0) or an
    unapplied credit (``is_credit`` true, ``residual`` > 0 is the credit left).
    ``original``, ``credited`` and ``paid`` only serve the display: the
    original amount of the installment, the credit notes applied to it and
    the payments received.
    """

    id: int
    residual: int
    is_credit: bool = False
    number: str = ""
    document_date: date | None = None
    due_date: date | None = None
    original: int = 0
    credited: int = 0
    paid: int = 0
    disputed: bool = False
    promise_date: date | None = None


@dataclass(frozen=True)
class Level:
    id: int
    sequence: int
    days: int


@dataclass
class ClaimLine:
    item: DunningItem
    section: str
    days_late: int = 0


@dataclass
class ClaimDecision:
    remind: bool
    reason: str | None
    amount_claimed: int
    overdue_remaining: int
    unapplied_credit: int
    level: Level | None
    lines: list = field(default_factory=list)
    oldest_uncovered_days: int = 0


def _days_late(item, today):
    return (today - item.due_date).days if item.due_date else 0


def decide_claim(items, today, levels, *, tolerance=0, last_sent_level=None, last_sent_date=None):
    """Decide the reminder of one scope key.

    :param items: the :class:`DunningItem` of the scope key.
    :param today: the dunning date.
    :param levels: the :class:`Level` of the company.
    :param tolerance: a net claim below it (minor units) is not reminded.
    :param last_sent_level: the :class:`Level` of the last reminder sent to
        this scope key, if any, and ``last_sent_date`` its date: a level is
        only sent once per episode of lateness (an episode starts when the
        oldest uncovered invoice fell due after that reminder).

    Rules: only overdue, undisputed installments without a pending promise
    are claimed, at their residual; unapplied credits are deducted in full
    (never across currencies or companies: the caller's scope key); the net
    claim never goes below zero; the level follows the oldest overdue
    installment still uncovered once the credits are virtually applied
    oldest first.
    """
    lines = []
    claimable = []
    credits = []
    for item in items:
        if item.residual <= 0:
            continue
        if item.is_credit:
            credits.append(item)
            lines.append(ClaimLine(item, CREDIT))
        elif item.disputed:
            lines.append(ClaimLine(item, DISPUTED, _days_late(item, today)))
        elif item.due_date is None or item.due_date >= today:
            lines.append(ClaimLine(item, NOT_DUE))
        elif item.promise_date and item.promise_date >= today:
            lines.append(ClaimLine(item, PROMISED, _days_late(item, today)))
        else:
            claimable.append(item)
            lines.append(ClaimLine(item, OVERDUE, _days_late(item, today)))
    lines.sort(key=lambda line: (_SECTION_ORDER[line.section], oldest_first_key(line.item)))

    overdue_remaining = sum(item.residual for item in claimable)
    unapplied_credit = sum(item.residual for item in credits)
    amount_claimed = max(0, overdue_remaining - unapplied_credit)
    decision = ClaimDecision(
        remind=False,
        reason=None,
        amount_claimed=amount_claimed,
        overdue_remaining=overdue_remaining,
        unapplied_credit=unapplied_credit,
        level=None,
        lines=lines,
    )
    if not claimable:
        decision.reason = NOTHING_OVERDUE
        return decision
    if amount_claimed == 0:
        decision.reason = COVERED_BY_CREDIT
        return decision
    if amount_claimed < tolerance:
        decision.reason = BELOW_TOLERANCE
        return decision

    oldest = _oldest_uncovered(claimable, credits)
    decision.oldest_uncovered_days = _days_late(oldest, today)
    reached = [level for level in levels if level.days <= decision.oldest_uncovered_days]
    if not reached:
        decision.reason = NO_LEVEL_REACHED
        return decision
    level = max(reached, key=lambda level: (level.sequence, level.days, level.id))
    same_episode = last_sent_date is not None and oldest.due_date < last_sent_date
    if (
        last_sent_level is not None
        and same_episode
        and (level.sequence, level.days) <= (last_sent_level.sequence, last_sent_level.days)
    ):
        decision.reason = LEVEL_ALREADY_SENT
        decision.level = level
        return decision
    decision.remind = True
    decision.level = level
    return decision


_SECTION_ORDER = {OVERDUE: 0, CREDIT: 1, NOT_DUE: 2, PROMISED: 3, DISPUTED: 4}


def _oldest_uncovered(claimable, credits):
    """The oldest claimable installment that the credits do not cover whole,
    applying them oldest first (display only: nothing is reconciled)."""
    plan = plan_allocation(
        [OpenItem(c.id, c.residual, c.document_date, c.due_date, c.number) for c in credits],
        [OpenItem(d.id, d.residual, d.document_date, d.due_date, d.number) for d in claimable],
    )
    covered = {}
    for allocation in plan:
        covered[allocation.debit_id] = covered.get(allocation.debit_id, 0) + allocation.amount
    uncovered = [item for item in claimable if covered.get(item.id, 0) < item.residual]
    # Never empty: the caller only asks when the net claim is positive.
    return min(uncovered, key=lambda item: (item.due_date, oldest_first_key(item)))
