"""Extract a credit note ("avoir") from a PDF: the engine behind the upload
and ``bin/billabex-extract``.

Pure Python, no Odoo import. Factur-X / ZUGFeRD XML first, then the text
layer (which also fills what the XML lacks and cross-checks it). Hostile or
broken input never raises: it yields a result with a stable error code.

``python3 -m billabex_credits.services.credit_note_extract --worker`` reads a
PDF on stdin and writes the result as JSON: the Odoo layer runs it in a child
process with a time and memory limit (see :func:`extract_isolated`).
"""

import json
import os
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from decimal import Decimal

from . import credit_note_text as txt
from .pdf_reading import (
    EMBEDDED_XML_INVALID,
    NOT_A_CREDIT_NOTE,
    TIMEOUT,
    Limits,
    PdfError,
    read_pdf,
)

STATUSES = ("to_deduct", "refunded", "settled", "cancelled", "unknown")
CLI_KEYS = (
    "file",
    "ok",
    "error",
    "warnings",
    "source",
    "document_type",
    "number",
    "date",
    "currency",
    "amount_untaxed",
    "amount_tax",
    "amount_total",
    "customer",
    "invoice_refs",
    "status",
)
CUSTOMER_KEYS = ("name", "vat", "siren", "siret", "email", "code")
# The detected values, each with a confidence.
DETECTED_FIELDS = (
    "number",
    "date",
    "currency",
    "amount_untaxed",
    "amount_tax",
    "amount_total",
    "invoice_refs",
    "status",
    "customer",
)


@dataclass
class Extraction:
    file: str = ""
    ok: bool = False
    error: str | None = None
    detail: str = ""
    warnings: list = field(default_factory=list)
    source: str | None = None
    document_type: str | None = None
    number: str | None = None
    date: str | None = None
    currency: str | None = None
    amount_untaxed: str | None = None
    amount_tax: str | None = None
    amount_total: str | None = None
    customer: dict = field(default_factory=lambda: dict.fromkeys(CUSTOMER_KEYS))
    invoice_refs: list = field(default_factory=list)
    status: str = "unknown"
    # Beyond the CLI contract: what the review form shows.
    tax_rates: dict = field(default_factory=dict)  # "20.0" -> "80.00"
    customer_candidates: list = field(default_factory=list)
    confidence: dict = field(default_factory=dict)  # field -> 0..1
    printed_negative: bool = False
    pages: int = 0

    def cli_dict(self):
        data = {key: getattr(self, key) for key in CLI_KEYS}
        data["customer"] = {key: self.customer.get(key) for key in CUSTOMER_KEYS}
        return data

    def to_dict(self):
        return asdict(self)


def _money(value):
    return None if value is None else str(Decimal(value).quantize(Decimal("0.01")))


def extract(content, filename="", own_vat=None, own_siren=None, limits=None):
    """Read one PDF. Never raises for a bad file: see ``Extraction.error``."""
    result = Extraction(file=filename)
    own_vat = own_vat.replace(" ", "").upper() if own_vat else None
    own_siren = own_siren.replace(" ", "") if own_siren else None
    try:
        pdf = read_pdf(content, limits or Limits())
    except PdfError as error:
        result.error, result.detail = error.code, error.detail
        return result
    result.pages = pdf.pages
    result.warnings = list(pdf.warnings)
    rows = pdf.rows
    xml = txt.parse_cii(pdf.xml, own_vat, own_siren) if pdf.xml and pdf.xml_valid else None
    if pdf.xml and not pdf.xml_valid and EMBEDDED_XML_INVALID not in result.warnings:
        result.warnings.append(EMBEDDED_XML_INVALID)

    # Document type: the XML's type code is the legal data; else the title.
    kind = txt.document_kind(rows)
    if xml and xml["type_code"]:
        code = xml["type_code"]
        kind = (
            "credit_note"
            if code in txt.CREDIT_NOTE_CODES
            else ("corrective" if code in ("384", "471", "472", "473") else "invoice")
        )
    if kind == "invoice":
        result.error = NOT_A_CREDIT_NOTE
        result.detail = "an invoice, not a credit note"
        result.document_type = "invoice"
        return result
    if kind == "corrective":
        result.warnings.append("CORRECTIVE_INVOICE")
    result.document_type = "credit_note"

    # Text fields (always read: they fill what the XML lacks and check it).
    refs = txt.extract_refs(rows)
    untaxed, tax, total, rates, negative, amount_warnings = txt.extract_amounts(rows)
    customer, candidates, customer_warnings = txt.extract_customer(rows, own_vat, own_siren)
    text = {
        "number": txt.extract_number(rows, refs),
        "date": txt.extract_date(rows),
        "currency": txt.extract_currency(rows),
        "amount_untaxed": untaxed,
        "amount_tax": tax,
        "amount_total": total,
        "invoice_refs": refs,
        "status": txt.extract_status(rows),
    }
    confidence = {}
    if xml:
        result.source = "facturx"
        customer, rates = _merge_xml(result, text, xml, customer, rates, confidence)
    else:
        result.source = "text"
        result.warnings += amount_warnings
    result.warnings += customer_warnings
    _fill(result, text, customer, candidates, rates, negative)
    result.confidence = _confidence(result, confidence)
    result.ok = True
    return result


