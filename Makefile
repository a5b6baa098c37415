# Quickstart: `make demo` runs the tour, `make test` runs the tests. Both create .venv
# and install what they need on first use, exactly the versions locked in constraints.txt.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
PYTEST_ARGS ?=
EXTRAS := test,dask

.PHONY: install demo test test-fast bench lock clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt torch==2.13.0
	$(PY) -m pip install -q -c constraints.txt -e ".[$(EXTRAS)]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/pgmkit demo

# Everything, slow real-data tests included (what CI runs).
test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

# The quick loop while developing.
test-fast: $(STAMP)
	$(PY) -m pytest -m "not slow" $(PYTEST_ARGS)

bench: $(STAMP)
	$(PY) -m pip install -q -c constraints.txt -e ".[bench]"
	for f in benchmarks/*.py; do echo "== $$f"; $(PY) $$f || exit 1; done

# Refresh the lock on purpose: resolve the newest releases that pyproject.toml allows in a
# scratch venv (torch held at the local CPU build), run nothing, and rewrite constraints.txt.
# Then run `make clean test` and commit the new lock only if the tests pass.
lock:
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install -q --upgrade pip
	.lock-venv/bin/python -m pip install -q torch==2.13.0
	.lock-venv/bin/python -m pip install -q -e ".[test,dask,bench]"
	{ sed -n '1,/^$$/p' constraints.txt | grep '^#'; \
	  .lock-venv/bin/python -m pip freeze --exclude-editable | grep -v '^#' \
	    | sed 's/^torch==\([0-9.]*\)+cpu/torch==\1/' | sort -f; } > constraints.txt.new
	mv constraints.txt.new constraints.txt
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) build dist .pytest_cache
