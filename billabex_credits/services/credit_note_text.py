"""Read the fields of a credit note from its text rows and its embedded XML.

Pure Python. French first ("avoir"), international formats too. Every value
found is anchored on a label; nothing is guessed from "the largest number"
or "the earliest date" (share capital, the original invoice amount and the
credited invoice's date are the classic traps).
"""

import re
from datetime import date
from decimal import Decimal, InvalidOperation

# ----------------------------------------------------------------------
# Numbers and dates
# ----------------------------------------------------------------------

# An amount: optional sign or parenthesis, digits with optional thousands
# separators (space, dot, apostrophe, comma), a decimal part of 2 digits.
AMOUNT_RE = re.compile(
    r"(?<![\w/.,'-])(?P<neg>-\s?|\()?\s?"
    r"(?P<num>\d{1,3}(?:[ .',]\d{3})+(?:[.,]\d{2})|\d+[.,]\d{2})"
    r"(?!\d|[.,]\d|\s?%)(?P<trail>\)|-)?"
)
PERCENT_RE = re.compile(r"(\d+(?:[.,]\d+)?)\s?%")


def parse_amount(text):
    """'1 234,56' / '1.234,56' / "1'234.50" / '1,234.56' -> Decimal (positive)."""
    digits = re.sub(r"[ ']", "", text)
    decimal_sep = digits[-3] if len(digits) > 3 and digits[-3] in ".," else None
    if decimal_sep:
        whole, cents = digits[:-3], digits[-2:]
        whole = whole.replace(".", "").replace(",", "")
        digits = f"{whole}.{cents}"
    else:
        digits = digits.replace(".", "").replace(",", "")
    try:
        return Decimal(digits)
    except InvalidOperation:
        return None


def amounts_in(text):
    """[(Decimal, negative printed)] of the amounts of a row, left to right."""
    found = []
    for match in AMOUNT_RE.finditer(text):
        value = parse_amount(match.group("num"))
        if value is not None:
            negative = bool(match.group("neg")) or bool(match.group("trail"))
            found.append((value, negative))
    return found


MONTHS = {
    "janvier": 1,
    "janv": 1,
    "jan": 1,
    "january": 1,
    "fevrier": 2,
    "février": 2,
    "fevr": 2,
    "févr": 2,
    "fev": 2,
    "fév": 2,
    "feb": 2,
    "february": 2,
    "mars": 3,
    "mar": 3,
    "march": 3,
    "avril": 4,
    "avr": 4,
    "apr": 4,
    "april": 4,
    "mai": 5,
    "may": 5,
    "juin": 6,
    "june": 6,
    "jun": 6,
    "juillet": 7,
    "juil": 7,
    "july": 7,
    "jul": 7,
    "aout": 8,
    "août": 8,
    "aug": 8,
    "august": 8,
    "septembre": 9,
    "sept": 9,
    "sep": 9,
    "september": 9,
    "octobre": 10,
    "oct": 10,
    "october": 10,
    "novembre": 11,
    "nov": 11,
    "november": 11,
    "decembre": 12,
    "décembre": 12,
    "dec": 12,
    "déc": 12,
    "december": 12,
}
DATE_RE = re.compile(
    r"(?P<iso>(?P<iy>\d{4})-(?P<im>\d{1,2})-(?P<id>\d{1,2}))"
    r"|(?P<num>(?P<d>\d{1,2})[/.](?P<m>\d{1,2})[/.](?P<y>\d{4}|\d{2}))(?![\d/.]\d)"
    r"|(?P<txt>(?P<td>\d{1,2})(?:er)?\s+(?P<tm>[a-zéû]{3,9})\.?\s+(?P<ty>\d{4}))",
    re.IGNORECASE,
)


def parse_dates(text):
    """[(date, start, end)] of the dates of a text; always day first."""
    found = []
    for match in DATE_RE.finditer(text):
        try:
            if match.group("iso"):
                value = date(int(match["iy"]), int(match["im"]), int(match["id"]))
            elif match.group("num"):
                year = int(match["y"])
                year += 2000 if year < 100 else 0
                value = date(year, int(match["m"]), int(match["d"]))
            else:
                month = MONTHS.get(match["tm"].lower())
                if not month:
                    continue
                value = date(int(match["ty"]), month, int(match["td"]))
        except ValueError:
            continue
        found.append((value, match.start(), match.end()))
    return found


