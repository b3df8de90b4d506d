#!/usr/bin/env python3
"""Compares tracker_udp with opentracker under the same load_test workload, side by side.

Usually run through scripts/bench-udp.sh, which installs opentracker and builds tracker_udp and
load_test (Release) first. Standard library only.

One load_test configuration is written and used for both servers (same seed, torrents and
peers), with a whitelist of the workload's info hashes; tracker_udp serves that whitelist as an
allow access list, so both servers do the same work. Each measurement starts a fresh server,
pinned with `taskset -c SERVER_CORES`, runs load_test pinned with `taskset -c LOAD_CORES`, reads
the server's CPU time and memory from /proc, and stops the server with SIGTERM. Rounds alternate
the order of the servers (round 1: riptide first, round 2: opentracker first, ...).

--servers riptide (or opentracker) measures one server alone, e.g. for a scaling study of
tracker_udp's worker layouts; the riptide / opentracker ratios are printed only when both ran.

Metrics per measurement:
  responses/s       from load_test, over its measured phase.
  CPU %             server CPU seconds (utime + stime of every thread) / wall seconds, sampled at
                    load_test's first and last per-second progress lines of the measured phase
                    (so the warm-up and the first second are left out); over the whole load_test
                    run when the measured phase is shorter than 2 s. 100 % is one core.
  responses/CPU-s   responses/s / (CPU % / 100): responses per second of server CPU.
  peak RSS          VmHWM of the server after the run.
  bytes/peer        (VmHWM after the run - VmRSS before the load) * 1024 / peers.
  load CPU %        load_test's CPU over the same window; near 100 % per load thread means the
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
import secrets
import shlex
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TRACKER_UDP = ROOT / "build/release/tracker_udp/tracker_udp"
DEFAULT_LOAD_TEST = ROOT / "build/release/load_test/load_test"

RIPTIDE = "riptide"
OPENTRACKER = "opentracker"
SERVERS = (RIPTIDE, OPENTRACKER)

SERVER_START_TIMEOUT = 15.0  # seconds until a server must answer a BEP 15 connect
SERVER_STOP_TIMEOUT = 10.0  # seconds after SIGTERM before SIGKILL
LOAD_TEST_WARMUP_LIMIT = 120.0  # load_test gives up warming up after this long
LOAD_TEST_MARGIN = 60.0  # on top of warm-up + duration: drain, start-up, exit
TOOL_TIMEOUT = 120.0  # load_test -P / --print-info-hashes, tracker_udp -P, version queries

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PROTOCOL_ID = 0x41727101980
MEASURE_LINE = re.compile(r"^load_test: measure\s")


class BenchError(Exception):
    """A failure that makes the benchmark meaningless: reported, then exit 1."""


def log(message: str) -> None:
    print(f"bench-udp: {message}", file=sys.stderr, flush=True)


def warn(message: str) -> None:
    print(f"bench-udp: WARNING: {message}", file=sys.stderr, flush=True)


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


def free_port(kind: int) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pick_port(kind: int) -> int:
    """A free port below the ephemeral range, so no process binding port 0 lands on it between runs."""
    try:
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    if low > 11000:
        rng = random.SystemRandom()
        for _ in range(100):
            port = rng.randrange(10000, low)
            if port_is_free(port, kind):
                return port
    return free_port(kind)


def foreign_udp_sockets(port: int, pid: int) -> set[int] | None:
    """Inodes of UDP sockets bound to port that are not pid's; None when pid's fds are unreadable."""
    bound: set[int] = set()
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 9 and int(fields[1].rsplit(":", 1)[1], 16) == port and fields[9] != "0":
                bound.add(int(fields[9]))
    ours: set[int] = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:["):
                ours.add(int(target[8:-1]))
    except OSError:
        return None
    return bound - ours


def port_is_free(port: int, kind: int) -> bool:
    with socket.socket(socket.AF_INET, kind) as s:
        if kind == socket.SOCK_STREAM:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


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


def bep15_connect_ok(port: int, deadline: float) -> bool:
    """Sends BEP 15 connects to 127.0.0.1:port until one is answered or the deadline passes."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect(("127.0.0.1", port))
        while time.monotonic() < deadline:
            tid = secrets.randbits(32)
            try:
                s.send(struct.pack(">QII", PROTOCOL_ID, 0, tid))
                s.settimeout(max(0.01, min(0.2, deadline - time.monotonic())))
                reply = s.recv(2048)
            except (socket.timeout, ConnectionRefusedError):
                time.sleep(0.02)
                continue
            if len(reply) >= 16 and struct.unpack(">II", reply[:8]) == (0, tid):
                return True
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
        if self.name == RIPTIDE:
            # tracker_udp prints `ready` once it serves.
            while True:
                if self.process.poll() is not None:
                    raise self.failure(f"exited with {self.process.returncode} before it was ready")
                if re.search(r"^ready$", self.stdout_path.read_text(errors="replace"), re.M):
                    break
                if time.monotonic() > deadline:
                    raise self.failure(f"did not print `ready` within {SERVER_START_TIMEOUT:.0f} s")
                time.sleep(0.02)
        # Both: a BEP 15 connect must be answered (opentracker prints nothing when ready).
        if not bep15_connect_ok(self.port, deadline):
            if self.process.poll() is not None:
                raise self.failure(f"exited with {self.process.returncode} before it was ready")
            raise self.failure(f"did not answer a BEP 15 connect on 127.0.0.1:{self.port} "
                               f"within {SERVER_START_TIMEOUT:.0f} s")
        if self.process.poll() is not None:
            raise self.failure(f"exited with {self.process.returncode} right after starting")
        self.check_port_exclusive()

    def check_port_exclusive(self) -> None:
        foreign = foreign_udp_sockets(self.port, self.pid)
        if foreign:
            raise self.failure(f"shares UDP port {self.port} with another process (socket inodes "
                               f"{sorted(foreign)}): the load would not all reach the server under test")

    def stop(self) -> None:
        assert self.process is not None
        code, killed = stop(self.process)
        if killed:
            warn(f"{self.name} (PID {self.pid}) ignored SIGTERM for {SERVER_STOP_TIMEOUT:.0f} s; killed")
        elif self.name == RIPTIDE and code != 0:
            warn(f"{self.name} exited with {code} after SIGTERM\n{tail(self.stderr_path)}")


