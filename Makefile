# occlunet: every target sets itself up on a fresh machine (Python 3.11, no GPU).
# The install order follows the stack's known traps (README, "Install"):
#   torch (CPU wheel) -> mmengine -> mmcv built from source with ops -> mmdet -> this project.

PYTHON   ?= python3.11
VENV     ?= .venv
BIN      := $(VENV)/bin
PIP      := $(BIN)/pip
STAMP    := $(VENV)/.occlunet-installed
PYTEST_ARGS ?=

.PHONY: install test demo lint format clean-venv

# Re-run the install only when the venv is missing or the requirements changed.
install: $(STAMP)

$(STAMP): setup.py requirements/runtime.txt requirements/tests.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found (set PYTHON=...)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q -U pip "setuptools>=77,<81" wheel ninja numpy
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q mmengine==0.10.7
	@echo "== mmcv 2.1.0 with ops (built from source once, ~11-17 min on 2 cores; pip caches the wheel)"
	MMCV_WITH_OPS=1 MAX_JOBS=$${MAX_JOBS:-2} $(PIP) install -q --no-build-isolation mmcv==2.1.0
	$(PIP) install -q -r requirements/runtime.txt -r requirements/tests.txt
	$(PIP) install -q --no-build-isolation --no-deps -e .
	$(PIP) check
	@touch $@

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check occlunet tools tests configs
	$(BIN)/ruff format --check occlunet tools tests configs

format: install
	$(BIN)/ruff format occlunet tools tests configs

demo: install
	$(BIN)/python tools/demo.py $(if $(DEMO_QUICK),--quick,)

clean-venv:
	rm -rf $(VENV)
