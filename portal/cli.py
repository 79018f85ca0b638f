"""The `pcf` command line. For now: `pcf footprint MODEL` on a product-model document.

This module is the IO edge for the engine: it reads files, calls the engine, and turns engine
errors into one readable line and exit status 2.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
import yaml

from lca_engine import (
    Category,
    FootprintResult,
    Method,
    available_solvers,
    background_from_document,
    build_matrices,
    compute_footprint,
    compute_intensity_table,
    product_model_from_document,
)
from lca_engine.errors import EngineError
from lca_engine.hashing import decimal_string
from lca_engine.result import SupplyChainNode


def load_document(path: Path) -> Any:
    """Parse a JSON or YAML file; a syntax error names the file, line and column."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise click.ClickException(f"{path}: cannot read: {exc.strerror}") from None
    try:
        if path.suffix.lower() == ".json":
            return json.loads(text)
        return yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise click.ClickException(f"{path}: line {exc.lineno}, column {exc.colno}: "
                                   f"{exc.msg}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise click.ClickException(f"{path}: {where}{problem}") from None


@click.group()
@click.version_option(package_name="pcf-portal")
def main() -> None:
    """Product carbon footprint engine and portal (GB/T 24067-2024, ISO 14067, PACT)."""


def _register_groups() -> None:
    from portal.cli_background import background  # noqa: PLC0415
    from portal.cli_portal import (  # noqa: PLC0415
        accounts_group,
        db,
        demo,
        i18n,
        jobs_group,
        labels,
        serve,
        trust,
    )
    from portal.cli_verify import verify  # noqa: PLC0415

    for command in (accounts_group, background, db, demo, i18n, jobs_group, labels, serve,
                    trust, verify):
        main.add_command(command)


_register_groups()


@main.command()
@click.argument("model_path", metavar="MODEL", type=click.Path(path_type=Path))
@click.option("--background", "background_path", type=click.Path(path_type=Path),
              help="Background document; default: the model's `background` entry, "
                   "relative to the model file.")
@click.option("--gwp", type=click.Choice(["AR6", "AR5"]), default="AR6", show_default=True,
              help="IPCC report whose GWP100 values characterise the gases.")
@click.option("--solver", type=click.Choice(available_solvers()), default=None,
              help="Sparse solver for the background (default: the fastest available).")
@click.option("--cutoff", type=click.FloatRange(0, 1), default=0.01, show_default=True,
              help="Share of the total below which supply-chain branches are merged.")
@click.option("--parameter-set", "parameter_set", default=None, metavar="NAME",
              help="Evaluate the model's formulas with one of its parameter_sets.")
@click.option("--json", "as_json", is_flag=True, help="Print the full result as JSON.")
def footprint(model_path: Path, background_path: Path | None, gwp: str, solver: str | None,
              cutoff: float, parameter_set: str | None, as_json: bool) -> None:
    """Compute the cradle-to-gate footprint of the product model MODEL (JSON or YAML)."""
    document = load_document(model_path)
    if background_path is None:
        reference = document.get("background") if isinstance(document, dict) else None
        if not isinstance(reference, str):
            raise click.ClickException(
                f"{model_path}: no `background` entry; pass --background FILE")
        background_path = model_path.parent / reference
    try:
        background = background_from_document(load_document(background_path),
                                              str(background_path))
        model = product_model_from_document(document, str(model_path),
                                            parameter_set=parameter_set)
        system = build_matrices(background)
        table = compute_intensity_table(system, Method(gwp), solver=solver)
        result = compute_footprint(model, system, table, cutoff=cutoff)
    except EngineError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo(render(result))


def _number(value: float) -> str:
    return f"{value:,.4f}" if abs(value) >= 1e-4 or value == 0 else f"{value:.3e}"


def render(result: FootprintResult, top: int = 8) -> str:
    """A readable report of *result* for the terminal."""
    lines = [
        f"Product: {result.product_name} ({result.product_id})",
        f"Declared unit: {decimal_string(result.declared_amount)} {result.declared_unit}",
        f"Method: {result.provenance.method} ({result.provenance.gwp_source})",
        *([f"Parameter set: {result.provenance.parameter_set}"]
          if result.provenance.parameter_set else []),
        "",
        f"{'Category':<36} {'kg CO2e':>14}",
        f"{'-' * 36} {'-' * 14}",
    ]
    for category in Category:
        lines.append(f"{category.value:<36} {_number(result.total(category)):>14}")
    pds = result.primary_data_share
    lines += ["", f"Primary data share: {'n/a' if pds is None else f'{pds:.1f} %'}", ""]
    headline = result.total()
    for title, rows in (("By process", result.by_process), ("By input", result.by_input),
                        ("By supplier", result.by_supplier)):
        if not rows:
            continue
        lines.append(f"{title} (kg CO2e, excluding biogenic uptake):")
        for row in rows.top(top):
            share = f"{100 * row.value() / headline:6.1f} %" if headline else ""
            lines.append(f"  {_number(row.value()):>12}  {share}  {row.label}")
        if len(rows) > top:
            lines.append(f"  ... {len(rows) - top} more")
        lines.append("")
    lines.append("By gas (kg CO2e; uptake negative):")
    for gas, value in result.by_gas:
        lines.append(f"  {_number(value):>12}  {gas}")
    lines += ["", "Supply chain (kg CO2e, excluding biogenic uptake):"]
    lines += _tree_lines(result.tree, "", True, root=True)
    p = result.provenance
    lines += [
        "",
        f"Background hash:  {p.background_hash}",
        f"Model hash:       {p.model_hash}",
        f"Result hash:      {result.result_hash}",
        f"Engine {p.engine_version}; solvers: background {p.background_solver}, "
        f"foreground {p.foreground_solver}",
    ]
    lines += [f"Note: {n}" for n in result.notes]
    return "\n".join(lines)


def _tree_lines(node: SupplyChainNode, prefix: str, last: bool, root: bool = False,
                depth: int = 0, max_depth: int = 4) -> list[str]:
    connector = "" if root else ("└─ " if last else "├─ ")
    mark = " …" if node.truncated or (depth == max_depth and node.children) else ""
    amount = f"{node.amount:.4g} {node.unit}"
    lines = [f"{prefix}{connector}{_number(node.value):>10}  {node.label} [{amount}]{mark}"]
    if depth == max_depth:
        return lines
    child_prefix = prefix + ("" if root else ("   " if last else "│  "))
    for i, child in enumerate(node.children):
        lines += _tree_lines(child, child_prefix, i == len(node.children) - 1, depth=depth + 1,
                             max_depth=max_depth)
    return lines
