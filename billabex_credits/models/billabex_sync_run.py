from odoo import fields, models

COUNTERS = [
    f"{kind}_{what}"
    for kind in ("customers", "invoices", "credit_notes")
    for what in ("created", "updated", "unchanged", "skipped")
]


class BillabexSyncRun(models.Model):
    """What one sync of a connector did."""

    _name = "billabex.sync.run"
    _description = "Billing Tool Sync Run"
    _order = "id desc"

    connector_id = fields.Many2one(
        "billabex.connector", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="connector_id.company_id", store=True)
    started_at = fields.Datetime(default=fields.Datetime.now, readonly=True)
    ended_at = fields.Datetime(readonly=True)
    state = fields.Selection(
        [("running", "Running"), ("done", "Done"), ("failed", "Failed"), ("skipped", "Skipped")],
        default="running",
        required=True,
    )
    customers_created = fields.Integer()
    customers_updated = fields.Integer()
    customers_unchanged = fields.Integer()
    customers_skipped = fields.Integer()
    invoices_created = fields.Integer()
    invoices_updated = fields.Integer()
    invoices_unchanged = fields.Integer()
    invoices_skipped = fields.Integer()
    credit_notes_created = fields.Integer()
    credit_notes_updated = fields.Integer()
    credit_notes_unchanged = fields.Integer()
    credit_notes_skipped = fields.Integer()
    error_count = fields.Integer(string="Errors")
    request_count = fields.Integer(string="API Requests")
    message = fields.Text(readonly=True)

    def _finish(self, state, message=None):
        values = {"state": state, "ended_at": fields.Datetime.now()}
        if message:
            values["message"] = "\n".join(filter(None, [self.message, message]))
            values["error_count"] = self.error_count + (state == "failed")
        self.write(values)

    def _count(self, counts):
        self.write({key: self[key] + value for key, value in counts.items() if value})

    def _note(self, text):
        self.message = "\n".join(filter(None, [self.message, text]))
