"""Local fake Pennylane (v2) and Zoho Books (v3) servers for the tests: real
HTTP on 127.0.0.1 (stdlib http.server in a thread), following the documented
wire formats of ../shared/research/connectors.md, with knobs to inject the
failures the connectors must survive (5xx, 429 storms, slow answers,
malformed JSON, revoked tokens). No network is ever touched.
"""

import base64
import json
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class FakeServer:
    """Start/stop a handler on a free port; subclasses implement ``route``."""

    def __init__(self):
        self.requests = []  # (method, path, query dict)
        self.failures = []  # [(predicate(method, path, query), (status, body, headers))], once each
        self.slow = {}  # path -> seconds to sleep before answering
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _serve(self, method):
                parts = urlsplit(self.path)
                query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                if body and "x-www-form-urlencoded" in (self.headers.get("Content-Type") or ""):
                    query.update({k: v[-1] for k, v in parse_qs(body).items()})
                with server.lock:
                    server.requests.append((method, parts.path, query))
                    injected = None
                    for index, (predicate, _answer) in enumerate(server.failures):
                        if predicate(method, parts.path, query):
                            injected = server.failures.pop(index)[1]
                            break
                if parts.path in server.slow:
                    time.sleep(server.slow[parts.path])
                if injected:
                    status, payload, headers = injected
                else:
                    status, payload, headers = server.route(method, parts.path, query, self.headers)
                raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                content_type = (
                    "application/json" if not isinstance(payload, bytes) else "text/plain"
                )
                self.send_header("Content-Type", content_type)
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_GET(self):
                self._serve("GET")

            def do_POST(self):
                self._serve("POST")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def fail(self, predicate, status, body, headers=None):
        self.failures.append((predicate, (status, body, headers)))

    def calls(self, path_part=""):
        return [r for r in self.requests if path_part in r[1]]


def _cursor(offset):
    return base64.b64encode(f"offset:{offset}".encode()).decode()


def _offset(cursor):
    return int(base64.b64decode(cursor).decode().split(":")[1]) if cursor else 0


