"""The credit note test corpus, generated (reportlab, factur-x, pypdf): the
twelve cases and the robustness inputs of ../shared/research/pdf.md §5, each
with its expected extraction. Used by the pure tests, the Odoo tests and the
benchmark; needs no network and no file on disk.

Identities are fictitious and checksum-valid. "Us" (the issuer) is Atelier
Lumière SAS, SIREN 123 456 782, VAT FR11123456782.
"""

import io
import os
from xml.sax.saxutils import escape

OWN_VAT = "FR11123456782"
OWN_SIREN = "123456782"
FOOTER = "Atelier Lumière SAS au capital de 50 000 € - RCS Paris B 123 456 782 - TVA FR11123456782"

CUSTOMERS = {
    "C0042": ("Boulangerie Dupont SARL", "987654324", "FR14987654324", None),
    "C0107": ("Garage Martin & Fils SAS", "555123454", "FR72555123454", "compta@garage-martin.fr"),
    "C0150": ("Hôtel des Pins SA", "404040404", "FR09404040404", None),
    "C0201": ("Pharmacie Centrale SELARL", "314159260", "FR87314159260", None),
    "C0333": ("Librairie Papier SAS", "271828188", "FR47271828188", None),
    "C0400": ("Uhrwerk Genève SA", None, None, "finance@uhrwerk-geneve.ch"),
    "C0512": ("Fromagerie Alpage SARL", "161803390", "FR66161803390", None),
}

_FONT = None


def _font():
    """DejaVuSans when installed (it draws U+202F and U+2009), else Helvetica."""
    global _FONT
    if _FONT is None:
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont

        path = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
        if os.path.exists(path):
            pdfmetrics.registerFont(TTFont("DejaVuSans", path))
            _FONT = "DejaVuSans"
        else:
            _FONT = "Helvetica"
    return _FONT


def _text(value):
    if _font() == "Helvetica":  # no glyph for the narrow spaces
        return value.replace("\u202f", "\u00a0").replace("\u2009", " ").replace("\u2212", "-")
    return value


