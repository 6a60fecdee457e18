"""Pennylane (API v2) and Zoho Books (API v3) clients, and the neutral records
the sync works on. Pure Python; every HTTP call goes through
:class:`.billing_http.HttpClient`.

Both clients answer the same three questions: the customers, the customer
invoices and the credit notes (with the billing tool's own allocation) —
either all of them (``full``) or what changed since a checkpoint.
"""

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from .billing_http import AUTH, BAD_RESPONSE, ApiError, HttpClient

PENNYLANE_URL = "https://app.pennylane.com/api/external/v2"
ZOHO_DATA_CENTRES = {
    "com": ("https://www.zohoapis.com/books/v3", "https://accounts.zoho.com"),
    "eu": ("https://www.zohoapis.eu/books/v3", "https://accounts.zoho.eu"),
    "in": ("https://www.zohoapis.in/books/v3", "https://accounts.zoho.in"),
    "com.au": ("https://www.zohoapis.com.au/books/v3", "https://accounts.zoho.com.au"),
    "jp": ("https://www.zohoapis.jp/books/v3", "https://accounts.zoho.jp"),
    "ca": ("https://www.zohoapis.ca/books/v3", "https://accounts.zohocloud.ca"),
    "com.cn": ("https://www.zohoapis.com.cn/books/v3", "https://accounts.zoho.com.cn"),
    "sa": ("https://www.zohoapis.sa/books/v3", "https://accounts.zoho.sa"),
}
PENNYLANE_RETENTION = timedelta(days=27)  # 4 weeks, with a day of margin


@dataclass
class Customer:
    external_id: str
    name: str
    email: str | None = None
    vat: str | None = None
    siren: str | None = None
    reference: str | None = None
    version: str | None = None  # updated_at: unchanged records are skipped


@dataclass
class Document:
    """A customer invoice or credit note, amounts positive."""

    external_id: str
    customer_external_id: str | None
    is_credit_note: bool
    number: str
    date: str | None
    due_date: str | None
    currency: str
    amount_untaxed: Decimal
    amount_tax: Decimal
    amount_total: Decimal
    state: str = "posted"  # posted | cancelled | deleted | draft
    version: str | None = None
    # Credit notes: the billing tool's own allocation [(invoice external id, amount)].
    allocations: list = field(default_factory=list)
    refunded: bool = False


@dataclass
class Changes:
    """What a run brings. A full scan streams its documents page by page
    (``pages``, read while they are written) so that memory stays bounded."""

    customers: list = field(default_factory=list)
    documents: list = field(default_factory=list)
    deleted_document_ids: list = field(default_factory=list)
    checkpoint: str | None = None
    full: bool = False
    pages: object = ()  # an iterator of lists of Document, invoices before credit notes

    def iter_pages(self):
        if self.documents:
            yield sorted(self.documents, key=lambda document: document.is_credit_note)
        yield from self.pages

    def all_documents(self):
        """Every document, the pages read into ``documents`` (tests, small runs)."""
        for page in self.pages:
            self.documents.extend(page)
        self.pages = ()
        return self.documents


def _dec(value):
    return abs(Decimal(str(value or "0")))


# ----------------------------------------------------------------------
# Pennylane
# ----------------------------------------------------------------------


