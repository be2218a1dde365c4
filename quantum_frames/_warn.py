"""Warnings that point at the caller's line, however deep inside quantum_frames they start."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Final

__all__ = ["caller_stacklevel"]

_PACKAGE: Final = str(Path(__file__).absolute().parent) + os.sep


def caller_stacklevel() -> int:
    """The ``stacklevel`` that makes a warning point at the first frame outside the package.

    Call it in the function that calls :func:`warnings.warn`. A fixed stacklevel is right
    for one call path only (``q.best_strategies`` adds a frame over
    ``ops.best_strategies``); this one counts the package's frames instead.

    Returns:
        The stacklevel to pass to :func:`warnings.warn` (1: the calling function itself).

    Examples:
        >>> caller_stacklevel()  # called from outside the package: its own frame
        1
    """
    frame = sys._getframe(1)
    level = 1
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame = frame.f_back
        level += 1
    return level
