"""`pcf background ...`: import datasets, compose releases, show and diff them.

The store is a folder (default `var/background`, or PCF_BACKGROUND_STORE); every command
prints what it did, and errors as one line per problem with exit status 2.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

import click

from background_db.compile import compile_release
from background_db.diff import diff_releases
from background_db.errors import BackgroundError, DatasetImportError, ReleaseValidationError
from background_db.importers import FORMATS, import_file
from background_db.importers.template import write_blank_csv, write_blank_xlsx
from background_db.records import Dataset, DatasetRole
from background_db.release import compose
from background_db.store import BackgroundStore
from lca_engine import Category, Method
from lca_engine.errors import EngineError

DEFAULT_STORE = Path("var/background")
SEED_RELEASE = ("shanxi-demo", "1.0.0")


def _store(path: Path | None) -> BackgroundStore:
    """--store, else $PCF_BACKGROUND_STORE, else the portal's default (var/background)."""
    return BackgroundStore(path or Path(os.environ.get("PCF_BACKGROUND_STORE", DEFAULT_STORE)))


@contextmanager
def _reported() -> Iterator[None]:
    """Turn domain errors into readable lines and exit status 2."""
    try:
        yield
    except (DatasetImportError, ReleaseValidationError) as exc:
        click.echo(f"Error: {len(exc.issues)} problem(s):", err=True)
        for issue in exc.issues:
            click.echo(f"  {issue}", err=True)
        sys.exit(2)
    except (BackgroundError, EngineError) as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)


class _Clock:
    """Progress lines with elapsed time, on stderr."""

    def __init__(self) -> None:
        self.started = time.perf_counter()

    def __call__(self, message: str) -> None:
        click.echo(f"[{time.perf_counter() - self.started:7.2f} s] {message}", err=True)


