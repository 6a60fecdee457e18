"""Which invoice gets how much of which credit note: the allocation plan.

Pure Python (no Odoo import) so that the rule can be read, tested and reasoned
about on its own. The Odoo layer gathers the open receivable lines of one
customer, one account and one currency, turns them into :class:`OpenItem`,
calls :func:`plan_allocation` and reconciles exactly the pairs it returns.

Amounts are integers in the currency's smallest unit (cents for EUR), so the
plan is exact: no float ever decides whether an invoice is settled.
"""

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

__all__ = [
    "Allocation",
    "OpenItem",
    "from_minor_units",
    "oldest_first_key",
    "plan_allocation",
    "to_minor_units",
]


@dataclass(frozen=True)
class OpenItem:
    """One open receivable line: an invoice installment or a credit note.

    ``amount`` is the open residual, positive, in minor units. The dates and
    the number only serve to order items oldest first.
    """

    id: int
    amount: int
    document_date: date | None = None
    due_date: date | None = None
    number: str = ""


@dataclass(frozen=True)
class Allocation:
    """``amount`` (minor units) of credit ``credit_id`` applied to ``debit_id``."""

    credit_id: int
    debit_id: int
    amount: int


def oldest_first_key(item):
    """The one definition of "oldest first" used everywhere in the addon.

    Document date (invoice or credit note date), then due date, then number,
    then id; a missing date sorts last so that undated items are used last.
    """
    return (
        item.document_date or date.max,
        item.due_date or date.max,
        item.number or "",
        item.id,
    )


def to_minor_units(value, decimal_places):
    """Convert a float or Decimal amount to an integer of minor units."""
    quantum = Decimal(1).scaleb(-decimal_places)
    scaled = Decimal(str(value)).quantize(quantum, rounding=ROUND_HALF_UP)
    return int(scaled.scaleb(decimal_places))


def from_minor_units(amount, decimal_places):
    """Convert minor units back to a Decimal with ``decimal_places`` digits."""
    return Decimal(amount).scaleb(-decimal_places)


def _check_items(items, side):
    seen = set()
    for item in items:
        if not isinstance(item.amount, int):
            raise TypeError(f"{side} {item.id}: amount must be an int of minor units")
        if item.amount < 0:
            raise ValueError(f"{side} {item.id}: amount must not be negative")
        if item.id in seen:
            raise ValueError(f"{side} {item.id} is listed twice")
        seen.add(item.id)


def plan_allocation(credits, debits, preferred_debit_ids=None):
    """Spread the credits over the debits, oldest credit on oldest debit.

    :param credits: iterable of :class:`OpenItem`, the available credits.
    :param debits: iterable of :class:`OpenItem`, the open invoice lines.
    :param preferred_debit_ids: optional mapping ``credit_id -> debit ids``
        that credit must settle first (the invoices a credit note refers to),
        in the given order, before the remaining debits oldest first.
    :return: list of :class:`Allocation`, in the order they must be applied.

    Guarantees (property-tested): nothing is allocated beyond a credit's or
    a debit's amount; the total allocated is ``min(total credit, total
    debit)``; without preferences, a debit only receives credit once every
    older debit is settled.
    """
    credits = list(credits)
    debits = list(debits)
    _check_items(credits, "credit")
    _check_items(debits, "debit")
    preferred_debit_ids = preferred_debit_ids or {}

    ordered_debits = sorted(debits, key=oldest_first_key)
    debit_by_id = {debit.id: debit for debit in ordered_debits}
    remaining = {debit.id: debit.amount for debit in ordered_debits}
    # Index of the oldest debit that may still be open: keeps the common case
    # (no preferences) linear instead of rescanning settled debits.
    first_open = 0
    plan = []
    for credit in sorted(credits, key=oldest_first_key):
        credit_left = credit.amount
        preferred = [
            debit_by_id[debit_id]
            for debit_id in dict.fromkeys(preferred_debit_ids.get(credit.id, ()))
            if debit_id in debit_by_id
        ]
        for debit in preferred:
            if not credit_left:
                break
            amount = min(credit_left, remaining[debit.id])
            if amount:
                plan.append(Allocation(credit.id, debit.id, amount))
                credit_left -= amount
                remaining[debit.id] -= amount
        index = first_open
        while credit_left and index < len(ordered_debits):
            debit = ordered_debits[index]
            amount = min(credit_left, remaining[debit.id])
            if amount:
                plan.append(Allocation(credit.id, debit.id, amount))
                credit_left -= amount
                remaining[debit.id] -= amount
            if not remaining[debit.id] and index == first_open:
                first_open += 1
            index += 1
    return plan
