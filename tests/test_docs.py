"""The documentation site: reference coverage, offline notebooks, an offline build, runnable guide.

``make docs`` builds the site (strict); these tests hold the pieces that build relies on,
without building it again: the same hook functions (docs/hooks/qf_docs.py) and the
examples of the guide run against the bundled sample.
"""

from __future__ import annotations

import doctest
import importlib.util
import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import yaml

import quantum_frames as qf
from quantum_frames import errors

if TYPE_CHECKING:
    from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"docs_{name}", DOCS / "hooks" / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


hook = _load("qf_docs")
roles = _load("griffe_roles")


def test_the_docs_hooks_examples_hold() -> None:
    """The hooks sit outside the doctest paths: their examples run here."""
    failed, attempted = doctest.testmod(roles)
    assert (failed, attempted) == (0, 2)
    failed, attempted = doctest.testmod(hook)
    assert failed == 0
    assert attempted >= 2


def test_roles_become_code_and_shared_args_split() -> None:
    text = "The outcome of :func:`backtest` and :class:`~quantum_frames.QuantumFrames`."
    assert (
        roles.strip_roles(text) == "The outcome of `backtest` and `quantum_frames.QuantumFrames`."
    )
    args = "Args:\n    q: the frames.\n    snapshot_id, created_at: fixed values.\n"
    assert roles.split_shared_args(args) == (
        "Args:\n    q: the frames.\n    snapshot_id: fixed values.\n    created_at: fixed values.\n"
    )


# --- every public name has its reference entry ------------------------------------------------


def test_every_public_name_has_a_reference_entry() -> None:
    assert hook.missing_reference_entries() == []


def test_a_public_name_without_an_entry_is_reported(tmp_path: Path) -> None:
    """The coverage check can fail: a page set missing one name reports exactly that name."""
    entries = hook.reference_entries()
    dropped = "read_snapshot"
    kept = [e for e in entries if e != f"quantum_frames.{dropped}"]
    assert len(kept) == len(entries) - 1
    (tmp_path / "all.md").write_text("\n\n".join(f"::: {e}" for e in kept), encoding="utf-8")
    assert hook.missing_reference_entries(tmp_path) == [dropped]
    # A name documented at its defining module counts as documented.
    (tmp_path / "more.md").write_text(
        "::: quantum_frames.snapshots.reader.read_snapshot\n", encoding="utf-8"
    )
    assert hook.missing_reference_entries(tmp_path) == []


def test_a_new_public_name_needs_an_entry() -> None:
    # (a name that does not exist; "read_history" served until issue 19 added it)
    assert hook.missing_reference_entries(public=[*qf.__all__, "read_lakehouse"]) == [
        "read_lakehouse"
    ]


def test_the_error_family_and_the_namespace_have_entries() -> None:
    entries = hook.reference_entries()
    pages = {e.rsplit(".", 1)[-1]: page for e, page in entries.items()}
    for name in errors.__all__:
        assert pages.get(name) == "errors.md", name
    assert pages.get("QfFrameNamespace") == pages.get("QfLazyNamespace") == "namespace.md"
    # The errors page says when each is raised: one table row per class.
    text = (DOCS / "reference" / "errors.md").read_text(encoding="utf-8")
    for name in errors.__all__:
        assert re.search(rf"^\| `{name}` \|", text, re.MULTILINE), name


def test_every_entry_names_an_object_of_the_package() -> None:
    unresolved = [e for e in hook.reference_entries() if hook._resolve(e) is None]
    assert unresolved == []


def test_no_public_name_lacks_a_docstring_beyond_the_known_gaps() -> None:
    undocumented, _ = hook.docstring_audit()
    assert set(undocumented) == set(hook.KNOWN_UNDOCUMENTED)


def test_every_public_name_has_an_examples_block() -> None:
    _, no_example = hook.docstring_audit()
    assert no_example == []


def test_a_public_name_without_examples_fails_the_strict_build(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # The docstring of qf.list_snapshots without its Examples block: a warning, which
    # `mkdocs build --strict` turns into a failure, naming the function.
    doc = qf.list_snapshots.__doc__
    assert doc is not None
    assert "Examples:" in doc
    monkeypatch.setattr(qf.list_snapshots, "__doc__", doc.split("Examples:")[0])
    assert hook.docstring_audit()[1] == ["qf.list_snapshots"]
    with caplog.at_level("INFO", logger="mkdocs.hooks.qf_docs"):
        hook.on_pre_build(config=None)
    warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warned) == 1
    assert warned[0].startswith("qf.list_snapshots has no Examples block")
    # A doctest outside an Examples section does not count.
    monkeypatch.setattr(qf.list_snapshots, "__doc__", "Snapshots.\n\n>>> 1\n1\n")
    assert hook.docstring_audit()[1] == ["qf.list_snapshots"]


# --- the notebooks render offline ---------------------------------------------------------------


