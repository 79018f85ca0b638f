"""Named parameters and the formulas over them, as practitioners write them in openLCA,
EcoSpold 2 and SimaPro: amounts and allocation factors such as ``power_per_kg * 1000``.

Formulas are evaluated by asteval (the evaluator bw2parameters uses), restricted to
arithmetic, comparisons, conditional expressions and a short list of math functions: no
names but the parameters in scope, no attributes, no imports, no statements, and never
Python's `eval`. Scopes nest: a process's parameters see the product's, which see the
model's (global) ones; a name is resolved in the innermost scope that defines it. Parameters
may use one another in any order; a cycle is an error naming it.

    ParameterError (lca_engine.errors.ModelError)
    ├── FormulaError        a formula that does not parse, uses what is not allowed, or
    │                       does not give a finite number
    └── ParameterCycleError parameters that depend on each other in a loop
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

from lca_engine.errors import ModelError

MAX_FORMULA = 500
#: hexadecimal, octal, binary and grouped (1_000) literals: Python reads them, people misread
_ODD_NUMBER = re.compile(r"\b0[xXoObB][0-9A-Fa-f_]+|\b\d+(_\d+)+")
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
def _round(value: float, digits: float = 0) -> float:
    return float(round(value, int(digits)))


FUNCTIONS = {"abs": abs, "min": min, "max": max, "round": _round, "sqrt": math.sqrt,
             "exp": math.exp, "log": math.log, "log10": math.log10, "pi": math.pi,
             "e": math.e}
_ALLOWED_NODES = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare,
                  ast.IfExp, ast.Call, ast.Name, ast.Load, ast.Constant, ast.operator,
                  ast.unaryop, ast.boolop, ast.cmpop)


class ParameterError(ModelError):
    """A parameter or formula that cannot be evaluated."""


class FormulaError(ParameterError):
    """A formula that does not parse, uses a construct or name that is not allowed, or does
    not give a finite number."""


class ParameterCycleError(ParameterError):
    """Parameters whose formulas depend on each other in a loop."""


@dataclass(frozen=True, slots=True)
class Parameter:
    """A named value, or a formula over other parameters of its scope or the outer ones."""

    name: str
    value: float | None = None
    formula: str = ""

    def __post_init__(self) -> None:
        if not NAME.match(self.name) or self.name in FUNCTIONS:
            raise ParameterError(f"parameter name {self.name!r}: use letters, digits and _ "
                                 f"(not starting with a digit, at most 64, not a function "
                                 f"name)")
        if (self.value is None) == (not self.formula):
            raise ParameterError(f"parameter {self.name!r}: give a value or a formula, "
                                 f"exactly one")


def names_in(formula: str) -> set[str]:
    """The parameter names *formula* uses (after checking what it may contain)."""
    tree = _parse(formula)
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)
            and node.id not in FUNCTIONS}


def _parse(formula: str) -> ast.Expression:
    if len(formula) > MAX_FORMULA:
        raise FormulaError(f"formula {formula[:40]!r}...: at most {MAX_FORMULA} characters")
    odd = _ODD_NUMBER.search(formula)
    if odd:
        raise FormulaError(f"formula {formula!r}: write numbers in decimal, such as 1000 or "
                           f"1.5e3, not {odd.group()!r}")
    try:
        tree = ast.parse(formula.strip(), mode="eval")
    except SyntaxError as exc:
        raise FormulaError(f"formula {formula!r} does not parse: {exc.msg}") from None
    for node in ast.walk(tree):
        if isinstance(node, ast.Tuple):
            raise FormulaError(f"formula {formula!r}: a comma only separates a function's "
                               f"arguments; a decimal point is '.', as in 1.5")
        if not isinstance(node, _ALLOWED_NODES):
            raise FormulaError(f"formula {formula!r}: {type(node).__name__} is not allowed "
                               f"(arithmetic, comparisons, if-else and "
                               f"{', '.join(sorted(FUNCTIONS))} only)")
        if isinstance(node, ast.Call) and not (isinstance(node.func, ast.Name)
                                               and node.func.id in FUNCTIONS):
            raise FormulaError(f"formula {formula!r}: only the functions "
                               f"{', '.join(sorted(FUNCTIONS))} may be called")
        if isinstance(node, ast.Constant) and not isinstance(node.value, int | float):
            raise FormulaError(f"formula {formula!r}: only numbers may appear literally")
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow) and not (
                isinstance(node.right, ast.Name) or _small_constant(node.right)):
            # whole-number powers of powers grow without bound; parameters are floats
            raise FormulaError(f"formula {formula!r}: an exponent is a parameter or a number "
                               f"of at most 100")
    assert isinstance(tree, ast.Expression)
    return tree


def _small_constant(node: ast.AST) -> bool:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        node = node.operand
    return (isinstance(node, ast.Constant) and isinstance(node.value, int | float)
            and abs(node.value) <= 100)


def evaluate(formula: str, values: Mapping[str, float]) -> float:
    """The value of *formula* with *values* bound to names (asteval, restricted as above)."""
    from asteval import Interpreter  # noqa: PLC0415  (loaded when a model has formulas)

    tree = _parse(formula)
    used = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)
            and node.id not in FUNCTIONS}
    unknown = sorted(used - set(values))
    if unknown:
        raise FormulaError(f"formula {formula!r}: no parameter named {', '.join(unknown)}")
    interpreter = Interpreter(minimal=True, use_numpy=False, builtins_readonly=True,
                              config={"ifexp": True}, max_statement_length=MAX_FORMULA,
                              user_symbols={**FUNCTIONS, **{k: values[k] for k in used}})
    # every literal a float, so no whole-number arithmetic grows without bound
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            node.value = float(node.value)
    result = interpreter.eval(ast.unparse(tree), show_errors=False, raise_errors=False)
    if interpreter.error:
        message = interpreter.error[0].get_error()[1].strip().splitlines()[-1]
        raise FormulaError(f"formula {formula!r}: {message}")
    try:
        number = float(result) if isinstance(result, int | float) and not isinstance(
            result, bool) else math.nan
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        shown = "a number too large" if number == math.inf else repr(result)[:40]
        raise FormulaError(f"formula {formula!r} gives {shown}, not a finite number")
    return number


@dataclass(frozen=True, slots=True)
class Scope:
    """Parameters of one scope, seeing the values of its *outer* scope."""

    values: Mapping[str, float]

    @classmethod
    def of(cls, parameters: tuple[Parameter, ...], outer: Scope | None = None,
           where: str = "") -> Scope:
        """Evaluate *parameters* (in dependency order) over *outer*'s values."""
        seen: dict[str, Parameter] = {}
        for parameter in parameters:
            if parameter.name in seen:
                raise ParameterError(f"{where}parameter {parameter.name!r} is defined twice")
            seen[parameter.name] = parameter
        values = dict(outer.values) if outer else {}
        done: set[str] = set()

        def resolve(name: str, path: tuple[str, ...]) -> None:
            if name in done:
                return
            if name in path:
                loop = " -> ".join((*path[path.index(name):], name))
                raise ParameterCycleError(f"{where}parameters depend on each other: {loop}")
            parameter = seen[name]
            if parameter.formula:
                for used in names_in(parameter.formula) & set(seen):
                    resolve(used, (*path, name))
                try:
                    values[name] = evaluate(parameter.formula, values)
                except FormulaError as exc:
                    raise FormulaError(f"{where}parameter {name!r}: {exc}") from None
            else:
                assert parameter.value is not None
                values[name] = parameter.value
            done.add(name)

        for name in seen:
            resolve(name, ())
        return cls(values)

    def amount(self, value: float | str, where: str) -> float:
        """A number as given, or the value of a formula in this scope."""
        if isinstance(value, str):
            try:
                return evaluate(value, self.values)
            except FormulaError as exc:
                raise FormulaError(f"{where}: {exc}") from None
        return float(value)
