# loomery: `make demo` runs the main job end to end; `make test` runs the tests.
# Both create .venv with uv on first use and install from constraints.txt.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
UV := $(shell command -v uv 2>/dev/null)
ifeq ($(UV),)
UV := $(PYTHON) -m uv
UV_BOOTSTRAP := $(PYTHON) -m pip install --quiet --disable-pip-version-check uv==0.13.8
else
UV_BOOTSTRAP := true
endif

.PHONY: demo test test-slow test-all lint bench clean chromium

$(BIN)/.installed: pyproject.toml constraints.txt
	$(UV_BOOTSTRAP)
	$(UV) venv --quiet --allow-existing --python $(PYTHON) --python-preference only-system $(VENV)
	$(UV) pip install --quiet --python $(BIN)/python -c constraints.txt -e '.[dev]'
	@# Compile once: with PYTHONDONTWRITEBYTECODE set, every import would compile from source,
	@# slow enough on a busy machine for Ray's workers to miss their start-up deadlines.
	$(BIN)/python -m compileall -q -j 0 $(VENV)/lib >/dev/null 2>&1 || true
	touch $@

demo: $(BIN)/.installed
	$(BIN)/loomery demo --out demo-out

# The report's browser test needs Debian's chromium; without it that test is skipped.
chromium:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq chromium >/dev/null; } || echo "chromium unavailable: the report's browser test is skipped"

test: $(BIN)/.installed chromium
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

test-slow: $(BIN)/.installed chromium
	$(BIN)/python -m pytest -q -m slow

test-all: $(BIN)/.installed chromium
	$(BIN)/python -m pytest -q -m ''

lint: $(BIN)/.installed
	$(BIN)/ruff check .

bench: $(BIN)/.installed
	$(BIN)/python bench/pipeline.py

clean:
	rm -rf $(VENV) demo-out