@pytest.mark.parametrize("notebook", sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb")))
def test_notebook_charts_become_their_saved_figures(notebook: str) -> None:
    source = ROOT / "notebooks" / notebook
    charts = source.read_text(encoding="utf-8").count("vega-embed")
    nb, problems = hook.offline_notebook(source, ROOT / "notebooks" / "figures")
    assert problems == []
    text = json.dumps(nb)
    assert "vega-embed" not in text
    assert "cdn.jsdelivr.net" not in text  # nothing the page would fetch
    pngs = sum("image/png" in o.get("data", {}) for c in nb["cells"] for o in c.get("outputs", []))
    assert charts == 0 or pngs >= 1
    # The committed notebook itself is left as it is.
    assert source.read_text(encoding="utf-8").count("vega-embed") == charts


def test_progress_noise_is_left_out_and_other_warnings_kept(tmp_path: Path) -> None:
    def stderr(text: str) -> dict[str, object]:
        return {"output_type": "stream", "name": "stderr", "text": text}

    warning = "UserWarning: 3 fixtures are older than every snapshot\n"
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "source": "q.write_snapshot(path)",
                "outputs": [
                    stderr(
                        "/x/tqdm/auto.py:21: TqdmWarning: IProgress not found. Please update"
                        " jupyter and ipywidgets.\n  from .autonotebook import tqdm\n"
                    ),
                    stderr("\rwrite_snapshot:   0%|          | 0/7 [00:00<?, ?step/s]"),
                    stderr("\r                                   "),
                    stderr(warning),
                    {"output_type": "stream", "name": "stdout", "text": "done\n"},
                ],
            }
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    source = tmp_path / "nb.ipynb"
    source.write_text(json.dumps(nb), encoding="utf-8")
    out, problems = hook.offline_notebook(source, tmp_path)
    assert problems == []
    texts = [o["text"] for o in out["cells"][0]["outputs"]]
    assert texts == [warning, "done\n"]
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        rendered, _ = hook.offline_notebook(notebook, ROOT / "notebooks" / "figures")
        assert "TqdmWarning" not in json.dumps(rendered), notebook.name


def test_a_chart_without_its_figure_is_a_problem(tmp_path: Path) -> None:
    source = ROOT / "notebooks" / "02_friction_and_strategies.ipynb"
    _, problems = hook.offline_notebook(source, tmp_path)  # no figures there
    assert problems
    assert all("02_friction_and_strategies.ipynb" in p for p in problems)


# --- the build is offline and never executes notebooks -----------------------------------------


def test_the_site_config_needs_no_network_and_executes_nothing() -> None:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    assert config["theme"]["font"] is False  # no Google Fonts
    plugins: dict[str, object] = {}
    for entry in config["plugins"]:
        plugins.update(entry if isinstance(entry, dict) else {entry: {}})
    assert not {"social", "privacy", "optimize", "blog", "git-revision-date-localized"} & set(
        plugins
    )
    jupyter = plugins["mkdocs-jupyter"]
    assert isinstance(jupyter, dict)
    assert jupyter["execute"] is False
    assert jupyter["include_requirejs"] is False  # a CDN script otherwise
    handler = plugins["mkdocstrings"]["handlers"]["python"]  # type: ignore[index]
    assert "inventories" not in handler  # fetched from the web at build time
    assert "import" not in handler


def test_make_test_builds_the_docs() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^test:.*\bdocs\b", makefile, re.MULTILINE)
    recipe = re.search(r"^docs:.*\n\t(.*)$", makefile, re.MULTILINE)
    assert recipe is not None
    assert "mkdocs build --strict" in recipe.group(1)
    # --quiet hides the warnings from --strict's count too: the build would pass anyway.
    assert "--quiet" not in recipe.group(1)
    assert " -q" not in recipe.group(1)


# --- the guide's examples run -------------------------------------------------------------------

_BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)
NEEDS_DATABASE = "# needs PostgreSQL"
PAGES = sorted(p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md"))


def python_blocks(page: Path) -> list[str]:
    """The runnable ``python`` blocks of a page (not those marked as needing PostgreSQL)."""
    blocks = _BLOCK.findall(page.read_text(encoding="utf-8"))
    return [b for b in blocks if not b.lstrip().startswith(NEEDS_DATABASE)]


@pytest.mark.parametrize("page", [p for p in PAGES if python_blocks(DOCS / p)])
def test_the_examples_of_a_page_run(page: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each page's examples run in order, in one namespace, from the repository root."""
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("QF_DSN", raising=False)
    namespace: dict[str, object] = {"__name__": f"docs:{page}"}
    for index, block in enumerate(python_blocks(DOCS / page)):
        code = compile(block, f"{page} (python block {index + 1})", "exec")
        exec(code, namespace)


def test_examples_needing_a_database_say_so() -> None:
    """A block that calls read_postgres is marked, so readers know and the test skips it."""
    marked = 0
    for page in PAGES:
        for block in _BLOCK.findall((DOCS / page).read_text(encoding="utf-8")):
            code = "\n".join(line.split("#", 1)[0] for line in block.splitlines())
            if "read_postgres(" in code:
                assert block.lstrip().startswith(NEEDS_DATABASE), (page, block[:80])
                marked += 1
    assert marked >= 1  # the guide does show a load from PostgreSQL


def test_no_page_cites_the_spec() -> None:
    for page in PAGES:
        assert "SPEC" not in (DOCS / page).read_text(encoding="utf-8"), page