class FakePennylane(FakeServer):
    """/api/external/v2: customers, customer_invoices (credit notes are
    customer invoices with negative string amounts), changelogs, me."""

    prefix = "/api/external/v2"

    def __init__(self, token="pl-token"):
        super().__init__()
        self.token = token
        self.customers = {}  # id -> item
        self.invoices = {}  # id -> item
        self.changelogs = {"customers": [], "customer_invoices": []}
        self.clock = 0

    @property
    def base_url(self):
        return self.url + self.prefix

    def _now(self):
        """Real time (the connector's checkpoints are real time), strictly
        increasing."""
        self.clock += 1
        stamp = datetime.now(timezone.utc) + timedelta(microseconds=self.clock)
        return stamp.isoformat()

    # Data helpers -------------------------------------------------------

    def add_customer(self, cid, name, **values):
        stamp = self._now()
        self.customers[cid] = {
            "id": cid,
            "name": name,
            "customer_type": "company",
            "emails": values.pop("emails", []),
            "vat_number": values.pop("vat", None),
            "reg_no": values.pop("siren", None),
            "reference": values.pop("reference", None),
            "external_reference": f"ext-{cid}",
            "created_at": stamp,
            "updated_at": stamp,
            **values,
        }
        self.changelogs["customers"].append(
            {"id": cid, "operation": "insert", "processed_at": stamp}
        )

    def add_invoice(
        self,
        iid,
        customer,
        number,
        total,
        date="2026-10-01",
        deadline=None,
        credited=None,
        tax_rate=0.2,
        **values,
    ):
        sign = -1 if total < 0 else 1
        untaxed = round(abs(total) / (1 + tax_rate), 2)
        stamp = self._now()
        item = {
            "id": iid,
            "label": number,
            "invoice_number": number,
            "currency": "EUR",
            "amount": f"{total:.2f}",
            "currency_amount": f"{total:.2f}",
            "currency_amount_before_tax": f"{sign * untaxed:.2f}",
            "currency_tax": f"{sign * (abs(total) - untaxed):.2f}",
            "tax": f"{sign * (abs(total) - untaxed):.2f}",
            "exchange_rate": "1.0",
            "date": date,
            "deadline": deadline or date,
            "paid": False,
            "status": "credit_note" if total < 0 else "upcoming",
            "draft": False,
            "customer": {"id": customer, "url": f"{self.base_url}/customers/{customer}"},
            "credited_invoice": {"id": credited, "url": "x"} if credited else None,
            "archived_at": None,
            "created_at": stamp,
            "updated_at": stamp,
        }
        item.update(values)
        self.invoices[iid] = item
        self.changelogs["customer_invoices"].append(
            {"id": iid, "operation": "insert", "processed_at": stamp}
        )

    def update_invoice(self, iid, **values):
        stamp = self._now()
        self.invoices[iid].update(values, updated_at=stamp)
        self.changelogs["customer_invoices"].append(
            {"id": iid, "operation": "update", "processed_at": stamp}
        )

    def delete_invoice(self, iid):
        stamp = self._now()
        self.invoices.pop(iid)
        self.changelogs["customer_invoices"].append(
            {"id": iid, "operation": "delete", "processed_at": stamp}
        )

    # Routing ------------------------------------------------------------

    def route(self, method, path, query, headers):
        if headers.get("Authorization") != f"Bearer {self.token}":
            return 401, {"error": "Unauthorized", "status": 401}, None
        path = path.removeprefix(self.prefix)
        if path == "/me":
            return 200, {"company": {"id": 1, "name": "Atelier Lumière"}, "scopes": []}, None
        if path in ("/customers", "/customer_invoices"):
            rows = sorted(
                (self.customers if path == "/customers" else self.invoices).values(),
                key=lambda r: r["id"],
            )
            return 200, self._page(rows, query), None
        if path.startswith("/changelogs/"):
            return self._changelog(path.split("/")[-1], query)
        return 404, {"error": "Not Found", "status": 404}, None

    def _page(self, rows, query):
        limit = int(query.get("limit", 20))
        if not 1 <= limit <= 100:
            return {"error": "limit", "status": 400}
        for condition in json.loads(query.get("filter") or "[]"):
            field, operator, value = condition["field"], condition["operator"], condition["value"]
            if field == "id" and operator == "in":
                wanted = {int(v) for v in value}
                rows = [r for r in rows if r["id"] in wanted]
            elif field == "credit_note":
                want = str(value).lower() == "true"
                rows = [r for r in rows if (float(r["currency_amount"]) < 0) == want]
        # Like the real API, the cursor does not remember the filter.
        offset = _offset(query.get("cursor"))
        chunk = rows[offset : offset + limit]
        more = offset + limit < len(rows)
        return {
            "items": chunk,
            "has_more": more,
            "next_cursor": _cursor(offset + limit) if more else None,
        }

    def _changelog(self, resource, query):
        if "start_date" in query and "cursor" in query:
            return 400, {"error": "start_date and cursor", "status": 400}, None
        events = self.changelogs.get(resource, [])
        if "start_date" in query:
            start = query["start_date"]
            retention = (datetime.now(timezone.utc) - timedelta(weeks=4)).isoformat()
            if start < retention:
                return 422, {"error": "start_date is older than 4 weeks", "status": 422}, None
            events = [e for e in events if e["processed_at"] > start]
            offset = 0
            self._changelog_session = events
        else:
            offset = _offset(query.get("cursor"))
            events = getattr(self, "_changelog_session", events)
        limit = int(query.get("limit", 20))
        chunk = events[offset : offset + limit]
        more = offset + limit < len(events)
        items = [dict(e, created_at=e["processed_at"], updated_at=e["processed_at"]) for e in chunk]
        return (
            200,
            {
                "items": items,
                "has_more": more,
                "next_cursor": _cursor(offset + limit) if more else None,
            },
            None,
        )


