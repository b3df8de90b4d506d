#!/usr/bin/env python3
"""Compares tracker_ws with the npm bittorrent-tracker server under the same `load_test ws` workload.

Usually run through scripts/bench-ws.sh, which installs bittorrent-tracker from npm and builds
tracker_ws and load_test (Release) first. Standard library only.

Scenarios: every combination of --connections (default 1000 and 10000) and --offers (default 0,
i.e. without offers, and 5). One load_test configuration per scenario is written and used for
both servers (same seed, torrents, connections and messages). Each measurement starts a fresh
server on a fresh TCP port, pinned with `taskset -c SERVER_CORES` (one core by default: tracker_ws
has one socket worker, node runs JavaScript on one thread), runs load_test pinned with
`taskset -c LOAD_CORES`, reads the server's CPU time and memory from /proc, and stops the server
with SIGTERM. Rounds alternate the order of the servers (round 1: riptide first, round 2:
reference first, ...); within a round the scenarios run in the order given.

The reference is `new Server({udp: false, http: false, ws: true, stats: false})` from the npm
package bittorrent-tracker (bittorrent-tracker/server), listening on 127.0.0.1 — the WebTorrent
tracker that webtorrent.io and most public WebTorrent trackers run.

Metrics per measurement:
  sent/s, received/s  messages per second by type, from load_test, over its measured phase:
                      sent: announce, answer, scrape; received: announce response, offer (relayed
                      by the tracker), answer (relayed), scrape response.
  msgs/s              all of them (sent + received): every message the server read or wrote.
  CPU %               server CPU seconds (utime + stime of every thread) / wall seconds, sampled at
                      load_test's first and last per-second progress lines of the measured phase
                      (so the warm-up and the first second are left out); over the whole load_test
                      run when the measured phase is shorter than 2 s. 100 % is one core.
  msgs/CPU-s          msgs/s / (CPU % / 100): messages per second of server CPU.
  p50, p99 µs         announce latency (announce sent to its response), from load_test.
  peak RSS            VmHWM of the server after the run.
  RSS B/conn          (VmRSS at the last progress line of the measured phase, every connection
                      open - VmRSS before the load) * 1024 / connections.
  load CPU %          load_test's CPU over the same window; near 100 % per load thread means the
                      load generator, not the server, is the limit.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import random
import re
import resource
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = Path(os.environ.get("RIPTIDE_BENCH_BUILD_DIR") or ROOT / "build/release")
DEFAULT_TRACKER_WS = BUILD / "tracker_ws/tracker_ws"
DEFAULT_LOAD_TEST = BUILD / "load_test/load_test"
DEFAULT_REFERENCE_DIR = BUILD / "bittorrent-tracker-ref"  # holds node_modules/bittorrent-tracker

RIPTIDE = "riptide"
REFERENCE = "reference"
SERVERS = (RIPTIDE, REFERENCE)
LABELS = {RIPTIDE: "tracker_ws", REFERENCE: "bittorrent-tracker (node)"}

SERVER_START_TIMEOUT = 15.0  # seconds until a server must print `ready` and accept a TCP connection
SERVER_STOP_TIMEOUT = 10.0  # seconds after SIGTERM before SIGKILL
LOAD_TEST_MARGIN = 60.0  # on top of warm-up limit + duration: drain, start-up, exit
TOOL_TIMEOUT = 120.0  # load_test -P, tracker_ws -P, version queries
WANTED_DESCRIPTORS = 65536

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
MEASURE_LINE = re.compile(r"^load_test: measure\s")

SENT_KINDS = ("announce", "answer", "scrape")
RECEIVED_KINDS = ("announce_response", "offer", "answer", "scrape_response")

# The reference server: started as `node SCRIPT SERVER_JS PORT`.
REFERENCE_SCRIPT = r"""// bittorrent-tracker WebSocket server for scripts/bench_ws.py; prints `ready` once listening.
import { pathToFileURL } from 'node:url'

const [serverJs, portText] = process.argv.slice(2)
const { default: Server } = await import(pathToFileURL(serverJs).href)
const server = new Server({ udp: false, http: false, ws: true, stats: false })
let warnings = 0
server.on('error', err => { console.error('error: ' + (err && err.message)) })
server.on('warning', err => {
  if (warnings++ < 10) console.error('warning: ' + (err && err.message))
})
server.on('listening', () => { console.log('ready') })
server.listen(Number(portText), '127.0.0.1')
const stop = () => {
  console.error(`stopping (${warnings} warnings)`)
  try { server.close() } catch (e) {}
  process.exit(0)
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
"""


class BenchError(Exception):
    """A failure that makes the benchmark meaningless: reported, then exit 1."""


def log(message: str) -> None:
    print(f"bench-ws: {message}", file=sys.stderr, flush=True)


def warn(message: str) -> None:
    print(f"bench-ws: WARNING: {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# Processes we started: stopped on exit, whatever happens, by PID only.

_started: list[subprocess.Popen] = []


def spawn(argv: list[str], **kwargs) -> subprocess.Popen:
    # A session of its own: Ctrl-C in the terminal reaches only this script, which then stops
    # its children in order.
    process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, start_new_session=True, **kwargs)
    _started.append(process)
    return process


def stop(process: subprocess.Popen, timeout: float = SERVER_STOP_TIMEOUT) -> tuple[int, bool]:
    """SIGTERM, then SIGKILL after timeout. Returns (exit code, whether SIGKILL was needed)."""
    killed = False
    if process.poll() is None:
        try:
            process.send_signal(signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            killed = True
            process.kill()
            process.wait(timeout)
    if process in _started:
        _started.remove(process)
    return process.returncode, killed


def stop_all() -> None:
    for process in list(_started):
        try:
            stop(process, timeout=5.0)
        except Exception as error:  # keep cleaning up the others
            warn(f"could not stop PID {process.pid}: {error}")


def _on_sigterm(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def raise_descriptor_limit(needed: int) -> int:
    """Raises this process's RLIMIT_NOFILE (inherited by the servers and load_test); returns the soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = max(WANTED_DESCRIPTORS, needed)
    if soft != resource.RLIM_INFINITY and soft >= want:
        return soft
    if hard == resource.RLIM_INFINITY or hard >= want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
        return want
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, want))  # raising the hard limit needs privilege
        return want
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        return hard