# --------------------------------------------------------------------------------------------
# One measurement


def measure(server: Server, args, load_config: Path, logs: Path, tag: str) -> dict:
    server.start()
    pid = server.pid
    baseline_kib = status_kib(pid, "VmRSS")

    load_argv = ["taskset", "-c", args.load_cores, str(args.load_test), "udp", "-c", str(load_config), "--json"]
    stdout_path = logs / f"{tag}.load_test.stdout"
    stderr_path = logs / f"{tag}.load_test.stderr"
    samples: list[tuple[float, int, int]] = []  # (monotonic, server ticks, load_test ticks)

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
                            samples.append((time.monotonic(), cpu_ticks(pid), cpu_ticks(load.pid)))
                        except (OSError, ValueError):
                            pass
                    err.write(line)
                    err.flush()
                    if args.verbose:
                        sys.stderr.write("    " + line)

        reader = threading.Thread(target=read_progress, daemon=True)
        reader.start()
        limit = LOAD_TEST_WARMUP_LIMIT + args.duration + LOAD_TEST_MARGIN
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
    if not report.get("responses"):
        raise BenchError(f"load_test got zero responses from {server.name}\n  stderr:\n{tail(stderr_path)}")

    whole_util = (end_ticks - start_ticks) / CLOCK_TICKS / max(end_wall - start_wall, 1e-9)
    if len(samples) >= 2 and samples[-1][0] - samples[0][0] >= 0.5:
        window = samples[-1][0] - samples[0][0]
        util = (samples[-1][1] - samples[0][1]) / CLOCK_TICKS / window
        load_util = (samples[-1][2] - samples[0][2]) / CLOCK_TICKS / window
        cpu_window = "measured"
    else:
        util, load_util, cpu_window = whole_util, None, "whole run"
    rps = float(report["responses_per_second"])
    result = {
        "server": server.name,
        "responses_per_second": rps,
        "announce_per_second": float(report.get("announce_per_second", 0)),
        "scrape_per_second": float(report.get("scrape_per_second", 0)),
        "connect_per_second": float(report.get("connect_per_second", 0)),
        "cpu_percent": util * 100,
        "cpu_window": cpu_window,
        "cpu_percent_whole_run": whole_util * 100,
        "load_cpu_percent": None if load_util is None else load_util * 100,
        "responses_per_cpu_second": rps / util if util > 0 else None,
        "latency_us_p50": report["latency_us_p50"],
        "latency_us_p99": report["latency_us_p99"],
        "latency_us_p999": report["latency_us_p999"],
        "latency_us_max": report["latency_us_max"],
        "baseline_rss_kib": baseline_kib,
        "peak_rss_kib": peak_kib,
        "peak_rss_mib": peak_kib / 1024,
        "bytes_per_peer": (peak_kib - baseline_kib) * 1024 / args.peers,
        "sent": report["sent"],
        "responses": report["responses"],
        "peers_per_announce": report.get("peers_per_announce"),
        "malformed": report["malformed"],
        "lost": report["lost"],
        "late": report.get("late", 0),
        "error_replies": report["error_replies"],
    }
    problems = [f"{k} {result[k]}" for k in ("malformed", "lost", "error_replies") if result[k]]
    if problems:
        detail = "; ".join(f"{k}: {report[k]}" for k in ("first_error", "first_malformed") if report.get(k))
        warn(f"{server.name} ({tag}): " + ", ".join(problems) + (f" ({detail})" if detail else ""))
    return result


