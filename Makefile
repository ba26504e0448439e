# talentscout — every verb sets up what it needs first (Python >= 3.11 and the package registries only).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench eval lexicons clean

$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python >= 3.11 required"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip uv
	$(BIN)/uv pip install -q --python $(BIN)/python -r requirements.lock -e .
	touch $(STAMP)

## demo: set up and run the service on the embedded default (SQLite) with a demo talent pool
demo: $(STAMP)
	$(BIN)/talentscout serve --host 127.0.0.1 --port 8000

## test: set up, lint, type-check and run the whole test suite
test: $(STAMP) lint
	$(BIN)/pytest -q -p no:cacheprovider

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

## bench: run the benchmarks (numbers printed next to their baselines)
bench: $(STAMP)
	$(BIN)/python bench/bench_http.py

## eval: engine evaluation on the development benchmark
eval: $(STAMP)
	@test -f bench/eval.py && $(BIN)/python bench/eval.py || echo "eval: the engine evaluation arrives with the engine (issue 4)"

## lexicons: rebuild the shipped reference data from ../shared/data
lexicons: $(STAMP)
	$(BIN)/talentscout data build

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache talentscout.db* .talentscout
