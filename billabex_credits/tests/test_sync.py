from contextlib import closing
from unittest.mock import patch

from odoo import sql_db
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged
from odoo.tools import SQL

from ..models.billabex_connector import SYNC_LOCK_NAMESPACE
from ..services.billing_http import HttpClient, RetryPolicy
from ..services.billing_tools import PennylaneClient, ZohoBooksClient
from .common import BillabexCreditsCommon
from .fake_billing import FakePennylane, FakeZoho


def _fast_http(connector):
    """The real HTTP client with its real rules, minus the waiting."""
    return HttpClient(policy=RetryPolicy(backoff=0.001), sleep=lambda seconds: None, timeout=(2, 2))


NO_WAIT = patch(
    "odoo.addons.billabex_credits.models.billabex_connector.BillabexConnector._http", _fast_http
)


@tagged("post_install", "-at_install")
class TestSyncCommon(BillabexCreditsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.eur = cls.setup_other_currency("EUR", rates=[("2016-01-01", 1.0)])
        cls.startClassPatcher(NO_WAIT)
        # Small pages: several pages with few documents (posting is what costs).
        cls.startClassPatcher(patch.object(PennylaneClient, "page_size", 10))
        cls.startClassPatcher(patch.object(ZohoBooksClient, "per_page", 2))

    def _moves(self, connector, **domain):
        return self.env["account.move"].search(
            [("billabex_connector_id", "=", connector.id)]
            + [(key, "=", value) for key, value in domain.items()]
        )

    def _ext(self, connector, external_id):
        return self._moves(connector, billabex_external_id=str(external_id))


@tagged("post_install", "-at_install")
class TestPennylaneSync(TestSyncCommon):
    def setUp(self):
        super().setUp()
        self.server = FakePennylane().start()
        self.addCleanup(self.server.stop)
        self.server.add_customer(
            1,
            "Boulangerie Dupont",
            emails=["compta@boulangerie.fr"],
            siren="987654324",
            vat="FR14987654324",
        )
        self.server.add_customer(2, "Garage Martin", emails=["garage@martin.fr"])
        for index in range(1, 25):
            self.server.add_invoice(
                1000 + index,
                1 + index % 2,
                f"F-{index:04d}",
                120.0,
                date=f"2026-{1 + index % 3:02d}-{1 + index:02d}",
            )
        # A credit note for the newest invoice of customer 1, not its oldest.
        self.server.add_invoice(5000, 1, "AV-0001", -60.0, credited=1024, date="2026-11-20")
        self.connector = self.env["billabex.connector"].create(
            {
                "name": "Pennylane",
                "provider": "pennylane",
                "base_url": self.server.base_url,
                "pennylane_api_token": self.server.token,
            }
        )

    def _records(self):
        moves = self._moves(self.connector)
        return sorted(
            (m.billabex_external_id, m.move_type, m.state, m.amount_total, m.amount_residual)
            for m in moves
        )

    def test_first_sync_then_nothing_new(self):
        # The company's sale journal by default.
        self.assertEqual(self.connector.journal_id, self.company_data["default_journal_sale"])
        run = self.connector.action_sync()
        self.assertRecordValues(
            run,
            [
                {
                    "state": "done",
                    "customers_created": 2,
                    "invoices_created": 24,
                    "credit_notes_created": 1,
                    "error_count": 0,
                }
            ],
        )
        credit_note = self._ext(self.connector, 5000)
        credited = self._ext(self.connector, 1024)
        self.assertRecordValues(
            credit_note,
            [
                {
                    "move_type": "out_refund",
                    "state": "posted",
                    "amount_total": 60.0,
                    "amount_residual": 0.0,
                    "billabex_credit_state": "applied",
                    "ref": "AV-0001",
                }
            ],
        )
        # The billing tool's link first: the credited invoice, not the oldest.
        self.assertEqual(credit_note.billabex_allocation_ids.billabex_invoice_id, credited)
        self.assertEqual(credited.amount_residual, 60.0)
        partner = credit_note.partner_id
        self.assertRecordValues(
            partner,
            [
                {
                    "name": "Boulangerie Dupont",
                    "billabex_external_id": "1",
                    "company_registry": "987654324",
                }
            ],
        )
        partner.invalidate_recordset()
        self.assertEqual(partner.billabex_due_amount, 12 * 120.0 - 60.0)
        records = self._records()
        # Second run: nothing new, a handful of requests, nothing changed.
        run2 = self.connector.action_sync()
        self.assertRecordValues(
            run2,
            [
                {
                    "state": "done",
                    "invoices_created": 0,
                    "credit_notes_created": 0,
                    "customers_created": 0,
                }
            ],
        )
        self.assertLessEqual(run2.request_count, 3)
        self.assertEqual(self._records(), records)

    def test_update_delete_and_cancel_upstream(self):
        self.connector.action_sync()
        self.server.update_invoice(
            1002,
            currency_amount="150.00",
            amount="150.00",
            currency_amount_before_tax="125.00",
            currency_tax="25.00",
        )
        self.server.delete_invoice(1003)
        run = self.connector.action_sync()
        self.assertRecordValues(run, [{"state": "done", "invoices_updated": 2}])
        self.assertRecordValues(
            self._ext(self.connector, 1002), [{"state": "posted", "amount_total": 150.0}]
        )
        self.assertRecordValues(self._ext(self.connector, 1003), [{"state": "cancel"}])

    def test_invoice_and_its_credit_note_in_the_same_run(self):
        self.connector.action_sync()
        self.server.add_invoice(1100, 2, "F-0100", 300.0, date="2026-11-25")
        self.server.add_invoice(5100, 2, "AV-0100", -100.0, credited=1100, date="2026-11-26")
        run = self.connector.action_sync()
        self.assertRecordValues(run, [{"invoices_created": 1, "credit_notes_created": 1}])
        invoice, credit_note = self._ext(self.connector, 1100), self._ext(self.connector, 5100)
        self.assertEqual(credit_note.billabex_referenced_invoice_ids, invoice)
        self.assertEqual(invoice.amount_residual, 200.0)

    def test_500_in_the_middle_of_the_pages_changes_nothing(self):
        for _ in range(5):
            self.server.fail(
                lambda m, p, q: "cursor" in q and "customer_invoices" in p, 500, {"error": "x"}
            )
        run = self.connector.action_sync()
        self.assertEqual(run.state, "failed")
        self.assertIn("HTTP 500", run.message)
        self.assertFalse(self._moves(self.connector))
        self.assertIn("HTTP 500", self.connector.last_error)
        # The next run ends with exactly what a clean run gives.
        self.assertEqual(self.connector.action_sync().state, "done")
        self.assertEqual(len(self._moves(self.connector)), 25)
        self.assertFalse(self.connector.last_error)

    def test_429_storm_timeout_malformed_json(self):
        for _ in range(4):
            self.server.fail(
                lambda m, p, q: p.endswith("/customers"),
                429,
                b"Rate limit exceeded.",
                {"retry-after": "2"},
            )
        self.assertEqual(self.connector.action_sync().state, "done")
        self.server.update_invoice(1010, currency_amount="99.00")  # something to fetch
        self.server.slow["/api/external/v2/changelogs/customers"] = 3
        run = self.connector.action_sync()
        self.assertEqual(run.state, "failed")
        self.assertIn("Timeout", run.message)
        self.server.slow.clear()
        self.server.fail(lambda m, p, q: "changelogs" in p, 200, b"{oops")
        run = self.connector.action_sync()
        self.assertEqual(run.state, "failed")
        self.assertIn("not JSON", run.message)

    def test_revoked_token(self):
        self.server.token = "revoked"
        notification = self.connector.action_sync_now()
        self.assertEqual(notification["params"]["type"], "danger")
        run = self.connector.run_ids[:1]
        self.assertRecordValues(run, [{"state": "failed", "request_count": 0}])
        self.assertIn("HTTP 401", self.connector.last_error)
        self.assertEqual(len(self.server.requests), 1)  # no retry loop
        self.assertNotIn("pl-token", run.message)

    def test_unexpected_error_fails_the_run_and_releases_the_lock(self):
        importer = type(self.env["billabex.sync.importer"])
        with (
            patch.object(importer, "apply", side_effect=ValueError("bug")),
            self.assertLogs("odoo.addons.billabex_credits.models.billabex_connector", "ERROR"),
        ):
            run = self.connector.action_sync()
        self.assertEqual(run.state, "failed")
        self.assertIn("ValueError", run.message)
        self.assertFalse(self._moves(self.connector))
        self.assertEqual(self.connector.action_sync().state, "done")

    def test_second_run_at_the_same_time_is_skipped(self):
        with closing(sql_db.db_connect(self.env.cr.dbname).cursor()) as other:
            other.execute(
                SQL("SELECT pg_advisory_lock(%s, %s)", SYNC_LOCK_NAMESPACE, self.connector.id)
            )
            run = self.connector.action_sync()
            other.execute(
                SQL("SELECT pg_advisory_unlock(%s, %s)", SYNC_LOCK_NAMESPACE, self.connector.id)
            )
        self.assertRecordValues(run, [{"state": "skipped"}])
        self.assertFalse(self.server.requests)
        self.assertEqual(self.connector.action_sync().state, "done")

    def test_customers_matched_before_created_ambiguous_left_for_review(self):
        existing = self.env["res.partner"].create(
            {"name": "Dupont (old)", "vat": "FR14987654324", "is_company": True}
        )
        self.env["res.partner"].create([{"name": "Garage Martin", "is_company": True}] * 2)
        run = self.connector.action_sync()
        self.assertRecordValues(
            run,
            [
                {
                    "customers_created": 0,
                    "customers_updated": 1,
                    "customers_skipped": 1,
                    "invoices_created": 12,
                    "invoices_skipped": 12,
                }
            ],
        )
        self.assertEqual(existing.billabex_external_id, "1")
        pending = self.connector.pending_ids
        self.assertEqual(len(pending.candidate_ids), 2)
        pending.partner_id = pending.candidate_ids[0]
        pending.action_link()
        run = self.connector.action_sync()
        self.assertEqual(run.invoices_created, 12)
        self.assertEqual(len(self._moves(self.connector)), 25)

    def test_secrets_and_neutralization(self):
        manager = new_test_user(
            self.env, login="acc_manager", groups="account.group_account_manager"
        )
        with self.assertRaises(AccessError):
            self.connector.with_user(manager).read(["pennylane_api_token"])
        with self.assertRaises(AccessError):
            self.connector.with_user(manager).action_sync()
        self.env["billabex.connector"].flush_model()
        with open(__file__.replace("tests/test_sync.py", "data/neutralize.sql")) as sql:
            self.env.cr.execute(sql.read())
        self.connector.invalidate_recordset()
        self.assertFalse(self.connector.active)


@tagged("post_install", "-at_install")
class TestZohoSync(TestSyncCommon):
    def setUp(self):
        super().setUp()
        self.server = FakeZoho().start()
        self.addCleanup(self.server.stop)
        server = self.server
        server.add_contact("c1", "Boulangerie", email="compta@boulangerie.fr")
        server.add_invoice("i1", "c1", "INV-1", 1000.0, date="2026-09-01")
        server.add_invoice("i2", "c1", "INV-2", 500.0, date="2026-10-01")
        server.add_invoice("i3", "c1", "INV-3", 300.0, date="2026-08-01")
        # Zoho applied 200 to INV-1 and 250 to INV-2; INV-3 is older but untouched.
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
        server.add_creditnote("cn4", "c1", "CN-4", 100.0)  # open, unapplied: oldest first
        self.connector = self.env["billabex.connector"].create(
            {
                "name": "Zoho",
                "provider": "zoho_books",
                "base_url": server.base_url,
                "zoho_accounts_url": server.url,
                "zoho_client_id": "id",
                "zoho_client_secret": "s",
                "zoho_refresh_token": server.refresh_token,
                "zoho_organization_id": server.organization_id,
                "journal_id": self.company_data["default_journal_sale"].id,
            }
        )

    def test_zoho_allocation_reproduced_refunded_not_allocated(self):
        run = self.connector.action_sync()
        self.assertRecordValues(
            run,
            [
                {
                    "state": "done",
                    "customers_created": 1,
                    "invoices_created": 3,
                    "credit_notes_created": 3,
                    "credit_notes_skipped": 1,
                }
            ],
        )
        inv1, inv2, inv3 = (self._ext(self.connector, i) for i in ("i1", "i2", "i3"))
        cn1, cn2, cn4 = (self._ext(self.connector, c) for c in ("cn1", "cn2", "cn4"))
        self.assertEqual(
            {p.billabex_invoice_id.ref: p.billabex_amount for p in cn1.billabex_allocation_ids},
            {"INV-1": 200.0, "INV-2": 250.0},
        )
        # CN-4 (open) went oldest first: INV-3 (August).
        self.assertEqual(cn4.billabex_allocation_ids.billabex_invoice_id, inv3)
        self.assertEqual((inv1 + inv2 + inv3).mapped("amount_residual"), [800.0, 250.0, 200.0])
        self.assertRecordValues(cn2, [{"billabex_allocation_hold": True, "amount_residual": 80.0}])
        self.assertFalse(self._ext(self.connector, "cn3"))
        # Second run: nothing changes, the token was cached.
        run2 = self.connector.action_sync()
        self.assertRecordValues(
            run2, [{"state": "done", "invoices_unchanged": 3, "credit_notes_unchanged": 3}]
        )
        self.assertEqual(self.server.tokens_issued, 1)
        # Voided upstream later: cancelled in Odoo, its allocation gone.
        self.server.creditnotes["cn4"]["status"] = "void"
        self.connector.action_sync()
        self.assertEqual(self._ext(self.connector, "cn4").state, "cancel")
        self.assertEqual(inv3.amount_residual, 300.0)

    def test_zoho_revoked_refresh_token_fails_cleanly(self):
        self.server.refresh_token = "rotated"  # ours is revoked
        run = self.connector.action_sync()
        self.assertEqual(run.state, "failed")
        self.assertIn("refused the refresh token", self.connector.last_error)
        self.assertEqual(len(self.server.requests), 1)  # no retry loop
        self.assertNotIn("zoho-refresh", run.message)
        self.assertFalse(self._moves(self.connector))
