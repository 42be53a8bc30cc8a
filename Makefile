# `make run` serves the portal, `make test` runs every test; both set up .venv from nothing.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: run demo test test-postgres css clean

$(VENV)/.runtime: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@

run: $(VENV)/.runtime
	$(PY) main.py

demo: $(VENV)/.runtime
	$(PY) main.py --demo

# three pytest-xdist workers (PYTEST_WORKERS=0: one process): the browser tests mostly wait for the browser, so a
# third worker uses what two leave idle on 2 cores; a fourth cost more CPU than it saved (bench/README.md). Tests that
# empty the shared Redis database keep to one worker (--dist loadgroup). PYTHONDONTWRITEBYTECODE emptied: pytest
# keeps its rewritten test modules (and Python its compiled ones) in __pycache__, which saves about 4 s of compiling
# at every start.
PYTEST_WORKERS ?= 3
test: $(VENV)/.dev
	PYTHONDONTWRITEBYTECODE= $(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

test-postgres: $(VENV)/.dev
	PORTICO_TEST_DATABASE_URL=$${PORTICO_TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/test} \
	PYTHONDONTWRITEBYTECODE= $(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

# static/tailwind.css, after a page's classes change or NiceGUI ships another Tailwind (tests/test_tailwind.py says
# when): Tailwind's compiler from npm (tools/package.json, the version of NiceGUI's runtime) over the candidates
# tools/tailwind_candidates.py lists. Needs node and npm; running or testing the portal does not.
css: $(VENV)/.dev
	$(PY) tools/tailwind_candidates.py
	cd tools && npm ci --no-audit --no-fund --loglevel=error
	tools/node_modules/.bin/tailwindcss --input tools/tailwind.css --output static/tailwind.css

clean:
	rm -rf $(VENV) .pytest_cache screenshots
