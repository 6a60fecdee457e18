"""The PDF extraction engine and its CLI, without Odoo, on the generated corpus."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from billabex_credits.services import credit_note_text as txt
from billabex_credits.services.credit_note_extract import (
    CLI_KEYS,
    CUSTOMER_KEYS,
    extract,
    extract_isolated,
)
from billabex_credits.services.pdf_reading import Limits
from billabex_credits.tests import pdf_corpus as corpus

ROOT = Path(__file__).resolve().parent.parent
_CACHE = {}


def generated(name):
    if name not in _CACHE:
        table = corpus.CASES if name in corpus.CASES else corpus.ROBUSTNESS
        _CACHE[name] = table[name][0]()
    return _CACHE[name]


def run(name, **kwargs):
    return extract(generated(name), name, corpus.OWN_VAT, corpus.OWN_SIREN, **kwargs)


@pytest.mark.parametrize("name", sorted(corpus.CASES))
def test_corpus_case(name):
    expected = corpus.CASES[name][1]
    result = run(name)
    data = result.cli_dict()
    if "error" in expected:
        assert (result.ok, result.error) == (False, expected["error"])
        return
    assert result.ok and result.error is None, result.detail
    assert data["document_type"] == "credit_note"
    for key, value in expected.items():
        if key == "customer":
            for field in value["via"]:
                assert data["customer"][field] == value[field], (field, data["customer"])
        elif key == "warnings_include":
            assert set(value) <= set(result.warnings), result.warnings
        elif key == "tax_rates":
            assert result.tax_rates == value
        else:
            assert data[key] == value, (key, data[key], value)
    # Shared checks: never us, never the referenced invoice's number or date.
    assert data["customer"]["siren"] != corpus.OWN_SIREN
    assert data["customer"]["vat"] != corpus.OWN_VAT
    assert data["number"] not in data["invoice_refs"]
    if data["amount_total"] and data["amount_untaxed"] and data["amount_tax"]:
        from decimal import Decimal

        assert Decimal(data["amount_untaxed"]) + Decimal(data["amount_tax"]) == Decimal(
            data["amount_total"]
        )


@pytest.mark.parametrize("name", sorted(corpus.ROBUSTNESS))
def test_robustness_input(name):
    result = run(name)
    assert (result.ok, result.error) == (False, corpus.ROBUSTNESS[name][1])


def test_limits_are_checked_before_parsing():
    assert run("case_01_classic", limits=Limits(max_bytes=1000)).error == "FILE_TOO_LARGE"
    assert run("case_05_three_pages", limits=Limits(max_pages=2)).error == "TOO_MANY_PAGES"


def test_500_pages_rejected_cheaply():
    import time

    content = corpus.many_pages(500)
    start = time.perf_counter()
    result = extract(content, "big.pdf")
    assert result.error == "TOO_MANY_PAGES"
    assert time.perf_counter() - start < 10  # generous: the bench measures it


def test_invalid_embedded_xml_is_reported_and_text_used():
    content = corpus._facturx(
        corpus.case_6(),
        "AV-X",
        "20250701",
        "Boulangerie Dupont SARL",
        "987654324",
        "90.00",
        "18.00",
        "108.00",
        broken=True,
    )
    result = extract(content, "broken-xml.pdf", corpus.OWN_VAT)
    assert result.ok and result.source == "text"
    assert "EMBEDDED_XML_INVALID" in result.warnings
    assert (result.number, result.amount_total) == ("AV-2025-0120", "108.00")


def test_corrective_invoice_is_flagged():
    content = corpus.render(
        [
            corpus._header(
                "FACTURE RECTIFICATIVE N° FR-2025-0001",
                [
                    (40, 715, "Date : 02/08/2025", "l"),
                    (40, 700, "Annule et remplace la facture F-2025-0200", "l"),
                    *corpus._totals(
                        600,
                        [("Total HT", "10,00 €"), ("TVA 20 %", "2,00 €"), ("Total TTC", "12,00 €")],
                    ),
                ],
            )
        ]
    )
    result = extract(content, "rectificative.pdf")
    assert "CORRECTIVE_INVOICE" in result.warnings
    assert result.invoice_refs == ["F-2025-0200"]


def test_isolated_extraction_and_timeout():
    result = extract_isolated(generated("case_01_classic"), "c1.pdf", corpus.OWN_VAT)
    assert (result.ok, result.number, result.amount_total) == (True, "AV-2025-0007", "1234.56")
    assert result.file == "c1.pdf"
    slow = extract_isolated(generated("case_05_three_pages"), "c5.pdf", limits=Limits(timeout=0.01))
    assert slow.error == "TIMEOUT"
    bad = extract_isolated(b"", "empty.pdf")
    assert bad.error == "EMPTY_FILE"


def test_cli_prints_the_documented_json(tmp_path):
    files = []
    for name in ("case_01_classic", "case_07_facturx", "empty", "case_11_password"):
        path = tmp_path / f"{name}.pdf"
        path.write_bytes(generated(name))
        files.append(str(path))
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bin" / "billabex-extract"),
            "--own-vat",
            corpus.OWN_VAT,
            *files,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["file"] for line in lines] == files
    for line in lines:
        assert tuple(line) == CLI_KEYS
        assert tuple(line["customer"]) == CUSTOMER_KEYS
    assert lines[0]["amount_total"] == "1234.56" and lines[0]["source"] == "text"
    assert lines[1]["source"] == "facturx" and lines[1]["number"] == "AV-2025-0131"
    assert (lines[2]["ok"], lines[2]["error"]) == (False, "EMPTY_FILE")
    assert lines[3]["error"] == "PASSWORD_PROTECTED"
    usage = subprocess.run(
        [sys.executable, str(ROOT / "bin" / "billabex-extract"), str(tmp_path / "missing.pdf")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert usage.returncode == 2 and "cannot read" in usage.stderr
    assert (
        subprocess.run(
            [sys.executable, str(ROOT / "bin" / "billabex-extract")],
            capture_output=True,
            check=False,
        ).returncode
        == 2
    )


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1 234,56 €", "1234.56"),
        ("1\u202f234,56", "1234.56"),
        ("1\u2009234,56", "1234.56"),
        ("1.234,56", "1234.56"),
        ("1'234.50", "1234.50"),
        ("1,234.56", "1234.56"),
        ("12,50", "12.50"),
    ],
)
def test_amount_formats(text, expected):
    from billabex_credits.services.pdf_reading import normalize

    assert str(txt.amounts_in(normalize(text))[0][0]) == expected


def test_negative_prints_and_percentages():
    from billabex_credits.services.pdf_reading import normalize

    for text in ("-1 200,00", "(1 200,00)", "\u22121 200,00", "1 200,00-"):
        assert txt.amounts_in(normalize(text)) == [(txt.Decimal("1200.00"), True)]
    assert txt.amounts_in("TVA 5,50 %") == []


def test_identifiers_need_a_valid_checksum():
    found = txt.identifiers_in(
        "SIREN 987 654 324, faux 987 654 321, TVA FR 14 987 654 324, tél 0123456789"
    )
    assert found["siren"] == ["987654324"]
    assert found["vat"] == ["FR14987654324"]
    assert txt.siret_valid("35600000000001")  # La Poste rule
    assert not txt.fr_vat_valid("FR15987654324")


def test_status_traps():
    rows = [(0, "AVOIR D'ANNULATION"), (0, "Annule la facture F-1"), (0, "Net à déduire 10,00")]
    assert txt.extract_status(rows) == "to_deduct"
    assert txt.extract_status([(0, "Montant à rembourser 10,00")]) == "unknown"
    assert txt.extract_status([(0, "Avoir annulé")]) == "cancelled"
    assert txt.extract_status([(0, "Remboursé le 02/05/2025")]) == "refunded"


def test_issuer_footer_is_never_the_customer_even_without_our_identifiers():
    for name in ("case_01_classic", "case_04_two_rates_traps", "case_12_two_customers_cancelled"):
        result = extract(generated(name), name)  # no --own-vat / --own-siren
        assert result.customer["siren"] != corpus.OWN_SIREN, name
        assert result.customer["email"] != "contact@atelier-lumiere.fr", name


def test_pdfminer_failure_falls_back_to_pypdf(monkeypatch):
    import struct

    from billabex_credits.services import pdf_reading

    def broken(content, limits):
        raise struct.error("unpack requires a buffer of 4 bytes")  # pdfminer on /P 0

    monkeypatch.setattr(pdf_reading, "_pdfminer_rows", broken)
    result = run("case_01_classic")
    assert "TEXT_FALLBACK" in result.warnings
    assert (result.number, result.amount_total, result.amount_untaxed) == (
        "AV-2025-0007",
        "1234.56",
        "1028.80",
    )
