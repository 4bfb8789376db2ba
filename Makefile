# libavara build, demo and test entry points. See README.md.

CARGO ?= cargo
CC ?= cc
PYTHON ?= python3
TARGET_DIR ?= $(CURDIR)/target

.PHONY: all build release header demo test test-rust test-python lint clean

all: build

## build: debug build of libavara (.so, .a) and the stand-in server
build:
	$(CARGO) build --workspace

## release: optimised build of libavara and the stand-in server
release:
	$(CARGO) build --release --workspace

## header: regenerate include/avara.h (any cargo build does this too)
header:
	$(CARGO) build -p avara

## demo: run examples/express_users.c against the stand-in on a free port
demo: release
	TARGET_DIR=$(TARGET_DIR) CC=$(CC) sh examples/run-demo.sh

## test: every test: Rust unit tests, C/C++ programs against the stand-in, Python
test: test-rust test-python

test-rust:
	$(CARGO) test --workspace --no-fail-fast

test-python: build
	TARGET_DIR=$(TARGET_DIR) PYTHON=$(PYTHON) sh tests/python/run.sh

## lint: formatting and clippy, as CI runs them
lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

clean:
	$(CARGO) clean
