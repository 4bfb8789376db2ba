#!/usr/bin/env python3
"""Run the same Express Users calls through the official ``avara`` SDK or
through ``avara_ffi`` against avara-mock, so both can be checked to behave
alike.

Usage:
    AVARA_BASE_URL=http://127.0.0.1:PORT AVARA_API_KEY=KEY \\
        python sdk_parity.py --sdk official|ffi [CUSTOMER_ID USER_ID]

``--sdk`` defaults to the AVARA_SDK environment variable. The customer and
user IDs default to the stand-in's seed; the user must exist and must not
yet be a member of the customer. The official SDK needs
``pip install avara==0.3.0``; avara_ffi needs libavara (see AVARA_LIBRARY).

The checks, with retries off because both SDKs retry 409:

- the exception classes nest as in the official SDK;
- add succeeds, and a second add raises ConflictError (409);
- remove succeeds, and a second remove raises NotFoundError (404);
- an unknown customer raises NotFoundError (404);
- an unknown key raises AuthenticationError (401);
- the stand-in's read-only key raises PermissionDeniedError (403);
- a closed port raises APIConnectionError.

Exit status: 0 when every check passes, 1 when one fails, 2 on a usage
error.
"""

import argparse
import importlib
import os
import socket
import sys
from urllib.parse import urlparse

# The stand-in's default seed (avara-mock --help).
DEFAULT_CUSTOMER_ID = "cus_0123456789abcdef0123456789abcdef"
DEFAULT_USER_ID = "usr_00000000000000000000000000000001"
READ_ONLY_API_KEY = "sk_live_ffffffffffffffffffffffffffffffff"
UNKNOWN_API_KEY = "sk_live_" + "1" * 32
UNKNOWN_CUSTOMER_ID = "cus_" + "9" * 32

SDK_MODULES = {"official": "avara", "ffi": "avara_ffi"}
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
TIMEOUT_SECONDS = 10.0


class CheckFailed(Exception):
    """One check did not see what it expected."""


def usage_error(message):
    print("sdk_parity: {}".format(message), file=sys.stderr)
    sys.exit(2)


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sdk",
        choices=sorted(SDK_MODULES),
        default=os.environ.get("AVARA_SDK"),
        help="implementation to check: the official avara package or avara_ffi "
        "(default: $AVARA_SDK)",
    )
    parser.add_argument("ids", nargs="*", metavar="ID", help="CUSTOMER_ID USER_ID")
    arguments = parser.parse_args()
    if arguments.sdk not in SDK_MODULES:
        usage_error("choose the implementation with --sdk official|ffi or AVARA_SDK")
    if len(arguments.ids) not in (0, 2):
        usage_error("expected either no IDs or CUSTOMER_ID USER_ID")
    return arguments


def read_settings():
    """Return base URL and API key from the environment, or exit with status 2."""
    base_url = os.environ.get("AVARA_BASE_URL")
    api_key = os.environ.get("AVARA_API_KEY")
    if not base_url:
        usage_error("AVARA_BASE_URL is not set: set it to the URL that avara-mock prints")
    if not api_key:
        usage_error("AVARA_API_KEY is not set: set it to a key that avara-mock accepts")
    # The checks change memberships, so they run only against a local stand-in.
    host = urlparse(base_url).hostname
    if host not in LOOPBACK_HOSTS:
        usage_error("AVARA_BASE_URL host {!r} is not loopback: point it at avara-mock".format(host))
    return base_url, api_key