class PennylaneClient:
    page_size = 100
    changelog_page_size = 1000

    def __init__(self, token, base_url=PENNYLANE_URL, http=None):
        self.base_url = (base_url or PENNYLANE_URL).rstrip("/")
        self.http = http or HttpClient()
        self._headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}

    def _get(self, path, params=None):
        return self.http.request(
            "GET",
            f"{self.base_url}{path}",
            params=params,
            headers=self._headers,
            rate_limit_wait=self._retry_after,
        )

    @staticmethod
    def _retry_after(response):
        try:
            return float(response.headers.get("retry-after", 5))
        except ValueError:
            return 5.0

    def test_connection(self):
        me = self._get("/me")
        return (me.get("company") or {}).get("name") or "Pennylane"

    def _paginate(self, path, params):
        """Cursor pages. The cursor does not carry the filter and the sort:
        both are sent again with every page."""
        cursor = None
        while True:
            page_params = dict(params, limit=self.page_size)
            if cursor:
                page_params["cursor"] = cursor
            page = self._get(path, page_params)
            if not isinstance(page, dict) or not isinstance(page.get("items"), list):
                raise ApiError(BAD_RESPONSE, f"GET {path}: no items in the response")
            yield page["items"]
            cursor = page.get("next_cursor")
            if not page.get("has_more") or not cursor:
                return

    def iter_customers(self, ids=None):
        params = {"sort": "id"}
        if ids:
            params["filter"] = json.dumps([{"field": "id", "operator": "in", "value": list(ids)}])
        for items in self._paginate("/customers", params):
            yield [self._customer(item) for item in items]

    def iter_documents(self, ids=None, credit_notes=None):
        filters = []
        if ids:
            filters.append({"field": "id", "operator": "in", "value": list(ids)})
        if credit_notes is not None:
            filters.append(
                {
                    "field": "credit_note",
                    "operator": "eq",
                    "value": "true" if credit_notes else "false",
                }
            )
        params = {"sort": "id"}
        if filters:
            params["filter"] = json.dumps(filters)
        for items in self._paginate("/customer_invoices", params):
            yield [self._document(item, credit_notes) for item in items]

    def changelog(self, resource, start_date):
        """(ids changed, ids deleted, last processed_at) since ``start_date``:
        the first page with ``start_date``, the next ones with the cursor only
        (sending both is a 400)."""
        changed, deleted, last = [], [], start_date
        params = {"start_date": start_date, "limit": self.changelog_page_size}
        while True:
            page = self._get(f"/changelogs/{resource}", params)
            for item in page.get("items", []):
                ids = deleted if item.get("operation") == "delete" else changed
                ids.append(str(item["id"]))
                last = max(last or "", item.get("processed_at") or "")
            if not page.get("has_more") or not page.get("next_cursor"):
                break
            params = {"cursor": page["next_cursor"], "limit": self.changelog_page_size}
        changed = [i for i in dict.fromkeys(changed) if i not in set(deleted)]
        return changed, list(dict.fromkeys(deleted)), last

    def _customer(self, item):
        emails = item.get("emails") or []
        return Customer(
            external_id=str(item["id"]),
            name=item.get("name")
            or " ".join(filter(None, (item.get("first_name"), item.get("last_name")))),
            email=emails[0] if emails else None,
            vat=item.get("vat_number") or None,
            siren=item.get("reg_no") or None,
            reference=item.get("reference") or item.get("external_reference") or None,
            version=item.get("updated_at"),
        )

    def _document(self, item, credit_note_query=None):
        total = Decimal(str(item.get("currency_amount") or "0"))
        is_credit = bool(
            credit_note_query
            or item.get("status") == "credit_note"
            or item.get("credited_invoice")
            or total < 0
        )
        if item.get("draft"):
            state = "draft"
        elif item.get("status") == "cancelled" and not is_credit:
            # An invoice "cancelled" by a credit note stays an invoice.
            state = "posted"
        elif item.get("archived_at") and item.get("status") == "cancelled":
            state = "cancelled"
        else:
            state = "posted"
        credited = item.get("credited_invoice") or {}
        untaxed = _dec(item.get("currency_amount_before_tax"))
        return Document(
            external_id=str(item["id"]),
            customer_external_id=str((item.get("customer") or {}).get("id") or "") or None,
            is_credit_note=is_credit,
            number=item.get("invoice_number") or str(item["id"]),
            date=item.get("date"),
            due_date=item.get("deadline"),
            currency=item.get("currency") or "EUR",
            amount_untaxed=untaxed,
            amount_tax=_dec(item.get("currency_tax")),
            amount_total=abs(total),
            state=state,
            version=item.get("updated_at"),
            # Pennylane links one invoice, without an amount: as much as it can take.
            allocations=[(str(credited["id"]), None)] if is_credit and credited.get("id") else [],
        )

    def changes(self, checkpoint=None, now=None):
        """Everything (no or stale checkpoint) or what changed since it."""
        now = now or datetime.now(timezone.utc)
        stale = True
        if checkpoint:
            try:
                stale = now - datetime.fromisoformat(checkpoint) > PENNYLANE_RETENTION
            except ValueError:
                stale = True
        if stale:
            return self._full(now)
        try:
            customer_ids, _deleted_customers, last_c = self.changelog("customers", checkpoint)
            doc_ids, deleted_docs, last_d = self.changelog("customer_invoices", checkpoint)
        except ApiError as error:
            if error.kind == "gone":
                return self._full(now)
            raise
        changes = Changes(checkpoint=max(last_c or checkpoint, last_d or checkpoint))
        for start in range(0, len(customer_ids), self.page_size):
            for page in self.iter_customers(customer_ids[start : start + self.page_size]):
                changes.customers += page
        for start in range(0, len(doc_ids), self.page_size):
            for page in self.iter_documents(doc_ids[start : start + self.page_size]):
                changes.documents += page
        changes.deleted_document_ids = deleted_docs
        return changes

    def _full(self, now):
        changes = Changes(checkpoint=now.isoformat(), full=True)
        for page in self.iter_customers():
            changes.customers += page
        changes.pages = self._full_document_pages()
        return changes

    def _full_document_pages(self):
        for flag in (False, True):  # invoices first: credit notes refer to them
            yield from self.iter_documents(credit_notes=flag)


