# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
LLAMA_VERSION := 0.3.36
# Building llama-cpp-python takes minutes on two cores: its wheel is built once and kept here.
WHEELS ?= $(HOME)/.cache/onprem-assistant/wheels
STAMP := $(VENV)/.installed

.PHONY: venv run llm test test-unit test-fast lint package clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip wheel
	# CPU torch first (on this machine's disk), before sentence-transformers asks for any torch.
	$(PIP) install -q torch==2.13.0
	mkdir -p $(WHEELS)
	ls $(WHEELS)/llama_cpp_python-$(LLAMA_VERSION)-*.whl >/dev/null 2>&1 || \
		$(PIP) wheel -q --no-deps -w $(WHEELS) llama-cpp-python==$(LLAMA_VERSION)
	$(PIP) install -q --find-links $(WHEELS) -r requirements.txt -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

run: venv
	$(PY) -m devstack

# The embedded LLM alone (llama.cpp server, bundled model, LLM_PROFILE=embedded's chat format) on
# LLM_PORT (default 8080): `TGI_URL=http://127.0.0.1:8080 LLM_PROFILE=embedded python app.py serve`.
llm: venv
	$(PY) -m devstack.llm --port $(or $(LLM_PORT),8080)

test: venv
	$(PY) -m pytest

# The fast tier: pure unit tests and in-process server tests (no processes started), under 2 minutes.
test-unit: venv
	$(PY) -m pytest -m unit -q -n 2

# Everything but the slowest integration tests (the red team).
test-fast: venv
	$(PY) -m pytest -m "not slow" -q

lint: venv
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy
	$(VENV)/bin/lint-imports

# Teams app package for the admin centre: dist/teams-app.zip (README.md, "Install in Teams").
package: $(STAMP)
	$(PY) -m manifests.package --bot-app-id "$(BOT_APP_ID)" --public-host "$(PUBLIC_HOST)" \
		--teams-app-id "$(TEAMS_APP_ID)" --app-version "$(or $(APP_VERSION),1.0.0)"

clean:
	rm -rf $(VENV) .local data .pytest_cache .mypy_cache .ruff_cache
