"""Compile a release to the engine's matrices and intensity table, cached by content: in
memory per process, and as an artifact in a store when one is given."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from lca_engine import Method, build_matrices, compute_intensity_table
from lca_engine.intensity import IntensityTable, table_key
from lca_engine.lru import LruCache
from lca_engine.matrices import MatrixSystem

if TYPE_CHECKING:
    from background_db.release import BackgroundRelease, Progress
    from background_db.store import BackgroundStore

_CACHE: LruCache[tuple[str, str, str | None], CompiledRelease] = LruCache(4)


@dataclass(frozen=True, eq=False)
class CompiledRelease:
    """A release's matrices and intensity table."""

    release_hash: str
    system: MatrixSystem
    table: IntensityTable


def compile_release(release: BackgroundRelease, method: Method | None = None, *,
                    store: BackgroundStore | None = None, solver: str | None = None,
                    progress: Progress | None = None) -> CompiledRelease:
    """Matrices and intensity table of *release* under *method* (AR6 by default)."""
    method = method or Method()
    say = progress or (lambda _message: None)
    key = (release.content_hash, method.gwp_set, solver)
    compiled = _CACHE.get(key)
    if compiled is not None:
        if store is not None:
            store.save_table(compiled.table)  # a no-op when the artifact exists
        return compiled
    say(f"building matrices of {len(release.activities)} activities")
    system = build_matrices(release.to_background_system())
    table = store.load_table(table_key(system.content_hash, method)) if store else None
    if table is None:
        say("factorising and solving for the intensity table")
        table = compute_intensity_table(system, method, solver=solver)
        if store is not None:
            store.save_table(table)
    else:
        say("intensity table loaded from the artifact store")
    return _CACHE.put(key, CompiledRelease(release.content_hash, system, table))
