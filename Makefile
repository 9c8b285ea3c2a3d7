# talent-signals: the two set-up commands are `make demo` and `make test`.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: install demo test clean

$(BIN)/talent-signals: pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "needs $(PYTHON) (set PYTHON=...)"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	@touch $@

install: $(BIN)/talent-signals  ## create .venv and install talent-signals with test extras

demo: install  ## run the nightly flow on the bundled sample world; prints and writes shortlists
	$(BIN)/talent-signals demo --db out/demo.duckdb --out out/shortlists

test: install  ## run the whole test suite
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) out .pytest_cache
