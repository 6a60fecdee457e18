import base64
import hashlib
import logging
import re
from decimal import Decimal

from markupsafe import Markup

from odoo import Command, _, api, models
from odoo.exceptions import AccessError, RedirectWarning, UserError

from ..services.credit_note_extract import extract_isolated
from ..services.pdf_reading import Limits

_logger = logging.getLogger(__name__)

WEBMAIL_DOMAINS = {
    "gmail.com",
    "yahoo.fr",
    "yahoo.com",
    "hotmail.com",
    "hotmail.fr",
    "outlook.com",
    "outlook.fr",
    "orange.fr",
    "wanadoo.fr",
    "free.fr",
    "sfr.fr",
    "laposte.net",
    "icloud.com",
    "live.fr",
}


class BillabexCreditNoteImport(models.AbstractModel):
    """Turns an uploaded PDF into a draft customer credit note.

    The reading is :mod:`services.credit_note_extract`, run in a child process
    with the company's limits; this model matches the customer, the currency,
    the taxes and the credited invoices, refuses duplicates, and creates the
    draft with the PDF attached.
    """

    _name = "billabex.credit.note.import"
    _description = "Credit Note PDF Import"

    @api.model
    def create_from_pdf(self, filename, content, partner=None, confirm_cancelled=False):
        if not self.env.user.has_group("account.group_account_invoice"):
            raise AccessError(_("Only Invoicing users can add credit notes."))
        company = self.env.company
        checksum = hashlib.sha1(content or b"").hexdigest()
        self._check_duplicate_file(checksum)
        result = extract_isolated(
            content,
            filename,
            own_vat=company.vat,
            own_siren=self._company_siren(company),
            limits=Limits(
                max_bytes=int(company.billabex_pdf_max_size_mb * 1024 * 1024),
                max_pages=company.billabex_pdf_max_pages,
                timeout=company.billabex_pdf_timeout,
            ),
        )
        if not result.ok:
            raise UserError(self._error_message(result, filename, company))
        if result.status == "cancelled" and not confirm_cancelled:
            raise UserError(
                _(
                    "%(file)s is marked as cancelled. A cancelled credit note reduces nothing: "
                    'tick "Create it anyway" if you really want to record it.',
                    file=filename,
                )
            )
        notes = []
        partner, customer_notes = self._match_partner(result, company, partner)
        notes += customer_notes
        if partner:
            self._check_duplicate_number(partner, result.number)
        currency = self._match_currency(result, company, notes)
        invoices = self._match_invoices(result, partner, company, notes)
        lines = self._prepare_lines(result, company, notes)
        move = (
            self.env["account.move"]
            .with_company(company)
            .with_context(default_move_type="out_refund")
            .create(
                {
                    "move_type": "out_refund",
                    "partner_id": partner.id if partner else False,
                    "ref": result.number,
                    "invoice_date": result.date,
                    "currency_id": currency.id,
                    "invoice_line_ids": lines,
                    "billabex_referenced_invoice_ids": [Command.set(invoices.ids)],
                    "billabex_pdf_status": result.status,
                    "billabex_pdf_checksum": checksum,
                    "billabex_pdf_data": result.to_dict(),
                    # Already refunded or fully used elsewhere: nothing to allocate.
                    "billabex_allocation_hold": result.status in ("refunded", "settled"),
                }
            )
        )
        if result.amount_total and currency.compare_amounts(
            move.amount_total, float(Decimal(result.amount_total))
        ):
            notes.append(
                _(
                    "The lines add up to %(lines)s but the document says %(document)s.",
                    lines=move.amount_total,
                    document=result.amount_total,
                )
            )
        notes += [self._warning_text(code) for code in result.warnings]
        if result.status == "refunded":
            notes.append(
                _("Already refunded: it will not be allocated. Register the refund payment.")
            )
        elif result.status == "settled":
            notes.append(_("Already fully used: it will not be allocated."))
        move.billabex_pdf_notes = "\n".join(dict.fromkeys(note for note in notes if note))
        attachment = self.env["ir.attachment"].create(
            {
                "name": filename or f"{result.number or 'credit-note'}.pdf",
                "raw": content,
                "res_model": "account.move",
                "res_id": move.id,
                "mimetype": "application/pdf",
            }
        )
        move.message_main_attachment_id = attachment
        move.message_post(
            body=_("Created from %(file)s.", file=filename), attachment_ids=attachment.ids
        )
        return move

    # ------------------------------------------------------------------
    # Checks
    # ------------------------------------------------------------------

    @api.model
    def _open_action(self, move):
        return {
            "type": "ir.actions.act_window",
            "res_model": "account.move",
            "res_id": move.id,
            "views": [(False, "form")],
            "target": "current",
        }

    @api.model
    def _check_duplicate_file(self, checksum):
        existing = self.env["account.move"].search(
            [("billabex_pdf_checksum", "=", checksum), ("state", "!=", "cancel")], limit=1
        )
        if existing:
            raise RedirectWarning(
                _("This file was already uploaded: %(move)s.", move=existing.display_name),
                self._open_action(existing),
                _("Open it"),
            )

    @api.model
    def _check_duplicate_number(self, partner, number):
        if not number:
            return
        existing = self.env["account.move"].search(
            [
                ("move_type", "=", "out_refund"),
                ("commercial_partner_id", "=", partner.commercial_partner_id.id),
                ("state", "!=", "cancel"),
                "|",
                ("ref", "=", number),
                ("name", "=", number),
            ],
            limit=1,
        )
        if existing:
            raise RedirectWarning(
                _(
                    "Credit note %(number)s of %(partner)s is already recorded: %(move)s.",
                    number=number,
                    partner=partner.display_name,
                    move=existing.display_name,
                ),
                self._open_action(existing),
                _("Open it"),
            )

    @api.model
    def _company_siren(self, company):
        registry = re.sub(r"\s", "", company.company_registry or "")
        if re.fullmatch(r"\d{9}|\d{14}", registry):
            return registry[:9]
        vat = re.sub(r"\s", "", company.vat or "")
        return vat[4:] if re.fullmatch(r"FR\w{2}\d{9}", vat) else None

    # ------------------------------------------------------------------
    # Matching
    # ------------------------------------------------------------------

    @api.model
    def _match_partner(self, result, company, forced=None):
        """(partner or None, notes). Order: customer code, VAT, SIRET/SIREN,
        email, email or website domain, name; several hits at one step are
        listed for the user instead of guessed; never our own company."""
        Partner = self.env["res.partner"].with_context(active_test=False)
        own = company.partner_id.commercial_partner_id
        customer = result.customer
        if forced:
            return forced.commercial_partner_id, []
        steps = []
        if customer.get("code"):
            steps.append((_("customer code"), [("ref", "=ilike", customer["code"])]))
        if customer.get("vat"):
            steps.append((_("VAT number"), [("vat", "=ilike", customer["vat"])]))
        if customer.get("siret"):
            steps.append((_("SIRET"), [("company_registry", "=", customer["siret"])]))
        for candidate in [customer.get("siren")] + [
            c["siren"] for c in result.customer_candidates if c.get("role") == "bill"
        ]:
            if candidate:
                steps.append(
                    (
                        _("SIREN"),
                        [
                            "|",
                            "|",
                            ("company_registry", "=", candidate),
                            ("company_registry", "=like", f"{candidate}_____"),
                            ("vat", "=like", f"FR__{candidate}"),
                        ],
                    )
                )
        email = (customer.get("email") or "").lower()
        if email:
            steps.append((_("email"), [("email", "=ilike", email)]))
            domain = email.split("@")[-1]
            if domain not in WEBMAIL_DOMAINS:
                steps.append(
                    (
                        _("email domain"),
                        ["|", ("email", "=ilike", f"%@{domain}"), ("website", "ilike", domain)],
                    )
                )
        if customer.get("name"):
            steps.append((_("name"), [("name", "=ilike", customer["name"])]))
        for label, domain in steps:
            found = Partner.search(domain + [("is_company", "=", True)], limit=5)
            found = found or Partner.search(domain, limit=5)
            found = found.commercial_partner_id - own
            if len(found) == 1:
                notes = []
                if "AMBIGUOUS_CUSTOMER" in result.warnings:
                    others = self._candidate_partners(result, own) - found
                    if others:
                        notes.append(
                            _(
                                "Other possible customers on the document: %(partners)s. "
                                "%(partner)s was chosen (billing address): check it.",
                                partners=", ".join(others.mapped("display_name")),
                                partner=found.display_name,
                            )
                        )
                return found, notes
            if len(found) > 1:
                return None, [
                    _(
                        "Several customers match the %(how)s: %(partners)s. Choose the right one.",
                        how=label,
                        partners=", ".join(found.mapped("display_name")),
                    )
                ]
        identifiers = ", ".join(f"{k}: {v}" for k, v in customer.items() if v)
        return None, [
            _(
                "No customer matches the document (%(identifiers)s). Choose or create it.",
                identifiers=identifiers or _("nothing readable"),
            )
        ]

    @api.model
    def _candidate_partners(self, result, own):
        partners = self.env["res.partner"]
        for candidate in result.customer_candidates:
            siren = candidate.get("siren")
            partners |= (
                self.env["res.partner"]
                .search(
                    [
                        "|",
                        ("company_registry", "=like", f"{siren}%"),
                        ("vat", "=like", f"FR__{siren}"),
                    ]
                )
                .commercial_partner_id
            )
        return partners - own

    @api.model
    def _match_currency(self, result, company, notes):
        if not result.currency:
            notes.append(
                _(
                    "No currency on the document: %(currency)s assumed.",
                    currency=company.currency_id.name,
                )
            )
            return company.currency_id
        currency = (
            self.env["res.currency"]
            .with_context(active_test=False)
            .search([("name", "=", result.currency)], limit=1)
        )
        if not currency.active:
            notes.append(
                _(
                    "The document is in %(code)s, which is not active: %(currency)s used instead.",
                    code=result.currency,
                    currency=company.currency_id.name,
                )
            )
            return company.currency_id
        return currency

    @api.model
    def _match_invoices(self, result, partner, company, notes):
        if not result.invoice_refs:
            return self.env["account.move"]
        domain = [
            ("move_type", "in", ("out_invoice", "out_receipt")),
            ("state", "=", "posted"),
            ("company_id", "=", company.id),
            "|",
            "|",
            ("name", "in", result.invoice_refs),
            ("ref", "in", result.invoice_refs),
            ("payment_reference", "in", result.invoice_refs),
        ]
        if partner:
            domain.append(("commercial_partner_id", "=", partner.id))
        invoices = self.env["account.move"].search(domain)
        found = (
            set(invoices.mapped("name"))
            | set(invoices.mapped("ref"))
            | set(invoices.mapped("payment_reference"))
        )
        missing = [ref for ref in result.invoice_refs if ref not in found]
        if missing:
            notes.append(_("Credited invoices not found: %(refs)s.", refs=", ".join(missing)))
        return invoices

    @api.model
    def _prepare_lines(self, result, company, notes):
        """One line per VAT rate with the company's matching sale tax; else a
        single untaxed line, flagged."""
        label = _("Credit note %(number)s", number=result.number or "")
        untaxed = Decimal(result.amount_untaxed or result.amount_total or "0")
        tax_total = Decimal(result.amount_tax or "0")
        rates = {Decimal(rate): Decimal(amount) for rate, amount in result.tax_rates.items()}
        if not rates and tax_total and untaxed:
            rates = {(tax_total * 100 / untaxed).quantize(Decimal("0.01")): tax_total}
        taxes = {}
        for rate in rates:
            tax = company._billabex_sale_tax(rate)
            if tax:
                taxes[rate] = tax
        if rates and len(taxes) == len(rates) and all(rate for rate in rates):
            lines, remaining = [], untaxed
            for index, (rate, amount) in enumerate(sorted(rates.items())):
                base = (
                    remaining
                    if index == len(rates) - 1
                    else (amount * 100 / rate).quantize(Decimal("0.01"))
                )
                remaining -= base
                lines.append(
                    Command.create(
                        {
                            "name": f"{label} ({rate.normalize()} %)",
                            "quantity": 1,
                            "price_unit": float(base),
                            "tax_ids": [Command.set(taxes[rate].ids)],
                        }
                    )
                )
            return lines
        if tax_total:
            notes.append(
                _(
                    "No sale tax of the company matches the VAT of the document: one line "
                    "without tax was created for the total. Check the lines."
                )
            )
            untaxed = Decimal(result.amount_total or untaxed)
        return [
            Command.create(
                {
                    "name": label,
                    "quantity": 1,
                    "price_unit": float(untaxed),
                    "tax_ids": [Command.clear()],
                }
            )
        ]

    # ------------------------------------------------------------------
    # Messages
    # ------------------------------------------------------------------

    @api.model
    def _error_message(self, result, filename, company):
        messages = {
            "EMPTY_FILE": _("%(file)s is empty."),
            "NOT_A_PDF": _(
                "%(file)s is not a PDF. Upload the credit note as a PDF file (save a photo "
                "or a scan as PDF first)."
            ),
            "CORRUPTED_PDF": _(
                "%(file)s is damaged and cannot be read. Export it again from the tool that "
                "made it."
            ),
            "PASSWORD_PROTECTED": _(
                "%(file)s is protected by a password. Remove the password and upload it again."
            ),
            "FILE_TOO_LARGE": _(
                "%(file)s is larger than %(size)s MB, the limit set in the settings."
            ),
            "TOO_MANY_PAGES": _(
                "%(file)s has more than %(pages)s pages, the limit set in the settings: is it "
                "really one credit note?"
            ),
            "NO_TEXT_LAYER": _(
                "%(file)s is a scan without text: it cannot be read automatically. Enter the "
                "credit note by hand, or upload the PDF made by the billing tool."
            ),
            "NOT_A_CREDIT_NOTE": _("%(file)s is an invoice, not a credit note."),
            "TIMEOUT": _("Reading %(file)s took more than %(seconds)s seconds: it was stopped."),
        }
        template = messages.get(result.error) or _("%(file)s could not be read.")
        return template % {
            "file": filename or _("The file"),
            "size": company.billabex_pdf_max_size_mb,
            "pages": company.billabex_pdf_max_pages,
            "seconds": company.billabex_pdf_timeout,
        }

    @api.model
    def _warning_text(self, code):
        return {
            "TEXT_FALLBACK": _("The text was read with the fallback reader: check the values."),
            "EMBEDDED_XML_INVALID": _(
                "The embedded Factur-X XML is invalid: the values come from the visible text."
            ),
            "XML_TEXT_MISMATCH": _(
                "The embedded Factur-X XML and the visible text disagree: the XML values "
                "(the legal data) were kept. Check them."
            ),
            "TOTALS_MISMATCH": _("Untaxed + tax does not add up to the total: check the amounts."),
            "TAX_UNKNOWN": _("The VAT could not be read: check the amounts."),
            "AMBIGUOUS_CUSTOMER": _(
                "Several customers appear on the document: check the customer."
            ),
            "CORRECTIVE_INVOICE": _(
                "This looks like a corrective invoice (annule et remplace), not a credit note."
            ),
            "CURRENCY_MISSING": False,  # said by the currency matching
            "CUSTOMER_NOT_FOUND": False,  # said by the customer matching
        }.get(code, code)

    @api.model
    def review_html(self, move):
        """The detection summary of the review form: value and confidence per field."""
        data = move.billabex_pdf_data or {}
        if not data:
            return False
        labels = {
            "customer": _("Customer"),
            "number": _("Number"),
            "date": _("Date"),
            "currency": _("Currency"),
            "amount_untaxed": _("Untaxed"),
            "amount_tax": _("Tax"),
            "amount_total": _("Total"),
            "invoice_refs": _("Credited invoices"),
            "status": _("Status"),
        }
        rows = []
        for key, label in labels.items():
            value = data.get(key)
            if key == "customer":
                value = ", ".join(f"{k}: {v}" for k, v in (value or {}).items() if v)
            elif isinstance(value, list):
                value = ", ".join(value)
            confidence = (data.get("confidence") or {}).get(key, 0.0)
            rows.append(
                Markup("<tr><td>%s</td><td>%s</td><td>%s %%</td></tr>")
                % (label, value or "—", round(confidence * 100))
            )
        source = {"facturx": "Factur-X", "text": _("PDF text")}.get(data.get("source"), "")
        head = Markup("<p>%s</p>") % _("Read from %(origin)s.", origin=source)
        return head + Markup(
            "<table class='table table-sm'><tr><th>%s</th><th>%s</th><th>%s</th></tr>%s</table>"
        ) % (_("Field"), _("Detected"), _("Confidence"), Markup("").join(rows))

    @api.model
    def attachment_content(self, attachment):
        return attachment.raw or base64.b64decode(attachment.datas or b"")