# --------------------------------------------------------------------------------------------
# /proc


def cpu_ticks(pid: int) -> int:
    """utime + stime of every thread of pid, in clock ticks."""
    with open(f"/proc/{pid}/stat", "rb") as f:
        text = f.read().decode()
    fields = text[text.rindex(")") + 2 :].split()  # fields[0] is field 3 (state)
    return int(fields[11]) + int(fields[12])  # fields 14 and 15


def status_kib(pid: int, key: str) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise BenchError(f"no {key} in /proc/{pid}/status")


def parse_cpu_list(text: str) -> set[int]:
    cores: set[int] = set()
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        match = re.fullmatch(r"(\d+)(?:-(\d+)(?::(\d+))?)?", part)
        if not match:
            raise ValueError(f"bad CPU list {text!r} (taskset -c syntax, e.g. 0 or 0,2 or 0-3)")
        first = int(match.group(1))
        last = int(match.group(2)) if match.group(2) else first
        step = int(match.group(3)) if match.group(3) else 1
        if last < first or step < 1:
            raise ValueError(f"bad CPU range {part!r}")
        cores.update(range(first, last + 1, step))
    if not cores:
        raise ValueError(f"empty CPU list {text!r}")
    return cores


def parse_int_list(text: str, option: str, low: int, high: int) -> list[int]:
    values = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if not re.fullmatch(r"\d+", part) or not low <= int(part) <= high:
            raise ValueError(f"{option}: {part!r} is not an integer from {low} to {high}")
        if int(part) not in values:
            values.append(int(part))
    if not values:
        raise ValueError(f"{option}: empty list")
    return values


# --------------------------------------------------------------------------------------------
# Configuration files


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(str(value))  # a TOML basic string


def render_toml(config: dict[str, dict], header: str) -> str:
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    for section, keys in config.items():
        lines.append("")
        lines.append(f"[{section}]")
        for key, value in keys.items():
            lines.append(f"{key} = {toml_value(value)}")
    return "\n".join(lines) + "\n"


def parse_extra(text: str) -> tuple[str, str, object]:
    """'section.key=value' -> (section, key, value); the value is typed like TOML would read it."""
    match = re.fullmatch(r"\s*([A-Za-z0-9_]+)\.([A-Za-z0-9_]+)\s*=\s*(.*?)\s*", text)
    if not match:
        raise ValueError(f"bad setting {text!r}; expected section.key=value")
    section, key, raw = match.groups()
    value: object
    if raw in ("true", "false"):
        value = raw == "true"
    elif re.fullmatch(r"[+-]?\d+", raw):
        value = int(raw)
    elif re.fullmatch(r"[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?", raw):
        value = float(raw)
    elif len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "\"'":
        value = raw[1:-1]
    else:
        value = raw
    return section, key, value


def apply_extras(config: dict[str, dict], extras: list[str], forbidden: tuple[str, ...], what: str) -> None:
    for text in extras:
        section, key, value = parse_extra(text)
        name = f"{section}.{key}"
        if any(name == f or (f.endswith(".") and name.startswith(f)) for f in forbidden):
            raise ValueError(f"{what}: {name} is set by the benchmark itself")
        config.setdefault(section, {})[key] = value


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def pick_port() -> int:
    """A free TCP port below the ephemeral range, so no connection's local port lands on it."""
    try:
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    if low > 11000:
        rng = random.SystemRandom()
        for _ in range(100):
            port = rng.randrange(10000, low)
            if port_is_free(port):
                return port
    return free_port()


def socket_inodes(pid: int) -> set[int] | None:
    inodes: set[int] = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(int(target[8:-1]))
    except OSError:
        return None
    return inodes


def foreign_tcp_listeners(port: int, pid: int) -> set[int] | None:
    """Inodes of listening TCP sockets on port that are not pid's; None when pid's fds are unreadable."""
    listening: set[int] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if (len(fields) > 9 and fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port
                    and fields[9] != "0"):
                listening.add(int(fields[9]))
    ours = socket_inodes(pid)
    return None if ours is None else listening - ours


def run_tool(argv: list[str], stdout=subprocess.PIPE) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=stdout, stderr=subprocess.PIPE,
                              text=True, timeout=TOOL_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise BenchError(f"{shlex.join(argv)} did not finish within {TOOL_TIMEOUT:.0f} s")


def tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(errors="replace").splitlines()
    except OSError:
        return "(no log)"
    return "\n".join("    " + line for line in text[-lines:]) or "    (empty)"


# --------------------------------------------------------------------------------------------
# Servers


def tcp_connect_ok(port: int, deadline: float) -> bool:
    """Connects to 127.0.0.1:port until a connection is accepted or the deadline passes."""
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=max(0.01, min(0.5, deadline - time.monotonic()))):
                return True
        except OSError:
            time.sleep(0.02)
    return False


