#!/bin/sh
# Installs libavara into a temporary prefix with `make install` and checks
# the installed files and exported symbols. Then builds programs outside the
# source tree the way users would: C with pkg-config (shared and static),
# C and C++ with CMake find_package, and Python with the installed
# avara_ffi. Each runs against the stand-in server on loopback.
# Used by `make test-install`, after `make release`.
#
# Environment: TARGET_DIR (default target/ in the repository), PYTHON,
# MAKE, and CC and CXX, which CMake reads. Needs cc, cmake, pkg-config, nm
# and readelf.
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
TARGET_DIR=${TARGET_DIR:-$root/target}
python=${PYTHON:-python3}
make=${MAKE:-make}
mock_binary=$TARGET_DIR/release/avara-mock
work=$(mktemp -d)
prefix=$work/prefix
mock_pid=

# The stand-in's default seed (avara-mock --help).
api_key=sk_live_00000000000000000000000000000000
customer=cus_0123456789abcdef0123456789abcdef
user=usr_00000000000000000000000000000001

cleanup() {
    if [ -n "$mock_pid" ]; then
        kill "$mock_pid" 2>/dev/null || true
        wait "$mock_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

fail() {
    echo "test-install: FAILED: $*" >&2
    exit 1
}

for tool in cmake pkg-config nm readelf cc; do
    command -v "$tool" >/dev/null || fail "$tool not found; install it (CI does in .ci/run)"
done
[ -x "$mock_binary" ] || fail "$mock_binary not found; run make release"

echo "== make install PREFIX=$prefix"
"$make" -s -C "$root" install PREFIX="$prefix" TARGET_DIR="$TARGET_DIR" >"$work/install.log" 2>&1 ||
    { cat "$work/install.log" >&2; fail "make install failed"; }

echo "== installed files"
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$root/Cargo.toml" | head -n 1)
lib=$prefix/lib
for file in "lib/libavara.so.$version" lib/libavara.a include/avara.h include/avara.hpp \
    lib/pkgconfig/avara.pc lib/cmake/Avara/AvaraConfig.cmake \
    lib/cmake/Avara/AvaraConfigVersion.cmake share/avara/python/avara_ffi/__init__.py; do
    [ -f "$prefix/$file" ] || fail "$prefix/$file was not installed"
done
[ "$(readlink "$lib/libavara.so.0")" = "libavara.so.$version" ] ||
    fail "libavara.so.0 does not point to libavara.so.$version"
[ "$(readlink "$lib/libavara.so")" = "libavara.so.0" ] || fail "libavara.so does not point to libavara.so.0"
soname=$(readelf -d "$lib/libavara.so.$version" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = "libavara.so.0" ] || fail "soname is '$soname', expected libavara.so.0"

echo "== exported symbols"
nm -D --defined-only "$lib/libavara.so.$version" | awk '{print $3}' | sort >"$work/exported"
grep -v '^avara_' "$work/exported" >"$work/foreign" || true
[ ! -s "$work/foreign" ] || fail "symbols outside avara_* are exported: $(tr '\n' ' ' <"$work/foreign")"
sed -n 's/.*\b\(avara_[a-z_]*\)(.*/\1/p' "$root/include/avara.h" | sort -u >"$work/declared"
cmp -s "$work/exported" "$work/declared" ||
    fail "exported symbols differ from the functions in avara.h: $(diff "$work/declared" "$work/exported" | grep '^[<>]' | tr '\n' ' ')"
echo "$(wc -l <"$work/exported") symbols, all avara_* and all declared in avara.h"

echo "== make install with DESTDIR, then uninstall"
stage=$work/stage
"$make" -s -C "$root" install DESTDIR="$stage" PREFIX=/opt/avara TARGET_DIR="$TARGET_DIR" >"$work/install.log" 2>&1 ||
    { cat "$work/install.log" >&2; fail "make install with DESTDIR failed"; }
[ -f "$stage/opt/avara/lib/libavara.so.$version" ] || fail "DESTDIR install put nothing under $stage/opt/avara"
grep -qx 'prefix=/opt/avara' "$stage/opt/avara/lib/pkgconfig/avara.pc" || fail "avara.pc names the staging directory"
grep -q '"/opt/avara/lib"' "$stage/opt/avara/share/avara/python/avara_ffi/_build_config.py" ||
    fail "avara_ffi records the staging directory"
if grep -rq "$stage" "$stage"; then
    fail "an installed file names the staging directory $stage"
fi
"$make" -s -C "$root" uninstall DESTDIR="$stage" PREFIX=/opt/avara >"$work/install.log" 2>&1 ||
    { cat "$work/install.log" >&2; fail "make uninstall failed"; }
left=$(find "$stage" -type f -o -type l)
[ -z "$left" ] || fail "uninstall left files behind: $left"

echo "== start the stand-in"
"$mock_binary" --port 0 >"$work/mock.out" &
mock_pid=$!
tries=0
base_url=
while [ -z "$base_url" ]; do
    base_url=$(sed -n 's/^listening on //p' "$work/mock.out")
    tries=$((tries + 1))
    [ "$tries" -le 100 ] || fail "the stand-in did not start within 10 s"
    [ -n "$base_url" ] || sleep 0.1
done

# Runs a built example against the stand-in and checks that add and remove
# both succeeded.
run_example() {
    AVARA_API_KEY=$api_key AVARA_BASE_URL=$base_url "$@" "$customer" "$user" >"$work/run.out" 2>&1 ||
        { cat "$work/run.out" >&2; fail "$1 exited with an error"; }
    grep -q 'add: success=true' "$work/run.out" || fail "$1 did not add the user: $(cat "$work/run.out")"
    grep -q 'remove: success=true' "$work/run.out" || fail "$1 did not remove the user: $(cat "$work/run.out")"
}

# needs_libavara PROGRAM: whether the program records libavara.so.0 as a
# shared library dependency.
needs_libavara() {
    readelf -d "$1" | grep -q 'NEEDED.*\[libavara\.so\.0\]'
}

consumer=$work/consumer
mkdir -p "$consumer"
cp "$root/examples/express_users.c" "$root/examples/express_users.cpp" \
    "$root/tests/install/consumer/CMakeLists.txt" \
    "$root/tests/install/consumer/build-with-pkg-config.sh" "$consumer/"
export PKG_CONFIG_PATH="$lib/pkgconfig"
unset LD_LIBRARY_PATH AVARA_LIBRARY PYTHONPATH 2>/dev/null || true

echo "== C, pkg-config, shared and static"
(cd "$consumer" && sh ./build-with-pkg-config.sh) || fail "build-with-pkg-config.sh failed"
needs_libavara "$consumer/express_users" || fail "the shared build does not depend on libavara.so.0"
run_example "$consumer/express_users"
if needs_libavara "$consumer/express_users_static"; then
    fail "the static build depends on libavara.so.0"
fi
run_example "$consumer/express_users_static"

echo "== CMake, find_package(Avara)"
cmake -S "$consumer" -B "$consumer/build" -DCMAKE_PREFIX_PATH="$prefix" >"$work/cmake.log" 2>&1 ||
    { cat "$work/cmake.log" >&2; fail "cmake could not configure the consumer"; }
cmake --build "$consumer/build" >>"$work/cmake.log" 2>&1 ||
    { cat "$work/cmake.log" >&2; fail "cmake could not build the consumer"; }
needs_libavara "$consumer/build/express_users_cpp" || fail "Avara::avara did not link libavara.so.0"
if needs_libavara "$consumer/build/express_users_static"; then
    fail "Avara::avara_static linked libavara.so.0"
fi
run_example "$consumer/build/express_users_cpp"
run_example "$consumer/build/express_users_static"

echo "== CMake, version check"
sed 's/find_package(Avara 0.1 REQUIRED)/find_package(Avara 1.0 REQUIRED)/' \
    "$consumer/CMakeLists.txt" >"$work/CMakeLists.newer"
mkdir -p "$work/newer"
cp "$work/CMakeLists.newer" "$work/newer/CMakeLists.txt"
cp "$consumer/express_users.c" "$consumer/express_users.cpp" "$work/newer/"
if cmake -S "$work/newer" -B "$work/newer/build" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null 2>&1; then
    fail "find_package(Avara 1.0) accepted version $version"
fi

echo "== Python, the installed avara_ffi"
python_dir=$prefix/share/avara/python
loaded=$(PYTHONPATH=$python_dir "$python" -c 'import avara_ffi; print(avara_ffi.load_library().path)')
[ "$loaded" = "$lib/libavara.so.0" ] || fail "avara_ffi loaded '$loaded', expected $lib/libavara.so.0"
PYTHONPATH=$python_dir AVARA_API_KEY=$api_key AVARA_BASE_URL=$base_url \
    "$python" "$root/tests/python/sdk_parity.py" --sdk ffi >"$work/python.out" 2>&1 ||
    { cat "$work/python.out" >&2; fail "sdk_parity.py failed with the installed avara_ffi"; }

echo "== CMake, after moving the installed tree"
mv "$prefix" "$work/moved"
rm -rf "$consumer/build"
cmake -S "$consumer" -B "$consumer/build" -DCMAKE_PREFIX_PATH="$work/moved" >"$work/cmake.log" 2>&1 &&
    cmake --build "$consumer/build" >>"$work/cmake.log" 2>&1 ||
    { cat "$work/cmake.log" >&2; fail "find_package failed after moving the prefix"; }
run_example "$consumer/build/express_users_cpp"

echo "test-install: all checks passed"