def render(pages, stamp=None):
    """pages: list of lists of (x, y, text, align) in points from the
    bottom-left of an A4 page; align 'l' or 'r' (right-aligned at x)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setTitle("Avoir")
    for items in pages:
        for x, y, text, align in items:
            size = 16 if align == "h" else 9.5
            pdf.setFont(_font(), size)
            if align == "r":
                pdf.drawRightString(x, y, _text(text))
            else:
                pdf.drawString(x, y, _text(text))
        if stamp:
            pdf.saveState()
            pdf.setFont(_font(), 60)
            pdf.translate(300, 420)
            pdf.rotate(35)
            pdf.drawCentredString(0, 0, stamp)
            pdf.restoreState()
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _header(title, extra=()):
    rows = [
        (40, 800, "Atelier Lumière SAS", "l"),
        (40, 787, "12 rue des Lampes, 75011 Paris - contact@atelier-lumiere.fr", "l"),
        (40, 740, title, "h"),
    ]
    return rows + list(extra)


def _totals(y, lines, x_label=330, x_value=550):
    return [(x_label, y - 14 * i, label, "l") for i, (label, _v) in enumerate(lines)] + [
        (x_value, y - 14 * i, value, "r") for i, (_l, value) in enumerate(lines)
    ]


def case_1():
    return render(
        [
            _header(
                "AVOIR N° AV-2025-0007",
                [
                    (40, 715, "Date : 14/03/2025", "l"),
                    (320, 715, "Facturé à : Boulangerie Dupont SARL", "l"),
                    (320, 701, "Code client : C0042", "l"),
                    (320, 687, "SIREN 987 654 324", "l"),
                    (40, 660, "Avoir sur facture n° F-2025-0042 du 28/02/2025", "l"),
                    (40, 630, "Remise commerciale sur livraison", "l"),
                    (550, 630, "1\u00a0028,80 €", "r"),
                    *_totals(
                        560,
                        [
                            ("Total HT", "1\u00a0028,80 €"),
                            ("TVA 20 %", "205,76 €"),
                            ("Total TTC", "1\u00a0234,56 €"),
                            ("Net à déduire", "1\u00a0234,56 €"),
                        ],
                    ),
                    (40, 60, FOOTER, "l"),
                ],
            )
        ]
    )


def case_2():
    return render(
        [
            _header(
                "FACTURE D'AVOIR",
                [
                    (40, 715, "Numéro d'avoir : FA-25-0031", "l"),
                    (40, 701, "Paris, le 3 avril 2025", "l"),
                    (320, 715, "Client : Garage Martin & Fils SAS", "l"),
                    (320, 701, "N° TVA : FR 72 555 123 454", "l"),
                    (320, 687, "compta@garage-martin.fr", "l"),
                    (40, 660, "Référence facture : F-2025-0117", "l"),
                    (40, 600, "Total HT", "l"),
                    (40, 586, "TVA 20 %", "l"),
                    (40, 572, "Total TTC", "l"),
                    (550, 600, "2.500,00 €", "r"),
                    (550, 586, "500,00 €", "r"),
                    (550, 572, "3.000,00 €", "r"),
                    (40, 530, "Remboursé le 10/04/2025 par virement", "l"),
                    (40, 60, FOOTER, "l"),
                ],
            )
        ]
    )


def case_3():
    return render(
        [
            _header(
                "AVOIR 2025-A-0012",
                [
                    (40, 715, "Date d'émission : 2025-05-02", "l"),
                    (320, 715, "Client : Hôtel des Pins SA", "l"),
                    (320, 701, "SIRET 404 040 404 00018", "l"),
                    (40, 660, "Concerne la facture FC2025/0456 du 15/04/2025", "l"),
                    *_totals(
                        600,
                        [
                            ("Total HT", "\u22121\u00a0200,00 €"),
                            ("TVA 20,0 %", "\u2212240,00 €"),
                            ("Net à payer", "\u22121\u00a0440,00 €"),
                        ],
                    ),
                    (40, 530, "Avoir soldé - reste dû : 0,00 €", "l"),
                    (40, 60, FOOTER, "l"),
                ],
            )
        ]
    )


def case_4():
    return render(
        [
            _header(
                "AVOIR N° AV-2025-0019",
                [
                    (40, 715, "Lyon, le 7 mai 2025", "l"),
                    (320, 715, "Client : Pharmacie Centrale SELARL", "l"),
                    (320, 701, "Code client : C0201", "l"),
                    (
                        40,
                        660,
                        "Avoir sur facture n° F-2025-0100 d'un montant de 5\u202f400,00 € TTC",
                        "l",
                    ),
                    (40, 640, "Produits retournés", "l"),
                    (550, 640, "400,00 €", "r"),
                    (40, 626, "Produits retournés (taux réduit)", "l"),
                    (550, 626, "200,00 €", "r"),
                    (40, 590, "Taux", "l"),
                    (150, 590, "Base", "l"),
                    (260, 590, "TVA", "l"),
                    (40, 576, "20,00 %", "l"),
                    (150, 576, "400,00", "l"),
                    (260, 576, "80,00", "l"),
                    (40, 562, "5,50 %", "l"),
                    (150, 562, "200,00", "l"),
                    (260, 562, "11,00", "l"),
                    *_totals(
                        540,
                        [
                            ("Total HT", "600,00 €"),
                            ("Total TVA", "91,00 €"),
                            ("Total TTC", "691,00 €"),
                        ],
                    ),
                    (40, 470, "Montant à déduire de votre prochaine facture.", "l"),
                    (40, 100, "IBAN FR76 3000 6000 0112 3456 7890 189 - Tél. 01 23 45 67 89", "l"),
                    (40, 60, "Capital social 50\u202f000 € - " + FOOTER, "l"),
                ],
            )
        ]
    )


def case_5():
    pages = []
    for page in range(3):
        items = _header(
            "AVOIR N° AV-2025-0113",
            [
                (40, 715, "Date : 30/06/2025", "l"),
                (320, 715, "Client : Librairie Papier SAS - SIREN 271 828 188", "l"),
                (40, 700, "Réf. facture : F-2025-0088", "l"),
                (500, 780, f"page {page + 1}/3", "l"),
            ],
        )
        for line in range(20):
            items += [
                (40, 660 - 14 * line, f"Article {page * 20 + line + 1}", "l"),
                (550, 660 - 14 * line, "12,50 €", "r"),
            ]
        if page < 2:
            items += [
                (330, 360, "Sous-total", "l"),
                (550, 360, f"{250 * (page + 1)},00 €", "r"),
                (330, 346, "À reporter", "l"),
                (550, 346, f"{250 * (page + 1)},00 €", "r"),
            ]
        else:
            items += _totals(
                360, [("Total HT", "750,00 €"), ("TVA 20 %", "150,00 €"), ("Total TTC", "900,00 €")]
            )
            items += [(40, 300, "Avoir à valoir sur vos prochains achats.", "l")]
        items += [(40, 60, FOOTER, "l")]
        pages.append(items)
    return render(pages)


def case_6():
    return render(
        [
            _header(
                "AVOIR D'ANNULATION N° AV-2025-0120",
                [
                    (40, 715, "Date : 01/07/25", "l"),
                    (320, 715, "Client : Boulangerie Dupont SARL - SIREN 987 654 324", "l"),
                    (
                        40,
                        660,
                        "Annule les factures n° F-2025-0042, F-2025-0043 et F-2025-0051",
                        "l",
                    ),
                    *_totals(
                        600,
                        [
                            ("Total HT", "90,00 €"),
                            ("TVA 20 %", "18,00 €"),
                            ("Net à déduire", "108,00 €"),
                        ],
                    ),
                    (40, 60, FOOTER, "l"),
                ],
            )
        ]
    )


CII_TEMPLATE = """<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
 xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
 xmlns:qdt="urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
 xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
 <rsm:ExchangedDocumentContext>
  <ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>{guideline}</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter>
 </rsm:ExchangedDocumentContext>
 <rsm:ExchangedDocument>
  <ram:ID>{number}</ram:ID><ram:TypeCode>{type_code}</ram:TypeCode>
  <ram:IssueDateTime><udt:DateTimeString format="102">{date}</udt:DateTimeString></ram:IssueDateTime>
 </rsm:ExchangedDocument>
 <rsm:SupplyChainTradeTransaction>
  <ram:ApplicableHeaderTradeAgreement>
   <ram:SellerTradeParty><ram:Name>Atelier Lumière SAS</ram:Name>
    <ram:SpecifiedLegalOrganization><ram:ID schemeID="0002">123456782</ram:ID></ram:SpecifiedLegalOrganization>
    <ram:PostalTradeAddress><ram:CountryID>FR</ram:CountryID></ram:PostalTradeAddress>
    <ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">FR11123456782</ram:ID></ram:SpecifiedTaxRegistration>
   </ram:SellerTradeParty>
   <ram:BuyerTradeParty><ram:Name>{buyer}</ram:Name>
    <ram:SpecifiedLegalOrganization><ram:ID schemeID="0002">{buyer_siren}</ram:ID></ram:SpecifiedLegalOrganization>
   </ram:BuyerTradeParty>
  </ram:ApplicableHeaderTradeAgreement>
  <ram:ApplicableHeaderTradeDelivery/>
  <ram:ApplicableHeaderTradeSettlement>
   <ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>{refs}
   <ram:SpecifiedTradeSettlementHeaderMonetarySummation>
    <ram:TaxBasisTotalAmount>{untaxed}</ram:TaxBasisTotalAmount>
    <ram:TaxTotalAmount currencyID="EUR">{tax}</ram:TaxTotalAmount>
    <ram:GrandTotalAmount>{total}</ram:GrandTotalAmount>
    <ram:DuePayableAmount>{total}</ram:DuePayableAmount>
   </ram:SpecifiedTradeSettlementHeaderMonetarySummation>
  </ram:ApplicableHeaderTradeSettlement>
 </rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>
