"""The Python contestants of `make bench`: avara_ffi and the official SDK.

Both expose ``Avara(api_key=, base_url=).express.users.add(customer_id,
user_id=)`` and ``.remove(...)``, so one loop serves both. The loop and the
JSON line it prints match the C harness in harness.c: even-numbered calls
add the user, odd-numbered calls remove them, and latencies are written as
native uint64 nanoseconds.
"""

import argparse
import array
import importlib
import json
import resource
import sys
import time


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--module", required=True, choices=["avara_ffi", "avara"],
                        help="package to import Avara from")
    parser.add_argument("-u", dest="base_url", required=True, help="base URL")
    parser.add_argument("-k", dest="api_key", required=True, help="API key")
    parser.add_argument("-c", dest="customer_id", required=True, help="Express customer ID")
    parser.add_argument("-s", dest="user_id", required=True, help="user ID")
    parser.add_argument("-n", dest="calls", type=int, required=True, help="timed calls")
    parser.add_argument("-w", dest="warmup", type=int, default=200,
                        help="untimed calls before timing starts, rounded up to even")
    parser.add_argument("-l", dest="latency_file", help="file for per-call latencies")
    return parser.parse_args()


def peak_rss_kb():
    """Returns VmHWM. ru_maxrss is not used because Linux carries it over
    execve(), so it can report the parent's peak."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return -1


def cpu_ns(usage):
    return int(usage.ru_utime * 1e9), int(usage.ru_stime * 1e9)


def main():
    arguments = parse_arguments()
    module = importlib.import_module(arguments.module)
    client = module.Avara(api_key=arguments.api_key, base_url=arguments.base_url)
    users = client.express.users
    customer_id = arguments.customer_id
    user_id = arguments.user_id
    warmup = arguments.warmup + arguments.warmup % 2

    def call(remove):
        if remove:
            response = users.remove(customer_id, user_id=user_id)
        else:
            response = users.add(customer_id, user_id=user_id)
        return response.success is True

    errors = 0
    for i in range(warmup):
        errors += not call(i % 2 == 1)

    latencies = array.array("Q", bytes(8 * arguments.calls))
    clock = time.perf_counter_ns
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = clock()
    for i in range(arguments.calls):
        call_started = clock()
        ok = call(i % 2 == 1)
        latencies[i] = clock() - call_started
        errors += not ok
    finished = clock()
    after = resource.getrusage(resource.RUSAGE_SELF)

    if arguments.latency_file:
        with open(arguments.latency_file, "wb") as file:
            latencies.tofile(file)

    user_before, sys_before = cpu_ns(before)
    user_after, sys_after = cpu_ns(after)
    version = getattr(module, "__version__", "unknown")
    print(json.dumps({
        "contestant": arguments.module,
        "version": version,
        "calls": arguments.calls,
        "threads": 1,
        "errors": errors,
        "wall_ns": finished - started,
        "user_ns": user_after - user_before,
        "sys_ns": sys_after - sys_before,
        "maxrss_kb": peak_rss_kb(),
        "rss_kb_after_calls": {},
    }))
    if hasattr(client, "close"):
        client.close()
    return 0 if errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
