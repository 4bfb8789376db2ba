#!/usr/bin/env python3
"""Check that the official Avara Python SDK can add and remove a user against avara-mock.

Usage:
    AVARA_BASE_URL=http://127.0.0.1:PORT AVARA_API_KEY=KEY \\
        python official_sdk_check.py [CUSTOMER_ID USER_ID]

The customer and user IDs come from the arguments, else from AVARA_CUSTOMER_ID
and AVARA_USER_ID, else from the mock's default seed. The user must be seeded
and must not yet be a member of the customer. Needs `pip install avara==0.3.0`.

Beyond the successful add and remove, the check also expects 409 for a second
add, 404 for a second remove and 401 for an unknown key, so the SDK maps the
mock's error responses to its exception types. It exits 0 when every check
passes, 1 when one fails, and 2 on a usage error.
"""

from __future__ import annotations

import os
import sys
from urllib.parse import urlparse

# Same values as DEFAULT_CUSTOMER_ID and DEFAULT_USER_ID in mock/src/config.rs.
DEFAULT_CUSTOMER_ID = "cus_0123456789abcdef0123456789abcdef"
DEFAULT_USER_ID = "usr_00000000000000000000000000000001"

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


def fail(message: str) -> None:
    print(f"official_sdk_check: FAILED: {message}", file=sys.stderr)
    sys.exit(1)


def usage_error(message: str) -> None:
    print(f"official_sdk_check: {message}", file=sys.stderr)
    sys.exit(2)


def read_settings() -> tuple[str, str, str, str]:
    """Return base URL, API key, customer ID and user ID, or exit with status 2."""
    base_url = os.environ.get("AVARA_BASE_URL")
    api_key = os.environ.get("AVARA_API_KEY")
    if not base_url:
        usage_error("AVARA_BASE_URL is not set: set it to the URL that avara-mock prints")
    if not api_key:
        usage_error("AVARA_API_KEY is not set: set it to a key that avara-mock accepts")

    # The check writes to the server, so it runs only against a local mock.
    host = urlparse(base_url).hostname
    if host not in LOOPBACK_HOSTS:
        usage_error(f"AVARA_BASE_URL host {host!r} is not loopback: point it at avara-mock on 127.0.0.1")

    args = sys.argv[1:]
    if len(args) not in (0, 2):
        usage_error("expected either no arguments or CUSTOMER_ID USER_ID")
    if args:
        customer_id, user_id = args
    else:
        customer_id = os.environ.get("AVARA_CUSTOMER_ID", DEFAULT_CUSTOMER_ID)
        user_id = os.environ.get("AVARA_USER_ID", DEFAULT_USER_ID)
    return base_url, api_key, customer_id, user_id


def expect_error(error_type: type, status: int, action, description: str) -> None:
    """Run `action` and fail unless it raises `error_type` with HTTP `status`."""
    try:
        action()
    except error_type as error:
        if error.status_code != status:
            fail(f"{description}: expected HTTP {status}, got {error.status_code}")
        return
    except Exception as error:  # noqa: BLE001 - report any other outcome as a failure
        fail(f"{description}: expected {error_type.__name__}, got {type(error).__name__}: {error}")
    fail(f"{description}: expected {error_type.__name__}, but the call succeeded")


def run_checks(avara, base_url: str, api_key: str, customer_id: str, user_id: str) -> None:
    """Add and remove `user_id` and check the error responses around them."""
    # Retries are off because avara 0.3.0 retries 409 by default, and the check needs it raised.
    client = avara.Avara(api_key=api_key, base_url=base_url, max_retries=0, timeout=10.0)

    added = client.express.users.add(customer_id, user_id=user_id)
    if added.success is not True:
        fail(f"add returned success={added.success!r}, message={added.message!r}")
    print(f"add: {added.message}")

    expect_error(
        avara.ConflictError,
        409,
        lambda: client.express.users.add(customer_id, user_id=user_id),
        "second add of the same user",
    )

    removed = client.express.users.remove(customer_id, user_id=user_id)
    if removed.success is not True:
        fail(f"remove returned success={removed.success!r}, message={removed.message!r}")
    print(f"remove: {removed.message}")

    expect_error(
        avara.NotFoundError,
        404,
        lambda: client.express.users.remove(customer_id, user_id=user_id),
        "second remove of the same user",
    )

    unknown_key_client = avara.Avara(
        api_key="sk_live_" + "1" * 32, base_url=base_url, max_retries=0, timeout=10.0
    )
    expect_error(
        avara.AuthenticationError,
        401,
        lambda: unknown_key_client.express.users.add(customer_id, user_id=user_id),
        "add with an unknown API key",
    )


def main() -> None:
    base_url, api_key, customer_id, user_id = read_settings()
    try:
        import avara
    except ImportError:
        usage_error("the avara package is not installed: run `pip install avara==0.3.0`")

    try:
        run_checks(avara, base_url, api_key, customer_id, user_id)
    except avara.APIConnectionError as error:
        reason = str(error).rstrip(".")
        fail(f"could not reach {base_url}: {reason}. Check that avara-mock is running there.")
    except avara.APIStatusError as error:
        fail(
            f"unexpected HTTP {error.status_code} from {error.request.method} {error.request.url}: "
            f"{error.message}. The user must be seeded and not yet a member of the customer."
        )
    print("official_sdk_check: all checks passed")


if __name__ == "__main__":
    main()
