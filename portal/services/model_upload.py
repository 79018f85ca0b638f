"""Reading a filled-in product-model template (see `model_template`). Every problem is
reported by sheet, row, field and value; a workbook with any problem is refused whole."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _

from lca_engine.errors import UnitError
from lca_engine.units import check_unit
from portal.services.errors import InvalidInput, ServiceError
from portal.services.model_specs import (
    ALLOCATION_METHODS,
    DATA_TYPES,
    QUALITY_KEYS,
    TAGS,
    check_id,
)
from portal.services.model_template import Issue, Row, TemplateRejected, read_sheets, text_of

_YES = {"yes", "y", "true", "1", "x", "是"}
_NO = {"", "no", "n", "false", "0", "否"}
_KINDS = {"background": "background", "背景": "background", "process": "process",
          "过程": "process", "supplier": "supplier", "供应商": "supplier"}


@dataclass(frozen=True)
class ParsedModel:
    processes: list[dict[str, Any]]
    suppliers: list[dict[str, Any]]
    reference: tuple[str, str]


class _Reader:
    def __init__(self, issues: list[Issue]) -> None:
        self.issues = issues

    def fail(self, at: tuple[str, int], key: str, value: Any, message: str) -> None:
        self.issues.append(Issue(at[0], at[1], key, text_of(value), message))

    def text(self, at: tuple[str, int], row: Row, key: str, *, required: bool = False) -> str:
        value = text_of(row.get(key))
        if required and not value:
            self.fail(at, key, "", _("A value is required."))
        return value

    def identifier(self, at: tuple[str, int], row: Row, key: str) -> str:
        value = self.text(at, row, key, required=True)
        if value:
            try:
                check_id(value, key)
            except InvalidInput as exc:
                self.fail(at, key, value, next(iter(exc.errors.values())))
        return value

    def number(self, at: tuple[str, int], row: Row, key: str, *, required: bool = False,
               positive: bool = False, maximum: float | None = None) -> float | None:
        value = row.get(key)
        if text_of(value) == "":
            if required:
                self.fail(at, key, "", _("A number is required."))
            return None
        try:
            if isinstance(value, bool):
                raise ValueError
            number = float(value) if isinstance(value, int | float) else float(
                Decimal(text_of(value)))
        except (InvalidOperation, ValueError):
            self.fail(at, key, value, _("Not a number (use '.' as the decimal point; "
                                        "'1,500' is ambiguous)."))
            return None
        if not math.isfinite(number) or number < 0 or (positive and number == 0) or (
                maximum is not None and number > maximum):
            self.fail(at, key, value, _("The number is out of range."))
            return None
        return number

    def unit(self, at: tuple[str, int], row: Row, key: str = "unit") -> str:
        value = self.text(at, row, key, required=True)
        if value:
            try:
                check_unit(value)
            except UnitError:
                self.fail(at, key, value, _("Unknown unit."))
        return value

    def flag(self, at: tuple[str, int], row: Row, key: str) -> bool:
        value = self.text(at, row, key).lower()
        if value not in _YES | _NO:
            self.fail(at, key, value, _("Write yes or leave it empty."))
        return value in _YES

    def choice(self, at: tuple[str, int], row: Row, key: str, options: tuple[str, ...],
               default: str) -> str:
        value = self.text(at, row, key).lower() or default
        if value not in options:
            self.fail(at, key, value, _("Expected one of: %(options)s.",
                                        options=", ".join(options)))
        return value


def _process(read: _Reader, at: tuple[str, int], row: Row,
             processes: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The process a products row belongs to (created by its first row)."""
    pid = read.identifier(at, row, "process_id")
    tags = [t.strip().lower() for t in read.text(at, row, "tags").replace("；", ";")
            .split(";") if t.strip()]
    for tag in tags:
        if tag not in TAGS:
            read.fail(at, "tags", tag, _("Expected one of: %(options)s.",
                                         options=", ".join(TAGS)))
    process = processes.setdefault(pid, {
        "id": pid, "name": read.text(at, row, "process_name") or pid, "tags": tags,
        "products": [], "inputs": [], "emissions": []})
    if read.text(at, row, "location"):
        process.setdefault("location", read.text(at, row, "location"))
    allocation = read.text(at, row, "allocation").lower()
    if allocation and allocation not in ALLOCATION_METHODS:
        read.fail(at, "allocation", allocation, _("Expected one of: %(options)s.",
                                                  options=", ".join(ALLOCATION_METHODS)))
    elif allocation:
        if process.get("allocation", {}).get("method", allocation) != allocation:
            read.fail(at, "allocation", allocation, _(
                "Differs from an earlier row of the same process."))
        process["allocation"] = {"method": allocation}
    return process


def _product(read: _Reader, at: tuple[str, int], row: Row, process: dict[str, Any],
             activities: set[str]) -> dict[str, Any]:
    product_id = read.identifier(at, row, "product_id")
    if product_id in [p["id"] for p in process["products"]]:
        read.fail(at, "product_id", product_id, _("The process already has this product."))
    product: dict[str, Any] = {
        "id": product_id, "name": read.text(at, row, "product_name") or product_id,
        "amount": read.number(at, row, "amount", required=True, positive=True),
        "unit": read.unit(at, row)}
    properties = {k: v for k in ("mass", "energy", "price")
                  if (v := read.number(at, row, k)) is not None}
    if properties:
        product["properties"] = properties
    factor = read.number(at, row, "allocation_factor", maximum=1.0)
    if factor is not None:
        process.setdefault("factors", {})[product_id] = factor
    substitutes = read.text(at, row, "substitutes")
    if substitutes:
        if substitutes not in activities:
            read.fail(at, "substitutes", substitutes, _(
                "No such activity in the background release."))
        product["substitutes"] = {"background": substitutes}
    return product


