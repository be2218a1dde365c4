"""Progress for long work: a tqdm bar in terminals and notebooks, nothing elsewhere."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

__all__ = ["Progress", "ProgressArg", "interactive"]

#: ``None``: a bar when output is a terminal or a notebook; ``True``/``False``: always/never;
#: a callable: called with a short line per step (the CLI prints them).
ProgressArg = bool | Callable[[str], None] | None


def interactive() -> bool:
    """True in a Jupyter kernel or when standard error is a terminal."""
    if "ipykernel" in sys.modules:
        try:
            from IPython import get_ipython  # type: ignore[attr-defined, unused-ignore]

            shell = get_ipython()
        except ImportError:  # pragma: no cover
            shell = None
        if shell is not None and type(shell).__name__ == "ZMQInteractiveShell":
            return True
    return bool(getattr(sys.stderr, "isatty", lambda: False)())


class Progress:
    """Steps of one job: ``with Progress(6, "loading", arg) as p: p.step("teams fetched")``."""

    def __init__(self, total: int, desc: str, arg: ProgressArg) -> None:
        self._say = arg if callable(arg) else None
        self._bar: Any = None
        if arg is True or (arg is None and interactive()):
            from tqdm.auto import tqdm

            # shown on its own (None): no bar at all for work that ends within half a second
            delay = 0.5 if arg is None else 0.0
            self._bar = tqdm(total=total, desc=desc, unit="step", leave=False, delay=delay)

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def step(self, line: str) -> None:
        if self._say is not None:
            self._say(line)
        if self._bar is not None:
            self._bar.set_postfix_str(line[:60], refresh=False)
            self._bar.update(1)
