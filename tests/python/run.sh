#!/bin/sh
# Runs the Python tests (tests/python) in a virtual environment at
# $TARGET_DIR/py-venv, creating it on first use with pytest and the
# official SDK, avara==0.3.0, which the parity test compares against.
# Used by `make test-python`, which builds libavara and avara-mock first.
#
# Environment: TARGET_DIR (default: target/ in the repository), PYTHON
# (the interpreter that creates the environment, default python3).
# Extra arguments go to pytest.
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
TARGET_DIR=${TARGET_DIR:-$root/target}
python=${PYTHON:-python3}
venv=$TARGET_DIR/py-venv
export TARGET_DIR

if ! "$venv/bin/python" -c 'import pytest, avara' 2>/dev/null; then
    echo "run.sh: creating $venv with pytest and avara==0.3.0"
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet pytest 'avara==0.3.0'
fi

# pytest exits with 5 when it collects no tests; set -e turns that into a
# failure, and the check below catches a run that selected nothing.
report=$(mktemp)
trap 'rm -f "$report"' EXIT INT TERM
status=0
"$venv/bin/python" -m pytest "$root/tests/python" -p no:cacheprovider \
    --junitxml="$report" "$@" || status=$?
if [ "$status" -ne 0 ]; then
    exit "$status"
fi
if ! grep -q 'tests="[1-9]' "$report"; then
    echo "run.sh: pytest ran no tests" >&2
    exit 1
fi