class FakeZoho(FakeServer):
    """Accounts (/oauth/v2/token) and Books v3 (/books/v3/...) on one port."""

    def __init__(self, refresh_token="zoho-refresh", organization_id="700"):
        super().__init__()
        self.refresh_token = refresh_token
        self.organization_id = organization_id
        self.valid_tokens = set()
        self.token_lifetime = 3600
        self.tokens_issued = 0
        self.contacts, self.invoices, self.creditnotes = {}, {}, {}
        self.credited, self.refunds = {}, {}

    @property
    def base_url(self):
        return self.url + "/books/v3"

    def route(self, method, path, query, headers):
        if path == "/oauth/v2/token":
            if (
                query.get("refresh_token") != self.refresh_token
                or query.get("grant_type") != "refresh_token"
            ):
                return 400, {"error": "invalid_code"}, None
            self.tokens_issued += 1
            token = f"access-{self.tokens_issued}"
            self.valid_tokens.add(token)
            return (
                200,
                {
                    "access_token": token,
                    "api_domain": self.url,
                    "token_type": "Bearer",
                    "expires_in": self.token_lifetime,
                },
                None,
            )
        token = (headers.get("Authorization") or "").replace("Zoho-oauthtoken ", "")
        if token not in self.valid_tokens:
            return (
                401,
                {"code": 57, "message": "You are not authorized to perform this operation"},
                None,
            )
        if query.get("organization_id") != self.organization_id:
            return 400, {"code": 6041, "message": "organization_id is invalid"}, None
        path = path[len("/books/v3") :]
        if path == "/organizations":
            return (
                200,
                {
                    "code": 0,
                    "message": "success",
                    "organizations": [
                        {"organization_id": self.organization_id, "name": "Atelier Lumière"}
                    ],
                },
                None,
            )
        lists = {
            "/contacts": ("contacts", self.contacts),
            "/invoices": ("invoices", self.invoices),
            "/creditnotes": ("creditnotes", self.creditnotes),
        }
        if path in lists:
            key, rows = lists[path]
            rows = list(rows.values())
            page, per_page = int(query.get("page", 1)), int(query.get("per_page", 200))
            chunk = rows[(page - 1) * per_page : page * per_page]
            return (
                200,
                {
                    "code": 0,
                    "message": "success",
                    key: chunk,
                    "page_context": {
                        "page": page,
                        "per_page": per_page,
                        "has_more_page": page * per_page < len(rows),
                    },
                },
                None,
            )
        if path.startswith("/creditnotes/") and path.endswith("/invoices"):
            cid = path.split("/")[2]
            return (
                200,
                {"code": 0, "message": "success", "invoices_credited": self.credited.get(cid, [])},
                None,
            )
        if path.startswith("/creditnotes/") and path.endswith("/refunds"):
            cid = path.split("/")[2]
            return (
                200,
                {"code": 0, "message": "success", "creditnote_refunds": self.refunds.get(cid, [])},
                None,
            )
        return 404, {"code": 1002, "message": "does not exist"}, None

    def add_contact(self, cid, name, **values):
        self.contacts[cid] = {
            "contact_id": cid,
            "contact_name": name,
            "company_name": name,
            "contact_type": "customer",
            "status": "active",
            "last_modified_time": "2026-11-01T10:00:00+0100",
            **values,
        }

    def add_invoice(
        self, iid, customer, number, total, date="2026-10-01", due="2026-10-31", status="sent"
    ):
        self.invoices[iid] = {
            "invoice_id": iid,
            "customer_id": customer,
            "invoice_number": number,
            "status": status,
            "date": date,
            "due_date": due,
            "currency_code": "EUR",
            "total": total,
            "balance": total,
            "last_modified_time": "2026-11-01T10:00:00+0100",
        }

    def add_creditnote(
        self,
        cid,
        customer,
        number,
        total,
        balance=None,
        status="open",
        date="2026-11-05",
        credited=(),
        refunded=0,
    ):
        self.creditnotes[cid] = {
            "creditnote_id": cid,
            "customer_id": customer,
            "creditnote_number": number,
            "status": status,
            "date": date,
            "currency_code": "EUR",
            "total": total,
            "balance": total if balance is None else balance,
            "last_modified_time": "2026-11-05T10:00:00+0100",
        }
        self.credited[cid] = [
            {
                "creditnote_id": cid,
                "invoice_id": inv,
                "credited_amount": amount,
                "invoice_number": self.invoices.get(inv, {}).get("invoice_number"),
            }
            for inv, amount in credited
        ]
        self.refunds[cid] = [{"creditnote_id": cid, "amount_fcy": refunded}] if refunded else []
