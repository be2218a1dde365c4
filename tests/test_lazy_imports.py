"""``import quantum_frames`` stays light: heavy modules load on first use, names still work."""

from __future__ import annotations

import subprocess
import sys

import pytest

import quantum_frames as qf


def test_import_does_not_load_pyarrow_numpy_or_duckdb() -> None:
    code = (
        "import sys, quantum_frames\n"
        "heavy = [m for m in ('pyarrow', 'numpy', 'duckdb', 'connectorx', 'psycopg', 'deltalake',"
        " 'quantum_frames.source', 'quantum_frames.snapshots', 'quantum_frames.history')"
        " if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert out.stdout.strip() == ""


@pytest.mark.parametrize("name", sorted(qf._LAZY))
def test_lazy_names_resolve_to_their_modules(name: str) -> None:
    import importlib

    value = getattr(qf, name)
    assert value is getattr(importlib.import_module(qf._LAZY[name]), name)
    assert name in qf.__all__
    assert name in dir(qf)


def test_from_import_of_a_lazy_name() -> None:
    from quantum_frames import read_snapshot, walk_forward

    assert callable(read_snapshot)
    assert callable(walk_forward)


def test_unknown_name_raises_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = qf.no_such_name
