"""The snapshot manifest: what a snapshot holds, where it came from, and how to check it."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any, Final

from quantum_frames.errors import InvalidArgumentError, InvalidArgumentTypeError, SnapshotError

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "MANIFEST",
    "Manifest",
    "manifest_digest",
    "parse_when",
    "sha256_of",
]

FORMAT: Final = "quantum_frames.snapshot"
FORMAT_VERSION: Final = 1
MANIFEST: Final = "manifest.json"
#: Parquet key-value metadata key pointing a stray file back to its snapshot.
PARQUET_KEY: Final = "quantum_frames.snapshot"


def manifest_digest(data: dict[str, Any]) -> str:
    """The SHA-256 of a manifest's content (canonical JSON, without its own digest)."""
    body = {k: v for k, v in data.items() if k != "manifest_sha256"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def sha256_of(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def parse_when(value: date | datetime | str, *, end_of_day: bool = False) -> datetime:
    """A date, datetime or ISO string → an aware UTC datetime.

    A bare date means its start, or its end with ``end_of_day`` ("at or before 2025-10-01"
    includes a snapshot taken at noon that day). Naive date-times are taken as UTC.
    """
    if isinstance(value, str):
        text = value.strip().replace("Z", "+00:00")
        try:
            value = date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
        except ValueError:
            msg = f"{value!r} is not a date or date-time. Hint: use ISO 8601, e.g. '2025-10-01' or '2025-10-01T18:00:00Z'."
            raise InvalidArgumentError(msg, argument="as_of") from None
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, date):
        moment = time.max if end_of_day else time.min
        return datetime.combine(value, moment, tzinfo=UTC)
    msg = f"expected a date, datetime or ISO string, got {type(value).__name__}. Hint: pass '2025-10-01'."
    raise InvalidArgumentTypeError(msg, argument="as_of")


@dataclass(frozen=True)
class Manifest:
    """A parsed, validated ``manifest.json``."""

    data: dict[str, Any]
    path: Path

    @classmethod
    def load(cls, snapshot: Path) -> Manifest:
        path = snapshot / MANIFEST
        if not path.is_file():
            msg = f"{snapshot} is not a snapshot: it has no {MANIFEST}. Hint: pass the snapshot directory written by write_snapshot, or a folder of them."
            raise SnapshotError(msg, path=path)
        try:
            data = json.loads(path.read_text("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            msg = f"{path} is not valid JSON ({exc}); the snapshot is damaged. Hint: restore it or write it again."
            raise SnapshotError(msg, path=path) from None
        manifest = cls(data, path)
        manifest.validate()
        return manifest

    def validate(self) -> None:
        d = self.data
        problems = []
        if not isinstance(d, dict) or d.get("format") != FORMAT:
            problems.append(f"'format' is not {FORMAT!r}")
        elif d.get("format_version") != FORMAT_VERSION:
            problems.append(
                f"format_version {d.get('format_version')!r} is not {FORMAT_VERSION} "
                "(written by another version of quantum_frames?)"
            )
        else:
            if d.get("manifest_sha256") != manifest_digest(d):
                problems.append(
                    "its content does not match its manifest_sha256 (edited or damaged)"
                )
            for key in ("created_at", "as_of", "tables", "source", "flatten", "snapshot_id"):
                if key not in d:
                    problems.append(f"'{key}' is missing")
            tables = d.get("tables")
            if isinstance(tables, dict):
                for name in ("teams", "friction", "strategies"):
                    problems += self._table_problems(name, tables.get(name))
            else:
                problems.append("'tables' is not an object")
            for key in ("created_at", "as_of"):
                if key in d:
                    try:
                        parse_when(str(d[key]))
                    except ValueError:
                        problems.append(f"'{key}' is not a date-time")
        if problems:
            msg = f"{self.path} is not a valid manifest: {'; '.join(problems)}. Hint: the manifest was edited or damaged; restore it or write the snapshot again."
            raise SnapshotError(msg, path=self.path)

    @staticmethod
    def _table_problems(name: str, table: Any) -> list[str]:
        if not isinstance(table, dict):
            return [f"table {name!r} is missing"]
        problems = []
        if not isinstance(table.get("rows"), int) or table["rows"] < 0:
            problems.append(f"table {name!r}: 'rows' is not a count")
        for kind in ("flat", "raw"):
            part = table.get(kind)
            if (
                not isinstance(part, dict)
                or not isinstance(part.get("files"), list)
                or not isinstance(part.get("columns"), list)
            ):
                problems.append(f"table {name!r}: '{kind}' lacks files or columns")
                continue
            for entry in part["files"]:
                if not (
                    isinstance(entry, dict)
                    and isinstance(entry.get("file"), str)
                    and isinstance(entry.get("sha256"), str)
                    and isinstance(entry.get("bytes"), int)
                ):
                    problems.append(
                        f"table {name!r}: a '{kind}' file entry lacks file, bytes or sha256"
                    )
                elif entry["file"].startswith("/") or ".." in Path(entry["file"]).parts:
                    problems.append(
                        f"table {name!r}: file {entry['file']!r} points outside the snapshot"
                    )
        return problems

    @property
    def snapshot(self) -> Path:
        return self.path.parent

    @property
    def as_of(self) -> datetime:
        return parse_when(str(self.data["as_of"]))

    @property
    def created_at(self) -> datetime:
        return parse_when(str(self.data["created_at"]))

    def files(self, kinds: tuple[str, ...] = ("flat", "raw")) -> list[dict[str, Any]]:
        """The data file entries of ``kinds`` ("flat", "raw") of every table."""
        return [
            entry
            for table in self.data["tables"].values()
            for kind in kinds
            for entry in table[kind]["files"]
        ]

    def verify(self) -> None:
        """Check every file's presence, size and SHA-256, and that no file is extra."""
        self.check_listing()
        self.check_digests(self.files())

    def check_listing(self) -> None:
        """Check every file's presence and size, and that no file is extra (no hashing)."""
        root = self.snapshot
        entries = self.files()
        for entry in entries:
            path = root / entry["file"]
            if not path.is_file():
                raise SnapshotError.damaged(root, entry["file"], "is missing (incomplete)")
            size = path.stat().st_size
            if size != entry["bytes"]:
                problem = (
                    f"has {size} bytes, the manifest says {entry['bytes']} (truncated or replaced)"
                )
                raise SnapshotError.damaged(root, entry["file"], problem)
        listed = {MANIFEST, *(e["file"] for e in entries)}
        extra = sorted(
            str(p.relative_to(root))
            for p in root.rglob("*")
            if p.is_file() and str(p.relative_to(root)) not in listed
        )
        if extra:
            msg = f"snapshot {root}: file(s) {', '.join(extra)} are not in the manifest. Hint: remove them, or write the snapshot again."
            raise SnapshotError(msg, path=root / extra[0])

    def check_digests(self, entries: list[dict[str, Any]], threads: int = 2) -> None:
        """Check the SHA-256 of the files of ``entries``."""
        from concurrent.futures import ThreadPoolExecutor

        root = self.snapshot
        with ThreadPoolExecutor(threads) as pool:  # hashlib frees the GIL
            digests = list(pool.map(lambda e: sha256_of(root / e["file"]), entries))
        for entry, digest in zip(entries, digests, strict=True):
            if digest != entry["sha256"]:
                problem = "fails its SHA-256 check (its bytes changed)"
                raise SnapshotError.damaged(root, entry["file"], problem)