class Server:
    def __init__(self, name: str, argv: list[str], cores: str, port: int, logs: Path, tag: str):
        self.name = name
        self.argv = ["taskset", "-c", cores] + argv
        self.port = port
        self.stdout_path = logs / f"{tag}.stdout"
        self.stderr_path = logs / f"{tag}.stderr"
        self.process: subprocess.Popen | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def failure(self, what: str) -> BenchError:
        return BenchError(f"{self.name} {what}\n  command: {shlex.join(self.argv)}\n"
                          f"  stdout ({self.stdout_path}):\n{tail(self.stdout_path)}\n"
                          f"  stderr ({self.stderr_path}):\n{tail(self.stderr_path)}")

    def start(self) -> None:
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.process = spawn(self.argv, stdout=out, stderr=err)
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        # Both print `ready` once they serve (the reference through the script above).
        while True:
            if self.process.poll() is not None:
                raise self.failure(f"exited with {self.process.returncode} before it was ready")
            if re.search(r"^ready$", self.stdout_path.read_text(errors="replace"), re.M):
                break
            if time.monotonic() > deadline:
                raise self.failure(f"did not print `ready` within {SERVER_START_TIMEOUT:.0f} s")
            time.sleep(0.02)
        if not tcp_connect_ok(self.port, deadline):
            if self.process.poll() is not None:
                raise self.failure(f"exited with {self.process.returncode} before it was ready")
            raise self.failure(f"did not accept a TCP connection on 127.0.0.1:{self.port} "
                               f"within {SERVER_START_TIMEOUT:.0f} s")
        if self.process.poll() is not None:
            raise self.failure(f"exited with {self.process.returncode} right after starting")
        self.check_port_exclusive()

    def check_port_exclusive(self) -> None:
        foreign = foreign_tcp_listeners(self.port, self.pid)
        if foreign:
            raise self.failure(f"shares TCP port {self.port} with another listener (socket inodes "
                               f"{sorted(foreign)}): the load would not all reach the server under test")

    def stop(self) -> None:
        assert self.process is not None
        code, killed = stop(self.process)
        if killed:
            warn(f"{self.name} (PID {self.pid}) ignored SIGTERM for {SERVER_STOP_TIMEOUT:.0f} s; killed")
        elif code != 0:
            warn(f"{self.name} exited with {code} after SIGTERM\n{tail(self.stderr_path)}")


# --------------------------------------------------------------------------------------------
# One measurement


def measure(server: Server, args, scenario: dict, load_config: Path, logs: Path, tag: str) -> dict:
    connections = scenario["connections"]
    server.start()
    pid = server.pid
    baseline_kib = status_kib(pid, "VmRSS")

    load_argv = ["taskset", "-c", args.load_cores, str(args.load_test), "ws", "-c", str(load_config), "--json"]
    stdout_path = logs / f"{tag}.load_test.stdout"
    stderr_path = logs / f"{tag}.load_test.stderr"
    # (monotonic, server ticks, load_test ticks, server VmRSS KiB)
    samples: list[tuple[float, int, int, int]] = []

    with open(stdout_path, "wb") as out:
        start_wall = time.monotonic()
        start_ticks = cpu_ticks(pid)
        load = spawn(load_argv, stdout=out, stderr=subprocess.PIPE)

        def read_progress():
            with open(stderr_path, "w") as err:
                for raw in load.stderr:
                    line = raw.decode(errors="replace")
                    if MEASURE_LINE.match(line):
                        try:
                            samples.append((time.monotonic(), cpu_ticks(pid), cpu_ticks(load.pid),
                                            status_kib(pid, "VmRSS")))
                        except (OSError, ValueError, BenchError):
                            pass
                    err.write(line)
                    err.flush()
                    if args.verbose:
                        sys.stderr.write("    " + line)

        reader = threading.Thread(target=read_progress, daemon=True)
        reader.start()
        limit = args.warmup_timeout + args.duration + LOAD_TEST_MARGIN
        try:
            load.wait(limit)
        except subprocess.TimeoutExpired:
            raise BenchError(f"load_test against {server.name} did not finish within {limit:.0f} s")
        finally:
            stop(load, timeout=5.0)
            reader.join(5.0)
        end_wall = time.monotonic()
        if server.process.poll() is not None:
            raise server.failure(f"exited with {server.process.returncode} during the load")
        end_ticks = cpu_ticks(pid)
    server.check_port_exclusive()
    peak_kib = status_kib(pid, "VmHWM")
    server.stop()

    if load.returncode != 0:
        raise BenchError(f"load_test against {server.name} exited with {load.returncode}\n"
                         f"  command: {shlex.join(load_argv)}\n  stderr:\n{tail(stderr_path)}")
    lines = [l for l in stdout_path.read_text().splitlines() if l.strip()]
    try:
        report = json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        raise BenchError(f"load_test against {server.name} printed no JSON summary ({stdout_path})")
    if not report.get("received_announce_response"):
        raise BenchError(f"load_test got no announce response from {server.name}\n  stderr:\n{tail(stderr_path)}")

    whole_util = (end_ticks - start_ticks) / CLOCK_TICKS / max(end_wall - start_wall, 1e-9)
    if len(samples) >= 2 and samples[-1][0] - samples[0][0] >= 0.5:
        window = samples[-1][0] - samples[0][0]
        util = (samples[-1][1] - samples[0][1]) / CLOCK_TICKS / window
        load_util = (samples[-1][2] - samples[0][2]) / CLOCK_TICKS / window
        cpu_window = "measured"
    else:
        util, load_util, cpu_window = whole_util, None, "whole run"
    loaded_kib = samples[-1][3] if samples else peak_kib
    sent = {k: float(report.get(f"sent_{k}_per_second", 0)) for k in SENT_KINDS}
    received = {k: float(report.get(f"received_{k}_per_second", 0)) for k in RECEIVED_KINDS}
    mps = sum(sent.values()) + sum(received.values())
    result = {
        "server": server.name,
        "connections": connections,
        "offers": scenario["offers"],
        "scenario": scenario["name"],
        "connected": report.get("connected"),
        "connect_failures": report.get("connect_failures", 0),
        "closed": report.get("closed", 0),
        **{f"sent_{k}_per_second": v for k, v in sent.items()},
        **{f"received_{k}_per_second": v for k, v in received.items()},
        "messages_per_second": mps,
        "cpu_percent": util * 100,
        "cpu_window": cpu_window,
        "cpu_percent_whole_run": whole_util * 100,
        "load_cpu_percent": None if load_util is None else load_util * 100,
        "messages_per_cpu_second": mps / util if util > 0 else None,
        "latency_us_p50": report["announce_latency_us_p50"],
        "latency_us_p99": report["announce_latency_us_p99"],
        "latency_us_p999": report["announce_latency_us_p999"],
        "latency_us_max": report["announce_latency_us_max"],
        "scrape_latency_us_p50": report.get("scrape_latency_us_p50"),
        "scrape_latency_us_p99": report.get("scrape_latency_us_p99"),
        "baseline_rss_kib": baseline_kib,
        "loaded_rss_kib": loaded_kib,
        "peak_rss_kib": peak_kib,
        "peak_rss_mib": peak_kib / 1024,
        "bytes_per_connection": (loaded_kib - baseline_kib) * 1024 / connections,
        "peak_bytes_per_connection": (peak_kib - baseline_kib) * 1024 / connections,
        "failures": report.get("received_failure", 0),
        "malformed": report.get("malformed", 0),
        "dropped": report.get("dropped", 0),
    }
    if result["connected"] is not None and result["connected"] < connections:
        warn(f"{server.name} ({tag}): only {result['connected']} of {connections} connections connected")
    problems = [f"{k} {result[k]}" for k in ("failures", "malformed", "dropped", "connect_failures", "closed")
                if result[k]]
    if problems:
        detail = "; ".join(f"{k}: {report[k]}" for k in ("first_failure", "first_malformed") if report.get(k))
        warn(f"{server.name} ({tag}): " + ", ".join(problems) + (f" ({detail})" if detail else ""))
    return result


