"""Portal load benchmark: POST /api/v1/products/<id>/compute against gunicorn, end to end.

Measured: the latency of each compute request as a client sees it (HTTP request to the
response; with `--no-inline`, until polling shows the job finished) and the throughput of
several client threads, for a 200-process product on a 25,000-activity release, gunicorn with
2 sync workers on 127.0.0.1, jobs run inside the request (PCF_JOBS_INLINE=true). Each compute
loads and opens the sealed model, prices it with the cached intensity table, stores the
result document and audits it. Not measured: setup (synthetic release, import, compile,
database, users and product are made through services first), and warm-up requests, which
load the release and its table into each worker. Run: `python -m bench portal`.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from background_db.compile import compile_release
from background_db.importers.template import import_template
from background_db.release import compose
from background_db.store import BackgroundStore
from bench.background import write_template
from bench.synthetic import SyntheticSpec, synthetic_background, synthetic_product
from lca_engine.model import LinkKind, ProductModel
from portal import create_app
from portal.db.models import OrganisationKind, ReleaseRecord, ReleaseStatus, Role
from portal.migrate import upgrade
from portal.services import accounts, api_tokens, product_models, products
from portal.services.audit import verify_chain
from portal.services.model_document import replace_document

LOOPBACK = "127.0.0.1"
# Only loopback, and never through a proxy from the environment.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def spec_for(activities: int) -> SyntheticSpec:
    factor = activities / 25_000
    return SyntheticSpec(activities=activities, technosphere_nnz=int(330_000 * factor),
                         biosphere_nnz=int(400_000 * factor),
                         flows=max(20, int(2_000 * min(factor, 1.0))),
                         hubs=max(10, int(300 * min(factor, 1.0))))


def product_document(model: ProductModel, release: str) -> dict[str, Any]:
    """The engine's ProductModel as a portal model document (flows by the template's ids)."""
    processes = []
    for p in model.processes:
        inputs = [{"name": x.name, "amount": x.amount, "unit": x.unit,
                   "data_type": x.data_type.value,
                   "from": {"background" if x.link.kind is LinkKind.BACKGROUND else "process":
                            x.link.target}} for x in p.inputs]
        emissions = [{"flow": f"synthetic flow {e.flow.removeprefix('flow-')}|air",
                      "amount": e.amount, "unit": e.unit} for e in p.emissions]
        processes.append({"id": p.id, "name": p.name, "products": [
            {"id": o.id, "name": o.name, "amount": o.amount, "unit": o.unit}
            for o in p.products], "inputs": inputs, "emissions": emissions})
    return {"release": release, "product": {"reference_process": model.reference_process},
            "processes": processes}


@dataclass(frozen=True)
class Prepared:
    token: str
    product_id: int
    release_id: int


def prepare(instance: Path, database_url: str, activities: int, processes: int,
            say: Any) -> Prepared:
    """Release, database, enterprise, token, READY release record and modelled product."""
    spec = spec_for(activities)
    template = instance / "synthetic.csv"
    write_template(template, spec)
    say(f"template written ({template.stat().st_size / 1e6:.0f} MB)")
    release = compose("synthetic", "1.0.0", import_template(
        template, name="synthetic", version="1.0.0"))
    template.unlink()
    store = BackgroundStore(instance / "background")
    store.put_release(release)
    compile_release(release, store=store)  # the intensity table becomes a stored artifact
    say(f"release {release.label} composed, compiled and stored")
    document = product_document(synthetic_product(synthetic_background(spec), processes),
                                release.label)
    upgrade(database_url)
    app = create_app({"instance_path": instance, "database_url": database_url,
                      "background_store": instance / "background", "jobs_inline": True})
    stamp = f"{time.time_ns():x}"  # a shared DATABASE_URL may hold earlier runs
    with app.app_context(), app.extensions["pcf_db"].unit_of_work() as session:
        organisation = accounts.create_organisation(
            session, name=f"Load benchmark {stamp}", kind=OrganisationKind.ENTERPRISE,
            actor=None)
        user = accounts.create_user(session, organisation=organisation,
                                    email=f"load-{stamp}@bench.invalid", name="load",
                                    password=os.urandom(16).hex(), role=Role.ADMIN,
                                    actor=None)
        token = api_tokens.create_token(session, user=user, name="load benchmark")
        record = ReleaseRecord(name=release.name, version=release.version,
                               content_hash=release.content_hash, base=release.label,
                               extensions="[]", status=ReleaseStatus.READY,
                               published_at=datetime.now(UTC))
        session.add(record)
        product = products.create_product(session, actor=user, fields=products.ProductFields(
            name="benchmark product", declared_unit="kilogram", internal_id=f"bench-{stamp}"))
        product_models.edit_model(session, actor=user, product_id=product.id, base_version=0,
                                  edit=replace_document(document))
        prepared = Prepared(token, product.id, record.id)
    app.extensions["pcf_db"].engine.dispose()
    say(f"database ready: product {prepared.product_id}, release {prepared.release_id}")
    return prepared


def call(base: str, token: str, method: str, path: str, body: dict[str, Any] | None = None,
         timeout: float = 300.0) -> tuple[int, Any]:
    """One JSON request to the server on the loopback address: (status, parsed body)."""
    request = urllib.request.Request(
        base + path, method=method, data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            status, text = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read()
    try:
        return status, json.loads(text or b"null")
    except ValueError:  # an HTML error page
        return status, None


def compute_once(base: str, prepared: Prepared) -> tuple[float, bool]:
    """Seconds from the compute request until its job is done; and whether it succeeded."""
    started = time.perf_counter()
    try:
        status, body = call(base, prepared.token, "POST",
                            f"/api/v1/products/{prepared.product_id}/compute",
                            {"release_id": prepared.release_id, "gwp_set": "AR6"})
        while status in (200, 202):  # one look when jobs run inline, else polling
            status, job = call(base, prepared.token, "GET", f"/api/v1/jobs/{body['job_id']}")
            if status == 200 and job["status"] in ("done", "failed"):
                return time.perf_counter() - started, job["status"] == "done"
            time.sleep(0.05)
    except OSError:  # refused, reset or timed out
        pass
    return time.perf_counter() - started, False


def start_server(instance: Path, database_url: str, port: int, workers: int,
                 inline: bool, extra_env: dict[str, str] | None = None
                 ) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PCF_INSTANCE_PATH": str(instance), "DATABASE_URL": database_url,
           "PCF_JOBS_INLINE": "true" if inline else "false", **(extra_env or {})}
    env.pop("CELERY_BROKER_URL", None)  # the in-process job runner, not a broker
    log = (instance / "gunicorn.log").open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "portal.wsgi:app", "--bind", f"{LOOPBACK}:{port}",
         "--workers", str(workers), "--timeout", "600", "--graceful-timeout", "10"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
        cwd=Path(__file__).resolve().parents[1])


def stop_server(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def call_ok(base: str, prepared: Prepared) -> bool:
    try:
        return call(base, prepared.token, "GET", "/api/v1/me", timeout=5)[0] == 200
    except OSError:
        return False


def audit_chain_intact(instance: Path, database_url: str) -> bool:
    """Whether the hash-chained audit log still verifies after the concurrent writes."""
    app = create_app({"instance_path": instance, "database_url": database_url})
    with app.extensions["pcf_db"].unit_of_work() as session:
        broken = verify_chain(session)
    app.extensions["pcf_db"].engine.dispose()
    return broken is None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        port: int = probe.getsockname()[1]
        return port


def drive(once: Callable[[], tuple[float, bool]], *, clients: int, seconds: float,
          requests: int | None = None) -> tuple[list[float], int, float]:
    """Call *once* (a request returning its latency and success) from *clients* threads until
    *seconds* pass or *requests* are issued: latencies of successes, failures, wall time."""
    latencies: list[float] = []
    failures = 0
    issued = 0
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client() -> None:
        nonlocal issued, failures
        while True:
            with lock:
                if ((requests is not None and issued >= requests)
                        or time.perf_counter() >= deadline):
                    return
                issued += 1
            latency, ok = once()
            with lock:
                if ok:
                    latencies.append(latency)
                else:
                    failures += 1

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        for future in [pool.submit(client) for _ in range(clients)]:
            future.result()
    return latencies, failures, time.perf_counter() - started


def measure(base: str, prepared: Prepared, *, requests: int, clients: int,
            seconds: float) -> tuple[list[float], int, float]:
    """Latencies of successful computes, the number of failures, and the wall time."""
    return drive(lambda: compute_once(base, prepared), clients=clients, seconds=seconds,
                 requests=requests)


def report(figures: dict[str, Any]) -> None:
    print(f"\n{'figure':<28} {'value':>12}")
    print(f"{'-' * 28} {'-' * 12}")
    for name, value in figures.items():
        print(f"{name:<28} {f'{value:.4g}' if isinstance(value, float) else value!s:>12}")
    print()
    for name, value in figures.items():
        print(f"{name}: {value:.6g}" if isinstance(value, float) else f"{name}: {value}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench portal", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--activities", type=int, default=25_000)
    parser.add_argument("--processes", type=int, default=200, help="own processes")
    parser.add_argument("--requests", type=int, default=200, help="timed compute requests")
    parser.add_argument("--seconds", type=float, default=120.0, help="at most this long")
    parser.add_argument("--clients", type=int, default=4, help="client threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--no-inline", dest="inline", action="store_false",
                        help="run jobs on the workers' job thread and poll for them")
    args = parser.parse_args(argv)

    def say(message: str) -> None:
        print(f"[{time.perf_counter() - began:6.1f} s] {message}", file=sys.stderr)

    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="pcf-load-") as folder:
        instance = Path(folder) / "instance"
        instance.mkdir()
        database_url = os.environ.get("DATABASE_URL") or (
            f"sqlite:///{instance / 'portal.sqlite3'}")
        prepared = prepare(instance, database_url, args.activities, args.processes, say)
        port = free_port()
        base = f"http://{LOOPBACK}:{port}"
        server = start_server(instance, database_url, port, args.workers, args.inline)
        try:
            while call_ok(base, prepared) is False:
                if server.poll() is not None or time.perf_counter() - began > 1800:
                    raise SystemExit("gunicorn did not start:\n" + (
                        instance / "gunicorn.log").read_text(errors="replace")[-4000:])
                time.sleep(0.5)
            say("gunicorn answers; warming up every worker")
            mark = time.perf_counter()
            warm = measure(base, prepared, requests=2 * max(args.clients, args.workers),
                           clients=max(args.clients, args.workers), seconds=1200)
            warmup_s = time.perf_counter() - mark
            say(f"warm-up: {len(warm[0])} computes in {warmup_s:.1f} s; measuring")
            latencies, failures, wall = measure(base, prepared, requests=args.requests,
                                                clients=args.clients, seconds=args.seconds)
            _status, stored = call(base, prepared.token, "GET",
                                   f"/api/v1/products/{prepared.product_id}/results")
        finally:
            stop_server(server)
        intact = audit_chain_intact(instance, database_url)
    if not latencies:
        raise SystemExit(f"no compute request succeeded ({failures} failed)")
    ms = sorted(1000 * x for x in latencies)
    figures: dict[str, Any] = {
        "activities": args.activities, "own_processes": args.processes,
        "gunicorn_workers": args.workers, "client_threads": args.clients,
        "jobs_inline": args.inline, "requests_ok": len(latencies),
        "requests_failed": failures, "warmup_failed": warm[1],
        "results_stored": len(stored), "results_expected": len(warm[0]) + len(latencies),
        "audit_chain_intact": intact, "wall_s": wall,
        "requests_per_s": len(latencies) / wall,
        "p50_ms": statistics.median(ms),
        "p95_ms": statistics.quantiles(ms, n=20, method="inclusive")[18],
        "max_ms": ms[-1], "mean_ms": statistics.fmean(ms), "warmup_s": warmup_s,
        "cpu_count": os.cpu_count(),
    }
    report(figures)