# ----------------------------------------------------------------------
# French identifiers (checksum-valid only)
# ----------------------------------------------------------------------


def _luhn(digits):
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def siren_valid(value):
    return bool(re.fullmatch(r"\d{9}", value or "")) and _luhn(value)


def siret_valid(value):
    if not re.fullmatch(r"\d{14}", value or ""):
        return False
    if value.startswith("356000000"):  # La Poste: digit sum multiple of 5
        return sum(map(int, value)) % 5 == 0
    return _luhn(value)


def fr_vat_valid(value):
    match = re.fullmatch(r"FR(\d{2})(\d{9})", value or "")
    if not match:
        return False
    key, siren = match.groups()
    return int(key) == (12 + 3 * (int(siren) % 97)) % 97


VAT_RE = re.compile(r"\b(FR)\s?(\d{2})\s?(\d{3})\s?(\d{3})\s?(\d{3})\b")
SIRET_RE = re.compile(r"(?<![\d])(\d{3})\s?(\d{3})\s?(\d{3})\s?(\d{5})(?![\d])")
SIREN_RE = re.compile(r"(?<![\d])(\d{3})\s?(\d{3})\s?(\d{3})(?![\d]|\s\d{5}\b)")
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def identifiers_in(text):
    """{'vat': [...], 'siret': [...], 'siren': [...]} found in a text, valid only."""
    vats = [("".join(m.groups())) for m in VAT_RE.finditer(text)]
    vats = [v for v in vats if fr_vat_valid(v)]
    sirets = ["".join(m.groups()) for m in SIRET_RE.finditer(text)]
    sirets = [s for s in sirets if siret_valid(s)]
    sirens = ["".join(m.groups()) for m in SIREN_RE.finditer(VAT_RE.sub(" ", text))]
    sirens = [s for s in sirens if siren_valid(s)]
    return {"vat": vats, "siret": sirets, "siren": sirens}


# ----------------------------------------------------------------------
# Label lexicon
# ----------------------------------------------------------------------


def _fold(text):
    """Lower case without accents, for label matching."""
    import unicodedata

    text = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in text if not unicodedata.combining(c))


TOTAL_LABELS = [  # ranked: the first found wins
    r"net a deduire",
    r"montant de l'avoir|total (?:de l')?avoir",
    r"total ttc|montant ttc|total toutes taxes",
    r"net a (?:payer|rembourser)",
    r"grand total|total due|total amount|^total\b",
]
UNTAXED_LABELS = [r"total (?:ht|hors taxes?)|montant ht|base ht|total net ht|subtotal excl"]
TAX_TOTAL_LABELS = [r"total tva|montant (?:de la )?tva|total vat|vat total"]
TAX_RATE_ROW = re.compile(r"\b(?:tva|vat)\b[^%\d]*(\d{1,2}(?:[.,]\d{1,2})?)\s?%")
# A row of a VAT summary table: "20,00 %   400,00   80,00" (rate, base, tax).
TAX_TABLE_ROW = re.compile(r"^\s*(\d{1,2}(?:[.,]\d{1,2})?)\s?%")
EXCLUDED_ROW = re.compile(r"sous-total|a reporter|\breport\b|capital|d'un montant de|iban|bic\b")