# --------------------------------------------------------------------------------------------
# Output

# (key, header, format) of the table columns.
COLUMNS = [
    ("responses_per_second", "responses/s", "{:,.0f}"),
    ("cpu_percent", "server CPU %", "{:.1f}"),
    ("responses_per_cpu_second", "responses/CPU-s", "{:,.0f}"),
    ("latency_us_p50", "p50 µs", "{:.0f}"),
    ("latency_us_p99", "p99 µs", "{:.0f}"),
    ("latency_us_p999", "p99.9 µs", "{:.0f}"),
    ("peak_rss_mib", "peak RSS MiB", "{:.1f}"),
    ("bytes_per_peer", "RSS B/peer", "{:.1f}"),
    ("malformed", "malformed", "{:.0f}"),
    ("lost", "lost", "{:.0f}"),
    ("error_replies", "error replies", "{:.0f}"),
]


def fmt(value, pattern: str) -> str:
    return "–" if value is None else pattern.format(value)


def markdown_table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    def line(cells):
        return "| " + " | ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))) + " |"
    separator = "|" + "|".join(("-" * (w + 2)) if i < 2 else ("-" * (w + 1) + ":") for i, w in enumerate(widths)) + "|"
    return "\n".join([line(headers), separator] + [line(r) for r in rows])


def rounds_table(runs: list[dict]) -> str:
    headers = ["round", "server"] + [h for _, h, _ in COLUMNS] + ["load CPU %"]
    rows = []
    alone = len({run["server"] for run in runs}) == 1
    for run in runs:
        server = run["server"] if alone else f"{run['server']} ({'1st' if run['position'] == 1 else '2nd'})"
        rows.append([str(run["round"]), server] + [fmt(run[k], f) for k, _, f in COLUMNS]
                    + [fmt(run["load_cpu_percent"], "{:.1f}")])
    return markdown_table(headers, rows)


def median_of(runs: list[dict], key: str):
    values = [r[key] for r in runs if r[key] is not None]
    return statistics.median(values) if values else None


