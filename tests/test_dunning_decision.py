"""The dunning decision, without Odoo: the rules of the reminder plan."""

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from billabex_credits.services import dunning
from billabex_credits.services.dunning import DunningItem, Level, decide_claim

D = date(2025, 6, 30)
LEVELS = [Level(1, 10, 3), Level(2, 20, 15), Level(3, 30, 30), Level(4, 40, 45)]


def inv(item_id, residual, due_offset, **kw):
    due = D + timedelta(days=due_offset)
    kw.setdefault("document_date", due - timedelta(days=30))
    kw.setdefault("original", residual)
    return DunningItem(item_id, residual * 100, due_date=due, **kw)


def credit(item_id, amount, day_offset=-5):
    return DunningItem(
        item_id, amount * 100, is_credit=True, document_date=D + timedelta(days=day_offset)
    )


def sections(decision):
    return [(line.item.id, line.section) for line in decision.lines]


def test_partly_credited_invoice_claims_its_residual():
    item = inv(1, 700, -30, original=100000, credited=30000)
    decision = decide_claim([item], D, LEVELS)
    assert decision.remind and decision.amount_claimed == 70000
    assert decision.level.id == 3
    assert decision.lines[0].days_late == 30


def test_unapplied_credit_is_deducted_and_listed():
    decision = decide_claim([inv(1, 1000, -60), inv(2, 500, -10), credit(9, 400)], D, LEVELS)
    assert decision.remind
    assert (decision.overdue_remaining, decision.unapplied_credit, decision.amount_claimed) == (
        150000,
        40000,
        110000,
    )
    assert sections(decision) == [(1, "overdue"), (2, "overdue"), (9, "credit")]
    # INV1 is still 600 uncovered: the level follows its 60 days.
    assert decision.oldest_uncovered_days == 60 and decision.level.id == 4


def test_level_follows_oldest_invoice_still_uncovered():
    decision = decide_claim([inv(1, 300, -60), inv(2, 500, -10), credit(9, 300)], D, LEVELS)
    assert decision.amount_claimed == 50000
    assert decision.oldest_uncovered_days == 10 and decision.level.id == 1


def test_credit_covering_everything_means_no_reminder():
    decision = decide_claim([inv(1, 1000, -30), credit(9, 1000)], D, LEVELS)
    assert not decision.remind and decision.reason == dunning.COVERED_BY_CREDIT
    decision = decide_claim([inv(1, 200, -30), credit(9, 500)], D, LEVELS)
    assert not decision.remind and decision.amount_claimed == 0


def test_not_yet_due_items_are_shown_not_claimed():
    decision = decide_claim([inv(1, 1000, -20), inv(2, 2000, 20), credit(9, 500)], D, LEVELS)
    assert decision.amount_claimed == 50000
    assert ("not_due") in [line.section for line in decision.lines if line.item.id == 2]
    # Due today is not overdue yet.
    decision = decide_claim([inv(1, 100, 0)], D, LEVELS)
    assert decision.reason == dunning.NOTHING_OVERDUE


def test_disputed_invoice_is_not_claimed_nor_counted_for_the_level():
    decision = decide_claim([inv(1, 800, -60, disputed=True), inv(2, 200, -5)], D, LEVELS)
    assert decision.amount_claimed == 20000
    assert decision.level.id == 1
    assert sections(decision) == [(2, "overdue"), (1, "disputed")]


def test_promise_to_pay_pauses_until_the_day_after():
    items = [inv(1, 500, -20, promise_date=D + timedelta(days=7))]
    assert decide_claim(items, D, LEVELS).reason == dunning.NOTHING_OVERDUE
    assert decide_claim(items, D + timedelta(days=7), LEVELS).reason == dunning.NOTHING_OVERDUE
    later = decide_claim(items, D + timedelta(days=8), LEVELS)
    assert later.remind and later.amount_claimed == 50000


def test_tolerance():
    almost = DunningItem(9, 99950, is_credit=True, document_date=D)  # 999.50
    decision = decide_claim([inv(1, 1000, -10), almost], D, LEVELS, tolerance=100)
    assert decision.reason == dunning.BELOW_TOLERANCE and decision.amount_claimed == 50
    # Exactly the tolerance is claimed.
    assert decide_claim([inv(1, 1000, -10), credit(9, 999)], D, LEVELS, tolerance=100).remind


def test_no_level_reached_yet():
    decision = decide_claim([inv(1, 100, -2)], D, LEVELS)
    assert not decision.remind and decision.reason == dunning.NO_LEVEL_REACHED


def test_a_level_is_sent_once_per_episode():
    items = [inv(1, 100, -20)]
    sent_on = D - timedelta(days=2)
    decision = decide_claim(items, D, LEVELS, last_sent_level=LEVELS[1], last_sent_date=sent_on)
    assert decision.reason == dunning.LEVEL_ALREADY_SENT
    # Ten days later the next level is due.
    later = decide_claim(
        items, D + timedelta(days=10), LEVELS, last_sent_level=LEVELS[1], last_sent_date=sent_on
    )
    assert later.remind and later.level.id == 3
    # A new invoice falling due after the last reminder starts a new episode.
    fresh = decide_claim(
        [inv(2, 100, -1)],
        D + timedelta(days=5),
        LEVELS,
        last_sent_level=LEVELS[3],
        last_sent_date=sent_on,
    )
    assert fresh.remind and fresh.level.id == 1


@settings(max_examples=200, deadline=None)
@given(
    invoices=st.lists(
        st.tuples(st.integers(1, 10**7), st.integers(-120, 60), st.booleans(), st.booleans()),
        max_size=15,
    ),
    credit_amounts=st.lists(st.integers(1, 10**7), max_size=5),
)
def test_claim_properties(invoices, credit_amounts):
    items = [
        DunningItem(
            index + 1,
            amount,
            due_date=D + timedelta(days=offset),
            document_date=D + timedelta(days=offset - 30),
            disputed=disputed,
            promise_date=D + timedelta(days=3) if promised else None,
        )
        for index, (amount, offset, disputed, promised) in enumerate(invoices)
    ]
    items += [
        DunningItem(1000 + index, amount, is_credit=True, document_date=D)
        for index, amount in enumerate(credit_amounts)
    ]
    decision = decide_claim(items, D, LEVELS)
    claimed_lines = [line for line in decision.lines if line.section == "overdue"]
    overdue = sum(line.item.residual for line in claimed_lines)
    assert decision.amount_claimed == max(0, overdue - sum(credit_amounts))
    assert decision.amount_claimed >= 0
    for line in claimed_lines:
        assert line.item.due_date < D and not line.item.disputed
        assert not (line.item.promise_date and line.item.promise_date >= D)
    assert len(decision.lines) == len(items)
    if decision.remind:
        assert decision.amount_claimed > 0 and decision.level is not None