REF_TRIGGERS = re.compile(
    r"(?:avoir sur (?:la |les )?factures?|r[ée]f(?:[ée]rence)?\.? (?:de la )?factures?"
    r"|factures? d'origine|factures? concern[ée]e?s?|concerne (?:la |les )?factures?"
    r"|suivant factures?|annule (?:et remplace )?(?:la |les )?factures?|votre facture"
    r"|sur factures?|invoice (?:ref(?:erence)?|no\.?|number)|credited invoices?)"
    r"\s*(?:n[°o º]s?\.?|num[ée]ros?)?\s*:?\s*",
    re.IGNORECASE,
)
REF_TOKEN = re.compile(r"[A-Z0-9][A-Z0-9/_.-]*\d[A-Z0-9/_.-]*", re.IGNORECASE)
REF_JOINER = re.compile(r"\s*(?:,|;|&|\bet\b|\band\b)\s*", re.IGNORECASE)
NUMBER_LABEL = re.compile(
    r"(?:n[°o º]\.? d'avoir|num[ée]ro d'avoir|r[ée]f[ée]rence avoir|"
    r"(?:facture d')?avoir(?: d'annulation)?|note de cr[ée]dit|credit note|pi[èe]ce)"
    r"\s*(?:n[°o º]\.?|num[ée]ro|no\.?|#)?\s*:?\s*(?P<num>[A-Z0-9][A-Z0-9/_.-]*\d[A-Z0-9/_.-]*)",
    re.IGNORECASE,
)
DATE_LABEL = re.compile(
    r"(?:date d'[ée]mission|date de l'avoir|date d'avoir|[ée]mis le|date|,\s*le|\ble)\s*:?\s*",
    re.IGNORECASE,
)
CUSTOMER_CODE = re.compile(
    r"(?:code client|n[°o º]\.? client|compte client|r[ée]f\.? client|customer (?:code|no\.?|id))"
    r"\s*:?\s*(?P<code>[A-Z0-9][A-Z0-9_.-]{1,19})",
    re.IGNORECASE,
)
BILL_TO = re.compile(
    r"(?:factur[ée] [àa]|adress[ée] [àa]|destinataire|client|bill to|customer)\s*:?\s*",
    re.IGNORECASE,
)
SHIP_TO = re.compile(r"livr[ée] [àa]|ship to", re.IGNORECASE)
ISSUER_ROW = re.compile(r"capital|\brcs\b|siege social|registered office")

STATUS_CUES = [  # (status, pattern on folded text); the first status that matches wins
    ("cancelled", r"(?<!d')\bavoir annule\b|document annule|^\s*annule\s*$|\bannulee?\b\s*$"),
    (
        "refunded",
        (
            r"rembourse(?:e)? le|remboursement effectue|montant rembourse"
            r"|regle par (?:virement|cheque)|\brembourse\b(?! par)|\brefunded\b"
        ),
    ),
    (
        "settled",
        r"\bsolde\b(?! a)|avoir solde|reste du\s*:?\s*0[.,]00|impute sur la facture|acquitte",
    ),
    (
        "to_deduct",
        r"net a deduire|a deduire de|a valoir sur|a imputer|credit en votre faveur|to be deducted",
    ),
]
STATUS_TRAPS = re.compile(
    r"avoir d'annulation|annule (?:et remplace )?(?:la |les )?factures?|a rembourser|sera rembourse"
)


# ----------------------------------------------------------------------
# Field extraction from text rows
# ----------------------------------------------------------------------


def _labelled_amount(rows, patterns):
    """Amount on the row of the best-ranked label: last page and lowest
    occurrence first, right-most amount of the row."""
    for pattern in patterns:
        regex = re.compile(pattern)
        for _page, text in reversed(rows):
            folded = _fold(text)
            if EXCLUDED_ROW.search(folded) or not regex.search(folded):
                continue
            label_end = regex.search(folded).end()
            found = amounts_in(text[label_end:]) or amounts_in(text)
            if found:
                return found[-1]
    return None


def _tax_by_rate(rows):
    """{rate: tax amount} from 'TVA 20 % ... 80,00' rows (last table wins)."""
    rates = {}
    for _page, text in rows:
        folded = _fold(text)
        if EXCLUDED_ROW.search(folded):
            continue
        match = TAX_RATE_ROW.search(folded) or TAX_TABLE_ROW.search(folded)
        if not match:
            continue
        rate = Decimal(match.group(1).replace(",", "."))
        found = amounts_in(text[match.end() :])
        if match.re is TAX_TABLE_ROW and len(found) < 2:
            continue
        if found:
            rates[rate] = found[-1][0]
    return rates


