"""`pcf verify LABEL --bundle FILE`: check a carbon label offline against a cached bundle.

Prints one line per check (✓ passed, ✗ failed, ? unknown or not checked) and the verdict.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

import click

from label_cert.verify import Outcome, Verdict, verify_offline

_MARKS = {Outcome.PASSED: "✓", Outcome.FAILED: "✗", Outcome.UNKNOWN: "?",
          Outcome.NOT_CHECKED: "?"}
_EXIT = {Verdict.VALID: 0, Verdict.REVOKED: 1, Verdict.SUSPENDED: 1, Verdict.EXPIRED: 1,
         Verdict.INVALID: 1, Verdict.UNKNOWN: 2}
_MAX_INPUT = 16 * 1024 * 1024


def _fail(message: str) -> NoReturn:
    click.echo(f"Error: {message}", err=True)
    sys.exit(2)


def _read(path: Path, what: str) -> str:
    try:
        with path.open("rb") as handle:
            raw = handle.read(_MAX_INPUT + 1)
    except OSError as exc:
        _fail(f"{path}: cannot read the {what}: {exc.strerror}")
    if len(raw) > _MAX_INPUT:
        _fail(f"{path}: the {what} is larger than {_MAX_INPUT} bytes")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        _fail(f"{path}: the {what} is not UTF-8 text")


def _json(path: Path, what: str) -> Any:
    """The JSON document in `path`; every way it can fail ends in `Error: ...` and exit 2."""
    text = _read(path, what)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        _fail(f"{path}: line {exc.lineno}, column {exc.colno}: {exc.msg}")
    except RecursionError:
        _fail(f"{path}: the {what} is nested too deeply (a {what} is a few levels deep)")
    except ValueError:  # Python reads integers of at most 4,300 digits
        _fail(f"{path}: the {what} holds a number of more than 4,300 digits")


def _printable(text: str) -> str:
    """`text` with control characters escaped: what a label or bundle says must not print
    lines of its own (a forged "Verdict: valid") or move the terminal's cursor."""
    return "".join(ch if ch.isprintable() else f"\\u{ord(ch):04x}" for ch in text)


@click.command()
@click.argument("label", metavar="LABEL_FILE_OR_TOKEN")
@click.option("--bundle", "bundle_path", required=True, type=click.Path(path_type=Path),
              help="Verification bundle (JSON; the portal serves one at "
                   "/01/GTIN/21/SERIAL/bundle.json): issuer JWKS, signed status lists, log "
                   "checkpoint, inclusion proof.")
@click.option("--at", "at", metavar="ISO", default=None,
              help="Verify as of this time (ISO 8601 with a timezone); default: now.")
def verify(label: str, bundle_path: Path, at: str | None) -> None:
    """Verify a carbon label offline: signature, status and log inclusion.

    LABEL_FILE_OR_TOKEN is a file holding the label token, or the token itself.

    \b
    Exit status: 0 valid; 1 revoked, suspended, expired or invalid;
    2 status unknown, or unreadable input.
    """
    path = Path(label)
    try:
        is_file = path.is_file()
    except OSError:  # a long token is not a valid file name
        is_file = False
    token = _read(path, "label").strip() if is_file else label.strip()
    bundle = _json(bundle_path, "bundle")
    if not isinstance(bundle, dict):
        _fail(f"{bundle_path}: the bundle must be a JSON object")
    now = datetime.now(UTC)
    if at is not None:
        try:
            now = datetime.fromisoformat(at)
        except ValueError:
            _fail(f"--at {at!r} is not an ISO 8601 time")
        if now.tzinfo is None:
            _fail(f"--at {at!r} has no timezone; add one, e.g. Z or +08:00")
    report = verify_offline(token, bundle, now)
    if report.label_id:
        click.echo(f"Label: {_printable(report.label_id)}")
    for check in report.checks:
        click.echo(f"{_MARKS[check.outcome]} {_printable(check.name)}: {_printable(check.reason)}")
    click.echo(f"Verdict: {report.verdict.value}")
    sys.exit(_EXIT[report.verdict])
