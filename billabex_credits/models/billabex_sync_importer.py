import logging
from decimal import Decimal

from odoo import Command, _, api, models

_logger = logging.getLogger(__name__)

BATCH_SIZE = 200


class BillabexSyncImporter(models.AbstractModel):
    """Writes what a billing tool sent (``services.billing_tools.Changes``)
    into Odoo: customers matched before any is created, invoices and credit
    notes tied to their external id (a second run updates, never
    duplicates), credit notes posted and allocated — the billing tool's own
    allocation first, then oldest first."""

    _name = "billabex.sync.importer"
    _description = "Billing Tool Sync Importer"

    @api.model
    def _known_versions(self, connector):
        rows = (
            self.env["account.move"]
            .sudo()
            .search_read(
                [("billabex_connector_id", "=", connector.id)],
                ["billabex_external_id", "billabex_external_version"],
            )
        )
        return {row["billabex_external_id"]: row["billabex_external_version"] for row in rows}

    @api.model
    def apply(self, connector, changes, run, commit=False):
        company = connector.company_id
        importer = (
            self.sudo()
            .with_company(company)
            .with_context(
                allowed_company_ids=[company.id],
                billabex_currency_cache={},
                billabex_tax_cache={},
                tracking_disable=True,
                mail_notrack=True,
                mail_create_nolog=True,
            )
        )
        importer._sync_customers(connector, changes.customers, run)
        # Pages are read while they are written: a full scan never sits whole
        # in memory. A page fails or lands whole; the checkpoint only moves
        # once every page is in, and a re-run skips what is already there.
        for page in changes.iter_pages():
            for start in range(0, len(page), BATCH_SIZE):
                importer._sync_documents(connector, page[start : start + BATCH_SIZE], run)
                if commit:
                    # One batch of documents is done: a later failure keeps it.
                    importer.env.cr.commit()  # pylint: disable=invalid-commit
                    importer.env.invalidate_all()
        if changes.deleted_document_ids:
            moves = importer._moves(connector, changes.deleted_document_ids)
            importer._cancel(moves.filtered(lambda m: m.state != "cancel"), run)

    # ------------------------------------------------------------------
    # Customers
    # ------------------------------------------------------------------

    def _partners(self, connector, external_ids):
        partners = (
            self.env["res.partner"]
            .with_context(active_test=False)
            .search(
                [
                    ("billabex_connector_id", "=", connector.id),
                    ("billabex_external_id", "in", list(external_ids)),
                ]
            )
        )
        return {partner.billabex_external_id: partner for partner in partners}

    def _sync_customers(self, connector, customers, run):
        existing = self._partners(connector, [c.external_id for c in customers])
        pending = {
            p.external_id: p
            for p in self.env["billabex.sync.pending"].search(
                [("connector_id", "=", connector.id), ("state", "=", "open")]
            )
        }
        counts = dict.fromkeys(("created", "updated", "unchanged", "skipped"), 0)
        to_create = []
        for customer in customers:
            partner = existing.get(customer.external_id)
            if partner:
                values = self._partner_values(customer, partner)
                if values or partner.billabex_external_version != customer.version:
                    partner.write({**values, "billabex_external_version": customer.version})
                counts["updated" if values else "unchanged"] += 1
                continue
            if customer.external_id in pending:
                counts["skipped"] += 1
                continue
            matches = self._match_customer(connector, customer)
            link = {
                "billabex_connector_id": connector.id,
                "billabex_external_id": customer.external_id,
                "billabex_external_version": customer.version,
            }
            if len(matches) == 1:
                matches.write(link)
                counts["updated"] += 1
            elif matches or connector.unknown_customer == "review":
                self.env["billabex.sync.pending"].create(
                    {
                        "connector_id": connector.id,
                        "external_id": customer.external_id,
                        "name": customer.name,
                        "email": customer.email,
                        "vat": customer.vat,
                        "candidate_ids": [Command.set(matches.ids)],
                        "reason": _("Several partners match")
                        if matches
                        else _("No partner matches"),
                    }
                )
                counts["skipped"] += 1
            else:
                to_create.append(
                    {
                        "name": customer.name or customer.external_id,
                        "is_company": True,
                        "email": customer.email,
                        "vat": customer.vat,
                        "company_registry": customer.siren,
                        "ref": customer.reference,
                        **link,
                    }
                )
                counts["created"] += 1
        if to_create:
            self.env["res.partner"].create(to_create)
        run._count({f"customers_{key}": value for key, value in counts.items()})

    def _partner_values(self, customer, partner):
        """The fields the billing tool changed (empty values never erase)."""
        wanted = {
            "name": customer.name,
            "email": customer.email,
            "vat": customer.vat,
            "company_registry": customer.siren,
        }
        return {key: value for key, value in wanted.items() if value and partner[key] != value}

    def _match_customer(self, connector, customer):
        """Existing partners for a new customer: VAT, then SIREN, then email,
        then exact name; the first step with a hit decides."""
        Partner = self.env["res.partner"]
        base = [("parent_id", "=", False), ("billabex_external_id", "=", False)]
        steps = []
        if customer.vat:
            steps.append([("vat", "=ilike", customer.vat.replace(" ", ""))])
        if customer.siren:
            steps.append(
                [
                    "|",
                    ("company_registry", "=like", f"{customer.siren}%"),
                    ("vat", "=like", f"FR__{customer.siren}"),
                ]
            )
        if customer.email:
            steps.append([("email", "=ilike", customer.email)])
        if customer.name:
            steps.append([("name", "=ilike", customer.name)])
        for domain in steps:
            found = Partner.search(base + domain, limit=5)
            if found:
                return found
        return Partner

    # ------------------------------------------------------------------
    # Invoices and credit notes
    # ------------------------------------------------------------------

    def _moves(self, connector, external_ids):
        return self.env["account.move"].search(
            [
                ("billabex_connector_id", "=", connector.id),
                ("billabex_external_id", "in", list(external_ids)),
            ]
        )

    def _cancel(self, moves, run):
        for move in moves:
            if move.state == "posted":
                move.button_draft()
            move.button_cancel()
            kind = "credit_notes" if move.move_type == "out_refund" else "invoices"
            run._count({f"{kind}_updated": 1})

    def _sync_documents(self, connector, documents, run):
        existing = {
            m.billabex_external_id: m
            for m in self._moves(connector, [d.external_id for d in documents])
        }
        partners = self._partners(connector, {d.customer_external_id for d in documents})
        # The invoices the credit notes of this batch credit: linked at creation.
        credited = {
            m.billabex_external_id: m.id
            for m in self._moves(
                connector, {ext for d in documents for ext, _amount in d.allocations}
            )
        }
        counts = {}
        to_create, to_post, allocations = [], self.env["account.move"], []

        def count(document, what):
            key = f"{'credit_notes' if document.is_credit_note else 'invoices'}_{what}"
            counts[key] = counts.get(key, 0) + 1

        for document in documents:
            move = existing.get(document.external_id)
            if document.state == "draft":
                count(document, "skipped")
                continue
            if document.state in ("cancelled", "deleted"):
                if move and move.state != "cancel":
                    self._cancel(move, run)
                else:
                    count(document, "skipped")
                continue
            partner = partners.get(document.customer_external_id)
            if not partner:
                count(document, "skipped")
                run._note(
                    _(
                        "%(number)s waits for its customer (%(customer)s) to be reviewed.",
                        number=document.number,
                        customer=document.customer_external_id,
                    )
                )
                continue
            values = self._move_values(connector, document, partner)
            if document.allocations:
                values["billabex_referenced_invoice_ids"] = [
                    Command.set(
                        [credited[ext] for ext, _a in document.allocations if ext in credited]
                    )
                ]
            if move:
                if move.billabex_external_version == document.version and move.state == "posted":
                    count(document, "unchanged")
                    continue
                if self._same_content(move, document):
                    move.billabex_external_version = document.version
                    count(document, "unchanged")
                    continue
                if move.state in ("posted", "cancel"):
                    move.button_draft()
                values.pop("move_type")
                values["invoice_line_ids"] = [Command.clear(), *values["invoice_line_ids"]]
                move.write(values)
                to_post |= move
                count(document, "updated")
            else:
                to_create.append(values)
                count(document, "created")
            if document.is_credit_note:
                allocations.append(document)
        if to_create:
            to_post |= self.env["account.move"].create(to_create)
        to_post.with_context(billabex_no_auto_allocate=True).action_post()
        self._allocate(connector, to_post, allocations)
        run._count(counts)

    def _same_content(self, move, document):
        currency = move.currency_id
        return (
            not currency.compare_amounts(move.amount_total, float(document.amount_total))
            and move.ref == document.number
            and str(move.invoice_date or "") == (document.date or "")
        )

    def _currency(self, code):
        cache = self.env.context.get("billabex_currency_cache")
        if cache is None or code not in cache:
            currency = self.env["res.currency"].search([("name", "=", code)], limit=1)
            if cache is None:
                return currency
            cache[code] = currency
        return cache[code]

    def _move_values(self, connector, document, partner):
        company = connector.company_id
        currency = self._currency(document.currency)
        values = {
            "move_type": "out_refund" if document.is_credit_note else "out_invoice",
            "partner_id": partner.id,
            "company_id": company.id,
            "journal_id": connector.journal_id.id,
            "currency_id": (currency or company.currency_id).id,
            "ref": document.number,
            "invoice_date": document.date,
            "billabex_connector_id": connector.id,
            "billabex_external_id": document.external_id,
            "billabex_external_version": document.version,
            "billabex_allocation_hold": bool(document.refunded),
            "invoice_line_ids": self._lines(company, document),
        }
        if document.due_date and not document.is_credit_note:
            values["invoice_date_due"] = document.due_date
        return values

    def _lines(self, company, document):
        untaxed, tax = document.amount_untaxed, document.amount_tax
        label = document.number
        if tax and untaxed:
            rate = (tax * 100 / untaxed).quantize(Decimal("0.01"))
            cache = self.env.context.get("billabex_tax_cache", {})
            if rate not in cache:
                cache[rate] = company._billabex_sale_tax(rate)
            sale_tax = cache[rate]
            if sale_tax:
                return [
                    Command.create(
                        {
                            "name": label,
                            "quantity": 1,
                            "price_unit": float(untaxed),
                            "tax_ids": [Command.set(sale_tax.ids)],
                        }
                    )
                ]
        return [
            Command.create(
                {
                    "name": label,
                    "quantity": 1,
                    "price_unit": float(document.amount_total),
                    "tax_ids": [Command.clear()],
                }
            )
        ]

    def _allocate(self, connector, posted, credit_documents):
        """The billing tool's own allocation first, with its amounts; then
        the allocator spreads what is left, oldest first (refunded credit
        notes are on hold and left alone). An allocation without amount
        (Pennylane's credited invoice) is the allocator's "referenced invoices
        first": no call per credit note."""
        allocator = self.env["billabex.credit.allocator"]
        by_external = {m.billabex_external_id: m for m in posted}
        invoice_ids = {ext for doc in credit_documents for ext, _a in doc.allocations}
        invoices = {m.billabex_external_id: m for m in self._moves(connector, invoice_ids)}
        for document in credit_documents:
            credit_note = by_external.get(document.external_id)
            if not credit_note or document.refunded:
                continue
            pairs = [
                (invoices[ext], amount) for ext, amount in document.allocations if ext in invoices
            ]
            # Created in the same batch as the credit note: linked now.
            missing = [
                inv.id
                for inv, _a in pairs
                if inv not in credit_note.billabex_referenced_invoice_ids
            ]
            if missing:
                credit_note.billabex_referenced_invoice_ids = [Command.link(i) for i in missing]
            # The referenced invoices were set at creation; explicit amounts
            # (Zoho) are applied here, "as much as it can" (Pennylane) is the
            # allocator's referenced-first rule below.
            if any(amount is not None for _invoice, amount in pairs):
                allocator.allocate_fixed(credit_note, pairs)
        allocator.allocate_moves(posted, automatic=True)
