#!/bin/sh
# Installs libavara, its headers, pkg-config and CMake files and the Python
# module avara_ffi, or removes them with --uninstall. Called by
# `make install` and `make uninstall`, which set the variables below.
#
#   BUILD_DIR           directory holding the release libavara.so and .a
#   VERSION             library version, such as 0.1.0
#   PREFIX              installation prefix, such as /usr/local
#   LIBDIR INCLUDEDIR PKGCONFIGDIR CMAKEDIR PYTHONDIR
#                       final directories (absolute; default under PREFIX)
#   DESTDIR             staging root prepended to every path written; the
#                       files themselves name the final paths
#   NATIVE_STATIC_LIBS  system libraries that libavara.a needs, as -l flags
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
: "${PREFIX:?set PREFIX}"
: "${VERSION:?set VERSION}"
LIBDIR=${LIBDIR:-$PREFIX/lib}
INCLUDEDIR=${INCLUDEDIR:-$PREFIX/include}
PKGCONFIGDIR=${PKGCONFIGDIR:-$LIBDIR/pkgconfig}
CMAKEDIR=${CMAKEDIR:-$LIBDIR/cmake/Avara}
PYTHONDIR=${PYTHONDIR:-$PREFIX/share/avara/python}
DESTDIR=${DESTDIR:-}
SOVERSION=${VERSION%%.*}

for dir in "$PREFIX" "$LIBDIR" "$INCLUDEDIR" "$PKGCONFIGDIR" "$CMAKEDIR" "$PYTHONDIR"; do
    case $dir in
    *'|'* | *'"'* | *'\'*)
        # They would break the sed substitutions and the Python string below.
        echo "install.sh: invalid path $dir: it contains |, \" or \\" >&2
        exit 2
        ;;
    /*) ;;
    *)
        echo "install.sh: invalid path $dir: it is not absolute; pass PREFIX=/some/dir" >&2
        exit 2
        ;;
    esac
done

if [ "${1:-}" = "--uninstall" ]; then
    rm -f "$DESTDIR$LIBDIR/libavara.so" "$DESTDIR$LIBDIR/libavara.so.$SOVERSION" \
        "$DESTDIR$LIBDIR/libavara.so.$VERSION" "$DESTDIR$LIBDIR/libavara.a" \
        "$DESTDIR$INCLUDEDIR/avara.h" "$DESTDIR$INCLUDEDIR/avara.hpp" \
        "$DESTDIR$PKGCONFIGDIR/avara.pc" \
        "$DESTDIR$CMAKEDIR/AvaraConfig.cmake" "$DESTDIR$CMAKEDIR/AvaraConfigVersion.cmake"
    rm -rf "$DESTDIR$PYTHONDIR/avara_ffi"
    # Remove the directories install created when they are now empty,
    # innermost first; directories shared with other packages stay.
    for dir in "$CMAKEDIR" "$(dirname "$CMAKEDIR")" "$PKGCONFIGDIR" \
        "$PYTHONDIR" "$(dirname "$PYTHONDIR")"; do
        rmdir "$DESTDIR$dir" 2>/dev/null || true
    done
    exit 0
fi

: "${BUILD_DIR:?set BUILD_DIR}"
: "${NATIVE_STATIC_LIBS:?set NATIVE_STATIC_LIBS}"
for file in libavara.so libavara.a; do
    if [ ! -f "$BUILD_DIR/$file" ]; then
        echo "install.sh: $BUILD_DIR/$file not found; run cargo build --release -p avara" >&2
        exit 1
    fi
done

# Paths from one install directory to another, so the CMake file keeps
# working when the installed tree is moved as a whole.
relative() {
    realpath -m --relative-to="$1" "$2"
}
cmake_libs=$(echo "$NATIVE_STATIC_LIBS" | sed 's/^ *-l//; s/ *-l/;/g')

# Writes a template with every @NAME@ replaced. The paths were checked above
# for the | delimiter, and linker flags do not contain it.
substitute() {
    sed -e "s|@PREFIX@|$PREFIX|g" \
        -e "s|@LIBDIR@|$LIBDIR|g" \
        -e "s|@INCLUDEDIR@|$INCLUDEDIR|g" \
        -e "s|@VERSION@|$VERSION|g" \
        -e "s|@SOVERSION@|$SOVERSION|g" \
        -e "s|@NATIVE_STATIC_LIBS@|$NATIVE_STATIC_LIBS|g" \
        -e "s|@NATIVE_STATIC_LIBS_CMAKE@|$cmake_libs|g" \
        -e "s|@CMAKE_TO_PREFIX@|$(relative "$CMAKEDIR" "$PREFIX")|g" \
        -e "s|@PREFIX_TO_LIBDIR@|$(relative "$PREFIX" "$LIBDIR")|g" \
        -e "s|@PREFIX_TO_INCLUDEDIR@|$(relative "$PREFIX" "$INCLUDEDIR")|g" \
        "$1" >"$2"
}

install -d "$DESTDIR$LIBDIR" "$DESTDIR$INCLUDEDIR" "$DESTDIR$PKGCONFIGDIR" \
    "$DESTDIR$CMAKEDIR" "$DESTDIR$PYTHONDIR/avara_ffi"

# libavara.so.0.1.0 is the file; libavara.so.0 (the soname, which programs
# record) and libavara.so (for -lavara at link time) point to it.
install -m 755 "$BUILD_DIR/libavara.so" "$DESTDIR$LIBDIR/libavara.so.$VERSION"
ln -sf "libavara.so.$VERSION" "$DESTDIR$LIBDIR/libavara.so.$SOVERSION"
ln -sf "libavara.so.$SOVERSION" "$DESTDIR$LIBDIR/libavara.so"
install -m 644 "$BUILD_DIR/libavara.a" "$DESTDIR$LIBDIR/libavara.a"

install -m 644 "$root/include/avara.h" "$root/include/avara.hpp" "$DESTDIR$INCLUDEDIR/"

substitute "$root/packaging/avara.pc.in" "$DESTDIR$PKGCONFIGDIR/avara.pc"
substitute "$root/packaging/AvaraConfig.cmake.in" "$DESTDIR$CMAKEDIR/AvaraConfig.cmake"
substitute "$root/packaging/AvaraConfigVersion.cmake.in" \
    "$DESTDIR$CMAKEDIR/AvaraConfigVersion.cmake"
chmod 644 "$DESTDIR$PKGCONFIGDIR/avara.pc" "$DESTDIR$CMAKEDIR"/*.cmake

# The Python module, with the library directory recorded in it, so it needs
# no AVARA_LIBRARY or LD_LIBRARY_PATH to find the library.
for file in "$root"/python/avara_ffi/*.py; do
    install -m 644 "$file" "$DESTDIR$PYTHONDIR/avara_ffi/"
done
cat >"$DESTDIR$PYTHONDIR/avara_ffi/_build_config.py" <<PYTHON
"""Settings recorded by make install."""

LIBRARY_DIR = "$LIBDIR"
PYTHON

echo "installed libavara $VERSION under $DESTDIR$PREFIX"
