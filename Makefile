# libavara build, demo and test entry points. See README.md.

CARGO ?= cargo
CC ?= cc
PYTHON ?= python3
TARGET_DIR ?= $(CURDIR)/target

# Installation directories (GNU conventions); DESTDIR stages a package.
PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
CMAKEDIR ?= $(LIBDIR)/cmake/Avara
# avara_ffi is pure Python, so it goes under share/; add this directory to
# PYTHONPATH, or set PYTHONDIR to a site-packages directory instead.
PYTHONDIR ?= $(PREFIX)/share/avara/python
DESTDIR ?=
VERSION := $(shell sed -n 's/^version = "\(.*\)"$$/\1/p' Cargo.toml | head -n 1)
# System libraries that libavara.a needs, from
# `cargo rustc -p avara --release --crate-type staticlib -- --print native-static-libs`
# with Rust 1.95 on x86_64 Linux; tests/install/run.sh links with them.
NATIVE_STATIC_LIBS ?= -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc

.PHONY: all build release header demo test test-rust test-panic test-valgrind test-asan test-python test-install install uninstall lint bench bench-smoke clean

all: build

## build: debug build of libavara (.so, .a) and the stand-in server
build:
	$(CARGO) build --workspace

## release: optimised build of libavara and the stand-in server
release:
	$(CARGO) build --release --workspace
	@# Release builds carry the soname libavara.so.0, which programs linked
	@# against target/release then look for at run time.
	ln -sf libavara.so $(TARGET_DIR)/release/libavara.so.0

## header: regenerate include/avara.h (any cargo build does this too)
header:
	$(CARGO) build -p avara

## demo: run examples/express_users.c against the stand-in on a free port
demo: release
	TARGET_DIR=$(TARGET_DIR) CC=$(CC) sh examples/run-demo.sh

## test: every test: Rust unit tests, C/C++ programs against the stand-in, the
## panic boundary, Python, an install into a temporary prefix with consumers
## built from there, and the benchmark with tiny counts
test: test-rust test-panic test-python test-install bench-smoke

test-rust:
	$(CARGO) test --workspace --no-fail-fast

## test-panic: a panic inside libavara, caught at the C boundary. Needs the
## panic-test feature, built in its own target directory because that
## libavara.so would otherwise replace the normal one
test-panic:
	CARGO_TARGET_DIR=$(TARGET_DIR)/panic-test $(CARGO) test -p avara --features panic-test --test panics

## test-valgrind: the C test programs, error paths included, under valgrind:
## no memory errors and no bytes definitely lost (about half a minute)
test-valgrind:
	$(CARGO) test -p avara --test memcheck -- --ignored valgrind --nocapture

## test-asan: the same runs with the C programs built with gcc's
## AddressSanitizer against the normal libavara.so
test-asan:
	$(CARGO) test -p avara --test memcheck -- --ignored asan --nocapture

test-python: build
	TARGET_DIR=$(TARGET_DIR) PYTHON=$(PYTHON) sh tests/python/run.sh

## test-install: make install into a temporary prefix, then build C (pkg-config,
## shared and static), CMake and Python consumers outside the tree and run them
test-install: release
	TARGET_DIR=$(TARGET_DIR) CC=$(CC) PYTHON=$(PYTHON) sh tests/install/run.sh

## install: install libavara (.so with soname libavara.so.0, .a), avara.h,
## avara.hpp, avara.pc, the CMake package and avara_ffi under PREFIX
install: release
	BUILD_DIR=$(TARGET_DIR)/release VERSION=$(VERSION) PREFIX=$(PREFIX) LIBDIR=$(LIBDIR) \
	INCLUDEDIR=$(INCLUDEDIR) PKGCONFIGDIR=$(PKGCONFIGDIR) CMAKEDIR=$(CMAKEDIR) \
	PYTHONDIR=$(PYTHONDIR) DESTDIR=$(DESTDIR) NATIVE_STATIC_LIBS="$(NATIVE_STATIC_LIBS)" \
	sh packaging/install.sh

## uninstall: remove what install wrote, with the same PREFIX and DESTDIR
uninstall:
	VERSION=$(VERSION) PREFIX=$(PREFIX) LIBDIR=$(LIBDIR) INCLUDEDIR=$(INCLUDEDIR) \
	PKGCONFIGDIR=$(PKGCONFIGDIR) CMAKEDIR=$(CMAKEDIR) PYTHONDIR=$(PYTHONDIR) \
	DESTDIR=$(DESTDIR) sh packaging/install.sh --uninstall

## lint: formatting and clippy, as CI runs them
lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

## bench: libavara against libcurl, avara_ffi, the official Python SDK and
## wrk, on nginx at 127.0.0.1; writes BENCHMARKS.md (a few minutes; installs
## nginx, wrk, strace and libcurl4-openssl-dev with apt-get when missing)
bench:
	TARGET_DIR=$(TARGET_DIR) CARGO=$(CARGO) CC=$(CC) PYTHON=$(PYTHON) sh bench/run.sh

## bench-smoke: the same benchmark with tiny counts, to check that it runs;
## the report goes to target/bench/BENCHMARKS.smoke.md
bench-smoke:
	TARGET_DIR=$(TARGET_DIR) CARGO=$(CARGO) CC=$(CC) PYTHON=$(PYTHON) sh bench/run.sh --smoke

clean:
	$(CARGO) clean
