# quantum_frames — everything set up from a fresh machine with python3 (≥ 3.11) and make.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-dev

.PHONY: demo test lint docs bench bench-quick profile clean sample notebooks

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade 'pip>=25.1'  # 25.1: --group (PEP 735 groups)
	$(PY) -m pip install --quiet -e '.[plot,notebook,demo,history]' --group dev
	@touch $@

demo: $(STAMP)
	$(PY) scripts/demo.py

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

test: lint docs
	$(PY) -m pytest -q

# The documentation site (guide, notebooks, API reference) into site/; --strict: a broken link,
# a public name without a reference entry or a docstring fails the build. Open site/index.html.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs build --strict

BENCH_STAMP := $(VENV)/.installed-bench

$(BENCH_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e '.[plot,notebook,demo,history]' --group dev --group bench
	@touch $@

bench: $(BENCH_STAMP)
	$(PY) benchmarks/bench_load.py $(ARGS)
	$(PY) benchmarks/bench_ops.py $(ARGS)
	$(PY) benchmarks/bench_small.py $(ARGS)
	$(PY) benchmarks/bench_backtest.py $(ARGS)
	$(PY) benchmarks/bench_flatten.py $(ARGS)
	$(PY) benchmarks/bench_history.py $(ARGS)

bench-quick: $(BENCH_STAMP)
	$(PY) benchmarks/bench_load.py --quick --no-write
	$(PY) benchmarks/bench_ops.py --quick --no-write
	$(PY) benchmarks/bench_small.py --quick --no-write
	$(PY) benchmarks/bench_backtest.py --quick --no-write
	$(PY) benchmarks/bench_flatten.py --quick --no-write
	$(PY) benchmarks/bench_history.py --quick --no-write

# Where a load's CPU goes: the CPU budget and a py-spy profile (scale 50 unless ARGS say).
profile: $(BENCH_STAMP)
	$(PY) benchmarks/profile_load.py $(ARGS)

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache

# Rebuild the bundled SYNTHETIC sample snapshot and the sample season (deterministic).
sample: $(STAMP)
	$(PY) -m quantum_frames.synthetic.build
	$(PY) -m quantum_frames.synthetic.season data/season

# Rewrite and execute the notebooks (outputs and figures/ refreshed).
notebooks: $(STAMP)
	$(PY) notebooks/build_notebooks.py --execute
