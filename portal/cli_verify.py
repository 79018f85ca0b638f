"""`pcf verify LABEL --bundle FILE`: check a carbon label offline against a cached bundle and
the pinned trust list; `pcf verify --update-trust URL_OR_FILE`: pin a new trust list.

Prints the trust list used, one line per check (✓ passed, ✗ failed, ? unknown or not
checked) and the verdict. Where the trust list comes from: portal/trust_sources.py.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

import click

from label_cert import errors as err
from label_cert.trust import SignedTrustList, check_update, verify_trust_list
from label_cert.verify import Outcome, Verdict, verify_offline
from portal import trust_sources
from portal.trust_sources import TrustSource, TrustSourceError

_MARKS = {Outcome.PASSED: "✓", Outcome.FAILED: "✗", Outcome.UNKNOWN: "?",
          Outcome.NOT_CHECKED: "?"}
_EXIT = {Verdict.VALID: 0, Verdict.REVOKED: 1, Verdict.SUSPENDED: 1, Verdict.EXPIRED: 1,
         Verdict.INVALID: 1, Verdict.UNTRUSTED: 1, Verdict.UNKNOWN: 2}
_HOW_TO_PIN = (
    "pin the operator's list with `pcf verify --update-trust https://HOST/trust-list.jwt "
    "--trust-anchor THUMBPRINT` (the operator publishes its key's thumbprint out of band), "
    "or pass --trust-list FILE"
)
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


def _pinned(source: TrustSource | None, anchor: str | None) -> SignedTrustList | None:
    if source is None:
        return None
    try:
        return trust_sources.load(source, anchor)
    except TrustSourceError as exc:
        _fail(_printable(str(exc)))


def _update(location: str, source: TrustSource | None, anchor: str | None) -> None:
    """Fetch the list at `location`, accept it only as an update of the pinned list (or, with
    nothing pinned, as signed by the anchor key) and store it in the trust store."""
    current = _pinned(source, None)
    if current is None and anchor is None:
        _fail(f"no trust list is pinned yet, so nothing vouches for {location}: pass "
              "--trust-anchor THUMBPRINT, the operator key's thumbprint as the operator "
              "publishes it out of band (not from the server the list comes from)")
    try:
        token = trust_sources.fetch(location)
        if current is None:
            assert anchor is not None
            new = verify_trust_list(token, {anchor})
        else:
            new = check_update(current, token)
            if anchor is not None and new.signed_by != anchor:
                raise err.UntrustedTrustListSignerError(
                    f"the new list is signed by {new.signed_by}, not by the anchor {anchor}")
    except (TrustSourceError, err.LabelError) as exc:
        _fail(_printable(f"{location}: trust list refused: {exc}"))
    stored = trust_sources.store_path(os.environ)
    try:
        trust_sources.store(new, stored)
    except TrustSourceError as exc:
        _fail(str(exc))
    was = f"replacing #{current.trust_list.sequence}" if current else "first pin"
    click.echo(_printable(f"Trust: pinned {new.describe()} ({was}); stored in {stored}"))
    if source is not None and source.kind in ("--trust-list", trust_sources.ENVIRONMENT_VARIABLE):
        click.echo(f"Note: {source.describe()} still comes before the trust store", err=True)


def _bundle_note(trust: SignedTrustList | None, bundle: dict[str, Any]) -> str | None:
    """A newer list of the pinned operator in the bundle is named, never used."""
    copy = bundle.get("trust_list")
    if trust is None or not isinstance(copy, str):
        return None
    try:
        newer = check_update(trust, copy)
    except err.LabelError:
        return None  # not the pinned operator's, or older: nothing to act on
    if newer.trust_list.sequence == trust.trust_list.sequence:
        return None
    return (f"the bundle carries {newer.describe()}, newer than the pinned list; not used: "
            "pin it with `pcf verify --update-trust URL_OR_FILE`")


def _label_token(label: str) -> str:
    path = Path(label)
    try:
        is_file = path.is_file()
    except OSError:  # a long token is not a valid file name
        is_file = False
    return _read(path, "label").strip() if is_file else label.strip()


def _moment(at: str | None) -> datetime:
    if at is None:
        return datetime.now(UTC)
    try:
        now = datetime.fromisoformat(at)
    except ValueError:
        _fail(f"--at {at!r} is not an ISO 8601 time")
    if now.tzinfo is None:
        _fail(f"--at {at!r} has no timezone; add one, e.g. Z or +08:00")
    return now


@click.command()
@click.argument("label", metavar="[LABEL_FILE_OR_TOKEN]", required=False)
@click.option("--bundle", "bundle_path", type=click.Path(path_type=Path),
              help="Verification bundle (JSON; the portal serves one at "
                   "/01/GTIN/21/SERIAL/bundle.json): issuer JWKS, signed status lists, log "
                   "checkpoint, inclusion proof.")
@click.option("--at", "at", metavar="ISO", default=None,
              help="Verify as of this time (ISO 8601 with a timezone); default: now.")
@click.option("--trust-list", "trust_list", type=click.Path(path_type=Path),
              help="Trust list to verify against (a trust-list+jwt file), instead of "
                   "$PCF_TRUST_LIST, the trust store or the list shipped with pcf.")
@click.option("--update-trust", "update_from", metavar="URL_OR_FILE",
              help="Fetch the operator's trust list (https://HOST/trust-list.jwt, or a file) "
                   "and pin it in the trust store if it is signed by an operator key of the "
                   "pinned list and not older.")
@click.option("--trust-anchor", "anchor", metavar="THUMBPRINT",
              help="The operator key that must have signed the list (its JWK thumbprint, "
                   "published out of band); needed to pin a first list.")
def verify(label: str | None, bundle_path: Path | None, at: str | None,
           trust_list: Path | None, update_from: str | None, anchor: str | None) -> None:
    """Verify a carbon label offline: signature, status, log inclusion, and that its keys
    are the ones the operator's trust list names.

    LABEL_FILE_OR_TOKEN is a file holding the label token, or the token itself.
    To pin or update the trust list:
    pcf verify --update-trust URL_OR_FILE [--trust-anchor THUMBPRINT].

    \b
    The trust list comes from, in order: --trust-list FILE; $PCF_TRUST_LIST;
    the trust store $XDG_DATA_HOME/pcf/trust-list.jwt (~/.local/share/pcf/...),
    written by --update-trust; the list shipped with pcf. With none, every
    issuer is untrusted. A list in the bundle is never used instead.

    \b
    Exit status: 0 valid; 1 revoked, suspended, expired, invalid, or untrusted
    (issuer or keys not in the trust list); 2 status unknown, or unreadable input,
    or a trust list refused.
    """
    if update_from is None and (label is None or bundle_path is None):
        _fail("give LABEL_FILE_OR_TOKEN and --bundle FILE, or --update-trust URL_OR_FILE")
    if update_from is not None:
        _update(update_from, trust_sources.resolve(trust_list, os.environ), anchor)
    if label is None or bundle_path is None:
        sys.exit(0)  # only an update was asked for
    token = _label_token(label)
    bundle = _json(bundle_path, "bundle")
    if not isinstance(bundle, dict):
        _fail(f"{bundle_path}: the bundle must be a JSON object")
    now = _moment(at)
    source = trust_sources.resolve(trust_list, os.environ)
    trust = _pinned(source, anchor)
    report = verify_offline(token, bundle, now, trust,
                            trust_source=source.describe() if source else "")
    if trust is None:
        click.echo(f"Trust: none: no trust list is pinned, so no issuer is trusted; "
                   f"{_HOW_TO_PIN}")
    else:
        click.echo(f"Trust: {_printable(report.trust)}")
    note = _bundle_note(trust, bundle)
    if note is not None:
        click.echo(f"Note: {_printable(note)}")
    if report.label_id:
        click.echo(f"Label: {_printable(report.label_id)}")
    for check in report.checks:
        click.echo(f"{_MARKS[check.outcome]} {_printable(check.name)}: {_printable(check.reason)}")
    click.echo(f"Verdict: {report.verdict.value}")
    sys.exit(_EXIT[report.verdict])