def _merge_xml(result, text, xml, customer, rates, confidence):
    """The XML is the legal data: it wins, the text fills what it lacks, and a
    disagreement is reported (XML_TEXT_MISMATCH)."""
    for key in ("number", "date", "currency", "amount_untaxed", "amount_tax", "amount_total"):
        if xml[key] is None:
            continue
        mismatch = text[key] is not None and text[key] != xml[key]
        if mismatch and "XML_TEXT_MISMATCH" not in result.warnings:
            result.warnings.append("XML_TEXT_MISMATCH")
        text[key] = xml[key]
        confidence[key] = 1.0
    if xml["invoice_refs"]:
        text["invoice_refs"] = xml["invoice_refs"]
        confidence["invoice_refs"] = 1.0
    if xml["settled"] and text["status"] == "unknown":
        text["status"] = "settled"
    customer = {**customer, **{k: v for k, v in xml["customer"].items() if v}}
    return customer, xml["rates"] or rates


def _fill(result, text, customer, candidates, rates, negative):
    result.number = text["number"]
    result.date = text["date"].isoformat() if text["date"] else None
    result.currency = text["currency"]
    result.amount_untaxed = _money(text["amount_untaxed"])
    result.amount_tax = _money(text["amount_tax"])
    result.amount_total = _money(text["amount_total"])
    result.invoice_refs = [ref for ref in text["invoice_refs"] if ref != result.number]
    result.status = text["status"] if text["status"] in STATUSES else "unknown"
    result.customer = {key: customer.get(key) for key in CUSTOMER_KEYS}
    result.customer_candidates = candidates
    result.tax_rates = {str(rate): _money(amount) for rate, amount in rates.items()}
    result.printed_negative = negative
    if not result.currency:
        result.warnings.append("CURRENCY_MISSING")
    if not any(result.customer.values()):
        result.warnings.append("CUSTOMER_NOT_FOUND")


def _confidence(result, confidence):
    """0..1 per field: 1 from a valid XML, 0.9 read next to its label, 0.5
    when a check failed, 0 when missing."""
    for key in DETECTED_FIELDS:
        if key in confidence:
            continue
        value = getattr(result, key)
        present = any(value.values()) if isinstance(value, dict) else bool(value)
        if key == "status":
            present = value != "unknown"
        confidence[key] = 0.9 if present else 0.0
    if "AMBIGUOUS_CUSTOMER" in result.warnings:
        confidence["customer"] = 0.5
    if {"TOTALS_MISMATCH", "TAX_UNKNOWN"} & set(result.warnings):
        confidence["amount_tax"] = confidence["amount_untaxed"] = 0.5
    return confidence


def extract_isolated(
    content, filename="", own_vat=None, own_siren=None, limits=None, memory_mb=1024
):
    """:func:`extract` in a child process with a wall-clock and memory limit,
    so that a hostile PDF cannot hang or exhaust the caller (an Odoo worker)."""
    limits = limits or Limits()
    package_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([package_root, os.environ.get("PYTHONPATH", "")])
    )
    args = [
        sys.executable,
        "-m",
        "billabex_credits.services.credit_note_extract",
        "--worker",
        "--max-bytes",
        str(limits.max_bytes),
        "--max-pages",
        str(limits.max_pages),
    ]
    if own_vat:
        args += ["--own-vat", own_vat]
    if own_siren:
        args += ["--own-siren", own_siren]

    def limit_memory():  # pragma: no cover - runs in the child
        import resource

        size = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (size, size))

    try:
        done = subprocess.run(
            args,
            input=content,
            capture_output=True,
            timeout=limits.timeout,
            env=env,
            preexec_fn=limit_memory,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return Extraction(file=filename, error=TIMEOUT, detail=f"> {limits.timeout} s")
    try:
        data = json.loads(done.stdout.decode())
    except ValueError:
        detail = done.stderr.decode(errors="replace")[-500:]
        return Extraction(file=filename, error="CORRUPTED_PDF", detail=detail or "worker failed")
    data["file"] = filename
    return Extraction(**data)


def _worker(argv):
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--worker", action="store_true")
    parser.add_argument("--own-vat")
    parser.add_argument("--own-siren")
    parser.add_argument("--max-bytes", type=int, default=Limits.max_bytes)
    parser.add_argument("--max-pages", type=int, default=Limits.max_pages)
    options = parser.parse_args(argv)
    content = sys.stdin.buffer.read()
    limits = Limits(max_bytes=options.max_bytes, max_pages=options.max_pages)
    result = extract(content, "", options.own_vat, options.own_siren, limits)
    sys.stdout.write(json.dumps(result.to_dict()))


if __name__ == "__main__":
    _worker(sys.argv[1:])