def summarise(runs: list[dict], servers: tuple[str, ...]) -> dict[str, dict]:
    keys = [k for k, _, _ in COLUMNS] + ["latency_us_max", "load_cpu_percent", "cpu_percent_whole_run",
                                         "baseline_rss_kib", "peers_per_announce"]
    return {name: {key: median_of([r for r in runs if r["server"] == name], key) for key in keys}
            for name in servers}


def summary_table(summary: dict[str, dict]) -> str:
    headers = ["server", "rounds"] + [h for _, h, _ in COLUMNS] + ["load CPU %"]
    rows = [[name, str(summary[name]["rounds"])] + [fmt(summary[name][k], f) for k, _, f in COLUMNS]
            + [fmt(summary[name]["load_cpu_percent"], "{:.1f}")]
            for name in summary]
    return markdown_table(headers, rows)


def ratio(a, b):
    return a / b if a is not None and b not in (None, 0) else None


def compute_ratios(summary: dict[str, dict]) -> dict | None:
    """riptide / opentracker ratios of the medians; None unless both servers ran."""
    if RIPTIDE not in summary or OPENTRACKER not in summary:
        return None
    r, o = summary[RIPTIDE], summary[OPENTRACKER]
    return {
        "responses_per_second": ratio(r["responses_per_second"], o["responses_per_second"]),
        "responses_per_cpu_second": ratio(r["responses_per_cpu_second"], o["responses_per_cpu_second"]),
        "bytes_per_peer": ratio(r["bytes_per_peer"], o["bytes_per_peer"]),
    }


def ratios_text(ratios: dict) -> str:
    def x(v):
        return "–" if v is None else f"{v:.2f}×"
    return ("riptide / opentracker (medians): "
            f"responses/s {x(ratios['responses_per_second'])}, "
            f"responses per CPU-second {x(ratios['responses_per_cpu_second'])}, "
            f"RSS bytes/peer {x(ratios['bytes_per_peer'])} (lower is leaner)")


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
    }


