"""``quantum_frames.ops`` re-exports the operation functions.

No public name anywhere in the package shadows a module.
"""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import quantum_frames
from quantum_frames import ops


@pytest.mark.parametrize("name", ops.__all__)
def test_every_listed_operation_is_the_function_of_its_module(name: str) -> None:
    value = getattr(ops, name)
    home = importlib.import_module(value.__module__) if hasattr(value, "__module__") else None
    if callable(value) and home is not None:
        assert home.__name__.startswith("quantum_frames.ops.")
        assert getattr(home, name) is value
    assert name in dir(ops)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'teams_in_teir'"):
        ops.teams_in_teir  # noqa: B018


def _packages() -> list[str]:
    prefix = f"{quantum_frames.__name__}."
    found = pkgutil.walk_packages(quantum_frames.__path__, prefix)
    return [quantum_frames.__name__, *(info.name for info in found if info.ispkg)]


@pytest.mark.parametrize("package", _packages())
def test_no_public_name_shadows_a_module(package: str) -> None:
    module = importlib.import_module(package)
    submodules = {info.name for info in pkgutil.iter_modules(module.__path__)} - {"__main__"}
    assert not submodules & set(getattr(module, "__all__", ())), package
    for name in submodules:  # importing each submodule leaves its parent's attribute a module
        importlib.import_module(f"{package}.{name}")
        assert getattr(module, name).__name__ == f"{package}.{name}"