def extract_amounts(rows):
    """(untaxed, tax, total, rates, negative printed, warnings)."""
    warnings = []
    total = _labelled_amount(rows, TOTAL_LABELS)
    untaxed = _labelled_amount(rows, UNTAXED_LABELS)
    tax = _labelled_amount(rows, TAX_TOTAL_LABELS)
    rates = _tax_by_rate(rows)
    negative = any(found and found[1] for found in (total, untaxed))
    total = total and total[0]
    untaxed = untaxed and untaxed[0]
    tax = tax[0] if tax else (sum(rates.values()) if rates else None)
    exempt = any(re.search(r"exon[ée]r|autoliquidation|262 i|293 b", _fold(t)) for _p, t in rows)
    if tax is None and exempt:
        tax = Decimal("0.00")
    if total is not None and untaxed is not None and tax is None:
        tax = total - untaxed
    elif total is not None and tax is not None and untaxed is None:
        untaxed = total - tax
    elif untaxed is not None and tax is not None and total is None:
        total = untaxed + tax
    elif total is not None and untaxed is None and tax is None:
        warnings.append("TAX_UNKNOWN")
    if None not in (total, untaxed, tax):
        tolerance = Decimal("0.01") * max(1, len(rates))
        if abs(untaxed + tax - total) > tolerance:
            warnings.append("TOTALS_MISMATCH")
    return untaxed, tax, total, rates, negative, warnings


def extract_refs(rows):
    refs = []
    for _page, text in rows:
        for trigger in REF_TRIGGERS.finditer(text):
            # A list of numbers right after the trigger: "F-1, F-2 et F-3";
            # anything else ("du 28/02/2025", "d'un montant de") ends it.
            tail = text[trigger.end() :]
            while True:
                token = REF_TOKEN.match(tail)
                if not token or len(token.group(0)) < 4:
                    break
                ref = token.group(0).rstrip(".")
                if ref not in refs:
                    refs.append(ref)
                joiner = REF_JOINER.match(tail, token.end())
                if not joiner:
                    break
                tail = tail[joiner.end() :]
    return refs


def extract_number(rows, refs):
    for _page, text in rows:
        for match in NUMBER_LABEL.finditer(text):
            number = match.group("num").rstrip(".")
            if number not in refs:
                return number
    return None


def extract_date(rows):
    """The credit note's own date: after a date label, never a referenced
    invoice's date ('facture n° X du <date>')."""
    candidates = []
    for _page, text in rows:
        for value, start, _end in parse_dates(text):
            before = _fold(text[max(0, start - 40) : start])
            if re.search(r"factures?\b[^,;]*\bdu\s*$|\bdu\s*$", before) and re.search(
                r"factur|invoice", before
            ):
                continue
            if re.search(r"rembours|regl|paid|echeance|due", before):
                continue
            labelled = bool(DATE_LABEL.search(text[max(0, start - 30) : start]))
            candidates.append((not labelled, value))
    if not candidates:
        return None
    labelled = [value for unlabelled, value in candidates if not unlabelled]
    return (labelled or [value for _u, value in candidates])[0]


def extract_currency(rows):
    text = " ".join(t for _p, t in rows)
    match = re.search(
        r"devise\s*:?\s*([A-Z]{3})\b|currency\s*:?\s*([A-Z]{3})\b", text, re.IGNORECASE
    )
    if match:
        return (match.group(1) or match.group(2)).upper()
    for code in ("EUR", "CHF", "USD", "GBP", "CAD"):
        if re.search(rf"\b{code}\b", text):
            return code
    for symbol, code in (("€", "EUR"), ("£", "GBP"), ("$", "USD")):
        if symbol in text:
            return code
    return None


def extract_status(rows):
    for status, pattern in STATUS_CUES:
        regex = re.compile(pattern)
        for _page, text in rows:
            folded = _fold(text)
            cleaned = STATUS_TRAPS.sub(" ", folded)
            match = regex.search(cleaned)
            if match and not re.search(r"\b(?:non|pas|not)\s+$", cleaned[: match.start()]):
                return status
    return "unknown"


