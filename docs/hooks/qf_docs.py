"""MkDocs hook for the quantum_frames site: notebooks, reference coverage, docstring audit.

- **Notebooks.** The three notebooks stay where they are (``notebooks/*.ipynb``). At build time
  each is copied to a temporary folder with every Altair chart output replaced by the PNG
  figure the notebook saved (``notebooks/figures/<name>.png``): Altair's HTML output loads
  Vega from a CDN, so it would render as an empty box offline. The copies are added to the
  build as ``notebooks/<name>.ipynb`` pages, which mkdocs-jupyter renders from their committed
  outputs (never executed). Progress-bar noise on stderr (tqdm) is left out of the pages.
- **Reference coverage.** Every name in ``quantum_frames.__all__`` (and every error class of
  ``quantum_frames.errors``) must have a ``::: quantum_frames.…`` entry on a page under
  ``docs/reference/``; a missing one is a warning, so ``mkdocs build --strict`` fails naming it.
- **Docstrings.** A public function, class or method without a docstring is a warning too,
  and so is one without an ``Examples:`` block holding a doctest (``>>>``).

``tests/test_docs.py`` uses the same functions, so the test and the build agree.
"""

from __future__ import annotations

import base64
import inspect
import json
import logging
import re
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mkdocs.plugins import event_priority
from mkdocs.structure.files import File

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.structure.files import Files

log = logging.getLogger("mkdocs.hooks.qf_docs")

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
REFERENCE = ROOT / "docs" / "reference"

# ``::: quantum_frames.read_postgres`` (mkdocstrings' autodoc syntax), at the start of a line.
_ENTRY = re.compile(r"^:::\s+(quantum_frames(?:\.[A-Za-z_][A-Za-z0-9_]*)+)\s*$", re.MULTILINE)
# The notebooks display each chart through ``show(chart, "<figure name>")``.
_SHOW = re.compile(r"show\(.*,\s*\"([A-Za-z0-9_]+)\"\s*,?\s*\)\s*$", re.DOTALL)
_CHART_MARKERS = ("vega-embed", "application/vnd.vegalite")
# Progress-bar noise on stderr (tqdm's bars, its "IProgress not found" warning, with the path of
# the machine that ran the notebook): not content. Other stderr output (a library warning the
# notebook shows on purpose) is kept.
_PROGRESS_BAR = re.compile(r"^\s*$|\|\s*\d+/\d+ \[[^\]]*\]\s*$")
# A google-style ``Examples:`` section header, on a line of its own.
_EXAMPLES = re.compile(r"^\s*Examples:\s*$", re.MULTILINE)
# Public names known to lack a docstring, to be written in the package (then removed here).
# Listed at INFO level; a listed name that gained its docstring, or is gone, is a warning,
# so this list can only shrink.
KNOWN_UNDOCUMENTED: frozenset[str] = frozenset()

_tmp: Path | None = None


# --- reference coverage ----------------------------------------------------------------------


def reference_entries(reference_dir: Path = REFERENCE) -> dict[str, str]:
    """Every ``::: quantum_frames.X`` entry of the reference pages.

    Args:
        reference_dir: the folder of reference pages.

    Returns:
        The dotted identifier of each entry, mapped to the page (relative path) holding it.
    """
    found: dict[str, str] = {}
    for page in sorted(reference_dir.rglob("*.md")):
        for identifier in _ENTRY.findall(page.read_text(encoding="utf-8")):
            found.setdefault(identifier, page.relative_to(reference_dir).as_posix())
    return found


