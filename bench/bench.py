"""Run the libavara benchmark and write its report.

Started by bench/run.sh, which installs the tools and builds the
contestants first. Every contestant makes the same alternating add and
remove calls over one keep-alive connection to the same nginx on
127.0.0.1, and the rounds alternate between contestants so that a change in
machine load affects them all alike. The rounds run twice: with client and
nginx pinned to one shared CPU, and pinned to two separate CPUs. Separate,
shorter runs count system calls under strace and check the requests
against avara-mock.
"""

import argparse
import array
import datetime
import json
import math
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

API_KEY = "sk_live_00000000000000000000000000000000"
CUSTOMER_ID = "cus_0123456789abcdef0123456789abcdef"
USER_ID = "usr_00000000000000000000000000000001"
USERS_PATH = f"/v1/express/{CUSTOMER_ID}/users"
WRK_USER_AGENT = "libavara/0.1.0"
NGINX_BODY = '{"success":true,"message":"ok"}'

# Libraries the stripped libavara.so may link against.
ALLOWED_DEPENDENCIES = (
    "linux-vdso.so",
    "libc.so",
    "libm.so",
    "libgcc_s.so",
    "libpthread.so",
    "libdl.so",
    "ld-linux",
)

# Environment variables that would route a contestant through a proxy.
PROXY_VARIABLES = (
    "http_proxy", "https_proxy", "all_proxy", "no_proxy",
    "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY",
)


@dataclass
class Plan:
    """Iteration counts: one set for the recorded run, one for the smoke test."""
    rounds: int
    c_calls: int
    ffi_calls: int
    sdk_calls: int
    warmup: int
    wrk_seconds: int
    thread_rounds: int
    thread_calls: int
    rss_checkpoints: tuple
    strace_calls: tuple
    strace_python_calls: tuple


FULL_PLAN = Plan(rounds=5, c_calls=20000, ffi_calls=10000, sdk_calls=2000, warmup=200,
                 wrk_seconds=2, thread_rounds=3, thread_calls=40000,
                 rss_checkpoints=(1000, 100000), strace_calls=(500, 2500),
                 strace_python_calls=(200, 1200))
SMOKE_PLAN = Plan(rounds=1, c_calls=200, ffi_calls=100, sdk_calls=40, warmup=10,
                  wrk_seconds=1, thread_rounds=1, thread_calls=400,
                  rss_checkpoints=(100, 1000), strace_calls=(20, 60),
                  strace_python_calls=(10, 30))


@dataclass
class Contestant:
    """One client under test and how to start it for a given call count."""
    key: str
    label: str
    kind: str  # "c", "python" or "wrk"
    command: list
    base_url_host: str = "127.0.0.1"
    extra_environment: dict = field(default_factory=dict)


@dataclass
class Placement:
    """CPUs that the clients and the nginx worker are pinned to in one set
    of rounds. `None` leaves a side on every CPU the benchmark may use."""
    key: str
    title: str
    client_cpus: set = None
    server_cpus: set = None


def placements():
    """Returns the CPU placements of the one-connection rounds, starting
    with the one that the targets are judged on.

    A call over one connection is mostly serial, because each side waits
    for the other's message. On separate CPUs each request and each
    response also wakes an idle CPU, which inside a virtual machine can take
    longer than the call's own work. The highest-numbered CPU is the shared
    one because CPU 0 often serves more interrupts."""
    allowed = sorted(os.sched_getaffinity(0))
    shared = Placement("shared_cpu", f"client and server on one CPU (CPU {allowed[-1]})",
                       {allowed[-1]}, {allowed[-1]})
    if len(allowed) < 2:
        return [shared]
    separate = Placement("separate_cpus",
                         f"client on CPU {allowed[-2]}, server on CPU {allowed[-1]}",
                         {allowed[-2]}, {allowed[-1]})
    return [shared, separate]


def pinning(cpus):
    """Returns a preexec_fn that pins a child process to `cpus`, or None."""
    if cpus is None:
        return None
    return lambda: os.sched_setaffinity(0, cpus)


@dataclass
class Totals:
    """Results of one contestant summed over the rounds."""
    calls: int = 0
    wall_ns: int = 0
    cpu_ns: int = 0
    maxrss_kb: int = 0
    errors: int = 0
    version: str = ""
    latencies_ns: array.array = field(default_factory=lambda: array.array("Q"))
    p50_us: float = 0.0
    p99_us: float = 0.0
    # Calls per second of each round, in round order.
    round_rates: list = field(default_factory=list)

    def add_run(self, result, latencies_ns):
        self.round_rates.append(result["calls"] / (result["wall_ns"] / 1e9)
                                if result["wall_ns"] else 0.0)
        self.calls += result["calls"]
        self.wall_ns += result["wall_ns"]
        self.cpu_ns += result["user_ns"] + result["sys_ns"]
        self.maxrss_kb = max(self.maxrss_kb, result["maxrss_kb"])
        self.errors += result["errors"]
        self.version = result.get("version", "")
        self.latencies_ns.extend(latencies_ns)

    def calls_per_second(self):
        return self.calls / (self.wall_ns / 1e9) if self.wall_ns else 0.0

    def cpu_us_per_call(self):
        return self.cpu_ns / self.calls / 1000 if self.calls else 0.0

    def percentile_us(self, fraction):
        if not self.latencies_ns:
            return self.p50_us if fraction == 0.5 else self.p99_us
        # Nearest rank: the smallest latency that at least `fraction` of
        # the calls do not exceed.
        ordered = sorted(self.latencies_ns)
        rank = math.ceil(fraction * len(ordered))
        return ordered[max(rank, 1) - 1] / 1000


class BenchError(Exception):
    """A step of the benchmark failed; the message names the step and the cause."""


def log(message):
    print(f"bench: {message}", file=sys.stderr, flush=True)


