"""The allocation plan, without Odoo: exact cases and properties."""

from collections import defaultdict
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billabex_credits.services.allocation import (
    Allocation,
    OpenItem,
    from_minor_units,
    oldest_first_key,
    plan_allocation,
    to_minor_units,
)


def inv(item_id, amount, day, due=None, number=""):
    return OpenItem(item_id, amount, date(2025, 1, day), due and date(2025, 2, due), number)


def test_credit_equal_to_total_due_settles_everything():
    plan = plan_allocation([inv(10, 600, 20)], [inv(1, 100, 1), inv(2, 200, 2), inv(3, 300, 3)])
    assert plan == [Allocation(10, 1, 100), Allocation(10, 2, 200), Allocation(10, 3, 300)]


def test_credit_below_total_due_settles_oldest_and_one_partly():
    plan = plan_allocation([inv(10, 250, 20)], [inv(3, 300, 3), inv(1, 100, 1), inv(2, 200, 2)])
    assert plan == [Allocation(10, 1, 100), Allocation(10, 2, 150)]


def test_credit_above_total_due_leaves_the_excess():
    plan = plan_allocation([inv(10, 1000, 20)], [inv(1, 100, 1), inv(2, 200, 2)])
    assert plan == [Allocation(10, 1, 100), Allocation(10, 2, 200)]
    assert sum(a.amount for a in plan) == 300


def test_order_is_date_then_due_date_then_number_then_id():
    debits = [
        inv(5, 10, 2),
        inv(4, 10, 1, due=9),
        inv(3, 10, 1, due=3, number="INV/2"),
        inv(2, 10, 1, due=3, number="INV/1"),
        inv(1, 10, 1, due=3, number="INV/1"),
    ]
    plan = plan_allocation([inv(10, 50, 28)], debits)
    assert [a.debit_id for a in plan] == [1, 2, 3, 4, 5]


def test_missing_dates_sort_last():
    undated = OpenItem(1, 100)
    plan = plan_allocation([inv(10, 100, 5)], [undated, inv(2, 100, 9)])
    assert plan == [Allocation(10, 2, 100)]
    assert oldest_first_key(undated)[0] == date.max


def test_several_credits_are_consumed_oldest_first():
    credits = [inv(11, 150, 15), inv(10, 100, 10)]
    plan = plan_allocation(credits, [inv(1, 120, 1), inv(2, 200, 2)])
    assert plan == [Allocation(10, 1, 100), Allocation(11, 1, 20), Allocation(11, 2, 130)]


def test_preferred_debits_come_first_then_oldest():
    debits = [inv(1, 100, 1), inv(2, 200, 2), inv(3, 300, 3)]
    plan = plan_allocation([inv(10, 450, 20)], debits, {10: [3]})
    assert plan == [Allocation(10, 3, 300), Allocation(10, 1, 100), Allocation(10, 2, 50)]


def test_unknown_or_settled_preferred_debits_are_ignored():
    plan = plan_allocation([inv(10, 50, 20)], [inv(1, 100, 1), inv(2, 0, 2)], {10: [99, 2, 2]})
    assert plan == [Allocation(10, 1, 50)]


def test_nothing_to_allocate():
    assert plan_allocation([], [inv(1, 100, 1)]) == []
    assert plan_allocation([inv(10, 100, 1)], []) == []
    assert plan_allocation([inv(10, 0, 1)], [inv(1, 100, 1)]) == []


@pytest.mark.parametrize(
    "items, error",
    [
        ([OpenItem(1, -5)], ValueError),
        ([OpenItem(1, 5), OpenItem(1, 6)], ValueError),
        ([OpenItem(1, 5.0)], TypeError),
    ],
)
def test_bad_input_is_refused(items, error):
    with pytest.raises(error):
        plan_allocation(items, [])
    with pytest.raises(error):
        plan_allocation([], items)


@pytest.mark.parametrize(
    "value, places, expected",
    [
        (1234.56, 2, 123456),
        (0.1 + 0.2, 2, 30),
        (Decimal("10.005"), 2, 1001),
        (7, 0, 7),
        (1.2345, 3, 1235),
    ],
)
def test_minor_units_round_trip(value, places, expected):
    assert to_minor_units(value, places) == expected
    assert from_minor_units(expected, places) == Decimal(expected).scaleb(-places)


dates = st.dates(min_value=date(2020, 1, 1), max_value=date(2026, 12, 31))
amounts = st.integers(min_value=0, max_value=10**9)


@st.composite
def open_items(draw, first_id):
    count = draw(st.integers(min_value=0, max_value=25))
    return [
        OpenItem(
            first_id + index,
            draw(amounts),
            draw(st.one_of(st.none(), dates)),
            draw(st.one_of(st.none(), dates)),
            draw(st.sampled_from(["", "A", "B", "INV/1", "INV/2"])),
        )
        for index in range(count)
    ]


@settings(max_examples=300, deadline=None)
@given(credits=open_items(1), debits=open_items(1000), data=st.data())
def test_properties(credits, debits, data):
    preferred = {}
    if credits and debits and data.draw(st.booleans()):
        credit = data.draw(st.sampled_from(credits))
        preferred[credit.id] = data.draw(
            st.lists(st.sampled_from([d.id for d in debits]), max_size=4)
        )
    plan = plan_allocation(credits, debits, preferred)

    given_by_credit = defaultdict(int)
    received_by_debit = defaultdict(int)
    for allocation in plan:
        assert allocation.amount > 0
        given_by_credit[allocation.credit_id] += allocation.amount
        received_by_debit[allocation.debit_id] += allocation.amount
    credit_amounts = {c.id: c.amount for c in credits}
    debit_amounts = {d.id: d.amount for d in debits}
    # Never more than a credit holds, nor more than an invoice owes.
    assert all(given_by_credit[i] <= credit_amounts[i] for i in given_by_credit)
    assert all(received_by_debit[i] <= debit_amounts[i] for i in received_by_debit)
    # Everything that can be allocated is.
    total = sum(a.amount for a in plan)
    assert total == min(sum(credit_amounts.values()), sum(debit_amounts.values()))
    if not preferred:
        # Oldest first: a debit only gets credit once every older one is settled.
        ordered = sorted(debits, key=oldest_first_key)
        touched = [d for d in ordered if received_by_debit[d.id]]
        if touched:
            last = ordered.index(touched[-1])
            for older in ordered[:last]:
                assert received_by_debit[older.id] == older.amount
        # And credits are consumed oldest first too.
        ordered_credits = sorted(credits, key=oldest_first_key)
        used = [c for c in ordered_credits if given_by_credit[c.id]]
        if used:
            last = ordered_credits.index(used[-1])
            for older in ordered_credits[:last]:
                assert given_by_credit[older.id] == older.amount
