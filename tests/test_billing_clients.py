"""The Pennylane and Zoho Books clients against local fake servers (real HTTP
on 127.0.0.1), without Odoo."""

from datetime import datetime, timezone
from decimal import Decimal

import pytest

from billabex_credits.services.billing_http import ApiError, HttpClient, RetryPolicy
from billabex_credits.services.billing_tools import PennylaneClient, ZohoBooksClient
from billabex_credits.tests.fake_billing import FakePennylane, FakeZoho

NOW = datetime(2026, 12, 4, tzinfo=timezone.utc)


@pytest.fixture
def waits():
    return []


@pytest.fixture
def http(waits):
    return HttpClient(
        policy=RetryPolicy(max_retries=2, backoff=0.01), sleep=waits.append, timeout=(2, 0.5)
    )


@pytest.fixture
def pennylane():
    server = FakePennylane().start()
    for index in range(1, 6):
        server.add_customer(
            index,
            f"Client {index}",
            emails=[f"c{index}@example.fr"],
            siren="987654324" if index == 1 else None,
        )
    for index in range(1, 251):
        server.add_invoice(1000 + index, (index % 5) + 1, f"F-{index:04d}", 120.0)
    server.add_invoice(5000, 1, "AV-0001", -60.0, credited=1001)
    yield server
    server.stop()


@pytest.fixture
def zoho():
    server = FakeZoho().start()
    server.add_contact("c1", "Boulangerie", email="compta@boulangerie.fr")
    for index in range(1, 451):
        server.add_invoice(f"i{index}", "c1", f"INV-{index:04d}", 100.0)
    server.add_creditnote(
        "cn1",
        "c1",
        "CN-1",
        450.0,
        balance=0,
        status="closed",
        credited=[("i1", 200.0), ("i2", 250.0)],
    )
    server.add_creditnote("cn2", "c1", "CN-2", 80.0, balance=0, status="closed", refunded=80.0)
    server.add_creditnote("cn3", "c1", "CN-3", 30.0, status="void")
    yield server
    server.stop()


def pl_client(server, http):
    return PennylaneClient(server.token, server.base_url, http=http)


def zoho_client(server, http, cache=None):
    return ZohoBooksClient(
        "id",
        "secret",
        server.refresh_token,
        server.organization_id,
        base_url=server.base_url,
        accounts_url=server.url,
        http=http,
        token_cache=cache,
    )


def test_pennylane_full_scan_pages_and_filters(pennylane, http):
    changes = pl_client(pennylane, http).changes(None, now=NOW)
    assert changes.full and len(changes.customers) == 5
    invoices = [d for d in changes.all_documents() if not d.is_credit_note]
    credit_notes = [d for d in changes.all_documents() if d.is_credit_note]
    assert len(invoices) == 250 and len(credit_notes) == 1
    credit = credit_notes[0]
    assert (credit.number, credit.amount_total, credit.amount_untaxed, credit.allocations) == (
        "AV-0001",
        Decimal("60.00"),
        Decimal("50.00"),
        [("1001", None)],
    )
    # Every page of the invoice lists carried the filter again.
    pages = pennylane.calls("/customer_invoices")
    assert len(pages) == 4 and all(
        "filter" in query and query["sort"] == "id" for _m, _p, query in pages
    )
    assert changes.customers[0].siren == "987654324"


def test_pennylane_incremental_run_with_nothing_new_is_two_requests(pennylane, http):
    client = pl_client(pennylane, http)
    checkpoint = client.changes(None, now=NOW).checkpoint
    checkpoint = client.changes(checkpoint="2026-12-01T00:00:00+00:00", now=NOW).checkpoint
    before = len(pennylane.requests)
    changes = client.changes(checkpoint, now=NOW)
    assert (changes.customers, changes.all_documents(), changes.deleted_document_ids) == (
        [],
        [],
        [],
    )
    assert len(pennylane.requests) - before == 2


def test_pennylane_incremental_update_and_delete(pennylane, http):
    client = pl_client(pennylane, http)
    first = client.changes("2026-12-01T00:00:00+00:00", now=NOW)
    pennylane.update_invoice(1002, currency_amount="150.00", amount="150.00")
    pennylane.delete_invoice(1003)
    changes = client.changes(first.checkpoint, now=NOW)
    assert [d.external_id for d in changes.all_documents()] == ["1002"]
    assert changes.all_documents()[0].amount_total == Decimal("150.00")
    assert changes.deleted_document_ids == ["1003"]
    # Changelog pages after the first never send start_date with the cursor.
    assert all(
        not ("cursor" in q and "start_date" in q) for _m, _p, q in pennylane.calls("changelogs")
    )


def test_pennylane_stale_checkpoint_falls_back_to_a_full_scan(pennylane, http):
    changes = pl_client(pennylane, http).changes("2026-10-02T00:00:00+00:00", now=NOW)
    assert changes.full and len(changes.all_documents()) == 251
    # A 422 from the changelog (retention) also gives a full scan.
    changes = pl_client(pennylane, http).changes(
        "2026-09-30T00:00:00+00:00", now=datetime(2026, 10, 5, tzinfo=timezone.utc)
    )
    assert changes.full