def closed_port_url():
    """A loopback URL on a port that nothing listens on (just released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return "http://127.0.0.1:{}".format(probe.getsockname()[1])


def expect_error(sdk, class_name, status, action, description):
    """Run ``action`` and fail unless it raises exactly ``sdk.<class_name>``
    carrying HTTP ``status`` (None for errors without a response)."""
    expected = getattr(sdk, class_name)
    try:
        action()
    except sdk.AvaraError as error:
        if type(error) is not expected:
            raise CheckFailed(
                "{}: expected {}, got {}: {}".format(
                    description, class_name, type(error).__name__, error
                )
            )
        if status is not None and error.status_code != status:
            raise CheckFailed(
                "{}: expected HTTP {}, got {}".format(description, status, error.status_code)
            )
        print("{}: {}".format(description, class_name))
        return
    raise CheckFailed("{}: expected {}, but the call succeeded".format(description, class_name))


def expect_success(response, description):
    if response.success is not True:
        raise CheckFailed(
            "{}: success={!r}, message={!r}".format(description, response.success, response.message)
        )
    print("{}: {}".format(description, response.message))


def check_hierarchy(sdk):
    """The exception classes the two SDKs share must nest the same way."""
    pairs = [
        ("APIError", "AvaraError"),
        ("APIStatusError", "APIError"),
        ("APIConnectionError", "APIError"),
        ("APITimeoutError", "APIConnectionError"),
    ]
    for name in (
        "BadRequestError",
        "AuthenticationError",
        "PermissionDeniedError",
        "NotFoundError",
        "ConflictError",
        "UnprocessableEntityError",
        "RateLimitError",
        "InternalServerError",
    ):
        pairs.append((name, "APIStatusError"))
    for child, parent in pairs:
        if not issubclass(getattr(sdk, child), getattr(sdk, parent)):
            raise CheckFailed("{} is not a subclass of {}".format(child, parent))
    print("exception hierarchy: as in the official SDK")


def run_checks(sdk, base_url, api_key, customer_id, user_id):
    check_hierarchy(sdk)
    client = sdk.Avara(
        api_key=api_key, base_url=base_url, max_retries=0, timeout=TIMEOUT_SECONDS
    )
    users = client.express.users

    expect_success(users.add(customer_id, user_id=user_id), "add")
    expect_error(
        sdk, "ConflictError", 409,
        lambda: users.add(customer_id, user_id=user_id),
        "second add of the same user",
    )
    expect_success(users.remove(customer_id, user_id=user_id), "remove")
    expect_error(
        sdk, "NotFoundError", 404,
        lambda: users.remove(customer_id, user_id=user_id),
        "second remove of the same user",
    )
    expect_error(
        sdk, "NotFoundError", 404,
        lambda: users.add(UNKNOWN_CUSTOMER_ID, user_id=user_id),
        "add to an unknown customer",
    )

    unknown_key = client.with_options(api_key=UNKNOWN_API_KEY)
    expect_error(
        sdk, "AuthenticationError", 401,
        lambda: unknown_key.express.users.add(customer_id, user_id=user_id),
        "add with an unknown API key",
    )
    read_only = client.with_options(api_key=READ_ONLY_API_KEY)
    expect_error(
        sdk, "PermissionDeniedError", 403,
        lambda: read_only.express.users.add(customer_id, user_id=user_id),
        "add with a read-only API key",
    )

    unreachable = sdk.Avara(
        api_key=api_key, base_url=closed_port_url(), max_retries=0, timeout=TIMEOUT_SECONDS
    )
    expect_error(
        sdk, "APIConnectionError", None,
        lambda: unreachable.express.users.add(customer_id, user_id=user_id),
        "add through a closed port",
    )

    for instance in (client, unknown_key, read_only, unreachable):
        instance.close()


def main():
    arguments = parse_arguments()
    base_url, api_key = read_settings()
    if arguments.ids:
        customer_id, user_id = arguments.ids
    else:
        customer_id, user_id = DEFAULT_CUSTOMER_ID, DEFAULT_USER_ID

    module_name = SDK_MODULES[arguments.sdk]
    try:
        sdk = importlib.import_module(module_name)
    except ImportError as error:
        usage_error("cannot import {}: {}".format(module_name, error))

    try:
        run_checks(sdk, base_url, api_key, customer_id, user_id)
    except CheckFailed as error:
        print("sdk_parity ({}): FAILED: {}".format(module_name, error), file=sys.stderr)
        sys.exit(1)
    except sdk.APIConnectionError as error:
        print(
            "sdk_parity ({}): FAILED: cannot reach {}: {}. Check that avara-mock is "
            "running there.".format(module_name, base_url, error),
            file=sys.stderr,
        )
        sys.exit(1)
    except sdk.APIStatusError as error:
        print(
            "sdk_parity ({}): FAILED: unexpected HTTP {}: {}. The user must exist and "
            "not yet be a member of the customer.".format(module_name, error.status_code, error),
            file=sys.stderr,
        )
        sys.exit(1)
    print("sdk_parity ({}): all checks passed".format(module_name))


if __name__ == "__main__":
    main()
