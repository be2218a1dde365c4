"""Griffe extension: Sphinx roles in the package's docstrings rendered as code, not as noise.

Several docstrings write ``:func:`backtest``` or ``:class:`QuantumFrames``` (reST roles).
Markdown shows those literally (``:func:backtest``). This extension rewrites each role to an
inline code span of its target (```backtest```) when mkdocstrings loads the package; the
source files are not touched. It also splits ``a, b: text`` argument lines (several
parameters sharing one description) into one line per parameter, as google style reads them.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import griffe

if TYPE_CHECKING:
    from griffe import GriffeLoader, Object

# :func:`x`, :class:`~a.b.C`, :data:`X`, :meth:`Q.m`, :mod:`m`, :attr:`a`, :exc:`E`, :obj:`o`
_ROLE = re.compile(r":(?:py:)?(?:func|class|data|meth|mod|attr|exc|obj|const):`~?([^`]+)`")
# ``    a, b: text`` in an Args section: several parameters sharing one description.
_SHARED_ARG = re.compile(r"^(\s+)([A-Za-z_]\w*(?:,\s*[A-Za-z_]\w*)+):(\s.*)$", re.MULTILINE)


def strip_roles(text: str) -> str:
    """Replace every reST role in ``text`` by a code span of its target.

    Args:
        text: a docstring.

    Returns:
        The docstring with ``:role:`target``` written as ```target```.

    Examples:
        >>> strip_roles("The outcome of :func:`backtest`.")
        'The outcome of `backtest`.'
    """
    return _ROLE.sub(lambda match: f"`{match.group(1)}`", text)


def split_shared_args(text: str) -> str:
    r"""Give each of several parameters sharing one description a line of its own.

    Google-style docstrings document one parameter per line; ``a, b: text`` would be read
    as one parameter named ``a, b``, which is in no signature.

    Args:
        text: a docstring.

    Returns:
        The docstring with ``a, b: text`` written as ``a: text`` and ``b: text``.

    Examples:
        >>> split_shared_args("Args:\n    x, y: the point.")
        'Args:\n    x: the point.\n    y: the point.'
    """

    def split(match: re.Match[str]) -> str:
        indent, names, rest = match.groups()
        return "\n".join(f"{indent}{name.strip()}:{rest}" for name in names.split(","))

    return _SHARED_ARG.sub(split, text)


class SphinxRoles(griffe.Extension):
    """Rewrite reST roles in every loaded docstring."""

    def on_object(self, *, obj: Object, loader: GriffeLoader, **kwargs: Any) -> None:
        """Rewrite the roles of one object's docstring.

        Args:
            obj: the object griffe loaded.
            loader: griffe's loader (unused).
            **kwargs: other event arguments (unused).
        """
        del loader, kwargs
        if obj.docstring is not None:
            obj.docstring.value = split_shared_args(strip_roles(obj.docstring.value))