def test_pennylane_transient_500_is_retried_persistent_500_fails(pennylane, http, waits):
    pennylane.fail(lambda m, p, q: "cursor" in q, 500, {"error": "boom"})
    changes = pl_client(pennylane, http).changes(None, now=NOW)
    assert len(changes.all_documents()) == 251 and waits == [0.01]
    for _ in range(3):
        pennylane.fail(lambda m, p, q: "cursor" in q, 503, {"error": "down"})
    with pytest.raises(ApiError) as caught:
        pl_client(pennylane, http).changes(None, now=NOW).all_documents()
    assert caught.value.kind == "server"


def test_pennylane_429_storm_honours_retry_after(pennylane, http, waits):
    for _ in range(4):
        pennylane.fail(
            lambda m, p, q: p.endswith("/customers"),
            429,
            b"Rate limit exceeded. Please retry in 3 seconds.",
            {"retry-after": "3"},
        )
    changes = pl_client(pennylane, http).changes(None, now=NOW)
    assert len(changes.customers) == 5 and waits == [3.0] * 4
    for _ in range(10):
        pennylane.fail(
            lambda m, p, q: p.endswith("/customers"),
            429,
            b"Rate limit exceeded.",
            {"retry-after": "1"},
        )
    with pytest.raises(ApiError) as caught:
        pl_client(pennylane, http).changes(None, now=NOW)
    assert caught.value.kind == "rate_limited"


def test_pennylane_timeout_malformed_json_and_bad_token(pennylane, http):
    pennylane.slow["/api/external/v2/customers"] = 1.0
    with pytest.raises(ApiError) as caught:
        pl_client(pennylane, http).changes(None, now=NOW)
    assert caught.value.kind == "network"
    pennylane.slow.clear()
    pennylane.fail(lambda m, p, q: True, 200, b"{not json")
    with pytest.raises(ApiError) as caught:
        pl_client(pennylane, http).test_connection()
    assert caught.value.kind == "bad_response"
    before = len(pennylane.requests)
    with pytest.raises(ApiError) as caught:
        PennylaneClient("wrong", pennylane.base_url, http=http).test_connection()
    assert caught.value.kind == "auth" and "wrong" not in caught.value.message
    assert len(pennylane.requests) - before == 1  # no retry loop


def test_zoho_full_scan_allocations_refunds_and_token_cache(zoho, http):
    cache = {}
    changes = zoho_client(zoho, http, cache).changes()
    assert len(changes.customers) == 1 and len(changes.all_documents()) == 453
    by_number = {d.number: d for d in changes.all_documents()}
    assert by_number["CN-1"].allocations == [("i1", Decimal("200.0")), ("i2", Decimal("250.0"))]
    assert by_number["CN-2"].refunded and by_number["CN-3"].state == "cancelled"
    assert len(zoho.calls("/books/v3/invoices")) == 3  # 450 invoices, 200 a page
    assert zoho.tokens_issued == 1 and cache["access_token"] == "access-1"
    # A second client with the cache does not ask for a new token.
    zoho_client(zoho, http, cache).test_connection()
    assert zoho.tokens_issued == 1
    # Details are only fetched for credit notes whose version changed.
    known = {d.external_id: d.version for d in changes.all_documents()}
    before = len(zoho.calls("/creditnotes/"))
    zoho_client(zoho, http, cache).changes(known_versions=known)
    assert len(zoho.calls("/creditnotes/")) == before


def test_zoho_expired_token_is_refreshed_once_revoked_refresh_fails(zoho, http):
    cache = {}
    client = zoho_client(zoho, http, cache)
    client.test_connection()
    zoho.valid_tokens.clear()  # revoked or expired early
    client.test_connection()
    assert zoho.tokens_issued == 2
    revoked = zoho_client(zoho, http, {})
    zoho.refresh_token = "rotated"  # the old refresh token is revoked
    before = len(zoho.requests)
    with pytest.raises(ApiError) as caught:
        revoked.test_connection()
    assert caught.value.kind == "auth" and len(zoho.requests) - before == 1
    assert "zoho-refresh" not in caught.value.message and "secret" not in caught.value.message


def test_zoho_rate_limits(zoho, http, waits):
    zoho.fail(
        lambda m, p, q: p.endswith("/contacts"), 429, {"code": 44, "message": "blocked a minute"}
    )
    zoho_client(zoho, http).changes()
    assert 60.0 in waits
    zoho.fail(lambda m, p, q: p.endswith("/contacts"), 429, {"code": 45, "message": "daily quota"})
    with pytest.raises(ApiError) as caught:
        zoho_client(zoho, http).changes().all_documents()
    assert caught.value.kind == "rate_limited"
