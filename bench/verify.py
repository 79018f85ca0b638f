"""Verification benchmark: the public label page under gunicorn, and offline verification.

Measured: (a) GET /01/<gtin>/21/<serial> (the page behind the QR code: label signature against
the body's key ring, both status bits, the log's signed checkpoint and the label's inclusion
proof, rendered as HTML) from several client threads against gunicorn with 2 sync workers on
127.0.0.1, rate limiting switched off (PCF_RATELIMIT_ENABLED=false); each request end to end
as the client sees it; then GET .../bundle.json (both status lists signed per request) the
same way for a shorter time. (b) `verify_offline` calls per second in this process on the
downloaded label and bundle, and the wall time of one `pcf verify` process on them (Python
start-up and imports included). Not measured: setup (a fresh instance folder with SQLite,
migrations, the seed release compiled, the demo organisations and product, one computed
footprint submitted, reproduced, verified and labelled through the services) and warm-up.
Run: `python -m bench verify`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from background_db.store import BackgroundStore
from bench.portal_load import (
    LOOPBACK,
    drive,
    free_port,
    report,
    start_server,
    stop_server,
)
from label_cert import transparency
from label_cert.trust import SignedTrustList, verify_trust_list
from label_cert.verify import Verdict, verify_offline
from label_cert.workflow import Action
from portal import create_app
from portal.db.models import (
    FootprintRecord,
    Organisation,
    OrganisationKind,
    ReleaseRecord,
    Role,
    TransparencyLeaf,
    User,
)
from portal.migrate import upgrade
from portal.services import accounts, certification, footprints, labels
from portal.services.demo import DEMO, SEED_RELEASE, ensure_demo
from portal.services.demo_product import DEMO_EMAIL, ensure_demo_product
from portal.services.trust_list import operator_signer

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def prefill_log(session: Any, leaves: int) -> None:
    """*leaves* synthetic events in the transparency log, as years of other labels' issues
    and status changes would leave there (the label measured is appended after them)."""
    rows = []
    now = datetime.now(UTC)
    for n in range(leaves):
        event = transparency.canonical_event({"type": "issue", "label": f"urn:bench:{n}"})
        rows.append({"index": n, "event": event.decode(), "created_at": now,
                     "leaf_hash": transparency.leaf_hash(event).hex()})
    if rows:
        session.execute(insert(TransparencyLeaf), rows)


def prepare(instance: Path, database_url: str, say: Any, log_leaves: int = 0) -> str:
    """A migrated instance with one issued label, after *log_leaves* other leaves in the
    transparency log; returns the label's path."""
    upgrade(database_url)
    app = create_app(
        {
            "instance_path": instance,
            "database_url": database_url,
            "background_store": instance / "background",
            "jobs_inline": True,
        }
    )
    db = app.extensions["pcf_db"]
    with app.app_context(), db.unit_of_work() as session:
        ensure_demo(session, store=BackgroundStore(instance / "background"))
        product = ensure_demo_product(session)
        assert product is not None
        product_id = product.id
        body_name = next(
            name
            for name, kind, _email, _role in DEMO
            if kind is OrganisationKind.CERTIFICATION_BODY
        )
        body = session.scalar(select(Organisation).where(Organisation.name == body_name))
        assert body is not None
        body_id = body.id
        staff = {}
        for role in (Role.CERTIFIER, Role.SIGNER):
            staff[role] = accounts.create_user(
                session,
                organisation=body,
                email=f"{role.value}@bench.invalid",
                name=role.value,
                password=os.urandom(16).hex(),
                role=role,
                actor=None,
            ).id
        release = session.scalar(
            select(ReleaseRecord).where(
                ReleaseRecord.name == SEED_RELEASE[0], ReleaseRecord.version == SEED_RELEASE[1]
            )
        )
        assert release is not None
        release_id = release.id
    say("seed release compiled, demo organisations and product created")
    with app.app_context(), db.unit_of_work() as session:
        member = session.scalar(select(User).where(User.email == DEMO_EMAIL))
        assert member is not None
        footprints.start_compute(
            app, session, actor=member, product_id=product_id, release_id=release_id
        )
    with app.app_context(), db.unit_of_work() as session:
        member = session.scalar(select(User).where(User.email == DEMO_EMAIL))
        certifier = session.get(User, staff[Role.CERTIFIER])
        signer = session.get(User, staff[Role.SIGNER])
        assert member is not None
        assert certifier is not None
        assert signer is not None
        footprint = session.scalars(select(FootprintRecord)).one()
        row = certification.submit(
            session, actor=member, footprint_id=footprint.id, body_id=body_id
        )
        certification.act(
            session, actor=certifier, submission_id=row.id, action=Action.START_REVIEW
        )
        certification.reproduce(session, actor=certifier, submission_id=row.id)
        certification.act(session, actor=certifier, submission_id=row.id, action=Action.VERIFY)
        prefill_log(session, log_leaves)
        label = labels.issue(session, signer=signer, approver=certifier, submission_id=row.id)
        path = f"/01/{label.gtin}/21/{label.serial}"
    db.engine.dispose()
    say(f"footprint computed, submitted, reproduced, verified; label issued at {path} as leaf "
        f"{log_leaves} of the transparency log")
    return path