def _processes(read: _Reader, rows: list[tuple[int, Row]], activities: set[str]
               ) -> tuple[dict[str, dict[str, Any]], list[tuple[str, str]]]:
    processes: dict[str, dict[str, Any]] = {}
    declared: list[tuple[str, str]] = []
    for number, row in rows:
        at = ("processes", number)
        process = _process(read, at, row, processes)
        product = _product(read, at, row, process, activities)
        if read.flag(at, row, "declared"):
            declared.append((process["id"], product["id"]))
        process["products"].append(product)
    for process in processes.values():
        factors = process.pop("factors", None)
        if process.get("allocation", {}).get("method") == "factors":
            process["allocation"]["factors"] = factors or {}
    return processes, declared


def _source(read: _Reader, at: tuple[str, int], row: Row, processes: dict[str, dict[str, Any]],
            activities: set[str], supplier: Callable[[int], dict[str, Any]]
            ) -> tuple[dict[str, str], dict[str, Any] | None]:
    """The `from` of an input row, and the supplier entry it links to (if any)."""
    kind_text = read.text(at, row, "provider_kind", required=True).lower()
    kind = _KINDS.get(kind_text, "")
    if kind_text and not kind:
        read.fail(at, "provider_kind", kind_text, _("Expected one of: %(options)s.",
                                                    options="background, process, supplier"))
    target = read.text(at, row, "provider", required=True)
    if not (kind and target):
        return {"background": target}, None
    if kind == "background":
        if target not in activities:
            read.fail(at, "provider", target, _("No such activity in the background release."))
        return {"background": target}, None
    if kind == "process":
        product = read.text(at, row, "provider_product")
        provider = processes.get(target)
        if provider is None:
            read.fail(at, "provider", target, _("No such process on the processes sheet."))
        elif product and product not in [p["id"] for p in provider["products"]]:
            read.fail(at, "provider_product", product, _("The process makes no such product."))
        return ({"process": target, "product": product} if product else {"process": target},
                None)
    try:
        entry = supplier(int(target)) if target.isdigit() else None
    except ServiceError:
        entry = None
    if entry is None:
        read.fail(at, "provider", target, _("No such published footprint."))
        return {"supplier": target}, None
    return {"supplier": entry["id"]}, entry


def _quality(read: _Reader, at: tuple[str, int], row: Row) -> dict[str, int]:
    quality = {}
    for key in QUALITY_KEYS:
        value = read.number(at, row, f"dqr_{key}", maximum=5)
        if value is not None:
            if value < 1 or not value.is_integer():
                read.fail(at, f"dqr_{key}", value, _("A rating is a whole number 1 to 5."))
            quality[key] = int(value)
    return quality


def _inputs(read: _Reader, rows: list[tuple[int, Row]], processes: dict[str, dict[str, Any]],
            activities: set[str], supplier: Callable[[int], dict[str, Any]]
            ) -> dict[str, dict[str, Any]]:
    suppliers: dict[str, dict[str, Any]] = {}
    for number, row in rows:
        at = ("inputs", number)
        pid = read.text(at, row, "process_id", required=True)
        if pid and pid not in processes:
            read.fail(at, "process_id", pid, _("No such process on the processes sheet."))
        source, entry = _source(read, at, row, processes, activities, supplier)
        if entry is not None:
            suppliers[entry["id"]] = entry
        item: dict[str, Any] = {
            "name": read.text(at, row, "input_name", required=True),
            "amount": read.number(at, row, "amount", required=True), "unit": read.unit(at, row),
            "from": source, "data_type": read.choice(at, row, "data_type", DATA_TYPES,
                                                     "secondary"),
            "packaging": read.flag(at, row, "packaging")}
        quality = _quality(read, at, row)
        if quality:
            item["quality"] = quality
        if pid in processes:
            processes[pid]["inputs"].append(item)
    return suppliers


def read_template(data: bytes, *, activities: set[str], flows: set[str],
                  supplier: Callable[[int], dict[str, Any]]) -> ParsedModel:
    """The model in a filled-in template, or TemplateRejected listing every problem."""
    issues: list[Issue] = []
    sheets = read_sheets(data, issues)
    if issues:
        raise TemplateRejected(issues)
    read = _Reader(issues)
    processes, declared = _processes(read, sheets["processes"], activities)
    if not processes:
        issues.append(Issue("processes", 0, "", "", _("The model needs at least one process.")))
    suppliers = _inputs(read, sheets["inputs"], processes, activities, supplier)
    for number, row in sheets["emissions"]:
        at = ("emissions", number)
        pid = read.text(at, row, "process_id", required=True)
        if pid and pid not in processes:
            read.fail(at, "process_id", pid, _("No such process on the processes sheet."))
        flow = read.text(at, row, "flow", required=True)
        if flow and flow not in flows:
            read.fail(at, "flow", flow, _("No such elementary flow in the background release."))
        entry = {"flow": flow, "amount": read.number(at, row, "amount", required=True),
                 "unit": read.unit(at, row),
                 "data_type": read.choice(at, row, "data_type", DATA_TYPES, "primary")}
        if pid in processes:
            processes[pid]["emissions"].append(entry)
    if len(declared) > 1:
        issues.append(Issue("processes", 0, "declared", "", _(
            "Mark exactly one row as the declared product.")))
    if issues:
        raise TemplateRejected(issues)
    first = next(iter(processes.values()))
    reference = declared[0] if declared else (first["id"], "")
    return ParsedModel(list(processes.values()), list(suppliers.values()), reference)
