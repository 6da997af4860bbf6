# TokenAlign — two entry points after a fresh clone:
#   make demo   builds the `tokenalign` tool and runs its main job on built-in defaults
#   make test   builds in release mode with testing enabled and runs the whole suite
# Both install the system library they need (OpenBLAS) first when it is missing.

SWIFT ?= swift
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
BIN := .build/release/tokenalign

.PHONY: demo test deps build bench clean

deps:
	@if ! pkg-config --exists openblas 2>/dev/null; then \
	  if [ "$$(uname)" = Linux ]; then \
	    echo "Installing libopenblas-dev and pkg-config (apt)…"; \
	    $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq libopenblas-dev pkg-config; \
	  fi; \
	fi

build: deps
	$(SWIFT) build -c release --product tokenalign

# Until `tokenalign demo` exists (CreditBench issue), the main job is the engine benchmark.
demo: build
	$(BIN) bench matmul --size 512 1024
	$(BIN) bench block-step --size tiny small

test: deps
	$(SWIFT) build -c release -Xswiftc -enable-testing --build-tests
	$(SWIFT) test -c release -Xswiftc -enable-testing --skip-build

bench: build
	$(BIN) bench matmul --size 512 1024 --json
	$(BIN) bench mlp-step --size tiny small --json
	$(BIN) bench attention-step --size tiny small --json
	$(BIN) bench block-step --size tiny small --json

clean:
	rm -rf .build