def free_loopback_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port, process, name, seconds=10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"{name} exited with status {process.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise BenchError(f"{name} did not listen on 127.0.0.1:{port} within {seconds:.0f} s")


def stop_process(process):
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class Nginx:
    """nginx from the distribution on a free port of 127.0.0.1, with a
    config in a temporary directory. It returns 200 and a fixed JSON body
    for every request."""

    def __init__(self, work_dir):
        self.directory = work_dir / "nginx"
        self.directory.mkdir()
        # Workers may run as an unprivileged user, which must reach the
        # temporary paths below.
        os.chmod(work_dir, 0o755)
        os.chmod(self.directory, 0o755)
        self.process = None
        self.port = None

    def config_text(self, port):
        d = self.directory
        return f"""# Generated by bench/bench.py for one benchmark run.
worker_processes 1;
daemon off;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    keepalive_requests 1000000000;
    keepalive_timeout 600s;
    client_body_temp_path {d}/client_body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    server {{
        listen 127.0.0.1:{port};
        location / {{
            default_type application/json;
            return 200 '{NGINX_BODY}';
        }}
    }}
}}
"""

    def __enter__(self):
        for _ in range(3):
            self.port = free_loopback_port()
            config = self.directory / "nginx.conf"
            config.write_text(self.config_text(self.port))
            self.process = subprocess.Popen(
                ["nginx", "-p", str(self.directory), "-c", str(config),
                 "-e", str(self.directory / "error.log")],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                wait_for_port(self.port, self.process, "nginx")
                return self
            except BenchError as error:
                stop_process(self.process)
                log(f"{error}; retrying on another port")
        errors = (self.directory / "error.log").read_text(errors="replace")
        raise BenchError(f"nginx failed to start three times; its error log:\n{errors}")

    def __exit__(self, *exception):
        # SIGQUIT makes the nginx master stop gracefully.
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                stop_process(self.process)

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.port}"

    def pin(self, cpus):
        """Pins the master and its workers to `cpus`, or to every CPU the
        benchmark may use when `cpus` is None."""
        cpus = cpus if cpus is not None else os.sched_getaffinity(0)
        pids = [self.process.pid] + child_pids(self.process.pid)
        if len(pids) < 2:
            raise BenchError(f"nginx (pid {self.process.pid}) has no worker process to pin")
        for pid in pids:
            os.sched_setaffinity(pid, cpus)


def child_pids(parent):
    """Returns the pids of the processes whose parent is `parent`."""
    return [process.pid for process in process_table() if process.parent == parent]


@dataclass
class ProcessStat:
    """The fields of /proc/PID/stat that the benchmark reads."""
    pid: int
    parent: int
    is_kernel_thread: bool
    start_ticks: int
    cpu_ticks: int


# PF_KTHREAD in the flags field of /proc/PID/stat (linux/sched.h).
KERNEL_THREAD_FLAG = 0x00200000


def process_table():
    """Returns a ProcessStat for every process in /proc."""
    table = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # the process exited while the list was read
        # The command name in brackets may hold spaces, so the fields are
        # split after its closing bracket: fields[0] is field 3 of proc(5).
        fields = stat[stat.rindex(")") + 2:].split()
        table.append(ProcessStat(
            pid=int(entry.name),
            parent=int(fields[1]),
            is_kernel_thread=bool(int(fields[6]) & KERNEL_THREAD_FLAG),
            start_ticks=int(fields[19]),
            cpu_ticks=int(fields[11]) + int(fields[12])))
    return table


def outside_cpu_ticks():
    """Returns {(pid, start time): user plus system ticks} of every
    user-space process that is neither this one nor its descendant."""
    table = process_table()
    children = {}
    for process in table:
        children.setdefault(process.parent, []).append(process.pid)
    own = set()
    pending = [os.getpid()]
    while pending:
        pid = pending.pop()
        own.add(pid)
        pending.extend(children.get(pid, []))
    return {(process.pid, process.start_ticks): process.cpu_ticks for process in table
            if process.pid not in own and not process.is_kernel_thread}


