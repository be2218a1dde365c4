"""The manifest as a typed record: strict parsing, hostile manifests, bad snapshots listed."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

import quantum_frames as qf
from quantum_frames.errors import ManifestError
from quantum_frames.snapshots.manifest import Manifest, manifest_digest
from quantum_frames.source.record import Moment, Source

if TYPE_CHECKING:
    from collections.abc import Iterator

    from quantum_frames.frames import QuantumFrames


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return qf.sample().write_snapshot(tmp_path_factory.mktemp("m") / "snap", as_of="2025-10-01")


def rewrite(path: Path, data: dict[str, Any]) -> None:
    """Write a hostile manifest whose self-hash is recomputed, so it reaches the parser."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 20_000))  # json.dumps of a 3,000-deep value
    try:
        data["manifest_sha256"] = manifest_digest(data)
        (path / "manifest.json").write_text(json.dumps(data))
    finally:
        sys.setrecursionlimit(limit)


def leaves(value: Any, where: str = "") -> Iterator[tuple[str, list[Any], Any]]:
    """(dotted field name, key path, value) of every field, first element of each array."""
    if isinstance(value, dict):
        for k, v in value.items():
            name = f"{where}.{k}" if where else k
            yield name, [k], v
            for sub, keys, leaf in leaves(v, name):
                yield sub, [k, *keys], leaf
    elif isinstance(value, list) and value:
        yield f"{where}[0]", [0], value[0]
        for sub, keys, leaf in leaves(value[0], f"{where}[0]"):
            yield sub, [0, *keys], leaf


def wrong(value: Any) -> Any:
    """A value of another JSON type."""
    if isinstance(value, bool):
        return "yes"
    if isinstance(value, str):
        return 7
    if isinstance(value, int | float):
        return "many"
    if isinstance(value, list):
        return {"a": 1}
    if isinstance(value, dict):
        return [1]
    return [None]


def test_to_json_reads_back_equal(written: Path) -> None:
    m = Manifest.load(written)
    again = Manifest.from_json(json.dumps(m.to_json()), path=written / "manifest.json")
    assert again == m
    assert m.to_json() == json.loads((written / "manifest.json").read_text())
    assert m.tables["teams"].rows == 96
    assert m.tables["teams"].flat.files[0].file == "teams.parquet"
    assert m.source.kind == "synthetic"
    assert m.source.describe().endswith("(synthetic)")


def test_every_field_of_the_wrong_type_is_a_manifest_error_naming_it(written: Path) -> None:
    """Each field in turn given another JSON type (hash recomputed): a ManifestError naming it.

    The error names that field (or the array holding it) — except free-form scalars, which stay
    valid.
    """
    original = json.loads((written / "manifest.json").read_text())
    free_form: tuple[str, ...] = (
        "source.label",
        "source.generator",
        "source.seed",
        "source.scale",
        "source.snapshot",
    )
    free_form += ("flatten.separator", "library_version")  # any scalar / any text
    cases = 0
    for name, keys, value in leaves(original):
        if name == "manifest_sha256":
            continue
        data = json.loads(json.dumps(original))
        target = data
        for k in keys[:-1]:
            target = target[k]
        target[keys[-1]] = wrong(value)
        body = {k: v for k, v in data.items() if k != "manifest_sha256"}
        data["manifest_sha256"] = manifest_digest(body)
        text = json.dumps(data)
        if name in free_form and isinstance(wrong(value), int | str):
            if name == "library_version":
                with pytest.raises(ManifestError, match="field library_version: expected text"):
                    Manifest.from_json(text)
            else:
                Manifest.from_json(text)  # a scalar of another type is still a scalar
            continue
        with pytest.raises(ManifestError) as info:  # not raised: pytest names the field's case
            Manifest.from_json(text)
        assert info.value.field, (name, str(info.value))
        assert name.startswith(info.value.field), (name, info.value.field, str(info.value))
        assert f"field {info.value.field}:" in str(info.value)
        cases += 1
    assert cases >= 80


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (lambda d: d.update(source="x"), "source"),
        (lambda d: d["source"].update(kind=None), "source.kind"),
        (lambda d: d["source"].update(moment={"snapshot": 1}), "source.moment.snapshot"),
        (lambda d: d.update(tables={"teams": d["tables"]["teams"]}), "tables.friction"),
        (lambda d: d["tables"]["teams"].update(rows=-1), "tables.teams.rows"),
        (lambda d: d["tables"]["teams"].update(rows=True), "tables.teams.rows"),
        (lambda d: d["tables"]["teams"]["flat"].update(files=[]), "tables.teams.flat.files"),
        (lambda d: d.update(as_of="yesterday"), "as_of"),
        (lambda d: d.update(extra=1), "extra"),
        (lambda d: d["tables"]["teams"]["raw"]["files"][0].update(sha256="ab"), "sha256"),
        (lambda d: d["tables"]["teams"]["flat"]["files"][0].update(file="/etc/passwd"), "file"),
        (lambda d: d.update(format_version="2"), "format_version"),
    ],
)
def test_hostile_fields(written: Path, tmp_path: Path, edit: Any, field: str) -> None:
    copy = Path(shutil.copytree(written, tmp_path / "snap"))
    data = json.loads((copy / "manifest.json").read_text())
    edit(data)
    rewrite(copy, data)
    with pytest.raises(ManifestError) as info:
        qf.read_snapshot(copy)
    assert info.value.field.endswith(field), str(info.value)