def documented_public_names(entries: Iterable[str]) -> set[str]:
    """The top-level names of ``quantum_frames`` that the entries document.

    An entry documents a public name when it names it at the top level
    (``quantum_frames.read_postgres``) or at the module it is defined in
    (``quantum_frames.errors.SourceError``): both render the same object.

    Args:
        entries: dotted identifiers of reference entries.

    Returns:
        The names of ``quantum_frames.__all__`` those entries render.
    """
    import quantum_frames as qf

    by_object: dict[int, str] = {}
    for name in qf.__all__:
        obj = getattr(qf, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            by_object[id(obj)] = name
    names: set[str] = set()
    for identifier in entries:
        parts = identifier.split(".")
        if len(parts) == 2 and parts[1] in qf.__all__:
            names.add(parts[1])
            continue
        obj = _resolve(identifier)
        if obj is not None and id(obj) in by_object:
            names.add(by_object[id(obj)])
    return names


def missing_reference_entries(
    reference_dir: Path = REFERENCE, *, public: Iterable[str] | None = None
) -> list[str]:
    """The public names that no reference page documents.

    Args:
        reference_dir: the folder of reference pages.
        public: the names that need an entry (default: ``quantum_frames.__all__`` and every
            error class of ``quantum_frames.errors``, the latter as ``errors.<Name>``).

    Returns:
        The missing names, sorted (empty when every name has its entry).
    """
    entries = reference_entries(reference_dir)
    if public is None:
        import quantum_frames as qf
        from quantum_frames import errors

        public = [*qf.__all__, *(f"errors.{name}" for name in errors.__all__)]
    documented = documented_public_names(entries)
    missing: list[str] = []
    for name in public:
        if name.startswith("errors."):
            attr = name.removeprefix("errors.")
            if attr in documented or f"quantum_frames.{name}" in entries:
                continue
        elif name in documented:
            continue
        missing.append(name)
    return sorted(missing)


def _resolve(identifier: str) -> object | None:
    import importlib

    parts = identifier.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr, None)
            if obj is None:
                return None
        return obj
    return None


# --- docstring audit -------------------------------------------------------------------------


def _public_members() -> Iterator[tuple[str, object]]:
    import quantum_frames as qf
    from quantum_frames.ops.namespace import QfFrameNamespace

    for name in qf.__all__:
        obj = getattr(qf, name)
        if not (inspect.isclass(obj) or inspect.isfunction(obj)):
            continue  # data (TIERS, __version__): documented on its page
        yield f"qf.{name}", obj
        if inspect.isclass(obj) and not issubclass(obj, BaseException | Warning):
            yield from _methods(f"qf.{name}", obj)
    yield from _methods("df.qf", QfFrameNamespace)


def _methods(prefix: str, cls: type) -> Iterator[tuple[str, object]]:
    for attr, member in vars(cls).items():
        if attr.startswith("_"):
            continue
        if inspect.isfunction(member) or isinstance(member, property | classmethod | staticmethod):
            yield f"{prefix}.{attr}", member
    for base in cls.__mro__[1:]:
        if base.__module__.startswith("quantum_frames"):
            yield from _methods(prefix, base)


def docstring_audit() -> tuple[list[str], list[str]]:
    """Public functions, classes and methods without a docstring, or without an example.

    Returns:
        ``(no docstring, no Examples block)``: the public names in each case, sorted.
    """
    undocumented: set[str] = set()
    no_example: set[str] = set()
    for name, obj in _public_members():
        target = obj.__func__ if isinstance(obj, classmethod | staticmethod) else obj
        doc = target.__doc__ if isinstance(target, property) else inspect.getdoc(target)
        if not doc or not doc.strip():
            undocumented.add(name)
        elif not has_examples(doc) and not _is_exception(obj):
            no_example.add(name)
    return sorted(undocumented), sorted(no_example)


def has_examples(doc: str) -> bool:
    r"""Whether a docstring has an ``Examples:`` section with a doctest in it.

    Args:
        doc: the docstring.

    Returns:
        True when an ``Examples:`` header line is followed by a ``>>>`` line.

    Examples:
        >>> has_examples("Sum.\n\nExamples:\n    >>> 1 + 1\n    2\n")
        True
        >>> has_examples("Sum.\n\n>>> 1 + 1\n2\n")  # a doctest, but no Examples section
        False
    """
    header = _EXAMPLES.search(doc)
    return header is not None and ">>>" in doc[header.end() :]


def _is_progress_noise(output: dict[str, Any]) -> bool:
    if output.get("output_type") != "stream" or output.get("name") != "stderr":
        return False
    text = "".join(output.get("text", ""))
    if "TqdmWarning: IProgress not found" in text:  # the whole output is that one warning
        return True
    return all(_PROGRESS_BAR.search(line) for line in re.split(r"[\r\n]", text))