# ----------------------------------------------------------------------
# Zoho Books
# ----------------------------------------------------------------------


class ZohoBooksClient:
    per_page = 200

    def __init__(
        self,
        client_id,
        client_secret,
        refresh_token,
        organization_id,
        base_url=None,
        accounts_url=None,
        data_centre="eu",
        http=None,
        token_cache=None,
    ):
        default_api, default_accounts = ZOHO_DATA_CENTRES.get(data_centre, ZOHO_DATA_CENTRES["eu"])
        self.base_url = (base_url or default_api).rstrip("/")
        self.accounts_url = (accounts_url or default_accounts).rstrip("/")
        self.client_id, self.client_secret = client_id, client_secret
        self.refresh_token, self.organization_id = refresh_token, organization_id
        self.http = http or HttpClient()
        # {"access_token", "expires_at"}: kept by the caller between runs.
        self.token_cache = token_cache if token_cache is not None else {}

    @staticmethod
    def _rate_limit_wait(response):
        try:
            code = response.json().get("code")
        except ValueError:
            code = None
        if code == 45:  # daily quota: nothing to gain before tomorrow
            return None
        return 60.0  # per-minute (44) or concurrency (1070): no Retry-After header

    def _access_token(self, force=False):
        cached = self.token_cache
        now = datetime.now(timezone.utc).timestamp()
        if not force and cached.get("access_token") and cached.get("expires_at", 0) > now + 60:
            return cached["access_token"]
        try:
            answer = self.http.request(
                "POST",
                f"{self.accounts_url}/oauth/v2/token",
                data={
                    "refresh_token": self.refresh_token,
                    "client_id": self.client_id,
                    "client_secret": self.client_secret,
                    "grant_type": "refresh_token",
                },
                rate_limit_wait=lambda response: None,
            )
        except ApiError as error:
            if error.kind in ("client", AUTH):
                raise ApiError(
                    AUTH, f"Zoho refused the refresh token: {error.message}", error.status
                ) from error
            raise
        if not answer.get("access_token"):
            raise ApiError(
                AUTH, f"Zoho refused the refresh token ({answer.get('error', 'no token')})"
            )
        cached.update(
            access_token=answer["access_token"],
            expires_at=now + float(answer.get("expires_in", 3600)),
        )
        return cached["access_token"]

    def _get(self, path, params=None):
        params = dict(params or {}, organization_id=self.organization_id)
        for attempt in (1, 2):
            headers = {"Authorization": f"Zoho-oauthtoken {self._access_token(force=attempt == 2)}"}
            try:
                answer = self.http.request(
                    "GET",
                    f"{self.base_url}{path}",
                    params=params,
                    headers=headers,
                    rate_limit_wait=self._rate_limit_wait,
                )
            except ApiError as error:
                # An access token expired early or was revoked: refresh once.
                if error.kind == AUTH and error.status == 401 and attempt == 1:
                    continue
                raise
            if not isinstance(answer, dict) or answer.get("code") not in (0, None):
                raise ApiError(BAD_RESPONSE, f"GET {path}: {answer.get('message', 'error')}")
            return answer
        raise ApiError(AUTH, f"GET {path}: access refused")  # pragma: no cover

    def test_connection(self):
        answer = self._get("/organizations")
        for organization in answer.get("organizations", []):
            if str(organization.get("organization_id")) == str(self.organization_id):
                return organization.get("name") or "Zoho Books"
        return "Zoho Books"

    def _paginate(self, path, key, params=None):
        page = 1
        while True:
            answer = self._get(path, dict(params or {}, page=page, per_page=self.per_page))
            items = answer.get(key)
            if not isinstance(items, list):
                raise ApiError(BAD_RESPONSE, f"GET {path}: no {key} in the response")
            yield items
            if not items or not (answer.get("page_context") or {}).get("has_more_page"):
                return
            page += 1

    def changes(self, checkpoint=None, known_versions=None):
        """A full scan (Zoho documents no change filter on credit notes); the
        details (credited invoices, refunds) are only fetched for credit
        notes whose version changed. ``known_versions``: {external id: version}."""
        known_versions = known_versions or {}
        changes = Changes(checkpoint=datetime.now(timezone.utc).isoformat(), full=True)
        for items in self._paginate("/contacts", "contacts", {"contact_type": "customer"}):
            changes.customers += [
                Customer(
                    external_id=str(item["contact_id"]),
                    name=item.get("company_name") or item.get("contact_name") or "",
                    email=item.get("email") or None,
                    vat=item.get("vat_reg_no") or None,
                    version=item.get("last_modified_time"),
                )
                for item in items
            ]
        changes.pages = self._document_pages(known_versions)
        return changes

    def _document_pages(self, known_versions):
        for items in self._paginate("/invoices", "invoices"):
            yield [self._invoice(item) for item in items]
        for items in self._paginate("/creditnotes", "creditnotes"):
            page = []
            for item in items:
                document = self._credit_note(item)
                if (
                    document.state == "posted"
                    and known_versions.get(document.external_id) != document.version
                ):
                    self._add_allocations(document)
                page.append(document)
            yield page

    @staticmethod
    def _state(status):
        return {"draft": "draft", "void": "cancelled"}.get(status, "posted")

    def _invoice(self, item):
        total = _dec(item.get("total"))
        return Document(
            external_id=str(item["invoice_id"]),
            customer_external_id=str(item.get("customer_id") or "") or None,
            is_credit_note=False,
            number=item.get("invoice_number") or str(item["invoice_id"]),
            date=item.get("date"),
            due_date=item.get("due_date"),
            currency=item.get("currency_code") or "EUR",
            amount_untaxed=total,  # the list has no tax split: one line, tax included
            amount_tax=Decimal(0),
            amount_total=total,
            state=self._state(item.get("status")),
            version=item.get("last_modified_time"),
        )

    def _credit_note(self, item):
        document = self._invoice(
            {
                **item,
                "invoice_id": item["creditnote_id"],
                "invoice_number": item.get("creditnote_number"),
            }
        )
        document.is_credit_note = True
        document.due_date = None
        document.balance = _dec(item.get("balance"))
        return document

    def _add_allocations(self, document):
        """The invoices Zoho applied this credit note to, with the amounts; and
        whether it was refunded (then it is not allocated)."""
        if document.balance == document.amount_total:
            return
        answer = self._get(f"/creditnotes/{document.external_id}/invoices")
        credited = answer.get("invoices_credited") or []
        document.allocations = [
            (str(row["invoice_id"]), _dec(row.get("credited_amount"))) for row in credited
        ]
        applied = sum((amount for _i, amount in document.allocations), Decimal(0))
        if applied + document.balance < document.amount_total:
            refunds = self._get(f"/creditnotes/{document.external_id}/refunds")
            document.refunded = bool(refunds.get("creditnote_refunds"))
