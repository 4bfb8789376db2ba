#!/bin/sh
# Starts the stand-in Avara API on a free loopback port, compiles
# examples/express_users.c against the release build of libavara, runs it
# against the stand-in, and stops the stand-in. Used by `make demo`.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
target=${TARGET_DIR:-$root/target}/release
cc=${CC:-cc}
workdir=$(mktemp -d)
mock_pid=

cleanup() {
    if [ -n "$mock_pid" ]; then
        kill "$mock_pid" 2>/dev/null || true
        wait "$mock_pid" 2>/dev/null || true
    fi
    rm -rf "$workdir"
}
trap cleanup EXIT INT TERM

"$cc" -std=c99 -Wall -Wextra -I"$root/include" "$root/examples/express_users.c" \
    -L"$target" -lavara -Wl,-rpath,"$target" -o "$workdir/express_users"

"$target/avara-mock" --port 0 >"$workdir/mock.out" &
mock_pid=$!

# The stand-in prints "listening on http://127.0.0.1:PORT" once it is ready.
tries=0
base_url=
while [ -z "$base_url" ]; do
    base_url=$(sed -n 's/^listening on //p' "$workdir/mock.out")
    tries=$((tries + 1))
    if [ "$tries" -gt 100 ]; then
        echo "run-demo: the stand-in did not start within 10 s" >&2
        exit 1
    fi
    [ -n "$base_url" ] || sleep 0.1
done
echo "stand-in Avara API listening on $base_url"

# The stand-in's default seed: this key, customer and user.
AVARA_API_KEY=sk_live_00000000000000000000000000000000 \
AVARA_BASE_URL=$base_url \
    "$workdir/express_users" \
    cus_0123456789abcdef0123456789abcdef \
    usr_00000000000000000000000000000001
