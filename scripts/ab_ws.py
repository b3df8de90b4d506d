#!/usr/bin/env python3
"""Compares the CPU two tracker_ws builds spend per message, both running at the same time.

Run by scripts/ab-ws.sh. Standard library only.

Runs one after the other differ by 10% to 30% on a virtual machine (the host's other guests, the
cost of a wake-up), far more than most changes make. Here both builds run at once, pinned to the
same core, each under its own `load_test ws` (both pinned to another core) with the same
workload, and their CPU is read over the same seconds: whatever slows the machine slows both.
Two copies of one build come out within about 1% of each other this way.

Either build may be `reference`: the npm bittorrent-tracker server (as scripts/bench_ws.py runs it),
so that tracker_ws and the reference are compared over the same seconds too, below capacity,
where runs one after the other differ by 10% to 30% (the reference's own CPU at 1,000 connections
without offers went from 6.9% to 11.6% of its core between two days). Or `floor`:
benchmarks/ws_floor_server, which answers each message with a reply of tracker_ws's size and does
nothing else (no swarms, no JSON, one recv and one send per readable socket): what the kernel
alone costs per message, without offers (it relays nothing) and over ws:// only. With
--floor-hold-us it sleeps that long after each round of work before it waits again: what a server
would save by holding replies back to take several messages per wake-up.

Each pair of runs prints the CPU of each build over the window (from /proc/PID/task/*/schedstat,
all threads, in nanoseconds), the messages it served in that window (from what its load_test
received, summed over the per-second progress lines; see messages_per_second), and B's CPU per
message over A's. The summary is the
median of those ratios over every pair, with the smallest and largest. Below 1, B spends less.

Both servers share one core: keep the workload well below what one server takes alone, or both
saturate and the ratio measures the scheduler. The default (3,000 connections each, 5 offers per
announce, one message per connection per second) keeps the core about half busy here.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import (apply_extras, bench_main, bench_workspace, BenchError, log, MEASURE_LINE, pick_port,
                          render_toml, require, ROOT, run_tool, served_ws_messages, set_program_name, spawn, stop,
                          tail)
from bench_ws import (DEFAULT_REFERENCE_DIR, make_certificate, raise_descriptor_limit, REFERENCE, REFERENCE_SCRIPT,
                      WsServer)

set_program_name("ab-ws")

BUILD = Path(os.environ.get("RIPTIDE_BENCH_BUILD_DIR") or ROOT / "build/release")
DEFAULT_LOAD_TEST = BUILD / "load_test/load_test"
FLOOR = "floor"
DEFAULT_FLOOR_SERVER = BUILD / "benchmarks/ws_floor_server"
NAMED_SERVERS = (REFERENCE, FLOOR)

# The "name number" pairs of a progress line's "received/s ..." part.
RECEIVED_PART = re.compile(r"^\s*received/s\s")
NAMED_NUMBER = re.compile(r"([a-z]+) (\d+)")


# The progress line's names for what load_test received, as its JSON summary names them.
PROGRESS_NAMES = {"response": "announce_response", "offer": "offer", "answer": "answer", "scrape": "scrape_response"}


def messages_per_second(line: str) -> int:
    """Messages the server served in the second a `load_test: measure` progress line reports
    (bench_common.served_ws_messages, as scripts/bench_ws.py counts them)."""
    for part in line.split("|"):
        if RECEIVED_PART.match(part):
            received = {PROGRESS_NAMES[name]: int(number) for name, number in NAMED_NUMBER.findall(part)
                        if name in PROGRESS_NAMES}
            return int(served_ws_messages(received))
    return 0


def cpu_ns(pid: int) -> int:
    """CPU time of every thread of pid so far, in nanoseconds."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            pass  # a thread that just ended
    return total


