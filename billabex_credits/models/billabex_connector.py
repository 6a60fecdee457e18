import logging
import threading
from contextlib import nullcontext

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from ..services.billing_http import ApiError, HttpClient
from ..services.billing_tools import (
    PENNYLANE_URL,
    ZOHO_DATA_CENTRES,
    PennylaneClient,
    ZohoBooksClient,
)

_logger = logging.getLogger(__name__)

# Namespace of the PostgreSQL advisory locks that keep two runs of one
# connector apart (session locks: they survive the commits made per batch).
SYNC_LOCK_NAMESPACE = 727101


class BillabexConnector(models.Model):
    """A billing tool (Pennylane, Zoho Books) whose customers, invoices and
    credit notes are brought into one Odoo company."""

    _name = "billabex.connector"
    _description = "Billing Tool Connector"
    _inherit = ["mail.thread"]
    _check_company_auto = True

    name = fields.Char(required=True)
    provider = fields.Selection(
        [("pennylane", "Pennylane"), ("zoho_books", "Zoho Books")], required=True, tracking=True
    )
    active = fields.Boolean(default=True, tracking=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, tracking=True
    )
    journal_id = fields.Many2one(
        "account.journal",
        default=lambda self: self.env["account.journal"].search(
            [("type", "=", "sale"), ("company_id", "=", self.env.company.id)], limit=1
        ),
        required=True,
        check_company=True,
        domain="[('type', '=', 'sale'), ('company_id', '=', company_id)]",
        help="Journal of the imported invoices and credit notes.",
    )
    unknown_customer = fields.Selection(
        [("create", "Create the customer"), ("review", "Leave for review")],
        string="Unknown Customers",
        default="create",
        required=True,
    )
    base_url = fields.Char(
        string="API URL",
        compute="_compute_urls",
        store=True,
        readonly=False,
        help="The API root: the provider's public one by default; change it for a sandbox "
        "or a proxy.",
    )
    pennylane_api_token = fields.Char(
        string="Pennylane API Token", groups="base.group_system", copy=False
    )
    zoho_data_centre = fields.Selection([(key, key) for key in ZOHO_DATA_CENTRES], default="eu")
    zoho_client_id = fields.Char(string="Zoho Client ID", groups="base.group_system", copy=False)
    zoho_client_secret = fields.Char(groups="base.group_system", copy=False)
    zoho_refresh_token = fields.Char(groups="base.group_system", copy=False)
    zoho_organization_id = fields.Char(string="Zoho Organization ID", copy=False)
    zoho_accounts_url = fields.Char(
        string="Zoho Accounts URL", compute="_compute_urls", store=True, readonly=False
    )
    zoho_token_cache = fields.Json(groups="base.group_system", copy=False)
    checkpoint = fields.Char(copy=False, readonly=True, help="Where the next run starts from.")
    last_sync_at = fields.Datetime(string="Last Sync", copy=False, readonly=True)
    last_error = fields.Text(copy=False, readonly=True)
    run_ids = fields.One2many("billabex.sync.run", "connector_id", string="Runs")
    pending_ids = fields.One2many("billabex.sync.pending", "connector_id", string="To Review")

    @api.depends("provider", "zoho_data_centre")
    def _compute_urls(self):
        for connector in self:
            if connector.provider == "pennylane":
                connector.base_url = connector.base_url or PENNYLANE_URL
            elif connector.provider == "zoho_books":
                api_url, accounts = ZOHO_DATA_CENTRES[connector.zoho_data_centre or "eu"]
                connector.base_url = api_url
                connector.zoho_accounts_url = accounts

    # ------------------------------------------------------------------
    # Clients
    # ------------------------------------------------------------------

    def _http(self):
        """The HTTP chokepoint, with the read timeout of the system parameter
        billabex_credits.http_timeout (seconds, default 30)."""
        timeout = float(
            self.env["ir.config_parameter"].sudo().get_param("billabex_credits.http_timeout", 30)
        )
        return HttpClient(timeout=(min(5.0, timeout), timeout))

    def _client(self):
        self.ensure_one()
        connector = self.sudo()  # secrets are read here only, never shown
        if connector.provider == "pennylane":
            if not connector.pennylane_api_token:
                raise UserError(_("Set the Pennylane API token of %(name)s.", name=self.name))
            return PennylaneClient(
                connector.pennylane_api_token, connector.base_url, http=self._http()
            )
        missing = [
            label
            for label, value in (
                (_("client ID"), connector.zoho_client_id),
                (_("client secret"), connector.zoho_client_secret),
                (_("refresh token"), connector.zoho_refresh_token),
                (_("organization ID"), connector.zoho_organization_id),
            )
            if not value
        ]
        if missing:
            raise UserError(
                _("Set the Zoho %(fields)s of %(name)s.", fields=", ".join(missing), name=self.name)
            )
        return ZohoBooksClient(
            connector.zoho_client_id,
            connector.zoho_client_secret,
            connector.zoho_refresh_token,
            connector.zoho_organization_id,
            base_url=connector.base_url,
            accounts_url=connector.zoho_accounts_url,
            data_centre=connector.zoho_data_centre,
            token_cache=dict(connector.zoho_token_cache or {}),
            http=self._http(),
        )

    def _check_admin(self):
        if not self.env.is_admin():
            raise AccessError(_("Only administrators can run billing tool connectors."))

    def action_test_connection(self):
        self.ensure_one()
        self._check_admin()
        try:
            name = self._client().test_connection()
        except ApiError as error:
            raise UserError(_("Connection failed: %(error)s", error=error.message)) from error
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("Connection works"),
                "message": _("Connected to %(name)s.", name=name),
                "type": "success",
            },
        }

    def action_sync(self):
        """Sync now; returns the billabex.sync.run recorded."""
        self.ensure_one()
        self._check_admin()
        return self._sync()

    def action_sync_now(self):
        """The form's button: sync, then say how it went."""
        run = self.action_sync()
        if run.state == "done":
            message = _(
                "%(invoices)s invoice(s) and %(credit_notes)s credit note(s) created, "
                "%(updated)s updated.",
                invoices=run.invoices_created,
                credit_notes=run.credit_notes_created,
                updated=run.invoices_updated + run.credit_notes_updated,
            )
        else:
            message = run.message or run.state
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": dict(run._fields["state"].selection).get(run.state, run.state),
                "message": message,
                "type": {"done": "success", "skipped": "info"}.get(run.state, "danger"),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    @api.model
    def _cron_sync(self):
        for connector in self.search([]):
            connector._sync()

    # ------------------------------------------------------------------
    # Running a sync
    # ------------------------------------------------------------------

    def _auto_commit(self):
        return not getattr(threading.current_thread(), "testing", False)

    def _sync(self):
        """One run: lock, fetch, apply in batches, record. A second run of the
        same connector while one is going is skipped (database lock)."""
        self.ensure_one()
        Run = self.env["billabex.sync.run"].sudo()
        run = Run.create({"connector_id": self.id, "state": "running"})
        cr = self.env.cr
        cr.execute(SQL("SELECT pg_try_advisory_lock(%s, %s)", SYNC_LOCK_NAMESPACE, self.id))
        if not cr.fetchone()[0]:
            run._finish("skipped", _("Another run of this connector is in progress."))
            return run
        auto_commit = self._auto_commit()
        try:
            if auto_commit:
                # The run is visible while it works; then each batch commits.
                cr.commit()  # pylint: disable=invalid-commit
            with nullcontext() if auto_commit else cr.savepoint():
                changes, client = self._fetch_and_apply(run)
            values = {
                "checkpoint": changes.checkpoint,
                "last_sync_at": fields.Datetime.now(),
                "last_error": False,
            }
            if self.provider == "zoho_books":
                values["zoho_token_cache"] = client.token_cache
            self.sudo().write(values)
            run.request_count = client.http.request_count
            run._finish("done")
        except (ApiError, UserError) as error:
            message = error.message if isinstance(error, ApiError) else str(error.args[0])
            if auto_commit:
                cr.rollback()
            run._finish("failed", message)
            self.sudo().last_error = message
            _logger.warning("Sync %s failed: %s", self.name, message)
        except Exception as error:  # a bug must not leave the lock held
            _logger.exception("Sync %s failed", self.name)
            if auto_commit:
                cr.rollback()
            message = _(
                "Unexpected error (%(kind)s): see the server log.", kind=type(error).__name__
            )
            run._finish("failed", message)
            self.sudo().last_error = message
        finally:
            cr.execute(SQL("SELECT pg_advisory_unlock(%s, %s)", SYNC_LOCK_NAMESPACE, self.id))
            if auto_commit:
                cr.commit()  # the run's outcome  # pylint: disable=invalid-commit
        return run

    def _fetch_and_apply(self, run):
        """Everything is fetched before anything is written: an API failure
        in the middle of the pages changes nothing in Odoo."""
        client = self._client()
        importer = self.env["billabex.sync.importer"]
        if self.provider == "pennylane":
            changes = client.changes(self.checkpoint)
        else:
            changes = client.changes(known_versions=importer._known_versions(self))
        importer.apply(self, changes, run, commit=self._auto_commit())
        return changes, client
