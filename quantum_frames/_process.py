"""Which writer processes still run: leftovers of dead ones may be removed."""

from __future__ import annotations

import os

__all__ = ["process_alive"]


def process_alive(pid: int) -> bool:
    """Whether a process of this id runs on this machine (ours, or another user's).

    Args:
        pid: the process id a temporary file or lock was named after.

    Returns:
        True unless the process is known to be gone (when in doubt: alive, so nothing of a
        running writer is ever removed).
    """
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, as another user's
        return True
    return True