class LoadGenerator:
    """A `load_test ws` run pinned to the load core; its progress lines are kept with their times."""

    def __init__(self, load_test: Path, config: Path, cores: str, stderr_path: Path):
        self.stderr_path = stderr_path
        self.lines: list[tuple[float, str]] = []  # (monotonic time, line) of the measure phase
        self.lock = threading.Lock()
        self.process = spawn(["taskset", "-c", cores, str(load_test), "ws", "-c", str(config)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        with open(self.stderr_path, "w") as err:
            for raw in self.process.stderr:
                line = raw.decode(errors="replace")
                err.write(line)
                if MEASURE_LINE.match(line):
                    with self.lock:
                        self.lines.append((time.monotonic(), line))

    def measure_lines(self) -> int:
        with self.lock:
            return len(self.lines)

    def messages_between(self, start: float, end: float) -> int:
        with self.lock:
            return sum(messages_per_second(line) for at, line in self.lines if start < at <= end)

    def stop(self) -> None:
        stop(self.process)
        self.reader.join(timeout=5)


def certificate_files(work: Path) -> tuple[Path, Path]:
    """--tls: the certificate and key both servers use (made once per run)."""
    return work / "certificate.pem", work / "key.pem"


def tracker_config(args, port: int, work: Path) -> dict:
    config = {
        "network": {"ipv4_address": "127.0.0.1", "ipv6_address": "", "port": port},
        "statistics": {"interval_seconds": 0},
        "limits": {"max_connections": args.connections + 100, "max_connections_per_ip": args.connections + 100,
                   "max_outbound_messages": 1024},
    }
    if args.tls:
        certificate, key = certificate_files(work)
        config["tls"] = {"enabled": True, "certificate_chain_path": str(certificate), "private_key_path": str(key)}
    try:
        apply_extras(config, args.tracker_config_extra, ("network.",), "--tracker-config-extra")
    except ValueError as error:
        raise BenchError(str(error))
    return config


def load_config(args, port: int) -> dict:
    return {
        "target": {"address": "127.0.0.1", "port": port, "tls": args.tls},
        # Long enough never to end by itself before the window is over; stopped after it.
        "run": {"threads": 1, "connections": args.connections,
                "duration_seconds": args.seconds + args.warmup_timeout + 30,
                "warmup_timeout_seconds": args.warmup_timeout, "busy_poll": args.load_busy_poll},
        "requests": {"message_interval_ms": args.message_interval_ms, "offers_per_announce": args.offers,
                     "sdp_bytes": args.sdp_bytes, "max_scrape_hashes": 1},
        "torrents": {"count": args.torrents},
    }


def server_command(args, build: str, tracker_config_path: Path, work: Path, port: int) -> list[str]:
    """How build A or B is started: tracker_ws with its configuration, or the reference or the floor
    server on `port`."""
    if build == FLOOR:
        return [str(args.floor_server), str(port), str(args.floor_hold_us)]
    if build != REFERENCE:
        return [build, "-c", str(tracker_config_path)]
    script = work / "reference.mjs"
    if not script.exists():
        script.write_text(REFERENCE_SCRIPT)
    command = [args.node, str(script), str(args.reference_dir / "node_modules/bittorrent-tracker/server.js"), str(port)]
    if args.tls:
        command += [str(path) for path in certificate_files(work)]
    return command


def measure_pair(args, work: Path, pair: int) -> dict[str, tuple[int, int]]:
    """Runs A and B at once; returns {name: (CPU ns, messages)} over the same window."""
    builds = {"A": args.a, "B": args.b}
    order = ("A", "B") if pair % 2 == 1 else ("B", "A")
    servers: dict[str, WsServer] = {}
    loads: dict[str, LoadGenerator] = {}
    try:
        for name in order:
            port = pick_port(socket.SOCK_STREAM)
            tag = f"pair{pair}-{name}"
            tracker_path, load_path = work / f"{tag}.tracker_ws.toml", work / f"{tag}.load_test.toml"
            tracker_path.write_text(render_toml(tracker_config(args, port, work), "tracker_ws configuration of ab-ws"))
            load_path.write_text(render_toml(load_config(args, port), "load_test ws configuration of ab-ws"))
            servers[name] = WsServer(f"{name} ({builds[name]})", server_command(args, builds[name], tracker_path, work, port),
                                     args.server_cores, port, work, tag)
            servers[name].start()
        for name in order:
            loads[name] = LoadGenerator(args.load_test, work / f"pair{pair}-{name}.load_test.toml", args.load_cores,
                                        work / f"pair{pair}-{name}.load_test.stderr")
        # Both past their warm-up and one measured second in, so both are at their steady rate.
        deadline = time.monotonic() + args.warmup_timeout + 15
        while any(load.measure_lines() < 2 for load in loads.values()):
            for name, load in loads.items():
                if load.process.poll() is not None:
                    raise BenchError(f"load_test against {name} ended early ({load.process.returncode}):\n"
                                     f"{tail(load.stderr_path)}")
            if time.monotonic() > deadline:
                raise BenchError(f"load_test did not reach its measured phase within {args.warmup_timeout + 15} s")
            time.sleep(0.05)
        start = time.monotonic()
        before = {name: cpu_ns(server.pid) for name, server in servers.items()}
        time.sleep(args.seconds)
        after = {name: cpu_ns(server.pid) for name, server in servers.items()}
        end = time.monotonic()
        # A progress line gives the second before it: the lines of (start, end] shifted by half a
        # second are as many seconds as the window, the last of them printed by now.
        time.sleep(1.0)
        return {name: (after[name] - before[name], loads[name].messages_between(start + 0.5, end + 0.5))
                for name in builds}
    finally:
        for load in loads.values():
            load.stop()
        for server in servers.values():
            if server.process is not None:
                server.stop()


def run(args, argv: list[str]) -> int:
    raise_descriptor_limit(2 * args.connections + 1000)
    for name, binary in (("A", args.a), ("B", args.b)):
        if binary in NAMED_SERVERS:
            continue
        checked = run_tool([binary, "-V"])
        if checked.returncode != 0:
            raise BenchError(f"{name} ({binary}) does not run: {checked.stderr.strip()}")
    log(f"A: {args.a}\nB: {args.b}\n{args.pairs} pair(s) of runs at once: {args.connections} connections each, "
        f"{args.offers} offers per announce, one message per connection every {args.message_interval_ms} ms"
        f"{' over wss://' if args.tls else ''}; "
        f"servers on core(s) {args.server_cores}, load_test on {args.load_cores}"
        f"{' (polling)' if args.load_busy_poll else ''}; {args.seconds} s windows")
    ratios = []
    with bench_workspace("riptide-ab-ws-", args.keep_temp, "*.stderr") as work:
        if args.tls:
            make_certificate(*certificate_files(work))
        for pair in range(1, args.pairs + 1):
            measured = measure_pair(args, work, pair)
            (cpu_a, msgs_a), (cpu_b, msgs_b) = measured["A"], measured["B"]
            if msgs_a == 0 or msgs_b == 0 or cpu_a == 0:
                raise BenchError(f"pair {pair}: no messages or no CPU measured (A {msgs_a} msgs, B {msgs_b} msgs)")
            per_a, per_b = cpu_a / msgs_a, cpu_b / msgs_b
            ratios.append(per_b / per_a)
            print(f"pair {pair}: A {cpu_a / 1e6:,.1f} ms for {msgs_a:,} msgs ({per_a / 1e3:.2f} µs/msg), "
                  f"B {cpu_b / 1e6:,.1f} ms for {msgs_b:,} msgs ({per_b / 1e3:.2f} µs/msg): B/A {ratios[-1]:.3f}",
                  flush=True)
    print(f"B/A CPU per message: median {statistics.median(ratios):.3f} (min {min(ratios):.3f}, "
          f"max {max(ratios):.3f}) over {len(ratios)} pair(s)")
    return 0


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="scripts/ab-ws.sh",
        description="Compare the CPU per message of two tracker_ws builds run at the same time under the same load.",
        epilog="Two copies of one build (--b the same as --a) show the spread on this machine.")
    parser.add_argument("--a", required=True,
                        help="tracker_ws binary A (e.g. a copy of the build before), `reference` or `floor`")
    parser.add_argument("--b", required=True,
                        help="tracker_ws binary B, `reference` (the npm server) or `floor` (benchmarks/ws_floor_server)")
    parser.add_argument("--pairs", type=int, default=6, help="pairs of runs (the start order alternates)")
    parser.add_argument("--seconds", type=int, default=5, help="length of each measured window")
    parser.add_argument("--connections", type=int, default=3000, help="connections of each load_test")
    parser.add_argument("--offers", type=int, default=5, help="offers per announce")
    parser.add_argument("--message-interval-ms", type=int, default=1000,
                        help="each connection sends one message per interval")
    parser.add_argument("--sdp-bytes", type=int, default=1000, help="length of the sdp of each offer and answer")
    parser.add_argument("--torrents", type=int, default=100, help="torrents in the workload")
    parser.add_argument("--warmup-timeout", type=int, default=60,
                        help="seconds load_test waits for every connection to connect and announce once")
    parser.add_argument("--server-cores", default="0", help="taskset core list of both servers")
    parser.add_argument("--load-cores", default="1", help="taskset core list of both load_test runs")
    parser.add_argument("--tracker-config-extra", action="append", default=[], metavar="SECTION.KEY=VALUE",
                        help="a tracker_ws setting for both builds (repeatable)")
    parser.add_argument("--load-test", type=Path, default=DEFAULT_LOAD_TEST, help="load_test binary")
    parser.add_argument("--floor-server", type=Path, default=DEFAULT_FLOOR_SERVER, help="ws_floor_server binary (floor)")
    parser.add_argument("--floor-hold-us", type=int, default=0, metavar="US",
                        help="floor sleeps this long after each round of work, so that it takes what came in "
                             "meanwhile in one wake-up (0: it waits at once)")
    parser.add_argument("--node", default=shutil.which("node") or "/usr/bin/node", help="node binary (reference)")
    parser.add_argument("--reference-dir", type=Path, default=DEFAULT_REFERENCE_DIR,
                        help="directory with node_modules/bittorrent-tracker (reference)")
    parser.add_argument("--load-busy-poll", action="store_true",
                        help="load_test polls instead of sleeping (run.busy_poll): no server pays for waking it; "
                             "both load_test runs then share their core(s) by time slices")
    parser.add_argument("--tls", action="store_true",
                        help="wss:// instead of ws:// (a self-signed ECDSA P-256 certificate made with openssl)")
    parser.add_argument("--keep-temp", action="store_true", help="keep the configurations and logs")
    args = parser.parse_args(argv)
    require(parser, args.pairs >= 1, "--pairs must be at least 1")
    require(parser, 1 <= args.seconds <= 600, "--seconds must be from 1 to 600")
    require(parser, 1 <= args.connections <= 100000, "--connections must be from 1 to 100000")
    require(parser, 0 <= args.offers <= 100, "--offers must be from 0 to 100")
    require(parser, args.message_interval_ms >= 1, "--message-interval-ms must be at least 1")
    try:
        apply_extras({}, args.tracker_config_extra, ("network.",), "--tracker-config-extra")
    except ValueError as error:
        parser.error(str(error))
    binaries = [args.a, args.b, args.load_test] + ([args.floor_server] if FLOOR in (args.a, args.b) else [])
    for binary in binaries:
        if binary in NAMED_SERVERS:
            continue
        require(parser, Path(binary).is_file() and os.access(binary, os.X_OK), f"{binary} is not an executable file")
    if FLOOR in (args.a, args.b):
        require(parser, args.offers == 0, "floor relays nothing: use --offers 0")
        require(parser, not args.tls, "floor speaks ws:// only")
    require(parser, 0 <= args.floor_hold_us <= 1000000, "--floor-hold-us must be from 0 to 1000000")
    require(parser, args.floor_hold_us == 0 or FLOOR in (args.a, args.b), "--floor-hold-us needs floor as --a or --b")
    require(parser, not args.tls or shutil.which("openssl") is not None, "--tls: openssl not found")
    if REFERENCE in (args.a, args.b):
        require(parser, shutil.which(args.node) is not None, f"{args.node}: not found (install Node.js)")
        server_js = args.reference_dir / "node_modules/bittorrent-tracker/server.js"
        require(parser, server_js.is_file(),
                f"{server_js}: missing (scripts/ab-ws.sh installs it when --a or --b is `reference`)")
    return args


if __name__ == "__main__":
    sys.exit(bench_main(sys.argv[1:], parse_args, run))