@contextmanager
def _heartbeat(clock: _Clock, doing: str, every: float = 5.0) -> Iterator[None]:
    """Print a line every *every* seconds while a long step runs, so a 25,000-activity
    import does not look hung."""
    done = threading.Event()

    def beat() -> None:
        while not done.wait(every):
            clock(f"... still {doing}")

    thread = threading.Thread(target=beat, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


def _summary(dataset: Dataset) -> str:
    ghg = sum(1 for f in dataset.flows if f.gas)
    by_id = sum(1 for a in dataset.activities for i in a.inputs if i.provider)
    by_name = sum(1 for a in dataset.activities for i in a.inputs if not i.provider)
    replacing = sum(1 for a in dataset.activities if a.replaces)
    return (f"{dataset.name} {dataset.version} ({dataset.role.value}, {dataset.format}): "
            f"{len(dataset.activities)} activities, {len(dataset.flows)} elementary flows "
            f"({ghg} greenhouse gases), inputs linked by id {by_id}, by product name "
            f"{by_name}" + (f", {replacing} replacing national activities" if replacing
                            else ""))


store_option = click.option("--store", "store_path", type=click.Path(path_type=Path),
                            help="Store folder (default var/background or "
                                 "$PCF_BACKGROUND_STORE).")


@click.group("background")
def background() -> None:
    """Background datasets and releases."""


@background.command("import")
@click.argument("file", type=click.Path(exists=True, path_type=Path))
@click.option("--format", "file_format", type=click.Choice(FORMATS), default=None,
              help="Default: detected from the extension and content.")
@click.option("--role", type=click.Choice([r.value for r in DatasetRole]), default="base",
              show_default=True)
@click.option("--name", help="Dataset name (default: the file name).")
@click.option("--version", "version", default="1.0.0", show_default=True)
@click.option("--dry-run", is_flag=True, help="Validate only; store nothing.")
@store_option
def import_command(file: Path, file_format: str | None, role: str, name: str | None,
                   version: str, dry_run: bool, store_path: Path | None) -> None:
    """Import FILE (template CSV/XLSX, openLCA JSON-LD, EcoSpold 1/2, ILCD, SimaPro CSV)."""
    clock = _Clock()
    with _reported():
        clock(f"importing {file}")
        with _heartbeat(clock, f"importing {file.name}"):
            dataset = import_file(file, format=file_format, role=DatasetRole(role),
                                  name=name or file.stem.replace(" ", "-"), version=version)
        clock(_summary(dataset))
        if not dry_run:
            path = _store(store_path).put_dataset(dataset)
            clock(f"stored as {path}")


@background.command("release")
@click.argument("name")
@click.argument("version")
@click.option("--base", required=True, help="Base dataset: NAME or NAME@VERSION.")
@click.option("--extension", "extensions", multiple=True,
              help="Extension dataset NAME[@VERSION]; repeat for several.")
@click.option("--gwp", type=click.Choice(["AR6", "AR5"]), default="AR6", show_default=True)
@store_option
def release_command(name: str, version: str, base: str, extensions: tuple[str, ...], gwp: str,
                    store_path: Path | None) -> None:
    """Compose, validate, freeze and compile release NAME VERSION."""
    clock = _Clock()
    store = _store(store_path)
    with _reported():
        base_set = store.get_dataset(*_name_version(base))
        extension_sets = [store.get_dataset(*_name_version(e)) for e in extensions]
        with _heartbeat(clock, "validating the release"):
            release = compose(name, version, base_set, extension_sets, progress=clock)
        path = store.put_release(release)
        clock(f"release {release.label} frozen: content hash {release.content_hash}")
        clock(f"stored as {path}")
        compile_release(release, Method(gwp), store=store, progress=clock)
        clock("compiled; intensity table stored as an artifact")


def _name_version(reference: str) -> tuple[str, str | None]:
    name, _, version = reference.partition("@")
    return name, version or None


@background.command("show")
@click.argument("reference")
@click.option("--activity", "activity_id", help="Show one activity and its intensities.")
@click.option("--gwp", type=click.Choice(["AR6", "AR5"]), default="AR6", show_default=True)
@store_option
def show_command(reference: str, activity_id: str | None, gwp: str,
                 store_path: Path | None) -> None:
    """Show release REFERENCE (NAME, NAME@VERSION or a content-hash prefix)."""
    store = _store(store_path)
    with _reported():
        release = store.get_release(reference)
        if activity_id:
            activity = release.activity(activity_id)
            table = compile_release(release, Method(gwp), store=store).table
            click.echo(f"{activity.id}: {activity.name}")
            click.echo(f"  product {activity.reference_product}, {activity.amount:g} "
                       f"{activity.unit}, {activity.geography or '-'}, "
                       f"{activity.period_start or '?'} to {activity.period_end or '?'}")
            p = activity.provenance
            click.echo(f"  publisher {p.publisher or '-'}; source {p.source or '-'}; "
                       f"licence {p.licence or '-'}" + (f"; note: {p.note}" if p.note else ""))
            click.echo(f"  intensity per {activity.unit} (kg CO2e, IPCC {gwp} GWP100):")
            for category, value in table.column(activity.id).items():
                click.echo(f"    {category.value:<36} {value:>14.6g}")
            return
        click.echo(f"Release {release.label}")
        click.echo(f"  content hash {release.content_hash}")
        click.echo(f"  {len(release.activities)} activities, {len(release.flows)} elementary "
                   f"flows")
        for d in release.datasets:
            click.echo(f"  dataset {d.name} {d.version} ({d.role.value}, {d.format or '?'}) "
                       f"{d.content_hash[:12]} from {d.source_file or '?'}")
        for national, dataset, original in release.replacements:
            click.echo(f"  {national} replaced by {original} from {dataset}")


@background.command("diff")
@click.argument("old")
@click.argument("new")
@click.option("--top", default=20, show_default=True, help="Rows per list.")
@click.option("--json", "as_json", is_flag=True)
@store_option
def diff_command(old: str, new: str, top: int, as_json: bool, store_path: Path | None) -> None:
    """Compare release OLD with release NEW."""
    store = _store(store_path)
    with _reported():
        result = diff_releases(store.get_release(old), store.get_release(new), top=top)
    if as_json:
        click.echo(json.dumps({
            "old": result.old, "new": result.new, "method": result.method,
            "added": result.added, "removed": result.removed,
            "changed": [{"activity": c.activity, "fields": c.fields, "note": c.note,
                         "effects": [{"activity": a, "delta": repr(v)} for a, v in c.effects]}
                        for c in result.changed],
            "intensity_changes": [{"activity": m.activity, "old": repr(m.old),
                                   "new": repr(m.new)} for m in result.intensity_changes],
        }, indent=2, ensure_ascii=False))
        return
    click.echo(f"{result.old} -> {result.new} ({result.method}, "
               f"{Category.PCF_EXCLUDING_BIOGENIC_UPTAKE.value})")
    click.echo(f"  added {len(result.added)}, removed {len(result.removed)}, changed "
               f"{len(result.changed)}, intensities moved {len(result.intensity_changes)}")
    for activity in result.added[:top]:
        click.echo(f"  + {activity}")
    for activity in result.removed[:top]:
        click.echo(f"  - {activity}")
    for change in result.changed[:top]:
        click.echo(f"  ~ {change.activity} ({', '.join(change.fields)})")
        for dependent, delta in change.effects[:5]:
            click.echo(f"      alone moves {dependent} by {delta:+.6g}")
        if change.note:
            click.echo(f"      {change.note}")
    for move in result.intensity_changes[:top]:
        relative = f"{100 * move.relative:+.3f} %" if move.relative is not None else "new"
        click.echo(f"  {move.activity:<40} {move.old:>12.6g} -> {move.new:<12.6g} {relative}")


@background.command("template")
@click.argument("out", type=click.Path(path_type=Path))
def template_command(out: Path) -> None:
    """Write the blank bilingual template to OUT (.csv or .xlsx)."""
    if out.suffix.lower() == ".xlsx":
        write_blank_xlsx(out)
    else:
        write_blank_csv(out)
    click.echo(f"wrote {out}")


@background.command("seed")
@store_option
def seed_command(store_path: Path | None) -> None:
    """Import the shipped seed datasets and build the demo release."""
    clock = _Clock()
    store = _store(store_path)
    seed = resources.files("background_db") / "seed"
    with _reported():
        for file, name, role, version in (
                ("national-base.csv", "cn-national", DatasetRole.BASE, "2026.1.0"),
                ("shanxi-demo-extension.csv", "shanxi-demo-ext", DatasetRole.EXTENSION,
                 "0.1.0")):
            with resources.as_file(seed / file) as path:
                dataset = import_file(path, format="template", role=role, name=name,
                                      version=version)
            store.put_dataset(dataset)
            clock(_summary(dataset))
        release = compose(*SEED_RELEASE, store.get_dataset("cn-national"),
                          [store.get_dataset("shanxi-demo-ext")], progress=clock)
        store.put_release(release)
        compile_release(release, store=store, progress=clock)
        clock(f"release {release.label}: {release.content_hash}")
