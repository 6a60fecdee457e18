"""Open a PDF safely and read it: checks, page count, embedded XML, text rows.

Pure Python (pypdf, pdfminer.six, factur-x; no Odoo). Every library failure
becomes a :class:`PdfError` with a stable code; nothing else escapes.
"""

import io
import logging
import re
import unicodedata
from dataclasses import dataclass

_logger = logging.getLogger(__name__)
# The libraries log warnings about the files they read (ignored permission
# flags, recovered xref tables): results and warnings are reported here.
for _name in ("pdfminer", "pypdf", "factur-x"):
    logging.getLogger(_name).setLevel(logging.ERROR)

# Stable error codes (the CLI prints them, the Odoo layer translates them).
EMPTY_FILE = "EMPTY_FILE"
NOT_A_PDF = "NOT_A_PDF"
CORRUPTED_PDF = "CORRUPTED_PDF"
PASSWORD_PROTECTED = "PASSWORD_PROTECTED"
FILE_TOO_LARGE = "FILE_TOO_LARGE"
TOO_MANY_PAGES = "TOO_MANY_PAGES"
NO_TEXT_LAYER = "NO_TEXT_LAYER"
NOT_A_CREDIT_NOTE = "NOT_A_CREDIT_NOTE"
TIMEOUT = "TIMEOUT"
ERROR_CODES = (
    EMPTY_FILE,
    NOT_A_PDF,
    CORRUPTED_PDF,
    PASSWORD_PROTECTED,
    FILE_TOO_LARGE,
    TOO_MANY_PAGES,
    NO_TEXT_LAYER,
    NOT_A_CREDIT_NOTE,
    TIMEOUT,
)

# Warnings (the document is read, something deserves a look).
TEXT_FALLBACK = "TEXT_FALLBACK"
EMBEDDED_XML_INVALID = "EMBEDDED_XML_INVALID"


class PdfError(Exception):
    def __init__(self, code, detail=""):
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 20 * 1024 * 1024
    max_pages: int = 20
    timeout: float = 20.0


@dataclass
class PdfContent:
    pages: int
    rows: list  # list of (page index, text of one visual row), top to bottom
    xml: bytes | None
    xml_valid: bool
    warnings: list


_DASHES = str.maketrans({"\u2212": "-", "\u2010": "-", "\u2011": "-", "\u2013": "-", "\u2012": "-"})


def normalize(text):
    """NFKC (every space variant becomes a space), dashes to '-', no lone accents."""
    text = unicodedata.normalize("NFKC", text).translate(_DASHES)
    text = re.sub(r"[\u00b4\u0060\u00a8](?=\s)", "", text)
    return re.sub(r"[ \t]+", " ", text).strip()


def check_bytes(content, limits):
    """The checks done before any parsing: size, emptiness, magic bytes."""
    if not content:
        raise PdfError(EMPTY_FILE)
    if len(content) > limits.max_bytes:
        raise PdfError(FILE_TOO_LARGE, f"{len(content)} bytes > {limits.max_bytes}")
    if b"%PDF-" not in content[:1024]:
        kind = (
            "an image"
            if content[:8].startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8"))
            else "not a PDF"
        )
        raise PdfError(NOT_A_PDF, kind)


def open_pdf(content, limits):
    """pypdf reader after the cheap checks; counts pages before reading any."""
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, PyPdfError

    check_bytes(content, limits)
    try:
        reader = PdfReader(io.BytesIO(content), strict=False)
        if reader.is_encrypted:
            try:
                if not reader.decrypt(""):
                    raise PdfError(PASSWORD_PROTECTED)
            except (FileNotDecryptedError, NotImplementedError) as error:
                raise PdfError(PASSWORD_PROTECTED, str(error)) from error
        pages = len(reader.pages)
    except PdfError:
        raise
    except FileNotDecryptedError as error:
        raise PdfError(PASSWORD_PROTECTED, str(error)) from error
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, OSError) as error:
        raise PdfError(CORRUPTED_PDF, str(error)) from error
    except Exception as error:  # a library bug is still a broken file to the user
        raise PdfError(CORRUPTED_PDF, repr(error)) from error
    if pages == 0:
        raise PdfError(CORRUPTED_PDF, "no page")
    if pages > limits.max_pages:
        raise PdfError(TOO_MANY_PAGES, f"{pages} pages > {limits.max_pages}")
    return reader, pages