class Mock:
    """avara-mock on a free port of 127.0.0.1, with its default seed."""

    def __init__(self, binary):
        self.binary = binary
        self.process = None
        self.base_url = None

    def __enter__(self):
        self.process = subprocess.Popen(
            [str(self.binary), "--port", "0", "--exit-on-stdin-close"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline().strip()
        match = re.fullmatch(r"listening on (http://127\.0\.0\.1:\d+)", line)
        if not match:
            stop_process(self.process)
            raise BenchError(f"avara-mock printed {line!r} instead of its listening address")
        self.base_url = match.group(1)
        return self

    def __exit__(self, *exception):
        stop_process(self.process)

    def request(self, method, path):
        request = urllib.request.Request(self.base_url + path, method=method)
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None


def child_environment(extra=None):
    environment = {name: value for name, value in os.environ.items()
                   if name not in PROXY_VARIABLES and not name.startswith("AVARA_")}
    environment.update(extra or {})
    return environment


def contestant_command(contestant, base_url, calls, warmup, latency_file=None, extra=()):
    """Returns the argv that makes `calls` timed calls against `base_url`."""
    if contestant.base_url_host != "127.0.0.1":
        base_url = base_url.replace("127.0.0.1", contestant.base_url_host)
    command = list(contestant.command) + [
        "-u", base_url, "-k", API_KEY, "-c", CUSTOMER_ID, "-s", USER_ID,
        "-n", str(calls), "-w", str(warmup)]
    if latency_file is not None:
        command += ["-l", str(latency_file)]
    return command + list(extra)


def run_json(command, environment, description, cpus=None):
    completed = subprocess.run(command, env=environment, capture_output=True, text=True,
                               timeout=900, preexec_fn=pinning(cpus))
    if completed.returncode != 0:
        raise BenchError(f"{description} failed with status {completed.returncode}: "
                         f"{completed.stderr.strip()[-2000:]}")
    lines = [line for line in completed.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise BenchError(f"{description} printed no result line; stdout: "
                         f"{completed.stdout[-500:]}")
    return json.loads(lines[-1])


def run_client(contestant, base_url, calls, warmup, work_dir, extra=(), cpus=None):
    """Runs a C or Python contestant once; returns its result and latencies."""
    latency_file = work_dir / f"latencies-{contestant.key}.bin"
    command = contestant_command(contestant, base_url, calls, warmup, latency_file, extra)
    result = run_json(command, child_environment(contestant.extra_environment),
                      contestant.label, cpus)
    latencies = array.array("Q")
    with open(latency_file, "rb") as file:
        latencies.frombytes(file.read())
    latency_file.unlink()
    return result, latencies


def wrk_command(base_url, seconds, script):
    return ["wrk", "-t1", "-c1", f"-d{seconds}s", "-s", str(script), base_url,
            "--", USERS_PATH, API_KEY, USER_ID, WRK_USER_AGENT]


def run_wrk(base_url, seconds, script, cpus=None):
    """Runs wrk with one connection; returns its result in the harness's
    shape. Its CPU time comes from wait4()."""
    process = subprocess.Popen(wrk_command(base_url, seconds, script),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=child_environment(), preexec_fn=pinning(cpus))
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)

    stdout = process.stdout.read()
    stderr = process.stderr.read()
    process.stdout.close()
    process.stderr.close()
    match = re.search(r"^WRK_RESULT (\{.*\})$", stdout, re.MULTILINE)
    if process.returncode != 0 or not match:
        raise BenchError(f"wrk failed with status {process.returncode}: {stderr.strip()} "
                         f"{stdout.strip()[-500:]}")

    summary = json.loads(match.group(1))
    version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split()[1]
    return {
        "calls": summary["requests"],
        "wall_ns": summary["duration_us"] * 1000,
        "user_ns": int(usage.ru_utime * 1e9),
        "sys_ns": int(usage.ru_stime * 1e9),
        # ru_maxrss of a child includes its parent's peak from before
        # execve(), so wrk's own peak is unknown.
        "maxrss_kb": 0,
        "errors": summary["errors"] + summary["non_2xx"],
        "version": version,
        "p50_us": summary["p50_us"],
        "p99_us": summary["p99_us"],
    }


def calls_per_round(contestant, plan):
    if contestant.key == "avara_ffi":
        return plan.ffi_calls
    if contestant.key == "official_sdk":
        return plan.sdk_calls
    return plan.c_calls


def run_rounds(contestants, nginx, plan, work_dir, wrk_script, placement):
    """Runs every contestant once per round, rotating the order each round,
    with clients and nginx pinned to the CPUs of `placement`."""
    nginx.pin(placement.server_cpus)
    totals = {contestant.key: Totals() for contestant in contestants}
    wrk_p50 = []
    wrk_p99 = []
    for round_number in range(plan.rounds):
        shift = round_number % len(contestants)
        order = contestants[shift:] + contestants[:shift]
        log(f"{placement.key} round {round_number + 1} of {plan.rounds}: "
            + ", ".join(contestant.key for contestant in order))
        for contestant in order:
            if contestant.kind == "wrk":
                result = run_wrk(nginx.base_url, plan.wrk_seconds, wrk_script,
                                 placement.client_cpus)
                totals[contestant.key].add_run(result, [])
                wrk_p50.append(result["p50_us"])
                wrk_p99.append(result["p99_us"])
                continue
            result, latencies = run_client(contestant, nginx.base_url,
                                           calls_per_round(contestant, plan), plan.warmup,
                                           work_dir, cpus=placement.client_cpus)
            totals[contestant.key].add_run(result, latencies)
    for key, total in totals.items():
        if total.latencies_ns:
            total.p50_us = total.percentile_us(0.5)
            total.p99_us = total.percentile_us(0.99)
            total.latencies_ns = array.array("Q")
        elif key == "wrk":
            # wrk reports percentiles per run; the median run's is shown.
            total.p50_us = sorted(wrk_p50)[len(wrk_p50) // 2]
            total.p99_us = sorted(wrk_p99)[len(wrk_p99) // 2]
    return totals


def run_thread_rounds(thread_contestants, nginx, plan, work_dir):
    """Runs the four-thread variants on every CPU, alternating their order."""
    nginx.pin(None)
    totals = {contestant.key: Totals() for contestant in thread_contestants}
    for round_number in range(plan.thread_rounds):
        order = thread_contestants if round_number % 2 == 0 else thread_contestants[::-1]
        log(f"threads round {round_number + 1} of {plan.thread_rounds}")
        for contestant in order:
            result, latencies = run_client(contestant, nginx.base_url, plan.thread_calls,
                                           plan.warmup, work_dir, extra=("-t", "4"))
            totals[contestant.key].add_run(result, latencies)
    for total in totals.values():
        total.p50_us = total.percentile_us(0.5)
        total.p99_us = total.percentile_us(0.99)
        total.latencies_ns = array.array("Q")
    return totals


def measure_rss_growth(avara, nginx, plan):
    """Runs libavara without warm-up and reads VmRSS at the checkpoints."""
    checkpoints = ",".join(str(calls) for calls in plan.rss_checkpoints)
    command = contestant_command(avara, nginx.base_url, plan.rss_checkpoints[-1], 0,
                                 extra=("-r", checkpoints))
    result = run_json(command, child_environment(), "libavara RSS run")
    return {int(calls): kb for calls, kb in result["rss_kb_after_calls"].items()}


def strace_counts(command, environment, output_file):
    """Runs `command` under `strace -c -f`; returns {syscall: calls} and the
    command's standard output."""
    completed = subprocess.run(["strace", "-c", "-f", "-o", str(output_file)] + command,
                               env=environment, capture_output=True, text=True, timeout=900)
    if completed.returncode != 0:
        raise BenchError(f"strace of {command[0]} failed with status "
                         f"{completed.returncode}: {completed.stderr.strip()[-1000:]}")
    counts = {}
    for line in output_file.read_text().splitlines():
        fields = line.split()
        if len(fields) >= 5 and fields[0][0].isdigit() and fields[-1] != "total":
            counts[fields[-1]] = int(fields[3])
    return counts, completed.stdout


def measure_syscalls(contestant, nginx, plan, work_dir):
    """Counts system calls per call as the difference between a short and a
    longer run, which cancels start-up and shut-down."""
    if contestant.kind == "wrk":
        # wrk runs for a time, not a count: divide by the requests it made
        # while traced.
        counts, stdout = strace_counts(
            wrk_command(nginx.base_url, 1, work_dir / "wrk_users.lua"),
            child_environment(), work_dir / "strace-wrk.txt")
        match = re.search(r"^WRK_RESULT (\{.*\})$", stdout, re.MULTILINE)
        if not match:
            raise BenchError(f"wrk under strace printed no result: {stdout[-500:]}")
        requests = max(json.loads(match.group(1))["requests"], 1)
        return {name: count / requests for name, count in counts.items()}, False
    short, long = (plan.strace_python_calls if contestant.kind == "python"
                   else plan.strace_calls)
    runs = []
    for calls in (short, long):
        command = contestant_command(contestant, nginx.base_url, calls, plan.warmup)
        counts, _ = strace_counts(command, child_environment(contestant.extra_environment),
                                  work_dir / f"strace-{contestant.key}-{calls}.txt")
        runs.append(counts)
    names = set(runs[0]) | set(runs[1])
    per_call = {name: (runs[1].get(name, 0) - runs[0].get(name, 0)) / (long - short)
                for name in names}
    return {name: value for name, value in per_call.items() if abs(value) >= 0.005}, True


def check_requests(contestants, mock_binary, work_dir):
    """Makes four calls per contestant against avara-mock and checks what it
    received: methods, path, body, the required headers, and one connection.
    Returns {contestant key: [(header, value), ...]} of the first request."""
    first_requests = {}
    with Mock(mock_binary) as mock:
        for contestant in contestants:
            mock.request("POST", "/__mock/reset")
            accepted_before = mock.request("GET", "/__mock/stats")["connections_accepted"]
            command = contestant_command(contestant, mock.base_url, 2, 2)
            run_json(command, child_environment(contestant.extra_environment),
                     f"{contestant.label} against avara-mock")
            # Each control request opens a connection of its own, and this
            # one counts itself.
            accepted = mock.request("GET", "/__mock/stats")["connections_accepted"] - 1
            recorded = mock.request("GET", "/__mock/requests")

            methods = [request["method"] for request in recorded]
            if methods != ["POST", "DELETE", "POST", "DELETE"]:
                raise BenchError(f"{contestant.label} sent {methods}; expected POST, DELETE "
                                 "twice")
            for request in recorded:
                headers = {name.lower(): value for name, value in request["headers"]}
                problems = []
                if request["path"] != USERS_PATH:
                    problems.append(f"path {request['path']}")
                if json.loads(request["body"]) != {"userId": USER_ID}:
                    problems.append(f"body {request['body']!r}")
                expected = {"authorization": f"Bearer {API_KEY}",
                            "content-type": "application/json",
                            "accept": "application/json",
                            "x-stainless-retry-count": "0"}
                for name, value in expected.items():
                    if headers.get(name) != value:
                        problems.append(f"{name}: {headers.get(name)!r}")
                if "user-agent" not in headers:
                    problems.append("no user-agent")
                if problems:
                    raise BenchError(f"{contestant.label} sent an unexpected request: "
                                     + ", ".join(problems))
            if accepted - accepted_before != 1:
                raise BenchError(f"{contestant.label} opened {accepted - accepted_before} "
                                 "connections for four calls; expected one keep-alive "
                                 "connection")
            first_requests[contestant.key] = [
                (name.lower(), value) for name, value in recorded[0]["headers"]]

    # The two C clients must send the same header fields; only their order
    # and the case of the names may differ.
    avara_headers = sorted(first_requests["libavara"])
    curl_headers = sorted(first_requests["libcurl"])
    if avara_headers != curl_headers:
        raise BenchError(f"libavara sent headers {avara_headers} but libcurl sent "
                         f"{curl_headers}")
    return first_requests


def library_facts(target_dir, work_dir):
    shared = target_dir / "libavara.so"
    static = target_dir / "libavara.a"
    stripped = work_dir / "libavara.stripped.so"
    subprocess.run(["strip", "--strip-all", "-o", str(stripped), str(shared)], check=True)
    ldd = subprocess.run(["ldd", str(stripped)], capture_output=True, text=True,
                         check=True).stdout
    dependencies = [line.split()[0] for line in ldd.splitlines() if line.strip()]
    allowed = all(any(name.startswith(prefix) or f"/{prefix}" in name
                      for prefix in ALLOWED_DEPENDENCIES) for name in dependencies)
    return {
        "stripped_so_bytes": stripped.stat().st_size,
        "unstripped_so_bytes": shared.stat().st_size,
        "static_bytes": static.stat().st_size,
        "dependencies": dependencies,
        "ldd": ldd.strip(),
        "dependencies_allowed": allowed,
    }


def command_output(command):
    try:
        completed = subprocess.run(command, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"unavailable ({error})"
    return (completed.stdout + completed.stderr).strip()


def machine_description():
    model = "unknown"
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as meminfo:
        memory_kb = int(meminfo.readline().split()[1])
    os_name = "unknown"
    if Path("/etc/os-release").exists():
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = line.split("=", 1)[1].strip('"')
    return (f"{model}, {os.cpu_count()} CPUs, {memory_kb / 1024 / 1024:.0f} GiB RAM, "
            f"{os_name}, Linux {platform.release()}; {idle_description()}")


def idle_description():
    """Describes what an idle CPU does, which sets the cost of waking it:
    whether the kernel runs under a hypervisor, its cpuidle driver, and how
    long the haltpoll driver polls before it halts the virtual CPU."""
    with open("/proc/cpuinfo") as cpuinfo:
        virtual = any(line.startswith("flags") and " hypervisor" in line for line in cpuinfo)
    parts = ["virtual machine" if virtual else "no hypervisor flag"]
    driver = read_text_or_none("/sys/devices/system/cpu/cpuidle/current_driver")
    parts.append(f"cpuidle driver {driver or 'none'}")
    poll_ns = read_text_or_none("/sys/module/haltpoll/parameters/guest_halt_poll_ns")
    if poll_ns is not None:
        parts.append(f"guest_halt_poll_ns {poll_ns}")
    return ", ".join(parts)


def read_text_or_none(path):
    try:
        return Path(path).read_text().strip()
    except OSError:
        return None


def outside_cpu_seconds(before, after):
    """Returns the CPU time that processes outside the benchmark used
    between two outside_cpu_ticks() snapshots. A process that started and
    exited in between is missed."""
    ticks = sum(cpu - before.get(key, 0) for key, cpu in after.items())
    return ticks / os.sysconf("SC_CLK_TCK")


def busy_cpu_seconds():
    """Returns the CPU time all processes have used since boot, from
    /proc/stat: user, nice, system, irq, softirq and steal."""
    with open("/proc/stat") as stat:
        fields = [int(value) for value in stat.readline().split()[1:]]
    busy_ticks = fields[0] + fields[1] + fields[2] + sum(fields[5:8])
    return busy_ticks / os.sysconf("SC_CLK_TCK")


def wait_for_quiet_machine(max_wait_s=180.0, window_s=5.0, max_busy=0.10):
    """Waits until the CPUs are less than `max_busy` busy over a window, or
    until `max_wait_s` has passed. Returns the last busy fraction seen."""
    deadline = time.monotonic() + max_wait_s
    while True:
        before = busy_cpu_seconds()
        time.sleep(window_s)
        busy = (busy_cpu_seconds() - before) / window_s / os.cpu_count()
        if busy < max_busy:
            return busy
        if time.monotonic() >= deadline:
            log(f"the CPUs are still {busy:.0%} busy; starting anyway")
            return busy
        log(f"the CPUs are {busy:.0%} busy; waiting for them to fall below "
            f"{max_busy:.0%}")


def busy_text(busy):
    return "not measured" if busy is None else f"{busy:.0%} over 5 s"


def ratio(numerator, denominator):
    return numerator / denominator if denominator else float("nan")


def format_syscalls(per_call, limit=8):
    parts = sorted(per_call.items(), key=lambda item: -item[1])[:limit]
    return ", ".join(f"{name} {count:.2f}" for name, count in parts if count > 0)


def results_table(contestants, totals, syscalls):
    """Returns the Markdown rows of one placement's one-connection results."""
    curl = totals["libcurl"]
    sdk = totals.get("official_sdk")
    lines = [
        "| contestant | calls/s | p50 µs | p99 µs | CPU µs/call | peak RSS KiB "
        "| syscalls/call | calls/s vs libcurl | calls/s vs official SDK "
        "| CPU vs libcurl | CPU vs official SDK |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for contestant in contestants:
        total = totals[contestant.key]
        per_call = syscalls.get(contestant.key)
        syscall_text = f"{sum(per_call[0].values()):.1f}" if per_call else "n/a"
        sdk_ratio = (f"{ratio(total.calls_per_second(), sdk.calls_per_second()):.2f}x"
                     if sdk else "n/a")
        sdk_cpu_ratio = (f"{ratio(total.cpu_us_per_call(), sdk.cpu_us_per_call()):.2f}x"
                         if sdk else "n/a")
        lines.append(
            f"| {contestant.label} | {total.calls_per_second():,.0f} | {total.p50_us:.1f} "
            f"| {total.p99_us:.1f} | {total.cpu_us_per_call():.1f} "
            f"| {f'{total.maxrss_kb:,}' if total.maxrss_kb else 'n/a'} "
            f"| {syscall_text} "
            f"| {ratio(total.calls_per_second(), curl.calls_per_second()):.2f}x "
            f"| {sdk_ratio} "
            f"| {ratio(total.cpu_us_per_call(), curl.cpu_us_per_call()):.2f}x "
            f"| {sdk_cpu_ratio} |")
    return lines


def build_report(context):
    syscalls = context["syscalls"]
    facts = context["library"]
    rss = context["rss"]
    threads = context["threads"]
    results = context["results"]
    plan = context["plan"]
    runs = placements()

    lines = [
        "# Benchmarks",
        "",
        "Generated by `make bench` (bench/run.sh and bench/bench.py); do not edit by hand.",
        "Every contestant makes the same alternating add (POST) and remove (DELETE)",
        f"calls with the body `{{\"userId\":\"...\"}}` over one keep-alive connection to",
        "nginx on 127.0.0.1, which answers every request with 200 and",
        f"`{NGINX_BODY}`. Rounds alternate between contestants and rotate their",
        "order. Each client process makes a warm-up of "
        f"{plan.warmup} untimed calls first.",
        "",
        f"- Date: {context['date']}",
        f"- Machine: {context['machine']}",
        f"- Load average (as `uptime` shows it: 1, 5, 15 min) before: {context['load_before']}; "
        f"after: {context['load_after']}. These include the benchmark itself.",
        f"- CPU time used outside the benchmark during the run: "
        f"{context['other_cpu_s']:.2f} s, "
        f"{context['other_cpu_s'] / context['elapsed_s'] / os.cpu_count():.1%} of all CPUs "
        "(user and system time in /proc/PID/stat of the user-space processes that are "
        "not the benchmark's and were still running at its end, in clock ticks of "
        f"{1000 / os.sysconf('SC_CLK_TCK'):.0f} ms); "
        f"CPUs busy before the start: {busy_text(context['busy_at_start'])}",
        f"- Run: {plan.rounds} rounds for each CPU placement; per round {plan.c_calls} calls "
        f"for each C contestant, {plan.ffi_calls} for avara_ffi, "
        f"{plan.sdk_calls} for the official SDK, "
        f"{plan.wrk_seconds} s of wrk; total wall time "
        f"{context['elapsed_s']:.0f} s",
        f"- Versions: {context['versions']}; libcurl "
        f"{results[runs[0].key]['libcurl'].version}",
        "",
        "## CPU placement",
        "",
        "The one-connection rounds run once per placement, with the client and the",
        "nginx worker pinned by sched_setaffinity():",
        "",
    ]
    for placement in runs:
        lines.append(f"- {placement.title}")
    lines += [
        "",
        "A call over one connection is mostly serial: each side waits for the",
        "other's message, and only the work that follows a write, such as parsing",
        "the response or finishing a system call, can overlap. On separate CPUs",
        "every request and every response also wakes the other CPU from idle. In",
        "a virtual machine that wake-up goes through the hypervisor and is charged",
        "partly as CPU time, so CPU per call is higher there for client and server",
        "alike. It adds about the same time to every fast contestant's call and",
        "less to a slow one, such as the official SDK, whose response is often",
        "waiting when it reads. On the shared CPU a call lasts about as long as",
        "the client's and the server's CPU time together, so the calls/s ratio",
        "there follows from the CPU per call.",
        "",
        "The targets are judged on the shared CPU, because there the numbers are",
        "the work of the contestants and the server. The separate-CPU results are",
        "recorded beside them, and the targets table shows whether each target",
        "holds there too. A client of a server on another machine also sleeps",
        "until the response wakes it, as on separate CPUs, and that wake-up takes",
        "a larger share of a fast client's call than of a slow one's.",
    ]
    for placement in runs:
        lines += ["", f"## Results, one connection, {placement.title}", ""]
        lines += results_table(context["contestants"], results[placement.key], syscalls)
    lines += [
        "",
        "CPU is user plus system time of the client process during the timed calls,",
        "from getrusage(); for wrk it covers the whole process. The syscalls column",
        "is the same in both tables: it comes from the unpinned strace runs below.",
        "wrk is another client, an event-driven load generator in C; its rate",
        "estimates what nginx serves over one connection. Peak RSS is the",
        "client process's VmHWM, interpreter included for the Python contestants.",
        "p50 and p99 are over every timed call of every round; wrk's are the median",
        "of its per-round percentiles. The libcurl program checks for status 200 and",
        "`\"success\":true` in the body without parsing the JSON; libavara and",
        "avara_ffi parse it into a response object, and the official SDK into a",
        "pydantic model.",
    ]
    if "libavara_hostname" in results[runs[0].key]:
        lines += [
            "The row \"libavara, host name\" uses the base URL `http://localhost:PORT`",
            "instead of `http://127.0.0.1:PORT`, to show the cost of name resolution,",
            "which libavara caches for 60 s.",
        ]
    if context.get("missing"):
        lines += ["", "Not measured: " + "; ".join(context["missing"]) + "."]
    if context["failures"]:
        lines += ["", "Failed calls, which make this run invalid: "
                  + "; ".join(context["failures"]) + "."]

    lines += ["", "## System calls per call", "",
              "Counted by `strace -c -f` over separate runs of "
              f"{context['plan'].strace_calls[0]} and {context['plan'].strace_calls[1]} calls "
              f"(Python: {context['plan'].strace_python_calls[0]} and "
              f"{context['plan'].strace_python_calls[1]}), as the difference divided by the "
              "difference in calls, so start-up does not count. wrk's are the counts "
              "of a whole traced 1 s run divided by the requests it made. The runs are "
              "not pinned. strace slows each client so much that the response has "
              "usually arrived before the client waits for it. A client that polls "
              "before it reads, such as libcurl, makes more calls when the response "
              "is not there yet, so the counts here can be lower than without strace.", "",
              "| contestant | per call | most frequent |", "| --- | ---: | --- |"]
    for contestant in context["contestants"]:
        per_call = syscalls.get(contestant.key)
        if per_call:
            lines.append(f"| {contestant.label} | {sum(per_call[0].values()):.1f} "
                         f"| {format_syscalls(per_call[0])} |")

    lines += ["", "## Four threads", "",
              "Four threads sharing one libavara client against four threads with one",
              "libcurl easy handle each, with client and nginx on any CPU, "
              f"{context['plan'].thread_calls} calls per run over "
              f"{context['plan'].thread_rounds} alternating rounds.", "",
              "| contestant | calls/s | p50 µs | p99 µs | CPU µs/call | calls/s vs libcurl "
              "| CPU vs libcurl |",
              "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    thread_curl = threads["libcurl_threads"]
    for key, label in (("libavara_threads", "libavara, 4 threads, one client"),
                       ("libcurl_threads", "libcurl, 4 threads, 4 handles")):
        total = threads[key]
        lines.append(
            f"| {label} | {total.calls_per_second():,.0f} | {total.p50_us:.1f} "
            f"| {total.p99_us:.1f} | {total.cpu_us_per_call():.1f} "
            f"| {ratio(total.calls_per_second(), thread_curl.calls_per_second()):.2f}x "
            f"| {ratio(total.cpu_us_per_call(), thread_curl.cpu_us_per_call()):.2f}x |")

    first, last = context["plan"].rss_checkpoints
    growth_kb = rss[last] - rss[first]
    lines += ["", "## libavara library", "",
              f"- RSS after {first:,} calls: {rss[first]:,} KiB; after {last:,} calls: "
              f"{rss[last]:,} KiB; growth {growth_kb:,} KiB (VmRSS, one process, no warm-up)",
              f"- Stripped libavara.so: {facts['stripped_so_bytes']:,} bytes "
              f"(unstripped {facts['unstripped_so_bytes']:,}); libavara.a: "
              f"{facts['static_bytes']:,} bytes",
              "- `ldd` of the stripped libavara.so:", "", "```", facts["ldd"], "```"]

    judged = runs[0]
    lines += ["", "## Targets", "",
              f"Judged on the run with {judged.title}. The speed targets are shown for",
              "every placement; RSS and the .so are measured once.", "",
              "| target | " + " | ".join(f"{placement.title} | holds" for placement in runs)
              + " |",
              "| --- |" + " --- | --- |" * len(runs)]
    for description, measured in context["targets"]:
        row = f"| {description} |"
        for placement in runs:
            if placement.key in measured:
                text, met = measured[placement.key]
                row += f" {text} | {'yes' if met else 'no'} |"
            else:
                row += " n/a | n/a |"
        lines.append(row)

    lines += ["", "## Requests checked", "",
              "Before the timed rounds, each client contestant (all but wrk and the host",
              "name row) made four calls to avara-mock, which recorded them: each sent",
              "POST, DELETE, POST, DELETE to",
              f"`{USERS_PATH}` with the same body, `Authorization`, `Content-Type`,",
              "`Accept` and `x-stainless-retry-count: 0`, over one connection.",
              "libavara and libcurl sent exactly the same header fields.",
              "Headers of the first request, in the order sent:", ""]
    for key, headers in context["first_requests"].items():
        names = ", ".join(name for name, _ in headers)
        lines.append(f"- {key}: {names}")
    lines.append("")
    return "\n".join(lines)


def evaluate_targets(results, rss, facts, plan):
    """Returns (description, {placement key: (measured text, met)}) for
    each target. The speed targets are measured in every placement; RSS and
    the .so dependencies once, under the first placement's key."""
    judged = placements()[0].key
    speed_targets = [
        ("libavara calls/s >= 1.1x libcurl's", speed_vs_curl),
        ("libavara CPU per call <= 0.8x libcurl's", cpu_vs_curl),
        ("avara_ffi calls/s >= 8x the official SDK's", ffi_vs_sdk),
        ("libavara p99 <= 3x its p50", tail_ratio),
    ]
    targets = [(description, {key: measure(totals) for key, totals in results.items()})
               for description, measure in speed_targets]

    first, last = plan.rss_checkpoints
    growth = rss[last] - rss[first]
    targets.append((f"libavara RSS growth from {first:,} to {last:,} calls < 1 MiB",
                    {judged: (f"{growth:,} KiB", growth < 1024)}))
    targets.append(("stripped .so depends only on libc, libm, libgcc_s, libpthread, libdl, "
                    "the loader", {judged: (", ".join(facts["dependencies"]),
                                            facts["dependencies_allowed"])}))
    return targets


def round_range(numerator, denominator, digits):
    """Formats the lowest and highest per-round ratio of two contestants'
    calls per second."""
    ratios = [ratio(top, bottom)
              for top, bottom in zip(numerator.round_rates, denominator.round_rates)]
    if len(ratios) < 2:
        return ""
    return f" (rounds {min(ratios):.{digits}f}x to {max(ratios):.{digits}f}x)"


def speed_vs_curl(totals):
    avara, curl = totals["libavara"], totals["libcurl"]
    speed = ratio(avara.calls_per_second(), curl.calls_per_second())
    return f"{speed:.2f}x{round_range(avara, curl, 2)}", speed >= 1.1


def cpu_vs_curl(totals):
    cpu = ratio(totals["libavara"].cpu_us_per_call(), totals["libcurl"].cpu_us_per_call())
    return f"{cpu:.2f}x", cpu <= 0.8


def ffi_vs_sdk(totals):
    ffi = totals.get("avara_ffi")
    sdk = totals.get("official_sdk")
    if not (ffi and ffi.calls and sdk and sdk.calls):
        return "not measured", False
    speed = ratio(ffi.calls_per_second(), sdk.calls_per_second())
    return f"{speed:.1f}x{round_range(ffi, sdk, 1)}", speed >= 8


def tail_ratio(totals):
    avara = totals["libavara"]
    tail = ratio(avara.p99_us, avara.p50_us)
    return f"{avara.p99_us:.1f} / {avara.p50_us:.1f} µs = {tail:.2f}x", tail <= 3


def versions_text(python):
    parts = [
        command_output(["rustc", "--version"]),
        command_output(["cc", "--version"]).splitlines()[0],
        command_output(["nginx", "-v"]).replace("nginx version: ", ""),
        command_output(["wrk", "-v"]).split(" Copyright")[0],
        "strace " + command_output(["strace", "-V"]).splitlines()[0].split()[-1],
        command_output([python, "-c",
                        "import sys, importlib.metadata as m; print('Python', "
                        "sys.version.split()[0] + ', avara', m.version('avara') + ', httpx', "
                        "m.version('httpx'))"]),
    ]
    return "; ".join(parts)


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true",
                        help="tiny iteration counts, to check that the bench works")
    parser.add_argument("--build-dir", type=Path, required=True,
                        help="directory with the compiled avara_bench and curl_bench")
    parser.add_argument("--target-dir", type=Path, required=True,
                        help="cargo release directory with libavara and avara-mock")
    parser.add_argument("--python", required=True,
                        help="Python of the virtual environment with avara==0.3.0")
    parser.add_argument("--python-package-dir", type=Path, required=True,
                        help="directory that contains the avara_ffi package")
    parser.add_argument("--output", type=Path, required=True,
                        help="file that receives the Markdown report")
    return parser.parse_args()


def libavara_user_agent(cargo_toml):
    """Returns libavara's default User-Agent, which the libcurl contestant
    sends too."""
    match = re.search(r'^version = "([^"]+)"', cargo_toml.read_text(), re.MULTILINE)
    if not match:
        raise BenchError(f"no version line in {cargo_toml}")
    return f"libavara/{match.group(1)}"


def python_contestant_available(python, module, environment):
    completed = subprocess.run([python, "-c", f"import {module}"], env=environment,
                               capture_output=True, text=True)
    return completed.returncode == 0, completed.stderr.strip().splitlines()[-1:] or [""]


def main():
    arguments = parse_arguments()
    plan = SMOKE_PLAN if arguments.smoke else FULL_PLAN
    busy_at_start = None if arguments.smoke else wait_for_quiet_machine()
    started = time.monotonic()
    outside_before = outside_cpu_ticks()
    load_before = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    bench_dir = Path(__file__).resolve().parent
    user_agent = libavara_user_agent(bench_dir.parent / "Cargo.toml")
    py_bench = str(bench_dir / "py_bench.py")
    ffi_environment = {
        "PYTHONPATH": str(arguments.python_package_dir),
        "AVARA_LIBRARY": str(arguments.target_dir / "libavara.so"),
    }

    contestants = [
        Contestant("libavara", "libavara (C)", "c", [str(arguments.build_dir / "avara_bench")]),
        Contestant("libcurl", "libcurl (C)", "c",
                   [str(arguments.build_dir / "curl_bench"), "-a", user_agent]),
    ]
    missing = []
    available, reason = python_contestant_available(
        arguments.python, "avara_ffi", child_environment(ffi_environment))
    if available:
        contestants.append(Contestant("avara_ffi", "avara_ffi (Python)", "python",
                                      [arguments.python, py_bench, "--module", "avara_ffi"],
                                      extra_environment=ffi_environment))
    else:
        missing.append(f"avara_ffi (import failed: {reason[0]})")
        log(f"avara_ffi is not importable, so it is skipped: {reason[0]}")
    contestants.append(Contestant("official_sdk", "avara 0.3.0, official SDK (Python)",
                                  "python",
                                  [arguments.python, py_bench, "--module", "avara"]))
    contestants.append(Contestant("wrk", "wrk, one connection", "wrk", []))
    hostname_contestant = Contestant("libavara_hostname", "libavara, host name (C)", "c",
                                     [str(arguments.build_dir / "avara_bench")],
                                     base_url_host="localhost")
    contestants.insert(2, hostname_contestant)

    with tempfile.TemporaryDirectory(prefix="avara-bench-") as temporary:
        work_dir = Path(temporary)
        wrk_script = work_dir / "wrk_users.lua"
        shutil.copy(bench_dir / "wrk_users.lua", wrk_script)

        clients = [c for c in contestants if c.kind != "wrk" and c.key != "libavara_hostname"]
        log("checking the requests of each contestant against avara-mock")
        first_requests = check_requests(clients, arguments.target_dir / "avara-mock", work_dir)

        with Nginx(work_dir) as nginx:
            log(f"nginx listening on {nginx.base_url}")
            results = {placement.key: run_rounds(contestants, nginx, plan, work_dir,
                                                 wrk_script, placement)
                       for placement in placements()}
            thread_contestants = [
                Contestant("libavara_threads", "libavara, 4 threads", "c",
                           [str(arguments.build_dir / "avara_bench")]),
                Contestant("libcurl_threads", "libcurl, 4 threads", "c",
                           [str(arguments.build_dir / "curl_bench"), "-a", user_agent]),
            ]
            threads = run_thread_rounds(thread_contestants, nginx, plan, work_dir)
            log("measuring libavara RSS growth")
            rss = measure_rss_growth(contestants[0], nginx, plan)
            syscalls = {}
            for contestant in contestants:
                log(f"counting system calls of {contestant.key}")
                syscalls[contestant.key] = measure_syscalls(contestant, nginx, plan, work_dir)

        facts = library_facts(arguments.target_dir, work_dir)
        versions = versions_text(arguments.python)

    failures = [f"{contestant.label} ({key}): {totals[contestant.key].errors} failed calls"
                for key, totals in results.items()
                for contestant in contestants if totals[contestant.key].errors]
    failures += [f"{key}: {total.errors} failed calls"
                 for key, total in threads.items() if total.errors]
    targets = evaluate_targets(results, rss, facts, plan)
    elapsed_s = time.monotonic() - started
    other_cpu_s = outside_cpu_seconds(outside_before, outside_cpu_ticks())
    context = {
        "plan": plan,
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine_description(),
        "load_before": load_before,
        "load_after": ", ".join(f"{value:.2f}" for value in os.getloadavg()),
        "elapsed_s": elapsed_s,
        "other_cpu_s": other_cpu_s,
        "busy_at_start": busy_at_start,
        "versions": versions,
        "contestants": contestants,
        "results": results,
        "syscalls": syscalls,
        "threads": threads,
        "rss": rss,
        "library": facts,
        "targets": targets,
        "missing": missing,
        "failures": failures,
        "first_requests": first_requests,
    }
    report = build_report(context)
    arguments.output.write_text(report)
    print(report)
    log(f"wrote {arguments.output}")
    if failures:
        log("calls failed: " + "; ".join(failures))
        return 1
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as error:
        log(f"failed: {error}")
        sys.exit(1)