def get(url: str, timeout: float = 30.0) -> tuple[int, bytes]:
    """One GET on the loopback address: (status, body)."""
    try:
        with _OPENER.open(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def hammer(url: str, *, clients: int, seconds: float) -> tuple[list[float], int, float]:
    """GET *url* from *clients* threads for *seconds*: latencies of 200s, failures, wall."""

    def once() -> tuple[float, bool]:
        started = time.perf_counter()
        try:
            ok = get(url)[0] == 200
        except OSError:
            ok = False
        return time.perf_counter() - started, ok

    return drive(once, clients=clients, seconds=seconds)


def summary(prefix: str, run: tuple[list[float], int, float]) -> dict[str, Any]:
    latencies, failures, wall = run
    if not latencies:
        raise SystemExit(f"{prefix}: no request succeeded ({failures} failed)")
    ms = sorted(1000 * x for x in latencies)
    return {
        f"{prefix}_ok": len(ms),
        f"{prefix}_failed": failures,
        f"{prefix}_per_s": len(ms) / wall,
        f"{prefix}_p50_ms": statistics.median(ms),
        f"{prefix}_p95_ms": statistics.quantiles(ms, n=20, method="inclusive")[18],
        f"{prefix}_max_ms": ms[-1],
    }


def offline(
    token: str, bundle: dict[str, Any], trust: SignedTrustList, seconds: float
) -> dict[str, Any]:
    """verify_offline calls per second in this process (every call must say valid)."""
    calls = 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        report = verify_offline(token, bundle, datetime.now(UTC), trust)
        if report.verdict is not Verdict.VALID:
            raise SystemExit("verify_offline did not find the benchmark's label valid")
        calls += 1
    wall = time.perf_counter() - started
    return {"verify_offline_per_s": calls / wall, "verify_offline_ms": 1000 * wall / calls}


def cli_runs(
    folder: Path, token: str, bundle: dict[str, Any], trust: SignedTrustList, runs: int
) -> dict[str, Any]:
    """Wall time of whole `pcf verify` processes on the downloaded files."""
    label_file, bundle_file = folder / "label.jwt", folder / "bundle.json"
    trust_file = folder / "trust-list.jwt"
    label_file.write_text(token, encoding="utf-8")
    bundle_file.write_text(json.dumps(bundle), encoding="utf-8")
    trust_file.write_text(trust.token, encoding="ascii")
    pcf = Path(sys.executable).with_name("pcf")
    command = [str(pcf)] if pcf.exists() else [sys.executable, "-m", "portal.cli"]
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run(
            [*command, "verify", str(label_file), "--bundle", str(bundle_file),
             "--trust-list", str(trust_file)],
            capture_output=True,
            text=True,
            check=False,
        )
        times.append(time.perf_counter() - started)
        if done.returncode != 0 or "Verdict: valid" not in done.stdout:
            raise SystemExit(f"pcf verify failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return {"pcf_verify_first_s": times[0], "pcf_verify_median_s": statistics.median(times)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench verify",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="timed page requests")
    parser.add_argument(
        "--bundle-seconds", type=float, default=5.0, help="timed bundle.json requests"
    )
    parser.add_argument("--clients", type=int, default=4, help="client threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--offline-seconds", type=float, default=3.0)
    parser.add_argument("--cli-runs", type=int, default=3, help="`pcf verify` processes")
    parser.add_argument("--log-leaves", type=int, default=100_000,
                        help="other leaves in the transparency log before the label's")
    args = parser.parse_args(argv)

    def say(message: str) -> None:
        print(f"[{time.perf_counter() - began:6.1f} s] {message}", file=sys.stderr)

    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="pcf-verify-") as folder:
        instance = Path(folder) / "instance"
        instance.mkdir()
        database_url = f"sqlite:///{instance / 'portal.sqlite3'}"
        path = prepare(instance, database_url, say, args.log_leaves)
        port = free_port()
        base = f"http://{LOOPBACK}:{port}"
        server = start_server(
            instance,
            database_url,
            port,
            args.workers,
            inline=True,
            extra_env={"PCF_RATELIMIT_ENABLED": "false"},
        )
        try:
            while True:
                try:
                    if get(base + path, timeout=5)[0] == 200:
                        break
                except OSError:
                    pass
                if server.poll() is not None or time.perf_counter() - began > 600:
                    raise SystemExit(
                        "gunicorn did not start:\n"
                        + (instance / "gunicorn.log").read_text(errors="replace")[-4000:]
                    )
                time.sleep(0.3)
            hammer(base + path, clients=max(args.clients, args.workers), seconds=2.0)
            say("gunicorn answers and is warm; measuring the verification page")
            page = summary("page", hammer(base + path, clients=args.clients, seconds=args.seconds))
            say("measuring bundle.json")
            bundled = summary(
                "bundle",
                hammer(
                    base + path + "/bundle.json", clients=args.clients, seconds=args.bundle_seconds
                ),
            )
            token = get(base + path + "/label.jwt")[1].decode().strip()
            bundle = json.loads(get(base + path + "/bundle.json")[1])
            # pinned as a verifier would: anchored by the operator key's thumbprint
            trust = verify_trust_list(get(base + "/trust-list.jwt")[1].decode(),
                                      {operator_signer(instance).kid})
        finally:
            stop_server(server)
        say("measuring verify_offline and pcf verify")
        figures: dict[str, Any] = {
            "gunicorn_workers": args.workers,
            "client_threads": args.clients,
            "log_leaves": args.log_leaves + 1,
            **page,
            **bundled,
            **offline(token, bundle, trust, args.offline_seconds),
            **cli_runs(Path(folder), token, bundle, trust, args.cli_runs),
            "cpu_count": os.cpu_count(),
        }
    report(figures)
