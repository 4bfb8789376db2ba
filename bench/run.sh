#!/bin/sh
# Entry point of `make bench` and `make bench-smoke`: installs the missing
# tools, builds libavara and the contestants, then runs bench/bench.py.
#
# Usage: bench/run.sh [--smoke]
#   --smoke  tiny iteration counts; the report goes to target/bench/ instead
#            of BENCHMARKS.md
#
# Environment: TARGET_DIR (cargo target directory, default ./target),
# CARGO, CC and PYTHON (default cargo, cc and python3).
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
target_dir=${TARGET_DIR:-$root/target}
release_dir=$target_dir/release
build_dir=$target_dir/bench
cargo=${CARGO:-cargo}
cc=${CC:-cc}
python=${PYTHON:-python3}
output=$root/BENCHMARKS.md
smoke=

case "${1:-}" in
    --smoke) smoke=--smoke; output=$build_dir/BENCHMARKS.smoke.md ;;
    "") ;;
    *) echo "usage: $0 [--smoke]" >&2; exit 2 ;;
esac

# Debian packages for the tools, installed only when missing.
missing=
command -v nginx >/dev/null 2>&1 || missing="$missing nginx"
command -v wrk >/dev/null 2>&1 || missing="$missing wrk"
command -v strace >/dev/null 2>&1 || missing="$missing strace"
[ -f /usr/include/x86_64-linux-gnu/curl/curl.h ] || [ -f /usr/include/curl/curl.h ] ||
    missing="$missing libcurl4-openssl-dev"
"$python" -c 'import venv, ensurepip' 2>/dev/null || missing="$missing python3-venv"
if [ -n "$missing" ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "bench: missing packages:$missing; install them as root or with sudo" >&2
        exit 1
    fi
    echo "bench: installing$missing" >&2
    # Installing nginx would start the distribution's server on port 80 of
    # every interface. A policy-rc.d that denies service starts prevents
    # that; it is removed again unless it was there before.
    policy=/usr/sbin/policy-rc.d
    added_policy=
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy"
        chmod 755 "$policy"
        added_policy=yes
    fi
    apt-get update -q
    # shellcheck disable=SC2086 # the package list is split on purpose
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
    if [ -n "$added_policy" ]; then
        rm -f "$policy"
    fi
fi

# `make release` also links libavara.so.0, the soname that avara_bench
# looks for at run time, to the freshly built libavara.so.
"${MAKE:-make}" -C "$root" release TARGET_DIR="$target_dir" CARGO="$cargo"

mkdir -p "$build_dir"
common_flags="-std=c11 -O2 -Wall -Wextra -Werror -pthread"
# shellcheck disable=SC2086 # common_flags holds several flags
"$cc" $common_flags -I"$root/include" "$root/bench/avara_bench.c" "$root/bench/harness.c" \
    -L"$release_dir" -lavara -Wl,-rpath,"$release_dir" -o "$build_dir/avara_bench"
# shellcheck disable=SC2086
"$cc" $common_flags "$root/bench/curl_bench.c" "$root/bench/harness.c" -lcurl \
    -o "$build_dir/curl_bench"

# The official SDK lives in its own virtual environment, made once.
venv=$build_dir/venv
sdk_version=0.3.0
if ! "$venv/bin/python" -c "import importlib.metadata as m, sys; \
sys.exit(m.version('avara') != '$sdk_version')" 2>/dev/null; then
    echo "bench: creating $venv with avara==$sdk_version" >&2
    rm -rf "$venv"
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check "avara==$sdk_version"
fi

exec "$venv/bin/python" "$root/bench/bench.py" $smoke \
    --build-dir "$build_dir" \
    --target-dir "$release_dir" \
    --python "$venv/bin/python" \
    --python-package-dir "$root/python" \
    --output "$output"
