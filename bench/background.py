"""Background benchmark: import a 25,000-activity template CSV, compose and validate the
release, compile it (matrices and intensity table) and store everything; seconds per step and
peak memory. Run: `python -m bench background`.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.synthetic import SyntheticSpec, synthetic_background
from lca_engine.model import FlowKind


def write_template(path: Path, spec: SyntheticSpec) -> dict[str, int]:
    """The synthetic background as the project's own CSV template, one row per exchange."""
    from background_db.importers.template import KEYS, header_cells  # noqa: PLC0415

    system = synthetic_background(spec)
    A = system.technosphere.tocsc()
    B = system.biosphere.tocsc()
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(header_cells())
        blank = dict.fromkeys(KEYS, "")
        for j, activity in enumerate(system.activity_ids):
            first = {**blank, "activity_id": activity, "activity_name": f"synthetic {j}",
                     "unit": "kg", "amount": repr(float(A[j, j])), "geography": "CN",
                     "publisher": "benchmark", "source": "synthetic", "note": "illustrative"}
            if system.aircraft[j]:
                first["tags"] = "aircraft"
            exchanges = []
            start, end = A.indptr[j], A.indptr[j + 1]
            for i, value in zip(A.indices[start:end], A.data[start:end], strict=True):
                if i != j:
                    exchanges.append({"exchange": "input", "target": system.activity_ids[i],
                                      "exchange_amount": repr(float(-value)),
                                      "exchange_unit": "kg"})
            start, end = B.indptr[j], B.indptr[j + 1]
            for i, value in zip(B.indices[start:end], B.data[start:end], strict=True):
                flow = system.flows[i]
                uptake = flow.kind is FlowKind.UPTAKE
                exchanges.append({
                    "exchange": "uptake" if uptake else "emission", "target": flow.name,
                    "exchange_amount": repr(float(value)), "exchange_unit": "kg",
                    "gas": flow.gas or "", "origin": "" if uptake or not flow.gas else
                    flow.origin.value})
            for n, exchange in enumerate(exchanges or [{}]):
                row = {**(first if n == 0 else {**blank, "activity_id": activity}), **exchange}
                writer.writerow([row.get(k, "") for k in KEYS])
                rows += 1
    return {"activities": system.size, "rows": rows,
            "technosphere_nnz": int(A.nnz), "biosphere_nnz": int(B.nnz)}


def run_pipeline(path: Path, store_root: Path) -> dict[str, float]:
    """Import, compose, compile and store; seconds per step and peak RSS (this process)."""
    from background_db.compile import compile_release  # noqa: PLC0415
    from background_db.importers.template import import_template  # noqa: PLC0415
    from background_db.release import compose  # noqa: PLC0415
    from background_db.store import BackgroundStore  # noqa: PLC0415
    from bench.memory_probe import _rss_mb  # noqa: PLC0415

    figures: dict[str, float] = {"rss_after_imports_mb": _rss_mb()}
    started = time.perf_counter()
    dataset = import_template(path, name="synthetic", version="1.0.0")
    figures["import_s"] = time.perf_counter() - started
    store = BackgroundStore(store_root)
    mark = time.perf_counter()
    store.put_dataset(dataset)
    figures["store_dataset_s"] = time.perf_counter() - mark
    mark = time.perf_counter()
    release = compose("synthetic", "1.0.0", dataset)  # validates, incl. a full compile
    figures["compose_validate_compile_s"] = time.perf_counter() - mark
    mark = time.perf_counter()
    store.put_release(release)
    compiled = compile_release(release, store=store)
    figures["store_release_and_table_s"] = time.perf_counter() - mark
    figures["total_s"] = time.perf_counter() - started
    figures["table_solver"] = 0.0 if compiled.table.solver == "superlu" else 1.0
    figures["peak_rss_mb"] = _rss_mb()
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench background", description=__doc__)
    parser.add_argument("--activities", type=int, default=25_000)
    parser.add_argument("--child", nargs=2, metavar=("CSV", "STORE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(run_pipeline(Path(args.child[0]), Path(args.child[1]))))
        return
    factor = args.activities / 25_000
    spec = SyntheticSpec(activities=args.activities,
                         technosphere_nnz=int(330_000 * factor),
                         biosphere_nnz=int(400_000 * factor),
                         flows=max(20, int(2_000 * min(factor, 1.0))),
                         hubs=max(10, int(300 * min(factor, 1.0))))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "synthetic.csv"
        started = time.perf_counter()
        shape = write_template(path, spec)
        print(f"wrote {path.stat().st_size / 1e6:.0f} MB template ({shape['rows']} rows) in "
              f"{time.perf_counter() - started:.1f} s", file=sys.stderr)
        output = subprocess.run(
            [sys.executable, "-m", "bench", "background", "--child", str(path),
             str(Path(folder) / "store")], capture_output=True, text=True, check=True,
            cwd=Path(__file__).resolve().parents[1]).stdout
    figures = {**shape, **json.loads(output.strip().splitlines()[-1])}
    figures.pop("table_solver", None)
    targets = {"total_s": 60.0, "peak_rss_mb": 3072.0}
    print(f"\n{'figure':<32} {'value':>12}  target")
    for name, value in figures.items():
        target = ""
        if name in targets:
            target = f"< {targets[name]:g} {'met' if value < targets[name] else 'MISSED'}"
        text = f"{value:.4g}" if isinstance(value, float) else str(value)
        print(f"{name:<32} {text:>12}  {target}")
    print()
    for name, value in figures.items():
        print(f"{name}: {value:.6g}" if isinstance(value, float) else f"{name}: {value}")