def document_kind(rows):
    """'credit_note', 'corrective' (facture rectificative), 'invoice' or None."""
    head = " ".join(_fold(t) for _p, t in rows[:25])
    if re.search(r"facture rectificative|annule et remplace", head) and not re.search(
        r"\bavoir\b", head
    ):
        return "corrective"
    if re.search(r"\bavoirs?\b|note de credit|credit note|facture d'avoir", head):
        return "credit_note"
    if re.search(r"\bfacture\b|\binvoice\b", head):
        return "invoice"
    return None


def _customer_block(rows):
    """Rows of the 'Facturé à / Client' block: the text after the label and
    up to 3 rows below it; a 'Livré à' block, even on the same row, is kept
    apart."""
    blocks = {"bill": [], "ship": []}
    for index, (_page, text) in enumerate(rows):
        below = [t for _p, t in rows[index + 1 : index + 4]]
        ship = SHIP_TO.search(text)
        if ship:
            blocks["ship"] += [text[ship.end() :], *below]
        bill = BILL_TO.search(text[: ship.start()] if ship else text)
        if bill:
            end = ship.start() if ship else len(text)
            blocks["bill"] += [text[bill.end() : end], *below]
    return blocks


def extract_customer(rows, own_vat=None, own_siren=None):
    """Customer identifiers, never ours. Returns (customer dict, candidates,
    warnings): candidates lists the identifiers of every other party seen."""
    own_sirens = {s for s in (own_siren, own_vat and own_vat[4:]) if s}
    # The legal footer ("SAS au capital de…, RCS Paris B…") is the issuer's:
    # without our own identifiers, it still must not be taken for the customer.
    for _page, line in rows:
        if ISSUER_ROW.search(_fold(line)):
            ids = identifiers_in(line)
            own_sirens |= set(ids["siren"]) | {v[4:] for v in ids["vat"]}
            own_sirens |= {s[:9] for s in ids["siret"]}
    text = "\n".join(t for _p, t in rows)
    blocks = _customer_block(rows)
    bill_text = "\n".join(blocks["bill"])
    ship_text = "\n".join(blocks["ship"])

    def not_ours(ids):
        return {
            "vat": [v for v in ids["vat"] if v != own_vat and v[4:] not in own_sirens],
            "siret": [s for s in ids["siret"] if s[:9] not in own_sirens],
            "siren": [s for s in ids["siren"] if s not in own_sirens],
        }

    everywhere = not_ours(identifiers_in(text))
    in_bill = not_ours(identifiers_in(bill_text))
    in_ship = not_ours(identifiers_in(ship_text))
    warnings = []

    def siren_of(ids):
        return ids["siren"] + [s[:9] for s in ids["siret"]] + [v[4:] for v in ids["vat"]]

    all_sirens = list(dict.fromkeys(siren_of(everywhere)))
    bill_sirens = list(dict.fromkeys(siren_of(in_bill)))
    ship_sirens = [s for s in dict.fromkeys(siren_of(in_ship)) if s not in bill_sirens]
    chosen = bill_sirens[0] if bill_sirens else (all_sirens[0] if all_sirens else None)
    candidates = []
    for siren in all_sirens:
        candidates.append(
            {
                "siren": siren,
                "role": "bill"
                if siren in bill_sirens
                else "ship"
                if siren in ship_sirens
                else "other",
            }
        )
    if len(all_sirens) > 1:
        warnings.append("AMBIGUOUS_CUSTOMER")

    code_match = CUSTOMER_CODE.search(text)
    # The issuer's own address sits in the header: never the customer's.
    header = " ".join(t for _p, t in rows[:3])
    emails = [e for e in EMAIL_RE.findall(bill_text or text) if e not in header]
    name = None
    for line in blocks["bill"][:2]:
        candidate = re.split(r"\s{3,}|\(|siren|siret|tva|n°", line, flags=re.IGNORECASE)[0].strip(
            " :,-"
        )
        if candidate and re.search(r"[A-Za-z]{3}", candidate) and not CUSTOMER_CODE.search(line):
            name = candidate
            break
    vat = next((v for v in everywhere["vat"] if chosen and v[4:] == chosen), None)
    siret = next((s for s in everywhere["siret"] if chosen and s[:9] == chosen), None)
    customer = {
        "name": name,
        "vat": vat,
        "siren": chosen,
        "siret": siret,
        "email": emails[0].lower() if emails else None,
        "code": code_match.group("code") if code_match else None,
    }
    return customer, candidates, warnings


