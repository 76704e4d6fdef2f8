# The two commands the README promises: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip

.PHONY: demo test lint install install-dev develop cargo-test pytest wheel-check screenshots perf clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# Editable installs: maturin builds the Rust core into dbtest/_core*.so.
install: $(BIN)/python
	$(PIP) install --quiet -e .

install-dev: $(BIN)/python
	$(PIP) install --quiet -e '.[dev]'

# Rebuild only the extension after a Rust change (faster than pip).
develop: $(BIN)/python
	$(BIN)/maturin develop --release --quiet

demo: install
	cd examples && ../$(BIN)/dbtest list
	cd examples && ../$(BIN)/dbtest --headless

lint: install-dev
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --quiet -- -D warnings
	$(BIN)/ruff check dbtest tests perf .ci
	$(BIN)/ruff format --check dbtest tests perf .ci

cargo-test:
	cargo test -p dbtest-engine --quiet

pytest: install-dev
	$(BIN)/pytest -q -rs

# The Linux wheel as a user without Rust gets it (.ci/check_wheel.py): the
# build reuses install-dev's release build in target/.
wheel-check: install-dev
	$(BIN)/python .ci/check_wheel.py

test: lint cargo-test pytest wheel-check

screenshots: install-dev
	$(BIN)/python screenshots/make_screenshots.py

perf: install-dev
	$(PIP) install --quiet -e '.[perf]'
	$(BIN)/python -m perf.run all

clean:
	rm -rf $(VENV) target dbtest/_core*.so
