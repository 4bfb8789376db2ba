"""Runs sdk_parity.py unchanged against the official SDK and avara_ffi."""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import API_KEY, PYTHON_SOURCE_DIR

SCRIPT = Path(__file__).with_name("sdk_parity.py")


@pytest.mark.parametrize("sdk", ["official", "ffi"])
def test_sdk_parity(mock, sdk):
    if sdk == "official" and importlib.util.find_spec("avara") is None:
        pytest.skip("the official SDK is not installed: pip install avara==0.3.0")
    env = dict(os.environ)
    env.update(
        {
            "AVARA_BASE_URL": mock.base_url,
            "AVARA_API_KEY": API_KEY,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(PYTHON_SOURCE_DIR), env.get("PYTHONPATH")])),
        }
    )

    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--sdk", sdk],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "all checks passed" in result.stdout
    assert mock.requests(), "the script sent no request to the stand-in"


def test_sdk_parity_requires_choice(mock):
    env = {key: value for key, value in os.environ.items() if key != "AVARA_SDK"}
    env.update({"AVARA_BASE_URL": mock.base_url, "AVARA_API_KEY": API_KEY})

    result = subprocess.run(
        [sys.executable, str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 2
    assert "--sdk" in result.stderr