def embedded_xml(content):
    """(xml bytes, valid) of a Factur-X / ZUGFeRD / CII attachment, or (None, False).

    Extracted without the XSD check, then validated: an invalid XML is
    reported instead of being skipped silently by the library.
    """
    try:
        from facturx import get_xml_from_pdf, xml_check_xsd
    except ImportError:  # pragma: no cover - declared dependency
        return None, False
    try:
        _name, xml = get_xml_from_pdf(content, check_xsd=False)
    except Exception as error:  # noqa: BLE001 - any library failure is a result, not a crash
        _logger.debug("no embedded XML: %s", error)
        return None, False
    if not xml:
        return None, False
    try:
        valid = bool(xml_check_xsd(xml, flavor="autodetect"))
    except Exception:  # noqa: BLE001 - any library failure is a result, not a crash
        valid = False
    return xml, valid


def text_rows(content, reader, limits):
    """Visual rows of text, rebuilt from coordinates so that a label and its
    right-aligned amount end up on one row. pdfminer first; pypdf when
    pdfminer chokes (it raises bare struct.error on some files)."""
    warnings = []
    try:
        rows = _pdfminer_rows(content, limits)
    except Exception as error:  # noqa: BLE001 - any library failure is a result, not a crash
        _logger.debug("pdfminer failed, pypdf fallback: %r", error)
        warnings.append(TEXT_FALLBACK)
        try:
            rows = _pypdf_rows(reader)
        except Exception as error2:
            raise PdfError(CORRUPTED_PDF, repr(error2)) from error2
    return rows, warnings


def _pdfminer_rows(content, limits):
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LAParams, LTTextContainer, LTTextLine

    rows = []
    for page_index, page in enumerate(
        extract_pages(io.BytesIO(content), maxpages=limits.max_pages, laparams=LAParams())
    ):
        lines = []
        for element in page:
            if not isinstance(element, LTTextContainer):
                continue
            for line in element:
                if isinstance(line, LTTextLine) and line.get_text().strip():
                    lines.append((line.y0, line.x0, line.get_text()))
        rows += [(page_index, text) for text in _group_rows(lines)]
    return rows


def _group_rows(lines, tolerance=3.0):
    """Group (y, x, text) by baseline, top to bottom, left to right."""
    rows = []
    for y, x, text in sorted(lines, key=lambda item: (-item[0], item[1])):
        if rows and abs(rows[-1][0] - y) <= tolerance:
            rows[-1][1].append((x, text))
        else:
            rows.append([y, [(x, text)]])
    return ["   ".join(normalize(t) for _x, t in sorted(parts)) for _y, parts in rows]


def _pypdf_rows(reader):
    rows = []
    for page_index, page in enumerate(reader.pages):
        text = page.extract_text(extraction_mode="layout") or ""
        rows += [(page_index, normalize(line)) for line in text.splitlines() if line.strip()]
    return rows


def read_pdf(content, limits=None):
    """Everything the field extraction needs, or a PdfError."""
    limits = limits or Limits()
    reader, pages = open_pdf(content, limits)
    xml, xml_valid = embedded_xml(content)
    rows, warnings = text_rows(content, reader, limits)
    if xml and not xml_valid:
        warnings.append(EMBEDDED_XML_INVALID)
    visible = sum(len(re.sub(r"\s", "", text)) for _page, text in rows)
    if visible < 20 and not xml:
        raise PdfError(NO_TEXT_LAYER, "scanned document: no text to read")
    return PdfContent(pages=pages, rows=rows, xml=xml, xml_valid=xml_valid, warnings=warnings)
