"""The Python example runs against the stand-in, and every code block that
the README marks as taken from a file is still in that file."""

import os
import re
import subprocess
import sys

import pytest

from conftest import API_KEY, CUSTOMER_ID, MEMBER_USER_ID, PYTHON_SOURCE_DIR, REPO_ROOT, USER_ID

EXAMPLE = REPO_ROOT / "examples" / "express_users.py"


def _run_example(mock, *arguments, env_changes=None):
    """Run the example against ``mock``. ``env_changes`` maps variable names
    to values, or to None to remove the variable."""
    env = dict(os.environ)
    env.update(
        {
            "AVARA_API_KEY": API_KEY,
            "AVARA_BASE_URL": mock.base_url,
            "PYTHONPATH": str(PYTHON_SOURCE_DIR),
        }
    )
    for name, value in (env_changes or {}).items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return subprocess.run(
        [sys.executable, str(EXAMPLE)] + list(arguments),
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_example_adds_and_removes_user(mock):
    result = _run_example(mock, CUSTOMER_ID, USER_ID)

    assert result.returncode == 0, result.stderr
    assert "add: success=True" in result.stdout
    assert "remove: success=True" in result.stdout
    assert USER_ID not in mock.members(CUSTOMER_ID)


def test_example_reports_failure(mock):
    result = _run_example(mock, CUSTOMER_ID, MEMBER_USER_ID)

    assert result.returncode == 1
    assert "failed: HTTP 409" in result.stderr
    assert "request id: req_" in result.stderr


def _assert_one_line_failure(result, text):
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("failed: ")
    assert text in lines[0]


def test_example_reports_missing_api_key(mock):
    result = _run_example(mock, CUSTOMER_ID, USER_ID, env_changes={"AVARA_API_KEY": None})

    _assert_one_line_failure(result, "AVARA_API_KEY")
    assert mock.requests() == []


def test_example_reports_invalid_id(mock):
    result = _run_example(mock, "cus_123", USER_ID)

    _assert_one_line_failure(result, "express_customer_id")
    assert mock.requests() == []


def test_example_reports_invalid_response(mock):
    mock.script({"status": 200, "body": "not json"})

    result = _run_example(mock, CUSTOMER_ID, USER_ID)

    _assert_one_line_failure(result, "invalid response body")


def test_example_reports_missing_library(mock, tmp_path):
    missing = str(tmp_path / "libavara.so")

    result = _run_example(mock, CUSTOMER_ID, USER_ID, env_changes={"AVARA_LIBRARY": missing})

    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("failed: cannot load libavara from " + missing)


# A block marked <!-- example: PATH --> just before its opening fence.
MARKED_BLOCK = re.compile(r"<!-- example: (\S+) -->\s*\n```[a-z]*\n(.*?)\n```", re.DOTALL)
READMES = [REPO_ROOT / "README.md"]


def _marked_blocks():
    blocks = []
    for readme in READMES:
        if readme.exists():
            for path, code in MARKED_BLOCK.findall(readme.read_text()):
                blocks.append(pytest.param(readme.name, path, code, id="{}:{}".format(readme.name, path)))
    return blocks


def test_readme_has_marked_examples():
    assert len(_marked_blocks()) >= 4


def _stripped_lines(text):
    return [line.strip() for line in text.splitlines()]


def _contains_lines(haystack, needle):
    """Whether ``needle`` occurs in ``haystack`` as consecutive lines."""
    return any(
        haystack[start : start + len(needle)] == needle
        for start in range(len(haystack) - len(needle) + 1)
    )


@pytest.mark.parametrize("readme, path, code", _marked_blocks())
def test_readme_example_matches_file(readme, path, code):
    # Indentation may differ: the README shows excerpts dedented.
    source = _stripped_lines((REPO_ROOT / path).read_text())
    excerpt = _stripped_lines(code)

    assert _contains_lines(source, excerpt), "{}: the block marked {} is not in that file".format(
        readme, path
    )