def versions(args) -> dict:
    out = {}
    if RIPTIDE in args.servers:
        result = run_tool([str(args.tracker_udp), "-V"])
        out["tracker_udp"] = result.stdout.strip() or "unknown"
    result = run_tool([str(args.load_test), "-V"])
    out["load_test"] = result.stdout.strip() or "unknown"
    if OPENTRACKER in args.servers:
        opentracker = "unknown"
        if shutil.which("dpkg-query"):
            result = run_tool(["dpkg-query", "-W", "-f=${Version}", "opentracker"])
            if result.returncode == 0 and result.stdout.strip():
                opentracker = "opentracker " + result.stdout.strip() + " (Debian package)"
        out["opentracker"] = opentracker
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
        prog=os.environ.get("RIPTIDE_BENCH_COMMAND", "bench_udp.py"),
        description="Compare tracker_udp with opentracker under the same load_test workload.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--servers", default=",".join(SERVERS), metavar="NAME[,NAME]",
                        help=f"servers to measure, comma-separated: {' and/or '.join(SERVERS)} "
                             "(ratios only when both run)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds; each measures every chosen server, alternating order")
    parser.add_argument("--duration", type=int, default=10, help="measured seconds per load_test run (after warm-up)")
    parser.add_argument("--torrents", type=int, default=100000, help="torrents in the workload")
    parser.add_argument("--peers", type=int, default=400000, help="peers in the workload")
    parser.add_argument("--announce-weight", type=int, default=90, help="relative weight of announces")
    parser.add_argument("--scrape-weight", type=int, default=10, help="relative weight of scrapes")
    parser.add_argument("--riptide-workers", default="1,1", metavar="SOCKET,REQUEST",
                        help="tracker_udp socket and request workers")
    parser.add_argument("--opentracker-udp-workers", type=int, default=None, metavar="N",
                        help="opentracker listen.udp.workers (default: not set, opentracker's own default)")
    parser.add_argument("--server-cores", default="0", help="taskset -c list for the servers")
    parser.add_argument("--load-cores", default="1", help="taskset -c list for load_test")
    parser.add_argument("--load-threads", type=int, default=1, help="load_test run.threads")
    parser.add_argument("--load-config-extra", action="append", default=[], metavar="SECTION.KEY=VALUE",
                        help="any other load_test setting (repeatable), e.g. run.sockets_per_thread=16")
    parser.add_argument("--riptide-config-extra", action="append", default=[], metavar="SECTION.KEY=VALUE",
                        help="any other tracker_udp setting (repeatable), e.g. protocol.receive_batch=32")
    parser.add_argument("--json", action="store_true", help="also print the results as one JSON line at the end")
    parser.add_argument("--output", type=Path, metavar="FILE", help="also write the results as markdown to FILE")
    parser.add_argument("--port", type=int, default=0, help="UDP port of the servers (0: a free one)")
    parser.add_argument("--tracker-udp", type=Path, default=DEFAULT_TRACKER_UDP, help="tracker_udp binary")
    parser.add_argument("--load-test", type=Path, default=DEFAULT_LOAD_TEST, help="load_test binary")
    parser.add_argument("--opentracker", default=shutil.which("opentracker") or "/usr/bin/opentracker",
                        help="opentracker binary")
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
    check(args.rounds >= 1, "--rounds must be at least 1")
    check(1 <= args.duration <= 3600, "--duration must be 1..3600 seconds")
    check(args.torrents >= 1 and args.peers >= 1, "--torrents and --peers must be at least 1")
    check(args.announce_weight >= 0 and args.scrape_weight >= 0, "weights must not be negative")
    check(1 <= args.load_threads <= 256, "--load-threads must be 1..256")
    check(0 <= args.port <= 65535, "--port must be 0..65535")
    match = re.fullmatch(r"\s*(\d+)\s*,\s*(\d+)\s*", args.riptide_workers)
    check(match is not None, "--riptide-workers must be SOCKET,REQUEST, e.g. 1,1")
    args.socket_workers, args.request_workers = int(match.group(1)), int(match.group(2))
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
    # tracker_udp is needed even when only opentracker runs: it validates its configuration (-P)
    # like always, so that a later comparison uses the same settings.
    for path in (args.tracker_udp, args.load_test):
        check(path.is_file() and os.access(path, os.X_OK), f"{path}: not an executable (build it first)")
    if OPENTRACKER in args.servers:
        check(shutil.which(args.opentracker) is not None, f"{args.opentracker}: not found (install opentracker)")
    check(shutil.which("taskset") is not None, "taskset not found (util-linux)")
    return args


