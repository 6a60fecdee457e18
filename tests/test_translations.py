"""French users first: every user-facing string of the addon is in the .pot
and translated in fr.po. Runs without Odoo (reads the files)."""

import ast
from pathlib import Path

ADDON = Path(__file__).resolve().parent.parent / "billabex_credits"


def read_po(path):
    """{msgid: msgstr} of a .po/.pot file (the subset of the format Odoo writes)."""
    entries, current, key = {}, {}, None
    for raw in path.read_text(encoding="utf-8").splitlines() + [""]:
        line = raw.strip()
        if not line:
            if current.get("msgid"):
                entries[current["msgid"]] = current.get("msgstr", "")
            current, key = {}, None
        elif line.startswith("#"):
            continue
        elif line.startswith(("msgid ", "msgstr ")):
            key, _sep, value = line.partition(" ")
            current[key] = ast.literal_eval(value)
        elif line.startswith('"') and key:
            current[key] += ast.literal_eval(line)
    return entries


def python_strings():
    """Literal strings passed to _() / env._() and field string/help/selection labels."""
    found = set()
    for path in ADDON.rglob("*.py"):
        # Pure services hold no user-facing string: the Odoo layer does.
        if "tests" in path.parts or "services" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if name == "_" and node.args and isinstance(node.args[0], ast.Constant):
                found.add(node.args[0].value)
            if (
                isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Name)
                and func.value.id == "fields"
            ):
                for keyword in node.keywords:
                    if keyword.arg in ("string", "help") and isinstance(
                        keyword.value, ast.Constant
                    ):
                        found.add(keyword.value.value)
        for node in ast.walk(tree):
            # Selection lists declared as module constants: [("key", "Label"), ...]
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.List):
                for item in node.value.elts:
                    if (
                        isinstance(item, ast.Tuple)
                        and len(item.elts) == 2
                        and all(
                            isinstance(e, ast.Constant) and isinstance(e.value, str)
                            for e in item.elts
                        )
                    ):
                        found.add(item.elts[1].value)
    return found


def test_every_msgid_is_translated_in_french():
    template = read_po(ADDON / "i18n" / "billabex_credits.pot")
    french = read_po(ADDON / "i18n" / "fr.po")
    assert template, "empty .pot"
    missing = [msgid for msgid in template if not french.get(msgid)]
    assert not missing, f"untranslated in fr.po: {missing}"
    stale = [msgid for msgid in french if msgid not in template]
    assert not stale, f"in fr.po but no longer in the .pot: {stale}"


def test_python_strings_are_exported():
    template = read_po(ADDON / "i18n" / "billabex_credits.pot")
    missing = sorted(s for s in python_strings() if s not in template)
    assert not missing, f"re-export the .pot, these strings are missing: {missing}"


def test_menu_reads_avoirs_in_french():
    french = read_po(ADDON / "i18n" / "fr.po")
    assert french["Credit Notes"] == "Avoirs"
    assert french["Real Outstanding"] == "Encours réel"
