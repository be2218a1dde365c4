"""Replacing a snapshot directory atomically, and recovering a replacement cut short.

On Linux the new directory and the old one swap names in one step
(``renameat2(RENAME_EXCHANGE)``): at every instant the target holds the old snapshot or the
new one, and the old one is left under the new one's hidden temporary name, removed next.

Where the OS lacks that call, the old snapshot is first renamed aside
(``.<name>.aside-<pid>-<hex>``), then the new one renamed into place, then the aside copy
removed. A writer killed between the two renames leaves no directory under the target, only
the aside copy: the next access to the folder (a read, a listing, a write) sees that its writer
is gone and renames it back (the swap undone); if the target is there, the swap had finished
and the aside copy is removed.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import functools
import os
import re
import shutil
import uuid
from typing import TYPE_CHECKING, Final

from quantum_frames._process import process_alive

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["exchange", "recover", "swap"]

_AT_FDCWD: Final = -100
_RENAME_EXCHANGE: Final = 2
#: An old snapshot set aside: ours, and (``.tmp-<pid>-old<hex>``) the previous protocol's.
_ASIDE = re.compile(r"^\.(?P<name>.+)\.(?:aside-(?P<pid>\d+)-|tmp-(?P<old_pid>\d+)-old)[0-9a-f]+$")


def exchange(a: Path, b: Path) -> bool:
    """Swap the names of ``a`` and ``b`` atomically (Linux ``renameat2(RENAME_EXCHANGE)``).

    Args:
        a: an existing path.
        b: another existing path, in the same filesystem.

    Returns:
        True when swapped; False when the OS or the filesystem has no such call.

    Raises:
        OSError: the call exists and failed for another reason.
    """
    func = _renameat2()
    if func is None:
        return False
    result = func(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in {errno.ENOSYS, errno.EINVAL, errno.ENOTSUP}:
        return False
    raise OSError(code, os.strerror(code), str(b))


@functools.cache
def _renameat2() -> ctypes._CFuncPtr | None:  # type: ignore[name-defined]
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        func = ctypes.CDLL(name, use_errno=True).renameat2
    except (OSError, AttributeError):  # not glibc ≥ 2.28, or not Linux
        return None
    func.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    func.restype = ctypes.c_int
    return func


def swap(new: Path, target: Path, *, atomic: bool = True) -> Path:
    """Put the directory ``new`` in place of the directory ``target``.

    Args:
        new: the complete new snapshot, beside ``target``.
        target: the snapshot it replaces.
        atomic: try the one-step exchange first (False: the rename-aside protocol only).

    Returns:
        Where the old snapshot now is (to be removed by the caller).
    """
    if atomic and exchange(new, target):
        _fsync_dir(target.parent)
        return new
    aside = target.with_name(f".{target.name}.aside-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    target.rename(aside)
    _fsync_dir(target.parent)
    try:
        new.rename(target)
    except OSError:
        aside.rename(target)  # undo: the old one stays
        raise
    _fsync_dir(target.parent)
    return aside


def recover(folder: Path) -> None:
    """Finish or undo the replacements in ``folder`` whose writer died mid-way.

    An old snapshot set aside whose target is missing is renamed back (undo); one whose
    target exists is removed (the new snapshot was in place). Replacements of live writers
    are left alone.

    Args:
        folder: the folder holding the snapshots.
    """
    try:
        entries = list(folder.iterdir())
    except OSError:
        return
    for entry in entries:
        match = _ASIDE.match(entry.name)
        if match is None or not entry.is_dir() or entry.is_symlink():
            continue
        if process_alive(int(match["pid"] or match["old_pid"])):
            continue
        target = folder / match["name"]
        if os.path.lexists(target):
            shutil.rmtree(entry, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):  # another process recovered it first
                entry.rename(target)
                _fsync_dir(folder)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