# --------------------------------------------------------------------------------------------
# Output

# (key, header, format) of the table columns.
COLUMNS = [
    ("messages_per_second", "msgs/s", "{:,.0f}"),
    ("sent_announce_per_second", "sent ann/s", "{:,.0f}"),
    ("sent_answer_per_second", "sent answer/s", "{:,.0f}"),
    ("sent_scrape_per_second", "sent scrape/s", "{:,.0f}"),
    ("received_announce_response_per_second", "recv resp/s", "{:,.0f}"),
    ("received_offer_per_second", "recv offer/s", "{:,.0f}"),
    ("received_answer_per_second", "recv answer/s", "{:,.0f}"),
    ("received_scrape_response_per_second", "recv scrape/s", "{:,.0f}"),
    ("latency_us_p50", "p50 µs", "{:,.0f}"),
    ("latency_us_p99", "p99 µs", "{:,.0f}"),
    ("cpu_percent", "server CPU %", "{:.1f}"),
    ("messages_per_cpu_second", "msgs/CPU-s", "{:,.0f}"),
    ("peak_rss_mib", "peak RSS MiB", "{:.1f}"),
    ("bytes_per_connection", "RSS B/conn", "{:,.0f}"),
    ("failures", "failures", "{:.0f}"),
    ("malformed", "malformed", "{:.0f}"),
    ("dropped", "dropped", "{:.0f}"),
    ("closed", "closed", "{:.0f}"),
]


def fmt(value, pattern: str) -> str:
    return "–" if value is None else pattern.format(value)


def markdown_table(headers: list[str], rows: list[list[str]], text_columns: int) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    def line(cells):
        return "| " + " | ".join(c.ljust(w) if i < text_columns else c.rjust(w)
                                 for i, (c, w) in enumerate(zip(cells, widths))) + " |"
    separator = "|" + "|".join(("-" * (w + 2)) if i < text_columns else ("-" * (w + 1) + ":")
                               for i, w in enumerate(widths)) + "|"
    return "\n".join([line(headers), separator] + [line(r) for r in rows])


def rounds_table(runs: list[dict]) -> str:
    headers = ["scenario", "round", "server"] + [h for _, h, _ in COLUMNS] + ["load CPU %"]
    rows = []
    alone = len({run["server"] for run in runs}) == 1
    for run in runs:
        server = run["server"] if alone else f"{run['server']} ({'1st' if run['position'] == 1 else '2nd'})"
        rows.append([run["scenario"], str(run["round"]), server] + [fmt(run[k], f) for k, _, f in COLUMNS]
                    + [fmt(run["load_cpu_percent"], "{:.1f}")])
    return markdown_table(headers, rows, 3)


def median_of(runs: list[dict], key: str):
    values = [r[key] for r in runs if r.get(key) is not None]
    return statistics.median(values) if values else None


