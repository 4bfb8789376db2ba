#!/usr/bin/env python3
"""Add a user to an Avara Express customer, then remove them again, with
avara_ffi (libavara's Python bindings).

Usage: express_users.py CUSTOMER_ID USER_ID

The API key comes from AVARA_API_KEY and the server from AVARA_BASE_URL
(default https://api.avarasoftware.com). Exits 0 when both calls succeed,
1 when a call fails or libavara cannot be loaded, and 2 for a usage error.
"""

import sys

import avara_ffi


def main() -> int:
    if len(sys.argv) != 3:
        print("usage: {} CUSTOMER_ID USER_ID".format(sys.argv[0]), file=sys.stderr)
        return 2
    customer_id, user_id = sys.argv[1:]

    try:
        with avara_ffi.Avara(timeout=30.0) as client:
            added = client.express.users.add(customer_id, user_id=user_id)
            print("add: success={} message={}".format(added.success, added.message))
            removed = client.express.users.remove(customer_id, user_id=user_id)
            print("remove: success={} message={}".format(removed.success, removed.message))
    except avara_ffi.APIStatusError as error:
        print("failed: HTTP {}: {}".format(error.status_code, error.message), file=sys.stderr)
        if error.request_id:
            print("  request id: {}".format(error.request_id), file=sys.stderr)
        return 1
    except avara_ffi.APIConnectionError as error:
        print("failed: cannot reach the API: {}".format(error.message), file=sys.stderr)
        return 1
    except (avara_ffi.AvaraError, ValueError) as error:
        # AvaraError: a missing API key or a response that is not the expected
        # JSON. ValueError: an invalid argument, such as a malformed ID.
        print("failed: {}".format(error), file=sys.stderr)
        return 1
    except avara_ffi.LibraryNotFoundError as error:
        print("failed: {}".format(error), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
