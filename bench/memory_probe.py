"""Child process of the benchmark: load a saved system, build its intensity table, print
peak RSS before and after as JSON. Kept separate so the parent's memory does not count."""

from __future__ import annotations

import json
import resource
import sys
from pathlib import Path

import numpy as np

from lca_engine import MatrixSystem, compute_intensity_table
from lca_engine.model import ElementaryFlow, FlowKind, Origin


def _rss_mb() -> float:
    """Peak resident memory of this process in MiB. VmHWM starts afresh at exec, unlike
    ru_maxrss, which keeps the high-water mark of the forked parent (the benchmark itself)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    folder, solver = Path(sys.argv[1]), sys.argv[2] or None
    data = np.load(folder / "system.npz")
    flows = [ElementaryFlow(i, i, "kg", gas, Origin(origin), FlowKind(kind))
             for i, gas, origin, kind in json.loads((folder / "flows.json").read_text())]
    n = int(data["aircraft"].size)
    tags = [("aircraft",) if a else ("packaging",) if p else ()
            for a, p in zip(data["aircraft"], data["packaging"], strict=True)]
    system = MatrixSystem.from_arrays(
        activity_ids=[f"act-{j}" for j in range(n)], activity_units=["kg"] * n,
        technosphere=(data["ar"], data["ac"], data["av"]),
        biosphere=(data["br"], data["bc"], data["bv"]), flows=flows, tags=tags)
    before = _rss_mb()  # imports and the loaded system
    compute_intensity_table(system, solver=solver)
    print(json.dumps({"rss_before_mb": before, "peak_rss_mb": _rss_mb()}))


if __name__ == "__main__":
    main()
