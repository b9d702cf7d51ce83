# shiliu — the two commands of the README:
#   make run    the main job (the Suzhou example on the embedded SQLite default)
#   make test   every test of every face (Rust, C, Python), installing what it needs
#
# Nothing outside the repository is touched except cargo's own download cache: the
# Python tools live in .venv (exact pins in python/requirements-dev.txt), created once.

SHELL      := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
CARGO      ?= cargo
PYTHON     ?= python3
VENV       := .venv
VPY        := $(VENV)/bin/python
LIBDIR     := target/debug
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export PIP_CACHE_DIR := $(CURDIR)/.cache/pip

.PHONY: run test lint rust-test ffi-lib c-test py-env py-build py-test bench bench-import bench-stats bench-rules sample clean

SAMPLE_RESIDENTS ?= 10000
SAMPLE_SEED      ?= 1

run:
	$(CARGO) run --release --example suzhou

test: lint rust-test c-test py-test
	@echo "== all tests passed =="

lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

rust-test:
	$(CARGO) test --workspace --exclude shiliu-python

# The C library, with the SONAME link the loader looks for.
ffi-lib:
	$(CARGO) build -p shiliu-ffi
	ln -sf libshiliu.so $(LIBDIR)/libshiliu.so.0

c-test: ffi-lib
	bash tests/c/run.sh $(LIBDIR)

$(VENV)/.installed: python/requirements-dev.txt
	test -x $(VPY) || $(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install --quiet -r python/requirements-dev.txt
	touch $@

py-env: $(VENV)/.installed

py-build: py-env
	cd python && VIRTUAL_ENV=$(CURDIR)/$(VENV) PATH=$(CURDIR)/$(VENV)/bin:$$PATH maturin develop --quiet

py-test: py-build
	cd python && ../$(VPY) -m pytest -q -p no:cacheprovider --basetemp=../target/pytest
	cd python && ../$(VPY) -m mypy.stubtest shiliu._native --allowlist stubtest-allowlist.txt
	cd python && ../$(VPY) -m mypy --strict shiliu tests

# Benchmarks (release build; numbers are reported in the issue notes).
bench:
	$(CARGO) run --release --example network_bench

# The ledger import on 1,000,000 generated residents (rows/s, peak memory).
bench-import:
	$(CARGO) run --release --example generate -- --residents 1000000 --seed 1 --out target/bench-1m
	$(CARGO) run --release --example import_bench -- target/bench-1m

# The statistics engine beside DuckDB, polars, pandas and SQLite on the same generated
# city (examples/bench/gen_population.py, a copy of ../shared/bench's): the Rust engine's
# own numbers (stats_bench), then every engine in its own process with the same checksum
# (peer_bench.py; shiliu through its Python face, built in release mode into .venv-bench).
STATS_RESIDENTS ?= 1000000
STATS_DIR       := target/peer-$(STATS_RESIDENTS)
BENCH_VENV      := .venv-bench

$(BENCH_VENV)/.installed: examples/bench/requirements.txt
	test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet -r examples/bench/requirements.txt
	touch $@

bench-stats: $(BENCH_VENV)/.installed
	cd python && VIRTUAL_ENV=$(CURDIR)/$(BENCH_VENV) PATH=$(CURDIR)/$(BENCH_VENV)/bin:$$PATH maturin develop --release --quiet
	test -f $(STATS_DIR)/residents.csv || $(PYTHON) examples/bench/gen_population.py --residents $(STATS_RESIDENTS) --seed 1 --out $(STATS_DIR)
	$(CARGO) run --release --example stats_bench -- $(STATS_DIR)
	$(BENCH_VENV)/bin/python examples/bench/peer_bench.py $(STATS_DIR) --as-of 2024-12-31 --engines duckdb,polars,pandas,sqlite-file,shiliu

# The Suzhou rule preset over one year (2024) of a generated city: ~1,300 communities,
# 100,000 activities, 50,000 trigger events (generate --rules). The registry file is built
# once in $(RULES_DIR)/rules.db and reused while the generated data is unchanged; the
# bench prints cold and warm evaluation times, findings by rule and status, peak memory.
RULES_RESIDENTS ?= 300000
RULES_DIR       := target/bench-rules-$(RULES_RESIDENTS)

bench-rules:
	$(CARGO) run --release --example generate -- --residents $(RULES_RESIDENTS) --seed 1 --rules 2024 --out $(RULES_DIR)
	$(CARGO) run --release --example rules_bench -- $(RULES_DIR)

# A small synthetic population in target/sample (units, reorganisations, residents with
# 16 deliberately bad rows).
sample:
	$(CARGO) run --release --example generate -- --residents $(SAMPLE_RESIDENTS) --seed $(SAMPLE_SEED) --bad 16 --out target/sample

clean:
	$(CARGO) clean
	rm -rf $(VENV) $(BENCH_VENV) .cache
