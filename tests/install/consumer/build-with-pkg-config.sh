#!/bin/sh
# Builds examples/express_users.c against an installed libavara with
# pkg-config, linked to the shared library and to the static one, as the
# README shows. Run by tests/install/run.sh in a directory outside the
# source tree, with PKG_CONFIG_PATH pointing at the installed avara.pc.
set -eu

# Shared: links libavara.so; the rpath lets a prefix outside the loader's
# search path work without LD_LIBRARY_PATH.
cc express_users.c -o express_users \
    $(pkg-config --cflags --libs avara) \
    -Wl,-rpath,"$(pkg-config --variable=libdir avara)"

# Static: links libavara.a and the system libraries it needs.
cc express_users.c -o express_users_static \
    $(pkg-config --cflags avara) -L"$(pkg-config --variable=libdir avara)" \
    -Wl,-Bstatic -lavara -Wl,-Bdynamic \
    $(pkg-config --variable=native_static_libs avara)