# ----------------------------------------------------------------------
# Embedded XML (Factur-X / ZUGFeRD 2 CII, UBL credit note)
# ----------------------------------------------------------------------

CII_NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
}
CREDIT_NOTE_CODES = {
    "81",
    "83",
    "261",
    "262",
    "296",
    "308",
    "381",
    "396",
    "420",
    "458",
    "502",
    "503",
    "532",
}


def parse_cii(xml, own_vat=None, own_siren=None):
    """Fields of a CII document, or None when it is not one."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(xml, parser)
    except etree.XMLSyntaxError:
        return None
    if etree.QName(root).localname != "CrossIndustryInvoice":
        return None

    def first(path, node=root):
        found = node.xpath(path, namespaces=CII_NS)
        return (
            found[0].strip()
            if found and isinstance(found[0], str)
            else (found[0].text.strip() if found and found[0].text else None)
        )

    def amount(path):
        value = first(path)
        try:
            return abs(Decimal(value)) if value is not None else None
        except InvalidOperation:
            return None

    settlement = "//ram:ApplicableHeaderTradeSettlement"
    summation = f"{settlement}/ram:SpecifiedTradeSettlementHeaderMonetarySummation"
    issue = first("//rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString")
    doc_date = None
    if issue and re.fullmatch(r"\d{8}", issue):
        doc_date = date(int(issue[:4]), int(issue[4:6]), int(issue[6:]))

    def party(tag):
        base = f"//ram:ApplicableHeaderTradeAgreement/ram:{tag}"
        legal = first(f"{base}/ram:SpecifiedLegalOrganization/ram:ID")
        scheme = first(f"{base}/ram:SpecifiedLegalOrganization/ram:ID/@schemeID")
        vat = first(f"{base}/ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']")
        return {
            "name": first(f"{base}/ram:Name"),
            "vat": vat.replace(" ", "") if vat else None,
            "siren": legal
            if scheme == "0002"
            else (legal[:9] if legal and scheme == "0009" else None),
            "siret": legal if scheme == "0009" else None,
            "email": first(f"{base}/ram:URIUniversalCommunication/ram:URIID"),
            "code": first(f"{base}/ram:ID"),
        }

    seller, buyer = party("SellerTradeParty"), party("BuyerTradeParty")
    own = {own_vat, own_siren} - {None}
    customer = seller if own and (buyer["vat"] in own or buyer["siren"] in own) else buyer
    rates = {}
    for tax in root.xpath(f"{settlement}/ram:ApplicableTradeTax", namespaces=CII_NS):
        rate, value = first("ram:RateApplicablePercent", tax), first("ram:CalculatedAmount", tax)
        if rate is not None and value is not None:
            rates[Decimal(rate).normalize()] = abs(Decimal(value))
    untaxed = amount(f"{summation}/ram:TaxBasisTotalAmount")
    total = amount(f"{summation}/ram:GrandTotalAmount")
    tax = amount(f"{summation}/ram:TaxTotalAmount")
    if tax is None and untaxed is not None and total is not None:
        tax = total - untaxed
    due = amount(f"{summation}/ram:DuePayableAmount")
    prepaid = amount(f"{summation}/ram:TotalPrepaidAmount")
    return {
        "type_code": first("//rsm:ExchangedDocument/ram:TypeCode"),
        "number": first("//rsm:ExchangedDocument/ram:ID"),
        "date": doc_date,
        "currency": first(f"{settlement}/ram:InvoiceCurrencyCode"),
        "amount_untaxed": untaxed,
        "amount_tax": tax,
        "amount_total": total,
        "rates": rates,
        "invoice_refs": [
            ref.strip()
            for ref in root.xpath(
                f"{settlement}/ram:InvoiceReferencedDocument/ram:IssuerAssignedID/text()",
                namespaces=CII_NS,
            )
        ],
        "customer": customer,
        "settled": due == 0 and prepaid is not None and prepaid == total and total,
    }
