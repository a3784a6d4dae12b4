# The two commands of the README:
#   make demo   set up, generate a synthetic job center of 12,000 persons, load it, start the dashboard in demo mode
#   make test   set up, lint, run every test
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DB     ?= data/steering.duckdb
SAMPLE ?= sample_data
# The demo's export: generated, deterministic (seed 42), about 12,000 persons (a county job center's size);
# the small committed sample_data/ stays for tests. `make demo SAMPLE_DEMO=` loads sample_data/ instead.
DEMO_SRC ?= data/demo-export
SAMPLE_DEMO ?= 12000

.PHONY: setup demo test lint bench clean

$(BIN)/steering: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

setup: $(BIN)/steering

demo: setup
ifeq ($(SAMPLE_DEMO),)
	$(BIN)/steering load $(SAMPLE) --db $(DB)
else
	$(BIN)/steering sample $(DEMO_SRC) --persons $(SAMPLE_DEMO) --seed 42
	$(BIN)/steering load $(DEMO_SRC) --db $(DB)
endif
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