"""
MINIMUM = "urn:factur-x.eu:1p0:minimum"


def _facturx(
    pdf, number, date, buyer, siren, untaxed, tax, total, refs=(), type_code="381", broken=False
):
    from facturx import generate_from_binary

    ref_xml = "".join(
        f"\n   <ram:InvoiceReferencedDocument><ram:IssuerAssignedID>{ref}</ram:IssuerAssignedID>"
        f'<ram:FormattedIssueDateTime><qdt:DateTimeString format="102">{ref_date}'
        "</qdt:DateTimeString></ram:FormattedIssueDateTime></ram:InvoiceReferencedDocument>"
        for ref, ref_date in refs
    )
    xml = CII_TEMPLATE.format(
        guideline=MINIMUM,
        number=number,
        type_code=type_code,
        date=date,
        buyer=escape(buyer),
        buyer_siren=siren,
        refs=ref_xml,
        untaxed=untaxed,
        tax=tax,
        total=total,
    )
    if broken:
        xml = xml.replace("<ram:TypeCode>", "<ram:Unexpected/><ram:TypeCode>")
    return generate_from_binary(
        pdf,
        xml.encode(),
        flavor="factur-x",
        level="minimum",
        check_xsd=False,
        check_schematron=False,
        lang="fr",
    )


def case_7(visual_total="120,00 €"):
    visual = render(
        [
            _header(
                "AVOIR",
                [
                    (40, 715, "N° AV-2025-0131 - émis le 08/07/2025", "l"),
                    (320, 715, "Client : Garage Martin & Fils SAS", "l"),
                    (40, 660, "Suivant facture F-2025-0150", "l"),
                    *_totals(
                        600,
                        [
                            ("Total HT", "100,00 €"),
                            ("TVA 20 %", "20,00 €"),
                            ("Net à déduire", visual_total),
                        ],
                    ),
                    (40, 60, FOOTER, "l"),
                ],
            )
        ]
    )
    # A MINIMUM profile has no referenced invoice (BG-3): it comes from the text.
    return _facturx(
        visual,
        "AV-2025-0131",
        "20250708",
        "Garage Martin & Fils SAS",
        "555123454",
        "100.00",
        "20.00",
        "120.00",
    )


def case_8():
    visual = render(
        [
            _header(
                "AVOIR N° AV-2025-0140",
                [
                    (40, 715, "Date : 10/07/2025", "l"),
                    (320, 715, "Client : Hôtel des Pins SA", "l"),
                    (40, 660, "Réf. facture : F-2025-0160", "l"),
                    *_totals(
                        600,
                        [("Total HT", "45,00 €"), ("TVA 20 %", "9,00 €"), ("Total TTC", "54,00 €")],
                    ),
                    (40, 60, FOOTER, "l"),
                ],
            )
        ]
    )
    return _facturx(
        visual,
        "AV-2025-0140",
        "20250710",
        "Hôtel des Pins SA",
        "404040404",
        "45.00",
        "9.00",
        "54.00",
    )


def case_9():
    return render(
        [
            _header(
                "NOTE DE CRÉDIT / AVOIR N° AV-2025-0150",
                [
                    (40, 715, "Date : 15.07.2025", "l"),
                    (40, 701, "Devise : CHF", "l"),
                    (320, 715, "Client : Uhrwerk Genève SA", "l"),
                    (320, 701, "Code client : C0400", "l"),
                    (320, 687, "finance@uhrwerk-geneve.ch", "l"),
                    (40, 660, "Référence facture : F-2025-0170", "l"),
                    *_totals(
                        600,
                        [("Total HT", "1'234.50"), ("TVA 0,00", "0.00"), ("Total TTC", "1'234.50")],
                    ),
                    (40, 540, "Exonération de TVA, article 262 I du CGI", "l"),
                    (40, 526, "Remboursé", "l"),
                    (40, 60, FOOTER, "l"),
                ],
            )
        ]
    )


def case_10():
    """A scan: case 1 rendered to an image, placed in a new PDF (no text)."""
    from PIL import Image, ImageDraw
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    image = Image.new("L", (1240, 1754), 255)
    draw = ImageDraw.Draw(image)
    for index, line in enumerate(["AVOIR N° AV-2025-0160", "Total TTC 1 200,00 EUR"]):
        draw.text((100, 150 + 40 * index), line, fill=0)
    image = image.rotate(0.7, fillcolor=255)
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.drawImage(ImageReader(image), 0, 0, width=A4[0], height=A4[1])
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _encrypt(content, user_password, permissions=None):
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(content)))
    kwargs = {"user_password": user_password, "owner_password": "owner", "algorithm": "AES-256"}
    if permissions is not None:
        kwargs["permissions_flag"] = permissions
    writer.encrypt(**kwargs)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def case_11():
    return _encrypt(case_1(), "secret")


def case_11b():
    return _encrypt(case_1(), "", permissions=0)


def case_12():
    return render(
        [
            _header(
                "AVOIR N° AV-2025-0175",
                [
                    (40, 715, "Date : 01/08/2025", "l"),
                    (40, 680, "Facturé à : Pharmacie Centrale (SIREN 314 159 260)", "l"),
                    (320, 680, "Livré à : Fromagerie Alpage (SIREN 161 803 390)", "l"),
                    (40, 650, "Réf. facture : F-2025-0190", "l"),
                    *_totals(
                        600,
                        [
                            ("Total HT", "80,00 €"),
                            ("TVA 20 %", "16,00 €"),
                            ("Total TTC", "96,00 €"),
                        ],
                    ),
                    (40, 60, FOOTER, "l"),
                ],
            )
        ],
        stamp="ANNULÉ",
    )


def invoice():
    return render(
        [
            _header(
                "FACTURE N° F-2025-0200",
                [
                    (40, 715, "Date : 01/08/2025", "l"),
                    (320, 715, "Client : Boulangerie Dupont SARL - SIREN 987 654 324", "l"),
                    *_totals(
                        600,
                        [
                            ("Total HT", "100,00 €"),
                            ("TVA 20 %", "20,00 €"),
                            ("Total TTC", "120,00 €"),
                        ],
                    ),
                    (40, 60, FOOTER, "l"),
                ],
            )
        ]
    )


def many_pages(count=500):
    return render([[(40, 800, f"Page {n + 1}", "l")] for n in range(count)])


SIRETS = {"C0150": "40404040400018"}


def _customer(code, via):
    name, siren, vat, email = CUSTOMERS[code]
    return {
        "code": code,
        "siren": siren,
        "vat": vat,
        "email": email,
        "name": name,
        "siret": SIRETS.get(code),
        "via": via,
    }


# Expected results: every key checked field by field by the tests.
CASES = {
    "case_01_classic": (
        case_1,
        {
            "number": "AV-2025-0007",
            "date": "2025-03-14",
            "currency": "EUR",
            "amount_untaxed": "1028.80",
            "amount_tax": "205.76",
            "amount_total": "1234.56",
            "invoice_refs": ["F-2025-0042"],
            "status": "to_deduct",
            "source": "text",
            "customer": _customer("C0042", ("code", "siren")),
        },
    ),
    "case_02_columns_refunded": (
        case_2,
        {
            "number": "FA-25-0031",
            "date": "2025-04-03",
            "currency": "EUR",
            "amount_untaxed": "2500.00",
            "amount_tax": "500.00",
            "amount_total": "3000.00",
            "invoice_refs": ["F-2025-0117"],
            "status": "refunded",
            "source": "text",
            "customer": _customer("C0107", ("vat",)),
        },
    ),
    "case_03_negative_settled": (
        case_3,
        {
            "number": "2025-A-0012",
            "date": "2025-05-02",
            "currency": "EUR",
            "amount_untaxed": "1200.00",
            "amount_tax": "240.00",
            "amount_total": "1440.00",
            "invoice_refs": ["FC2025/0456"],
            "status": "settled",
            "source": "text",
            "customer": _customer("C0150", ("siret", "siren")),
        },
    ),
    "case_04_two_rates_traps": (
        case_4,
        {
            "number": "AV-2025-0019",
            "date": "2025-05-07",
            "currency": "EUR",
            "amount_untaxed": "600.00",
            "amount_tax": "91.00",
            "amount_total": "691.00",
            "invoice_refs": ["F-2025-0100"],
            "status": "to_deduct",
            "source": "text",
            "customer": _customer("C0201", ("code",)),
            "tax_rates": {"20.00": "80.00", "5.50": "11.00"},
        },
    ),
    "case_05_three_pages": (
        case_5,
        {
            "number": "AV-2025-0113",
            "date": "2025-06-30",
            "currency": "EUR",
            "amount_untaxed": "750.00",
            "amount_tax": "150.00",
            "amount_total": "900.00",
            "invoice_refs": ["F-2025-0088"],
            "status": "to_deduct",
            "source": "text",
            "customer": _customer("C0333", ("siren",)),
        },
    ),
    "case_06_cancels_invoices": (
        case_6,
        {
            "number": "AV-2025-0120",
            "date": "2025-07-01",
            "currency": "EUR",
            "amount_untaxed": "90.00",
            "amount_tax": "18.00",
            "amount_total": "108.00",
            "invoice_refs": ["F-2025-0042", "F-2025-0043", "F-2025-0051"],
            "status": "to_deduct",
            "source": "text",
            "customer": _customer("C0042", ("siren",)),
        },
    ),
    "case_07_facturx": (
        case_7,
        {
            "number": "AV-2025-0131",
            "date": "2025-07-08",
            "currency": "EUR",
            "amount_untaxed": "100.00",
            "amount_tax": "20.00",
            "amount_total": "120.00",
            "invoice_refs": ["F-2025-0150"],
            "status": "to_deduct",
            "source": "facturx",
            "customer": _customer("C0107", ("siren",)),
        },
    ),
    "case_07b_facturx_mismatch": (
        lambda: case_7("130,00 €"),
        {
            "number": "AV-2025-0131",
            "amount_total": "120.00",
            "source": "facturx",
            "warnings_include": ["XML_TEXT_MISMATCH"],
        },
    ),
    "case_08_facturx_minimum_ref_in_text": (
        case_8,
        {
            "number": "AV-2025-0140",
            "date": "2025-07-10",
            "currency": "EUR",
            "amount_untaxed": "45.00",
            "amount_tax": "9.00",
            "amount_total": "54.00",
            "invoice_refs": ["F-2025-0160"],
            "status": "unknown",
            "source": "facturx",
            "customer": _customer("C0150", ("siren",)),
        },
    ),
    "case_09_chf_exempt_refunded": (
        case_9,
        {
            "number": "AV-2025-0150",
            "date": "2025-07-15",
            "currency": "CHF",
            "amount_untaxed": "1234.50",
            "amount_tax": "0.00",
            "amount_total": "1234.50",
            "invoice_refs": ["F-2025-0170"],
            "status": "refunded",
            "source": "text",
            "customer": _customer("C0400", ("code", "email")),
        },
    ),
    "case_10_scan": (case_10, {"error": "NO_TEXT_LAYER"}),
    "case_11_password": (case_11, {"error": "PASSWORD_PROTECTED"}),
    "case_11b_owner_password_only": (
        case_11b,
        {
            "number": "AV-2025-0007",
            "amount_total": "1234.56",
            "status": "to_deduct",
        },
    ),
    "case_12_two_customers_cancelled": (
        case_12,
        {
            "number": "AV-2025-0175",
            "date": "2025-08-01",
            "currency": "EUR",
            "amount_untaxed": "80.00",
            "amount_tax": "16.00",
            "amount_total": "96.00",
            "invoice_refs": ["F-2025-0190"],
            "status": "cancelled",
            "source": "text",
            "customer": _customer("C0201", ("siren",)),
            "warnings_include": ["AMBIGUOUS_CUSTOMER"],
        },
    ),
}

ROBUSTNESS = {
    "empty": (lambda: b"", "EMPTY_FILE"),
    "png_renamed": (lambda: b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "NOT_A_PDF"),
    "zip_renamed": (lambda: b"PK\x03\x04" + b"\x00" * 64, "NOT_A_PDF"),
    "html_renamed": (lambda: b"<html><body>Avoir</body></html>", "NOT_A_PDF"),
    "truncated": (lambda: case_1()[: len(case_1()) // 2], "CORRUPTED_PDF"),
    "invoice": (invoice, "NOT_A_CREDIT_NOTE"),
    "facturx_invoice_380": (
        lambda: _facturx(
            case_6(),
            "F-1",
            "20250701",
            "Boulangerie Dupont SARL",
            "987654324",
            "90.00",
            "18.00",
            "108.00",
            type_code="380",
        ),
        "NOT_A_CREDIT_NOTE",
    ),
}
