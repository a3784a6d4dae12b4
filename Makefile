# The two commands of the README:
#   make demo   set up, load the committed (synthetic) sample export, start the dashboard in demo mode
#   make test   set up, lint, run every test
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DB     ?= data/steering.duckdb
SAMPLE ?= sample_data

.PHONY: setup demo test lint bench clean

$(BIN)/steering: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

setup: $(BIN)/steering

demo: setup
	$(BIN)/steering load $(SAMPLE) --db $(DB)
	$(BIN)/steering serve --demo --db $(DB)

# pytest exits 5 when it collected no tests: that must never count as green.
test: setup
	$(BIN)/ruff check .
	$(BIN)/python -m pytest; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing on purpose"; exit 1; fi; exit $$rc

lint: setup
	$(BIN)/ruff check .

bench: setup
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) data .pytest_cache .ruff_cache
