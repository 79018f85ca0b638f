"""Importing an untrusted file in a child process with memory and time limits.

The portal never parses an uploaded dataset in a web worker: a job calls `import_isolated`,
which runs `python -m background_db.sandbox` with the request on stdin. The child loads its
code, then lowers its own address-space and CPU limits before it opens the file, imports it,
puts the dataset into the store and prints a JSON result; whatever the file does, the parent
gets back either that result or an issue saying which limit stopped it. A decompression bomb
that slipped past the importers' own caps costs at most the child's memory limit, and only
the child's.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from background_db.errors import BackgroundError, DatasetImportError
from background_db.importers import FORMATS, importer_for
from background_db.records import Dataset, DatasetRole
from background_db.serialize import dataset_hash


@dataclass(frozen=True)
class SandboxLimits:
    """What the child may use: address space in bytes, CPU seconds, and wall seconds."""

    memory_bytes: int = 2 * 1024**3
    cpu_seconds: int = 300
    wall_seconds: float = 600.0


@dataclass(frozen=True)
class IsolatedImport:
    """The child's answer: the dataset summary when it was stored, else the issue texts."""

    summary: dict[str, Any] | None
    issues: tuple[str, ...]
    peak_rss_kb: int = 0  # the child's peak resident memory (0 when it was stopped)


def dataset_summary(dataset: Dataset) -> dict[str, Any]:
    """What a validation report shows about an imported dataset."""
    inputs = [i for a in dataset.activities for i in a.inputs]
    return {
        "format": dataset.format, "activities": len(dataset.activities),
        "flows": len(dataset.flows), "greenhouse_gases": sum(1 for f in dataset.flows if f.gas),
        "inputs_by_id": sum(1 for i in inputs if i.provider),
        "inputs_by_name": sum(1 for i in inputs if not i.provider),
        "replacing": sum(1 for a in dataset.activities if a.replaces),
        "content_hash": dataset_hash(dataset),
    }


def import_isolated(path: Path, *, store_root: Path, role: DatasetRole, name: str,
                    version: str, file_format: str | None = None,
                    limits: SandboxLimits | None = None) -> IsolatedImport:
    """Import *path* in a child process under *limits* and store the dataset there."""
    limits = limits or SandboxLimits()
    request = {"path": str(path), "store": str(store_root), "role": role.value, "name": name,
               "version": version, "format": file_format or None,
               "memory_bytes": limits.memory_bytes, "cpu_seconds": limits.cpu_seconds}
    environment = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
                   "MKL_NUM_THREADS": "1"}
    child = subprocess.Popen(
        [sys.executable, "-m", "background_db.sandbox"], stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environment)
    try:
        out, err = child.communicate(json.dumps(request).encode(), timeout=limits.wall_seconds)
    except subprocess.TimeoutExpired:
        child.kill()
        child.communicate()
        return IsolatedImport(None, (f"{path.name}: reading the file took longer than "
                                     f"{limits.wall_seconds:g} s and was stopped",))
    if child.returncode == 0:
        try:
            answer = json.loads(out)
            return IsolatedImport(answer.get("summary"), tuple(answer.get("issues", ())),
                                  int(answer.get("peak_rss_kb", 0)))
        except (ValueError, AttributeError, TypeError):
            pass
    return IsolatedImport(None, (_stopped_because(path, child.returncode, err, limits),))


def _stopped_because(path: Path, code: int, err: bytes, limits: SandboxLimits) -> str:
    tail = (err.decode("utf-8", errors="replace").strip().splitlines() or [""])[-1]
    if code == -signal.SIGXCPU:
        return (f"{path.name}: reading the file used more than {limits.cpu_seconds} s of "
                f"processor time and was stopped")
    if "MemoryError" in tail or code == -signal.SIGKILL:
        return _memory_issue(path, limits.memory_bytes)
    return f"{path.name}: the importer stopped unexpectedly (exit {code}): {tail[:300]}"


def _memory_issue(path: Path, memory_bytes: int) -> str:
    return (f"{path.name}: reading the file needed more than {memory_bytes // 1024**2} MB of "
            f"memory and was stopped (is it a compressed archive that expands enormously?)")


def _child(request: dict[str, Any]) -> dict[str, Any]:
    from background_db.importers import import_file  # noqa: PLC0415
    from background_db.store import BackgroundStore  # noqa: PLC0415

    for name in FORMATS:  # load every importer before the limits: they bound the reading
        importer_for(name)
    memory = int(request["memory_bytes"])
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    cpu = int(request["cpu_seconds"])
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    path = Path(request["path"])
    try:
        dataset = import_file(path, format=request["format"],
                              role=DatasetRole(request["role"]), name=request["name"],
                              version=request["version"])
        BackgroundStore(Path(request["store"])).put_dataset(dataset)
    except DatasetImportError as exc:
        return {"summary": None, "issues": [str(issue) for issue in exc.issues]}
    except BackgroundError as exc:  # e.g. name@version already stored with other content
        return {"summary": None, "issues": [f"{path.name}: {exc}"]}
    except MemoryError:
        return {"summary": None, "issues": [_memory_issue(path, int(request["memory_bytes"]))]}
    except Exception as exc:  # a broken or hostile file gets a report, never a crash
        return {"summary": None, "issues": [
            f"{path.name}: cannot read the file: {type(exc).__name__}: {exc}"]}
    return {"summary": dataset_summary(dataset), "issues": []}


def _peak_rss_kb() -> int:
    """This process's own peak resident memory. Not getrusage: Linux carries the parent's
    peak across fork and exec into ru_maxrss, so a child of a big process reads big."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def main() -> None:
    """The child: the code loaded, then the limits, then the file; one JSON object out."""
    request = json.loads(sys.stdin.read())
    answer = _child(request)
    answer["peak_rss_kb"] = _peak_rss_kb()
    sys.stdout.write(json.dumps(answer, ensure_ascii=False))


if __name__ == "__main__":
    main()