def summarise(runs: list[dict], scenarios: list[dict], servers: tuple[str, ...]) -> list[dict]:
    keys = [k for k, _, _ in COLUMNS] + ["latency_us_p999", "latency_us_max", "load_cpu_percent",
                                         "cpu_percent_whole_run", "baseline_rss_kib", "loaded_rss_kib", "peak_rss_kib",
                                         "peak_bytes_per_connection", "connect_failures"]
    out = []
    for scenario in scenarios:
        for name in servers:
            chosen = [r for r in runs if r["server"] == name and r["scenario"] == scenario["name"]]
            if not chosen:
                continue
            entry = {"scenario": scenario["name"], "connections": scenario["connections"],
                     "offers": scenario["offers"], "server": name, "rounds": len(chosen)}
            entry.update({key: median_of(chosen, key) for key in keys})
            out.append(entry)
    return out


def summary_table(summary: list[dict]) -> str:
    headers = ["scenario", "rounds", "server"] + [h for _, h, _ in COLUMNS] + ["load CPU %"]
    rows = [[s["scenario"], str(s["rounds"]), s["server"]] + [fmt(s[k], f) for k, _, f in COLUMNS]
            + [fmt(s["load_cpu_percent"], "{:.1f}")] for s in summary]
    return markdown_table(headers, rows, 3)


def ratio(a, b):
    return a / b if a is not None and b not in (None, 0) else None


RATIO_KEYS = [
    ("messages_per_second", "msgs/s"),
    ("messages_per_cpu_second", "msgs/CPU-s"),
    ("cpu_percent", "CPU %"),
    ("latency_us_p50", "p50 latency"),
    ("latency_us_p99", "p99 latency"),
    ("peak_rss_kib", "peak RSS"),
    ("bytes_per_connection", "RSS B/conn"),
]


def compute_ratios(summary: list[dict], scenarios: list[dict]) -> list[dict] | None:
    """riptide / reference ratios of the medians per scenario; None unless both servers ran."""
    out = []
    for scenario in scenarios:
        by_server = {s["server"]: s for s in summary if s["scenario"] == scenario["name"]}
        if RIPTIDE not in by_server or REFERENCE not in by_server:
            continue
        r, o = by_server[RIPTIDE], by_server[REFERENCE]
        entry = {"scenario": scenario["name"]}
        entry.update({key: ratio(r[key], o[key]) for key, _ in RATIO_KEYS})
        out.append(entry)
    return out or None


def ratios_table(ratios: list[dict]) -> str:
    def x(v):
        return "–" if v is None else f"{v:.2f}×"
    headers = ["scenario"] + [h for _, h in RATIO_KEYS]
    rows = [[r["scenario"]] + [x(r[key]) for key, _ in RATIO_KEYS] for r in ratios]
    return markdown_table(headers, rows, 1)


def machine_info() -> dict:
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.lower().startswith(("model name", "hardware", "cpu model")):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    uname = platform.uname()
    try:
        loadavg = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        loadavg = "unknown"
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu_count": os.cpu_count(),
        "cpu_model": model,
        "kernel": f"{uname.system} {uname.release} {uname.machine}",
        "loadavg_at_start": loadavg,
        "nofile_limit": resource.getrlimit(resource.RLIMIT_NOFILE)[0],
    }