def run(args, argv: list[str]) -> int:
    # The program part may hold a space ("python3 scripts/bench_udp.py"): quote only the arguments.
    command = " ".join([os.environ.get("RIPTIDE_BENCH_COMMAND", "python3 scripts/bench_udp.py")] +
                       ([shlex.join(argv)] if argv else []))
    machine = machine_info()
    tool_versions = versions(args)

    work = Path(tempfile.mkdtemp(prefix="riptide-bench-udp-"))
    os.chmod(work, 0o755)  # opentracker reads the whitelist as nobody
    keep = args.keep_temp
    try:
        udp_port = args.port or pick_port(socket.SOCK_DGRAM)
        load_config = {
            "target": {"address": "127.0.0.1", "port": udp_port},
            "run": {"threads": args.load_threads, "duration_seconds": args.duration},
            "requests": {"announce_weight": args.announce_weight, "scrape_weight": args.scrape_weight},
            "torrents": {"count": args.torrents},
            "peers": {"count": args.peers},
        }
        try:
            apply_extras(load_config, args.load_config_extra, ("target.", "run.duration_seconds", "run.threads",
                                                               "torrents.count", "peers.count"), "--load-config-extra")
        except ValueError as error:
            raise BenchError(str(error))
        load_config_path = work / "load_test.toml"

        load_config_path.write_text(render_toml(load_config, f"load_test udp configuration written by {command}"))
        checked = run_tool([str(args.load_test), "udp", "-c", str(load_config_path), "-P"])
        if checked.returncode != 0:
            raise BenchError(f"load_test refuses the configuration:\n{checked.stderr.strip()}")

        whitelist = work / "whitelist"
        with open(whitelist, "w") as out:
            listed = run_tool([str(args.load_test), "udp", "-c", str(load_config_path), "--print-info-hashes"], stdout=out)
        if listed.returncode != 0:
            raise BenchError(f"load_test --print-info-hashes failed:\n{listed.stderr.strip()}")
        hashes = sum(1 for _ in open(whitelist))
        if hashes != args.torrents:
            raise BenchError(f"whitelist has {hashes} info hashes, expected {args.torrents}")
        os.chmod(whitelist, 0o644)

        riptide_config = {
            "network": {"ipv4_address": "127.0.0.1", "ipv6_address": "", "port": udp_port},
            "workers": {"socket_workers": args.socket_workers, "request_workers": args.request_workers},
            "statistics": {"interval_seconds": 0},
            "access_list": {"mode": "allow", "path": str(whitelist)},
        }
        try:
            apply_extras(riptide_config, args.riptide_config_extra,
                         ("network.port", "network.ipv4_address", "network.ipv6_address", "access_list."),
                         "--riptide-config-extra")
        except ValueError as error:
            raise BenchError(str(error))
        riptide_config_path = work / "tracker_udp.toml"
        opentracker_config_path = work / "opentracker.conf"

        def write_server_configs(tcp_port: int):
            riptide_config_path.write_text(render_toml(riptide_config, f"tracker_udp configuration written by {command}"))
            lines = [f"# opentracker configuration written by {command}",
                     f"listen.udp 127.0.0.1:{udp_port}", f"listen.tcp 127.0.0.1:{tcp_port}",
                     f"access.whitelist {whitelist}", "tracker.rootdir /", "tracker.user nobody"]
            if args.opentracker_udp_workers is not None:
                lines.append(f"listen.udp.workers {args.opentracker_udp_workers}")
            opentracker_config_path.write_text("\n".join(lines) + "\n")
            os.chmod(opentracker_config_path, 0o644)

        write_server_configs(pick_port(socket.SOCK_STREAM))
        checked = run_tool([str(args.tracker_udp), "-c", str(riptide_config_path), "-P"])
        if checked.returncode != 0:
            raise BenchError(f"tracker_udp refuses the configuration:\n{checked.stderr.strip()}")

        log(f"machine: {machine['nproc']} CPUs, {machine['cpu_model']}, {machine['kernel']}, "
            f"load average {machine['loadavg_at_start']}")
        servers = args.servers
        log(f"{args.rounds} round(s) × {len(servers)} server(s) ({', '.join(servers)}) × ({args.duration} s "
            f"measured + warm-up of {args.peers} peers); files in {work}")

        runs: list[dict] = []
        for round_number in range(1, args.rounds + 1):
            order = servers if round_number % 2 == 1 else tuple(reversed(servers))
            for position, name in enumerate(order, start=1):
                if not port_is_free(udp_port, socket.SOCK_DGRAM):
                    raise BenchError(f"UDP port {udp_port} is taken by someone else; retry or pass --port")
                write_server_configs(pick_port(socket.SOCK_STREAM))
                tag = f"round{round_number}-{name}"
                if name == RIPTIDE:
                    argv = [str(args.tracker_udp), "-c", str(riptide_config_path)]
                else:
                    argv = [args.opentracker, "-f", str(opentracker_config_path)]
                server = Server(name, argv, args.server_cores, udp_port, work, tag)
                log(f"round {round_number}/{args.rounds}: {name} ({position}/{len(order)})...")
                result = measure(server, args, load_config_path, work, tag)
                result.update(round=round_number, position=position)
                runs.append(result)
                log(f"  {result['responses_per_second']:,.0f} responses/s, server CPU {result['cpu_percent']:.1f} %, "
                    f"{fmt(result['responses_per_cpu_second'], '{:,.0f}')} responses/CPU-s, "
                    f"p99 {result['latency_us_p99']} µs, peak RSS {result['peak_rss_mib']:.1f} MiB, "
                    f"load CPU {fmt(result['load_cpu_percent'], '{:.1f}')} %")

        summary = summarise(runs, servers)
        for name in servers:
            summary[name]["rounds"] = sum(1 for r in runs if r["server"] == name)
        ratios = compute_ratios(summary)

        load_capacity = 100 * min(args.load_threads, len(args.load_cores_set))  # CPU % load_test can use
        load_limited = [r for r in runs if r["load_cpu_percent"] is not None
                        and r["load_cpu_percent"] >= 0.9 * load_capacity]
        settings = {
            "servers": list(servers), "rounds": args.rounds, "duration_seconds": args.duration, "torrents": args.torrents, "peers": args.peers,
            "announce_weight": args.announce_weight, "scrape_weight": args.scrape_weight,
            "riptide_socket_workers": args.socket_workers, "riptide_request_workers": args.request_workers,
            "opentracker_udp_workers": args.opentracker_udp_workers,
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
            f"Workload: {args.torrents:,} torrents, {args.peers:,} peers, announce:scrape {args.announce_weight}:"
            f"{args.scrape_weight}, {args.duration} s measured per run, {args.rounds} round(s), load_test "
            f"{args.load_threads} thread(s) on CPUs {args.load_cores}; "
            + ("servers" if len(servers) > 1 else "server") + f" on CPUs {args.server_cores}"
            + (f"; tracker_udp workers {args.socket_workers} socket + {args.request_workers} request"
               if RIPTIDE in servers else "")
            + (f"; opentracker listen.udp.workers {args.opentracker_udp_workers}"
               if OPENTRACKER in servers and args.opentracker_udp_workers is not None else ""),
        ]
        if args.load_config_extra:
            header_lines.append("load_test extras: " + ", ".join(args.load_config_extra))
        if args.riptide_config_extra:
            header_lines.append("tracker_udp extras: " + ", ".join(args.riptide_config_extra))

        text = "\n".join(header_lines) + "\n\n"
        text += "Per round:\n\n" + rounds_table(runs) + "\n\n"
        text += f"Medians over {args.rounds} round(s):\n\n" + summary_table(summary) + "\n\n"
        if ratios is not None:
            text += ratios_text(ratios) + "\n"
        text += f"Notes: {cpu_note}; responses/CPU-s = responses/s ÷ server CPU; RSS B/peer = (peak RSS − RSS " \
                f"before the load) / peers.\n"
        print(text, end="", flush=True)

        problems = [r for r in runs if r["malformed"] or r["lost"] or r["error_replies"]]
        if problems:
            warn(f"{len(problems)} run(s) had malformed, lost or error replies (see the tables)")
        if load_limited:
            warn(f"in {len(load_limited)} run(s) load_test used ≥ 90 % of its CPUs: the load generator may be "
                 "the limit, not the server (more --load-threads / --load-cores?)")

        if args.output:
            date = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
            title = " vs ".join("tracker_udp" if name == RIPTIDE else "opentracker" for name in servers)
            markdown = f"### UDP: {title} ({date})\n\n"
            markdown += "\n".join(f"- {line}" for line in header_lines) + "\n\n"
            markdown += f"Medians over {args.rounds} round(s):\n\n" + summary_table(summary) + "\n\n"
            if ratios is not None:
                markdown += ratios_text(ratios) + "\n\n"
            markdown += "Per round:\n\n" + rounds_table(runs) + "\n\n"
            markdown += f"{cpu_note}; responses/CPU-s = responses/s ÷ server CPU; RSS B/peer = (peak RSS − RSS " \
                        "before the load) / peers.\n"
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
        keep = keep or any(work.glob("round*"))  # the server and load_test logs explain the failure
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
        print(f"bench-udp: FAILED: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bench-udp: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
