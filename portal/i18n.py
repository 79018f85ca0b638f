"""Translation catalogues: compile the .po files to .mo (`pcf i18n compile`) and list the
messages the code and templates use, so a test can insist that every one is translated."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

PACKAGE = Path(__file__).resolve().parent
TRANSLATIONS = PACKAGE / "translations"
METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
# Enum values shown through _() in templates.
DYNAMIC = ("enterprise", "association", "certification_body", "operator", "member", "admin",
           "certifier", "signer",
           *(f"verdict_{v}" for v in ("valid", "suspended", "revoked", "expired", "invalid",
                                      "unknown")),
           *(f"check_{c}" for c in ("signature", "key", "status", "log", "label")),
           # the error pages of portal/__init__.py
           "The database is unavailable for a moment; try again shortly.",
           "A number in the request is too large.")


def compile_catalogues() -> list[Path]:
    """Write messages.mo beside every messages.po; returns the files written."""
    written = []
    for po_path in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        with po_path.open("rb") as stream:
            catalog = read_po(stream)
        mo_path = po_path.with_suffix(".mo")
        with mo_path.open("wb") as stream:
            write_mo(stream, catalog)
        written.append(mo_path)
    return written


def used_messages() -> set[str]:
    """Every message id passed to _() / gettext in the portal's code and templates."""
    found = set(DYNAMIC)
    for _filename, _line, message, _comments, _context in extract_from_dir(
            str(PACKAGE), METHODS, options_map={"**/templates/**.html": {
                "extensions": "jinja2.ext.i18n"}}):
        if isinstance(message, tuple):
            found.update(m for m in message if m)
        elif message:
            found.add(message)
    return found


def translated(locale: str) -> dict[str, str]:
    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").open("rb") as stream:
        catalog = read_po(stream)
    return {str(m.id): str(m.string) for m in catalog if m.id and m.string}