def _is_exception(obj: object) -> bool:
    return inspect.isclass(obj) and issubclass(obj, BaseException)


# --- notebooks -------------------------------------------------------------------------------


def offline_notebook(source: Path, figures: Path) -> tuple[dict[str, Any], list[str]]:
    """A notebook whose Altair chart outputs are replaced by the PNG figures it saved.

    Args:
        source: the committed notebook.
        figures: the folder of its saved figures (``<name>.png``).

    Returns:
        The notebook (nbformat JSON) and the problems found: a chart whose figure is missing
        or cannot be matched to a ``show(chart, "<name>")`` call.
    """
    nb: dict[str, Any] = json.loads(source.read_text(encoding="utf-8"))
    problems: list[str] = []
    for index, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        text = "".join(cell["source"])
        cell["outputs"] = [o for o in cell.get("outputs", []) if not _is_progress_noise(o)]
        for output in cell["outputs"]:
            data = output.get("data", {})
            if not any(marker in json.dumps(data) for marker in _CHART_MARKERS):
                continue
            match = _SHOW.search(text)
            figure = figures / f"{match.group(1)}.png" if match else None
            if figure is None or not figure.is_file():
                problems.append(
                    f"{source.name}, cell {index}: a chart output with no saved figure "
                    f"({figure.name if figure else 'no show(chart, name) call'})"
                )
                continue
            png = base64.b64encode(figure.read_bytes()).decode("ascii")
            output["data"] = {"image/png": png, "text/plain": [f"<chart {figure.stem}>"]}
            output.setdefault("metadata", {})
    return nb, problems


@event_priority(100)  # before mkdocs-jupyter turns .ipynb files into pages
def on_files(files: Files, *, config: MkDocsConfig) -> Files:
    """Add the notebooks, made offline-readable, as ``notebooks/<name>.ipynb`` pages."""
    global _tmp
    _tmp = Path(tempfile.mkdtemp(prefix="qf-docs-"))
    (_tmp / "notebooks").mkdir()  # mkdocs-jupyter's include pattern: notebooks/*.ipynb
    for source in sorted(NOTEBOOKS.glob("*.ipynb")):
        nb, problems = offline_notebook(source, NOTEBOOKS / "figures")
        for problem in problems:
            log.warning("%s: it would render empty offline; run `make notebooks`", problem)
        copy = _tmp / "notebooks" / source.name
        copy.write_text(json.dumps(nb, ensure_ascii=False), encoding="utf-8")
        # A File rooted in the temporary folder (not File.generated: mkdocs-jupyter reads a
        # notebook through src_dir, which a generated file lacks).
        files.append(
            File(
                f"notebooks/{source.name}",
                src_dir=str(_tmp),
                dest_dir=config.site_dir,
                use_directory_urls=config.use_directory_urls,
            )
        )
    return files


def on_pre_build(*, config: MkDocsConfig) -> None:
    """Fail a strict build on a public name without a reference entry, docstring or example."""
    del config  # the hook signature; the checks read the package and docs/reference
    for name in missing_reference_entries():
        log.warning(
            "public name %r has no entry in docs/reference/: add `::: quantum_frames.%s` "
            "to the page of its stage",
            name,
            name.removeprefix("errors."),
        )
    undocumented, no_example = docstring_audit()
    for name in sorted(set(undocumented) - KNOWN_UNDOCUMENTED):
        log.warning("%s has no docstring: the reference would show only its signature", name)
    for name in sorted(KNOWN_UNDOCUMENTED - set(undocumented)):
        log.warning("%s is documented now (or gone): remove it from KNOWN_UNDOCUMENTED", name)
    if known := sorted(KNOWN_UNDOCUMENTED & set(undocumented)):
        log.info("known to lack a docstring (to write): %s", ", ".join(known))
    for name in no_example:
        log.warning(
            "%s has no Examples block: add an `Examples:` section with a short doctest "
            "(on qf.sample(), writing under tempfile.mkdtemp())",
            name,
        )


def on_post_build(*, config: MkDocsConfig) -> None:
    """Remove the temporary notebook copies."""
    del config
    if _tmp is not None:
        shutil.rmtree(_tmp, ignore_errors=True)
