"""Fixtures for the avara_ffi tests: the avara-mock stand-in server and a
client pointed at it.

The tests use the debug build from `cargo build --workspace`:
$TARGET_DIR/debug/libavara.so and $TARGET_DIR/debug/avara-mock, where
TARGET_DIR defaults to the repository's target/.
"""

import json
import os
import select
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
TARGET_DIR = Path(os.environ.get("TARGET_DIR") or REPO_ROOT / "target")
BUILD_DIR = TARGET_DIR / "debug"
MOCK_BINARY = BUILD_DIR / "avara-mock"
LIBRARY_PATH = BUILD_DIR / "libavara.so"
PYTHON_SOURCE_DIR = REPO_ROOT / "python"

# The stand-in's default seed (avara-mock --help).
API_KEY = "sk_live_00000000000000000000000000000000"
READ_ONLY_API_KEY = "sk_live_ffffffffffffffffffffffffffffffff"
CUSTOMER_ID = "cus_0123456789abcdef0123456789abcdef"
SECOND_CUSTOMER_ID = "cus_fedcba9876543210fedcba9876543210"
USER_ID = "usr_00000000000000000000000000000001"
SECOND_USER_ID = "usr_00000000000000000000000000000002"
MEMBER_USER_ID = "usr_00000000000000000000000000000003"
UNKNOWN_CUSTOMER_ID = "cus_99999999999999999999999999999999"

# Seconds to wait for the stand-in to print its address.
MOCK_START_TIMEOUT = 10.0

# Settings from the developer's shell must not reach libavara, the official
# SDK or urllib: a proxy would swallow loopback requests.
_ISOLATED_ENV = (
    "AVARA_API_KEY",
    "AVARA_BASE_URL",
    "AVARA_CUSTOM_HEADERS",
    "AVARA_LOG",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "no_proxy",
)
for _name in _ISOLATED_ENV:
    os.environ.pop(_name, None)
os.environ["AVARA_LIBRARY"] = str(LIBRARY_PATH)
sys.path.insert(0, str(PYTHON_SOURCE_DIR))

# urllib without any proxy, for the control endpoints.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class MockServer:
    """A running avara-mock process and its /__mock/ control endpoints."""

    def __init__(self, process: "subprocess.Popen[bytes]", base_url: str) -> None:
        self.process = process
        self.base_url = base_url

    def _control(self, method: str, path: str, payload: Optional[Any] = None) -> Any:
        data = None if payload is None else json.dumps(payload).encode("utf-8")
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        with _opener.open(request, timeout=10) as response:
            return json.loads(response.read().decode("utf-8"))

    def script(self, *answers: Dict[str, Any]) -> None:
        """Queue scripted answers for the next API requests."""
        self._control("POST", "/__mock/script", list(answers))

    def reset(self) -> None:
        """Clear scripts and the request log and restore the seed."""
        self._control("POST", "/__mock/reset", None)

    def members(self, customer_id: str) -> List[str]:
        return self._control("GET", "/__mock/state")["customers"][customer_id]

    def requests(self) -> List[Dict[str, Any]]:
        """The recorded API requests, oldest first."""
        return self._control("GET", "/__mock/requests")

    def connections_accepted(self) -> int:
        """Connections accepted so far, counting this control request's own."""
        return self._control("GET", "/__mock/stats")["connections_accepted"]


def start_mock(extra_args: Optional[List[str]] = None) -> MockServer:
    """Start avara-mock on a free loopback port and wait for its address."""
    if not MOCK_BINARY.exists():
        pytest.fail(
            "{} not found; build it with `cargo build --workspace` or run `make test-python`".format(
                MOCK_BINARY
            )
        )
    process = subprocess.Popen(
        [str(MOCK_BINARY), "--port", "0", "--exit-on-stdin-close"] + (extra_args or []),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    assert process.stdout is not None
    deadline = time.monotonic() + MOCK_START_TIMEOUT
    line = b""
    while not line.endswith(b"\n"):
        remaining = deadline - time.monotonic()
        if remaining <= 0 or process.poll() is not None:
            stop_mock(process)
            pytest.fail("avara-mock did not print its address within {} s".format(MOCK_START_TIMEOUT))
        ready, _, _ = select.select([process.stdout], [], [], remaining)
        if ready:
            chunk = os.read(process.stdout.fileno(), 1)
            if not chunk:
                continue
            line += chunk
    text = line.decode("utf-8").strip()
    prefix = "listening on "
    if not text.startswith(prefix):
        stop_mock(process)
        pytest.fail("unexpected first line from avara-mock: {!r}".format(text))
    return MockServer(process, text[len(prefix):])


def stop_mock(process: "subprocess.Popen[bytes]") -> None:
    """Stop the process: closing stdin ends it, SIGKILL if it hangs."""
    if process.stdin is not None:
        process.stdin.close()
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
    if process.stdout is not None:
        process.stdout.close()


@pytest.fixture(scope="session")
def mock_session() -> Iterator[MockServer]:
    server = start_mock()
    yield server
    stop_mock(server.process)


@pytest.fixture
def mock(mock_session: MockServer) -> MockServer:
    """The shared stand-in, reset to its seed with no scripts for each test."""
    mock_session.reset()
    return mock_session


@pytest.fixture
def avara_ffi() -> Any:
    import avara_ffi

    return avara_ffi


@pytest.fixture
def client(avara_ffi: Any, mock: MockServer) -> Iterator[Any]:
    """An avara_ffi client for the stand-in with no retries and a 10 s timeout."""
    with avara_ffi.Avara(
        api_key=API_KEY, base_url=mock.base_url, max_retries=0, timeout=10.0
    ) as instance:
        yield instance
