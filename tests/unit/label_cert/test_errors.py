"""label_cert raises one tree of errors, each class defined once, all under LabelError."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import label_cert
from label_cert import errors


def test_every_public_error_of_the_package_is_a_label_error_defined_in_errors() -> None:
    found = {}
    for module in pkgutil.iter_modules(label_cert.__path__):
        loaded = importlib.import_module(f"label_cert.{module.name}")
        for name, value in vars(loaded).items():
            if (inspect.isclass(value) and issubclass(value, BaseException)
                    and value.__module__.startswith("label_cert") and not name.startswith("_")):
                found[name] = value
    assert len(found) > 40
    for name, value in found.items():
        assert issubclass(value, errors.LabelError), name
        assert value.__module__ == "label_cert.errors", name
        assert value.__doc__, name


def test_the_tree_in_the_docstring_names_every_class() -> None:
    classes = [name for name, value in vars(errors).items()
               if inspect.isclass(value) and issubclass(value, errors.LabelError)]
    assert errors.__doc__ is not None
    missing = [name for name in classes if name not in errors.__doc__]
    assert missing == []
