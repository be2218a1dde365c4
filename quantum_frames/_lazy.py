"""Names imported on first use (PEP 562): one loader for every package that defers imports."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping


def load(package: str, homes: Mapping[str, str], namespace: dict[str, Any], name: str) -> Any:
    """The object ``name`` of ``package``, imported from its module and kept in ``namespace``.

    Args:
        package: the package asking (for the error message), e.g. ``"quantum_frames"``.
        homes: name → the module that holds it.
        namespace: the package's ``globals()``: the name is kept there, so it loads once.
        name: the attribute asked for.

    Returns:
        The object.

    Raises:
        AttributeError: ``name`` is not one of ``homes``.
    """
    module = homes.get(name)
    if module is None:
        msg = f"module {package!r} has no attribute {name!r}"
        raise AttributeError(msg)
    value = getattr(importlib.import_module(module), name)
    namespace[name] = value
    return value