@pytest.mark.parametrize("depth", [100, 3_000])
def test_deep_nesting_is_a_manifest_error_never_a_recursion_error(
    written: Path, tmp_path: Path, depth: int
) -> None:
    folder = tmp_path / "history"
    copy = Path(shutil.copytree(written, folder / "snap"))
    data = json.loads((copy / "manifest.json").read_text())
    nested: Any = 1
    for _ in range(depth):
        nested = [nested]
    data["source"]["deep"] = nested
    rewrite(copy, data)
    for read in (
        lambda: qf.read_snapshot(copy),
        lambda: qf.read_snapshot(folder),
        lambda: qf.read_snapshot(folder, as_of="2026-01-01"),
        lambda: qf.scan_snapshot(copy),
    ):
        with pytest.raises(qf.SnapshotError, match="nested deeper than 32 levels"):
            read()
    listed = qf.list_snapshots(folder)
    assert "nested deeper" in listed["problem"][0]


def test_a_manifest_too_large_is_refused_unread(
    written: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from quantum_frames.snapshots import manifest

    copy = Path(shutil.copytree(written, tmp_path / "snap"))
    monkeypatch.setattr(manifest, "MAX_MANIFEST_BYTES", 1000)
    with pytest.raises(qf.SnapshotError, match="larger than"):
        qf.read_snapshot(copy)


def test_list_snapshots_lists_the_good_ones_and_says_why_a_bad_one_is_bad(
    tmp_path: Path, written: Path
) -> None:
    sample = qf.sample()
    for day in ("2025-09-01", "2025-11-01"):
        sample.write_snapshot(tmp_path / day, as_of=day)
    bad = Path(shutil.copytree(written, tmp_path / "2025-10-01"))
    data = json.loads((bad / "manifest.json").read_text())
    data["source"] = "x"
    rewrite(bad, data)
    listed = qf.list_snapshots(tmp_path)
    assert listed.height == 3
    good = listed.filter(listed["problem"].is_null())
    assert good["path"].to_list() == [str(tmp_path / "2025-09-01"), str(tmp_path / "2025-11-01")]
    problem = listed.filter(listed["problem"].is_not_null()).row(0, named=True)
    assert problem["path"] == str(bad)
    assert "field source: expected an object" in problem["problem"]
    # the history itself has a hole: reading it says so, naming the snapshot and the field
    with pytest.raises(qf.SnapshotError, match=r"cannot be read.*2025-10-01.*field source"):
        qf.read_snapshot(tmp_path, as_of="2025-10-15")


def test_the_source_record_round_trips_with_a_moment() -> None:
    moment = Moment("123:456:", "2026-12-01T10:00:00+00:00", "17.2", consistent=True)
    src = Source.from_mapping(
        {"kind": "postgresql", "host": "db", "user": "u", "port": 5433, "dbname": "x",
         "schema": "quantum", "password": "Hunter2", "tables": {"teams": "t"}, "moment": moment}
    )  # fmt: skip
    assert "password" not in src.details
    assert Source.from_json(src.to_json()) == src
    assert src.describe() == "postgresql://u@db:5433/x (schema quantum)"
    assert Source.from_mapping({**src.to_mapping(), "moment": moment.to_json()}).moment == moment


def test_the_moment_is_kept_by_a_snapshot(tmp_path: Path, sample_frames: QuantumFrames) -> None:
    from dataclasses import replace

    moment = Moment("123:456:", "2026-12-01T10:00:00+00:00", "17.2", consistent=False)
    q = replace(sample_frames, source={**sample_frames.source, "moment": moment})
    back = qf.read_snapshot(q.write_snapshot(tmp_path / "snap"))
    assert back.source["moment"] == moment.to_json()


@pytest.fixture(scope="module")
def sample_frames() -> QuantumFrames:
    return qf.sample()


def test_a_source_with_nan_and_nested_values_writes_a_snapshot_that_reads(
    tmp_path: Path, sample_frames: QuantumFrames
) -> None:
    """JSON has no NaN: a detail holding one is kept as text, nested ones as their JSON text.

    Written as they came, the snapshot would fail its own read.
    """
    from dataclasses import replace

    source = {**sample_frames.source, "weird": float("nan"), "nested": {"a": [1]}}
    back = qf.read_snapshot(replace(sample_frames, source=source).write_snapshot(tmp_path / "s"))
    assert back.source["weird"] == "nan"
    assert back.source["nested"] == '{"a": [1]}'


def test_an_empty_snapshot_partitioned_or_not_reads_back(tmp_path: Path) -> None:
    from quantum_frames.frames import SourceTables
    from quantum_frames.synthetic.build import JSON_COLUMNS

    raw = qf.sample().raw
    empty = qf.build_frames(
        SourceTables(**{name: frame.head(0) for name, frame in raw.items()}),
        json_columns=JSON_COLUMNS,
        source={"kind": "test"},
    )
    for partition_by in (None, "league"):
        path = empty.write_snapshot(tmp_path / f"s-{partition_by}", partition_by=partition_by)
        back = qf.read_snapshot(path)
        assert back.teams.height == 0
        assert back.teams.schema == empty.teams.schema
        assert qf.scan_snapshot(path).friction.collect().schema == empty.friction.schema


def test_a_format_1_manifest_with_a_nested_source_detail_still_reads(
    written: Path, tmp_path: Path
) -> None:
    """Format 1 recorded any JSON in the source; it is kept as JSON text, not refused."""
    copy = Path(shutil.copytree(written, tmp_path / "snap"))
    data = json.loads((copy / "manifest.json").read_text())
    data["format_version"] = 1
    data["source"]["options"] = {"a": [1, 2]}
    rewrite(copy, data)
    assert qf.read_snapshot(copy).source["options"] == '{"a": [1, 2]}'
    data["format_version"] = 2
    rewrite(copy, data)
    with pytest.raises(ManifestError, match=r"field source\.options: expected a scalar"):
        qf.read_snapshot(copy)


def test_the_cli_names_the_field_and_lists_a_bad_snapshot(
    tmp_path: Path, written: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from quantum_frames.cli import main

    good = Path(shutil.copytree(written, tmp_path / "good"))
    bad = Path(shutil.copytree(written, tmp_path / "bad"))
    data = json.loads((bad / "manifest.json").read_text())
    data["tables"]["teams"]["rows"] = "many"
    rewrite(bad, data)
    assert main(["info", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "field tables.teams.rows" in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert main(["info", str(tmp_path)]) == 0  # the folder: listed, the bad one explained
    out = capsys.readouterr().out
    assert "2 snapshot(s)" in out
    assert "1 with a problem" in out
    assert "bad: " in out
    assert main(["info", str(good)]) == 0


def test_a_warm_read_parses_a_manifest_changed_since(tmp_path: Path, written: Path) -> None:
    """The parse a warm ``read_snapshot`` reuses is that of the very same bytes, never older."""
    snap = tmp_path / "snap"
    shutil.copytree(written, snap)
    assert qf.read_snapshot(snap).as_of is not None  # warm: the parse is kept
    path = snap / "manifest.json"
    data = json.loads(path.read_text())
    data["snapshot_id"] = "edited"  # no digest recomputed: the manifest is damaged
    path.write_text(json.dumps(data))
    with pytest.raises(ManifestError, match="manifest_sha256"):
        qf.read_snapshot(snap)
    rewrite(snap, {**data, "as_of": "2020-01-01T00:00:00Z"})  # a valid manifest again
    as_of = qf.read_snapshot(snap).as_of
    assert as_of is not None
    assert as_of.year == 2020