def versions(args) -> dict:
    out = {}
    if RIPTIDE in args.servers:
        result = run_tool([str(args.tracker_ws), "-V"])
        out["tracker_ws"] = result.stdout.strip() or "unknown"
    result = run_tool([str(args.load_test), "-V"])
    out["load_test"] = result.stdout.strip() or "unknown"
    if REFERENCE in args.servers:
        result = run_tool([args.node, "--version"])
        out["node"] = "node " + (result.stdout.strip() or "unknown")
        try:
            package = json.loads((args.reference_dir / "node_modules/bittorrent-tracker/package.json").read_text())
            out["bittorrent-tracker"] = "bittorrent-tracker " + package.get("version", "unknown")
        except (OSError, json.JSONDecodeError):
            out["bittorrent-tracker"] = "bittorrent-tracker unknown"
    if shutil.which("git"):
        head = run_tool(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
        if head.returncode == 0:
            dirty = run_tool(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"])
            out["git"] = head.stdout.strip() + (" (uncommitted changes)" if dirty.stdout.strip() else "")
    return out


# --------------------------------------------------------------------------------------------
# Main


def parse_args(argv: list[str]):
    parser = argparse.ArgumentParser(
        prog=os.environ.get("RIPTIDE_BENCH_COMMAND", "bench_ws.py"),
        description="Compare tracker_ws with the npm bittorrent-tracker server under the same load_test ws workload.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--servers", default=",".join(SERVERS), metavar="NAME[,NAME]",
                        help=f"servers to measure, comma-separated: {' and/or '.join(SERVERS)} "
                             "(ratios only when both run)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="rounds; each measures every scenario on every chosen server, alternating order")
    parser.add_argument("--duration", type=int, default=10, help="measured seconds per load_test run (after warm-up)")
    parser.add_argument("--connections", default="1000,10000", metavar="N[,N]",
                        help="WebSocket connections of the scenarios (each one peer announcing one torrent)")
    parser.add_argument("--offers", default="0,5", metavar="N[,N]",
                        help="offers per announce of the scenarios (0: without offers)")
    parser.add_argument("--torrents", type=int, default=100, help="torrents in the workload (load_test torrents.count)")
    parser.add_argument("--message-interval-ms", type=int, default=1000,
                        help="each connection sends an announce or a scrape this often (answers come on top)")
    parser.add_argument("--announce-weight", type=int, default=90, help="relative weight of announces")
    parser.add_argument("--scrape-weight", type=int, default=10, help="relative weight of scrapes")
    parser.add_argument("--sdp-bytes", type=int, default=1000, help="length of the sdp of each offer and answer")
    parser.add_argument("--warmup-timeout", type=int, default=60,
                        help="seconds load_test waits for every connection to connect and announce once")
    parser.add_argument("--server-cores", default="0", help="taskset -c list for the servers")
    parser.add_argument("--load-cores", default="1", help="taskset -c list for load_test")
    parser.add_argument("--load-threads", type=int, default=1, help="load_test run.threads")
    parser.add_argument("--load-config-extra", action="append", default=[], metavar="SECTION.KEY=VALUE",
                        help="any other load_test setting (repeatable), e.g. requests.max_scrape_hashes=1")
    parser.add_argument("--riptide-config-extra", action="append", default=[], metavar="SECTION.KEY=VALUE",
                        help="any other tracker_ws setting (repeatable), e.g. limits.max_outbound_messages=1024")
    parser.add_argument("--json", action="store_true", help="also print the results as one JSON line at the end")
    parser.add_argument("--output", type=Path, metavar="FILE", help="also write the results as markdown to FILE")
    parser.add_argument("--port", type=int, default=0,
                        help="TCP port of the servers (0: a fresh free one per run, so no TIME_WAIT is reused)")
    parser.add_argument("--tracker-ws", type=Path, default=DEFAULT_TRACKER_WS, help="tracker_ws binary")
    parser.add_argument("--load-test", type=Path, default=DEFAULT_LOAD_TEST, help="load_test binary")
    parser.add_argument("--node", default=shutil.which("node") or "/usr/bin/node", help="node binary")
    parser.add_argument("--reference-dir", type=Path, default=DEFAULT_REFERENCE_DIR,
                        help="directory with node_modules/bittorrent-tracker (npm install --ignore-scripts bittorrent-tracker)")
    parser.add_argument("--keep-temp", action="store_true", help="keep the configurations and logs (kept on failure anyway)")
    parser.add_argument("-v", "--verbose", action="store_true", help="show load_test progress")
    args = parser.parse_args(argv)

    def check(condition: bool, message: str):
        if not condition:
            parser.error(message)

    chosen = [name.strip().lower() for name in args.servers.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in SERVERS]
    check(not unknown, f"--servers: unknown server(s) {', '.join(unknown)}; choose from {', '.join(SERVERS)}")
    check(bool(chosen), f"--servers: name at least one of {', '.join(SERVERS)}")
    args.servers = tuple(name for name in SERVERS if name in chosen)  # canonical order, no duplicates
    try:
        args.connections_list = parse_int_list(args.connections, "--connections", 1, 1000000)
        args.offers_list = parse_int_list(args.offers, "--offers", 0, 10)
    except ValueError as error:
        parser.error(str(error))
    check(args.rounds >= 1, "--rounds must be at least 1")
    check(1 <= args.duration <= 3600, "--duration must be 1..3600 seconds")
    check(1 <= args.warmup_timeout <= 3600, "--warmup-timeout must be 1..3600 seconds")
    check(args.torrents >= 1, "--torrents must be at least 1")
    check(1 <= args.message_interval_ms <= 3600000, "--message-interval-ms must be 1..3600000")
    check(1 <= args.sdp_bytes <= 16000, "--sdp-bytes must be 1..16000")
    check(args.announce_weight >= 0 and args.scrape_weight >= 0, "weights must not be negative")
    check(args.announce_weight + args.scrape_weight > 0, "at least one weight must be positive")
    check(1 <= args.load_threads <= 256, "--load-threads must be 1..256")
    check(0 <= args.port <= 65535, "--port must be 0..65535")
    available = os.sched_getaffinity(0)
    for option, text in (("--server-cores", args.server_cores), ("--load-cores", args.load_cores)):
        try:
            cores = parse_cpu_list(text)
        except ValueError as error:
            parser.error(f"{option}: {error}")
        check(cores <= available, f"{option} {text}: not all of these CPUs are available ({sorted(available)})")
        setattr(args, option[2:].replace("-", "_") + "_set", cores)
    if args.server_cores_set & args.load_cores_set:
        warn("--server-cores and --load-cores overlap: server and load generator share CPUs")
    # tracker_ws is needed even when only the reference runs: it validates its configuration (-P)
    # like always, so that a later comparison uses the same settings.
    for path in (args.tracker_ws, args.load_test):
        check(path.is_file() and os.access(path, os.X_OK), f"{path}: not an executable (build it first)")
    if REFERENCE in args.servers:
        check(shutil.which(args.node) is not None, f"{args.node}: not found (install Node.js)")
        args.reference_server_js = args.reference_dir / "node_modules/bittorrent-tracker/server.js"
        check(args.reference_server_js.is_file(),
              f"{args.reference_server_js}: missing (cd {args.reference_dir} && npm install --ignore-scripts "
              "bittorrent-tracker)")
    check(shutil.which("taskset") is not None, "taskset not found (util-linux)")
    return args


def run(args, argv: list[str]) -> int:
    command = " ".join([os.environ.get("RIPTIDE_BENCH_COMMAND", "python3 scripts/bench_ws.py")] + ([shlex.join(argv)] if argv else []))
    most = max(args.connections_list)
    descriptors = raise_descriptor_limit(2 * most + 1000)
    if descriptors < most + 200:
        raise BenchError(f"the descriptor limit is {descriptors}; {most} connections need more than {most + 200} "
                         "(raise the hard limit: ulimit -Hn, or run as root)")
    machine = machine_info()
    tool_versions = versions(args)

    work = Path(tempfile.mkdtemp(prefix="riptide-bench-ws-"))
    keep = args.keep_temp
    try:
        scenarios = [{"name": f"{c} conns, {o} offers", "connections": c, "offers": o}
                     for c in args.connections_list for o in args.offers_list]
        reference_script = work / "reference_server.mjs"
        reference_script.write_text(REFERENCE_SCRIPT)

        def load_config_for(scenario: dict, port: int) -> dict:
            config = {
                "target": {"address": "127.0.0.1", "port": port},
                "run": {"threads": args.load_threads, "connections": scenario["connections"],
                        "duration_seconds": args.duration, "warmup_timeout_seconds": args.warmup_timeout},
                "requests": {"message_interval_ms": args.message_interval_ms,
                             "announce_weight": args.announce_weight, "scrape_weight": args.scrape_weight,
                             "offers_per_announce": scenario["offers"], "sdp_bytes": args.sdp_bytes},
                "torrents": {"count": args.torrents},
            }
            apply_extras(config, args.load_config_extra,
                         ("target.", "run.duration_seconds", "run.threads", "run.connections",
                          "run.warmup_timeout_seconds", "requests.offers_per_announce", "torrents.count"),
                         "--load-config-extra")
            return config

        def riptide_config_for(scenario: dict, port: int) -> dict:
            config = {
                "network": {"ipv4_address": "127.0.0.1", "ipv6_address": "", "port": port},
                "statistics": {"interval_seconds": 0},
                # load_test spreads its connections over 127.0.0.x source addresses; the limits
                # are raised anyway so that neither server refuses any connection.
                "limits": {"max_connections": scenario["connections"] + 100,
                           "max_connections_per_ip": scenario["connections"] + 100},
            }
            apply_extras(config, args.riptide_config_extra,
                         ("network.port", "network.ipv4_address", "network.ipv6_address"), "--riptide-config-extra")
            return config

        def write_configs(scenario: dict, port: int, tag: str) -> tuple[Path, Path]:
            try:
                load = load_config_for(scenario, port)
                riptide = riptide_config_for(scenario, port)
            except ValueError as error:
                raise BenchError(str(error))
            load_path = work / f"{tag}.load_test.toml"
            riptide_path = work / f"{tag}.tracker_ws.toml"
            load_path.write_text(render_toml(load, f"load_test ws configuration written by {command}"))
            riptide_path.write_text(render_toml(riptide, f"tracker_ws configuration written by {command}"))
            return load_path, riptide_path

        # Validate every configuration once before measuring anything.
        for scenario in scenarios:
            tag = f"check-{scenario['connections']}-{scenario['offers']}"
            load_path, riptide_path = write_configs(scenario, args.port or 8000, tag)
            checked = run_tool([str(args.load_test), "ws", "-c", str(load_path), "-P"])
            if checked.returncode != 0:
                raise BenchError(f"load_test refuses the configuration:\n{checked.stderr.strip()}")
            checked = run_tool([str(args.tracker_ws), "-c", str(riptide_path), "-P"])
            if checked.returncode != 0:
                raise BenchError(f"tracker_ws refuses the configuration:\n{checked.stderr.strip()}")

        log(f"machine: {machine['nproc']} CPUs, {machine['cpu_model']}, {machine['kernel']}, "
            f"load average {machine['loadavg_at_start']}, descriptor limit {descriptors}")
        servers = args.servers
        log(f"{args.rounds} round(s) × {len(scenarios)} scenario(s) × {len(servers)} server(s) "
            f"({', '.join(servers)}) × ({args.duration} s measured + warm-up); files in {work}")

        runs: list[dict] = []
        for round_number in range(1, args.rounds + 1):
            order = servers if round_number % 2 == 1 else tuple(reversed(servers))
            for scenario in scenarios:
                for position, name in enumerate(order, start=1):
                    port = args.port or pick_port()
                    if not port_is_free(port):
                        raise BenchError(f"TCP port {port} is taken by someone else; retry or pass --port")
                    tag = f"round{round_number}-{scenario['connections']}c-{scenario['offers']}o-{name}"
                    load_path, riptide_path = write_configs(scenario, port, tag)
                    if name == RIPTIDE:
                        argv = [str(args.tracker_ws), "-c", str(riptide_path)]
                    else:
                        argv = [args.node, str(reference_script), str(args.reference_server_js), str(port)]
                    server = Server(name, argv, args.server_cores, port, work, tag)
                    log(f"round {round_number}/{args.rounds}, {scenario['name']}: {name} ({position}/{len(order)})...")
                    result = measure(server, args, scenario, load_path, work, tag)
                    result.update(round=round_number, position=position)
                    runs.append(result)
                    log(f"  {result['messages_per_second']:,.0f} msgs/s, server CPU {result['cpu_percent']:.1f} %, "
                        f"announce p50/p99 {result['latency_us_p50']}/{result['latency_us_p99']} µs, "
                        f"peak RSS {result['peak_rss_mib']:.1f} MiB, {result['bytes_per_connection']:,.0f} B/conn, "
                        f"load CPU {fmt(result['load_cpu_percent'], '{:.1f}')} %")

        summary = summarise(runs, scenarios, servers)
        ratios = compute_ratios(summary, scenarios)

        load_capacity = 100 * min(args.load_threads, len(args.load_cores_set))  # CPU % load_test can use
        load_limited = [r for r in runs if r["load_cpu_percent"] is not None
                        and r["load_cpu_percent"] >= 0.9 * load_capacity]
        server_capacity = 100 * len(args.server_cores_set)
        saturated = [r for r in runs if r["cpu_percent"] >= 0.9 * server_capacity]
        settings = {
            "servers": list(servers), "rounds": args.rounds, "duration_seconds": args.duration,
            "connections": args.connections_list, "offers": args.offers_list, "torrents": args.torrents,
            "message_interval_ms": args.message_interval_ms, "announce_weight": args.announce_weight,
            "scrape_weight": args.scrape_weight, "sdp_bytes": args.sdp_bytes,
            "warmup_timeout_seconds": args.warmup_timeout,
            "server_cores": args.server_cores, "load_cores": args.load_cores, "load_threads": args.load_threads,
            "load_config_extra": args.load_config_extra, "riptide_config_extra": args.riptide_config_extra,
        }
        cpu_note = ("server CPU % is sampled over the measured phase (from its 2nd second); 100 % = one core"
                    if all(r["cpu_window"] == "measured" for r in runs)
                    else "server CPU % covers the whole load_test run, warm-up included (measured phase < 2 s)")

        header_lines = [
            f"Machine: {machine['nproc']} CPUs available ({machine['cpu_count']} online), {machine['cpu_model']}, "
            f"{machine['kernel']}; load average at start {machine['loadavg_at_start']}",
            "Versions: " + ", ".join(f"{v}" for k, v in tool_versions.items() if k != "git")
            + (f"; git {tool_versions['git']}" if "git" in tool_versions else ""),
            f"Command: {command}",
            f"Workload: connections {', '.join(map(str, args.connections_list))} × offers per announce "
            f"{', '.join(map(str, args.offers_list))}; {args.torrents:,} torrents, one message per connection every "
            f"{args.message_interval_ms} ms (announce:scrape {args.announce_weight}:{args.scrape_weight}), sdp "
            f"{args.sdp_bytes} B; {args.duration} s measured per run, {args.rounds} round(s); load_test "
            f"{args.load_threads} thread(s) on CPUs {args.load_cores}; "
            + ("servers" if len(servers) > 1 else "server") + f" on CPUs {args.server_cores}",
        ]
        if args.load_config_extra:
            header_lines.append("load_test extras: " + ", ".join(args.load_config_extra))
        if args.riptide_config_extra:
            header_lines.append("tracker_ws extras: " + ", ".join(args.riptide_config_extra))
        notes = (f"{cpu_note}; msgs/s = every message sent and received by load_test (sent: announce, answer, "
                 "scrape; received: announce response, relayed offer, relayed answer, scrape response); "
                 "msgs/CPU-s = msgs/s ÷ server CPU; p50/p99 = announce latency; RSS B/conn = (RSS with every "
                 "connection open, at the last second of the measured phase − RSS before the load) / connections.")

        text = "\n".join(header_lines) + "\n\n"
        text += "Per run:\n\n" + rounds_table(runs) + "\n\n"
        text += f"Medians over {args.rounds} round(s):\n\n" + summary_table(summary) + "\n\n"
        if ratios is not None:
            text += "riptide / reference (medians; > 1 is better for msgs/s and msgs/CPU-s, < 1 for the others):\n\n"
            text += ratios_table(ratios) + "\n\n"
        text += f"Notes: {notes}\n"
        print(text, end="", flush=True)

        problems = [r for r in runs if r["failures"] or r["malformed"] or r["dropped"] or r["connect_failures"]
                    or r["closed"]]
        if problems:
            warn(f"{len(problems)} run(s) had failures, malformed messages, drops or closed connections (see the tables)")
        if load_limited:
            warn(f"in {len(load_limited)} run(s) load_test used ≥ 90 % of its CPUs: the load generator may be "
                 "the limit, not the server (more --load-threads / --load-cores?)")
        if saturated:
            warn(f"in {len(saturated)} run(s) the server used ≥ 90 % of its CPUs: it could not keep up with the "
                 "offered load, so its msgs/s is its capacity there")

        if args.output:
            date = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
            title = " vs ".join(LABELS[name] for name in servers)
            markdown = f"### WebSocket: {title} ({date})\n\n"
            markdown += "\n".join(f"- {line}" for line in header_lines) + "\n\n"
            markdown += f"Medians over {args.rounds} round(s):\n\n" + summary_table(summary) + "\n\n"
            if ratios is not None:
                markdown += "riptide / reference (medians):\n\n" + ratios_table(ratios) + "\n\n"
            markdown += "Per run:\n\n" + rounds_table(runs) + "\n\n"
            markdown += notes + "\n"
            args.output.write_text(markdown)
            log(f"wrote {args.output}")

        if args.json:
            print(json.dumps({"machine": machine, "versions": tool_versions, "command": command,
                              "settings": settings, "cpu_window": cpu_note, "runs": runs, "summary": summary,
                              "ratios": ratios}, separators=(",", ":")))
        return 0
    except KeyboardInterrupt:
        raise
    except BaseException:
        keep = keep or any(work.glob("round*.stdout"))  # the server and load_test logs explain the failure
        raise
    finally:
        stop_all()
        if keep:
            log(f"configurations and logs kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _on_sigterm)
    signal.signal(signal.SIGHUP, _on_sigterm)
    try:
        return run(args, argv)
    except BenchError as error:
        print(f"bench-ws: FAILED: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bench-ws: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
