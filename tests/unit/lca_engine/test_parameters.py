"""Parameters and formulas: scopes, dependency order, cycles, and what a formula may not do."""

from __future__ import annotations

import pytest

from lca_engine.parameters import (
    FormulaError,
    Parameter,
    ParameterCycleError,
    ParameterError,
    Scope,
    evaluate,
)


class TestEvaluate:
    @pytest.mark.parametrize(("formula", "value"), [
        ("a * 2 + sqrt(b)", 5.0), ("1 - a / 3", 0.5), ("a if b > 3 else 0", 1.5),
        ("max(a, b, 2) - min(a, b)", 2.5), ("round(2.567, 1)", 2.6), ("b ** 0.5", 2.0),
        ("7 % 3", 1.0), ("-2 ** -3", -0.125), ("(10 ** 100) ** 3", 1e300)])
    def test_arithmetic_over_the_parameters_in_scope(self, formula: str, value: float) -> None:
        assert evaluate(formula, {"a": 1.5, "b": 4.0}) == pytest.approx(value)

    @pytest.mark.parametrize(("formula", "message"), [
        ('__import__("os")', "only the functions"), ("a.real", "Attribute is not allowed"),
        ('"text"', "only numbers"), ("(lambda: 1)()", "only the functions"),
        ("[1, 2]", "List is not allowed"), ("9 ** 99 ** 99", "exponent"),
        ("((10 ** 100) ** 100) ** 100", "OverflowError"), ("1 / 0", "ZeroDivisionError"),
        ("log(-1)", "math domain error"), ("c + 1", "no parameter named c"),
        ("1 <", "does not parse"), ("x" * 501, "at most 500 characters")])
    def test_anything_else_is_refused_with_the_formula(self, formula: str, message: str
                                                      ) -> None:
        with pytest.raises(FormulaError, match=message.replace("(", r"\(").replace(")", r"\)")):
            evaluate(formula, {"a": 1.5})


class TestScopes:
    def test_parameters_resolve_in_dependency_order_whatever_their_order(self) -> None:
        scope = Scope.of((Parameter("mass", formula="net / yield_"),
                          Parameter("net", 920.0), Parameter("yield_", 0.92)))
        assert scope.values["mass"] == pytest.approx(1000.0)

    def test_an_inner_scope_sees_and_shadows_the_outer_one(self) -> None:
        model = Scope.of((Parameter("loss", 0.05), Parameter("power", 2.0)))
        process = Scope.of((Parameter("loss", 0.1),
                            Parameter("gross", formula="power * (1 + loss) * 10")), model)
        assert process.values["gross"] == pytest.approx(22.0)  # the process's own loss
        assert process.amount("gross / 2", "input 'x'") == pytest.approx(11.0)
        assert model.values["loss"] == 0.05

    def test_a_cycle_is_named(self) -> None:
        with pytest.raises(ParameterCycleError, match="a -> b -> a"):
            Scope.of((Parameter("a", formula="b + 1"), Parameter("b", formula="a * 2")))

    def test_names_and_definitions_are_checked(self) -> None:
        with pytest.raises(ParameterError, match="exactly one"):
            Parameter("x")
        with pytest.raises(ParameterError, match="letters, digits"):
            Parameter("2x", 1.0)
        with pytest.raises(ParameterError, match="defined twice"):
            Scope.of((Parameter("x", 1.0), Parameter("x", 2.0)))

    def test_a_formula_error_says_where(self) -> None:
        with pytest.raises(FormulaError, match="process 'p', input 'coal': formula 'k \\* 2'"):
            Scope.of(()).amount("k * 2", "process 'p', input 'coal'")
