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
  msgs/s              all of them (sent + received). A server that keeps up reads or writes every
                      one; one that falls behind leaves what load_test sent piling up in its socket
                      buffers, unread, and those still count here.
  served msgs/s       the messages the server is known to have handled: each announce response,
                      scrape response and relayed answer twice (the request read, the reply
                      written), each relayed offer once (written; it came in an announce). Equal to
                      msgs/s while the server keeps up.
  CPU %               server CPU seconds (utime + stime of every thread) / wall seconds, sampled at
                      load_test's first and last per-second progress lines of the measured phase
                      (so the warm-up and the first second are left out); over the whole load_test
                      run when the measured phase is shorter than 2 s. 100 % is one core.
  of it kernel %      the part of that CPU time spent in the kernel (stime): system calls, TCP
                      on loopback (including the receiving side, which loopback runs in the
                      sender's context), waking the load generator and sleeping. Both servers pay
                      it for every message; it bounds the ratio a faster server can show.
  msgs/CPU-s          served msgs/s / (CPU % / 100): messages handled per second of server CPU.
  p50, p99 µs         announce latency (announce sent to its response), from load_test.
  peak RSS            VmHWM of the server after the run.
  RSS B/conn          (VmRSS at the last progress line of the measured phase, every connection
                      open - VmRSS before the load) * 1024 / connections the server took.
  load CPU %          load_test's CPU over the same window; near 100 % per load thread means the
                      load generator, not the server, is the limit.
"""

from __future__ import annotations

import argparse
import datetime
import functools
import json
import os
import re
import resource
import shutil
import socket
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench_common, from any working directory

from bench_common import (add_config_extra_options, add_housekeeping_options, add_output_options,
                          add_placement_options, add_servers_option, add_weight_options, apply_extras, bench_command,
                          bench_main, bench_workspace, BenchError, check_cores, check_executables, check_servers,
                          cpu_window_note, extras_header_lines, fmt, format_ratio, git_version, log, machine_info,
                          machine_log_line, markdown_table, median_of, metric_cells, metric_headers, pick_port,
                          placement_settings, port_is_free, print_json_results, ratio, render_toml, require, ROOT,
                          run_header_lines, run_load_test, run_tool, served_ws_messages, Server, server_cells,
                          server_order,
                          set_program_name, socket_inodes, sockets_on_port, tail, tool_version, warn,
                          warn_about_problems, warn_if_load_limited, write_markdown)

BUILD = Path(os.environ.get("RIPTIDE_BENCH_BUILD_DIR") or ROOT / "build/release")
DEFAULT_TRACKER_WS = BUILD / "tracker_ws/tracker_ws"
DEFAULT_LOAD_TEST = BUILD / "load_test/load_test"
DEFAULT_REFERENCE_DIR = BUILD / "bittorrent-tracker-ref"  # holds node_modules/bittorrent-tracker

RIPTIDE = "riptide"
REFERENCE = "reference"
SERVERS = (RIPTIDE, REFERENCE)
LABELS = {RIPTIDE: "tracker_ws", REFERENCE: "bittorrent-tracker (node)"}

WANTED_DESCRIPTORS = 65536

SENT_KINDS = ("announce", "answer", "scrape")
RECEIVED_KINDS = ("announce_response", "offer", "answer", "scrape_response")

# The reference server: started as `node SCRIPT SERVER_JS PORT [CERTIFICATE KEY]`; with a
# certificate and key it serves wss:// through node's https server, the way bittorrent-tracker's
# README has it done (the WebSocket server without one of its own, given the upgrades).
REFERENCE_SCRIPT = r"""// bittorrent-tracker WebSocket server for scripts/bench_ws.py; prints `ready` once listening.
import { pathToFileURL } from 'node:url'
import https from 'node:https'
import fs from 'node:fs'

const [serverJs, portText, certificatePath, keyPath] = process.argv.slice(2)
const { default: Server } = await import(pathToFileURL(serverJs).href)
const tls = certificatePath !== undefined
const server = new Server({ udp: false, http: false, ws: tls ? { noServer: true } : true, stats: false })
let warnings = 0
server.on('error', err => { console.error('error: ' + (err && err.message)) })
server.on('warning', err => {
  if (warnings++ < 10) console.error('warning: ' + (err && err.message))
})
if (tls) {
  const web = https.createServer({ cert: fs.readFileSync(certificatePath), key: fs.readFileSync(keyPath) })
  web.on('upgrade', (request, socket, head) => {
    server.ws.handleUpgrade(request, socket, head, ws => server.ws.emit('connection', ws, request))
  })
  web.on('error', err => { console.error('error: ' + (err && err.message)) })
  web.listen(Number(portText), '127.0.0.1', () => { console.log('ready') })
} else {
  server.on('listening', () => { console.log('ready') })
  server.listen(Number(portText), '127.0.0.1')
}
const stop = () => {
  console.error(`stopping (${warnings} warnings)`)
  try { server.close() } catch (e) {}
  process.exit(0)
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
"""

set_program_name("bench-ws")


# --------------------------------------------------------------------------------------------
# Descriptor limit, option lists


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
# Servers


def foreign_tcp_listeners(port: int, pid: int) -> set[int] | None:
    """Inodes of listening TCP sockets on port that are not pid's; None when pid's fds are unreadable."""
    listening = sockets_on_port(("/proc/net/tcp", "/proc/net/tcp6"), port, state="0A")
    ours = socket_inodes(pid)
    return None if ours is None else listening - ours


def tcp_connect_ok(port: int, deadline: float) -> bool:
    """Connects to 127.0.0.1:port until a connection is accepted or the deadline passes."""
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=max(0.01, min(0.5, deadline - time.monotonic()))):
                return True
        except OSError:
            time.sleep(0.02)
    return False


def make_certificate(certificate: Path, key: Path) -> None:
    """A self-signed ECDSA P-256 certificate for localhost and its key, made with openssl."""
    made = run_tool(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                     "-nodes", "-keyout", str(key), "-out", str(certificate), "-days", "2", "-subj", "/CN=localhost"])
    if made.returncode != 0:
        raise BenchError(f"openssl could not make a certificate:\n{made.stderr.strip()}")


class WsServer(Server):
    """Both print `ready` once they serve (the reference through REFERENCE_SCRIPT), then must accept
    a TCP connection."""

    probe_description = "accept a TCP connection"

    def answers_probe(self, deadline: float) -> bool:
        return tcp_connect_ok(self.port, deadline)

    def check_port_exclusive(self) -> None:
        foreign = foreign_tcp_listeners(self.port, self.pid)
        if foreign:
            raise self.failure(f"shares TCP port {self.port} with another listener (socket inodes "
                               f"{sorted(foreign)}): the load would not all reach the server under test")


# --------------------------------------------------------------------------------------------
# One measurement


def measure(server: Server, args, scenario: dict, load_config: Path, logs: Path, tag: str) -> dict:
    connections = scenario["connections"]
    load = run_load_test(server, "ws", load_config, args, logs, tag, args.warmup_timeout)
    report = load.report
    if not report.get("received_announce_response"):
        raise BenchError(f"load_test got no announce response from {server.name}\n  stderr:\n{tail(load.stderr_path)}")

    util = load.server_cpu
    baseline_kib, loaded_kib, peak_kib = load.baseline_rss_kib, load.loaded_rss_kib, load.peak_rss_kib
    sent = {k: float(report.get(f"sent_{k}_per_second", 0)) for k in SENT_KINDS}
    received = {k: float(report.get(f"received_{k}_per_second", 0)) for k in RECEIVED_KINDS}
    mps = sum(sent.values()) + sum(received.values())
    served = served_ws_messages(received)
    # Memory per connection is of those the server held: at capacity the reference takes fewer.
    held = (report.get("connected") or connections) - report.get("closed", 0) or connections
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
        "served_messages_per_second": served,
        **load.cpu_fields(),
        "messages_per_cpu_second": served / util if util > 0 else None,
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
        "bytes_per_connection": (loaded_kib - baseline_kib) * 1024 / held,
        "peak_bytes_per_connection": (peak_kib - baseline_kib) * 1024 / held,
        "failures": report.get("received_failure", 0),
        "malformed": report.get("malformed", 0),
        "dropped": report.get("dropped", 0),
        "unanswered": report.get("unanswered", 0),
        "missed": report.get("missed", 0),
    }
    if result["connected"] is not None and result["connected"] < connections:
        warn(f"{server.name} ({tag}): only {result['connected']} of {connections} connections connected")
    warn_about_problems(server.name, tag, result, report,
                        ("failures", "malformed", "dropped", "connect_failures", "closed"),
                        ("first_failure", "first_malformed"))
    requests = report.get("sent_announce", 0) + report.get("sent_scrape", 0)
    if requests and result["missed"] > 0.01 * requests:
        warn(f"{server.name} ({tag}): load_test missed {result['missed']:,} scheduled messages (sent {requests:,} "
             "announces and scrapes): it could not keep its schedule, so the load offered was below the one asked for")
    if requests and result["unanswered"] > 0.01 * requests:
        warn(f"{server.name} ({tag}): {result['unanswered']:,} of the {requests:,} announces and scrapes sent in the "
             "measured window were not answered in it: the server fell behind (see its latency) or dropped them")
    return result


# --------------------------------------------------------------------------------------------
# Output

# (key, header, format) of the table columns.
COLUMNS = [
    ("messages_per_second", "msgs/s", "{:,.0f}"),
    ("served_messages_per_second", "served msgs/s", "{:,.0f}"),
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
    ("server_kernel_percent", "of it kernel %", "{:.0f}"),
    ("messages_per_cpu_second", "msgs/CPU-s", "{:,.0f}"),
    ("peak_rss_mib", "peak RSS MiB", "{:.1f}"),
    ("bytes_per_connection", "RSS B/conn", "{:,.0f}"),
    ("failures", "failures", "{:.0f}"),
    ("malformed", "malformed", "{:.0f}"),
    ("dropped", "dropped", "{:.0f}"),
    ("closed", "closed", "{:.0f}"),
]


def rounds_table(runs: list[dict]) -> str:
    headers = ["scenario", "round", "server"] + metric_headers(COLUMNS)
    rows = [[run["scenario"], str(run["round"]), server] + metric_cells(run, COLUMNS)
            for run, server in zip(runs, server_cells(runs))]
    return markdown_table(headers, rows, 3)


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
    headers = ["scenario", "rounds", "server"] + metric_headers(COLUMNS)
    rows = [[s["scenario"], str(s["rounds"]), s["server"]] + metric_cells(s, COLUMNS) for s in summary]
    return markdown_table(headers, rows, 3)


RATIO_KEYS = [
    ("messages_per_second", "msgs/s"),
    ("served_messages_per_second", "served msgs/s"),
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
    headers = ["scenario"] + [h for _, h in RATIO_KEYS]
    rows = [[r["scenario"]] + [format_ratio(r[key]) for key, _ in RATIO_KEYS] for r in ratios]
    return markdown_table(headers, rows, 1)


def versions(args) -> dict:
    out = {}
    if RIPTIDE in args.servers:
        out["tracker_ws"] = tool_version(args.tracker_ws)
    out["load_test"] = tool_version(args.load_test)
    if REFERENCE in args.servers:
        result = run_tool([args.node, "--version"])
        out["node"] = "node " + (result.stdout.strip() or "unknown")
        try:
            package = json.loads((args.reference_dir / "node_modules/bittorrent-tracker/package.json").read_text())
            out["bittorrent-tracker"] = "bittorrent-tracker " + package.get("version", "unknown")
        except (OSError, json.JSONDecodeError):
            out["bittorrent-tracker"] = "bittorrent-tracker unknown"
    git = git_version()
    if git is not None:
        out["git"] = git
    return out


# --------------------------------------------------------------------------------------------
# Main


def parse_args(argv: list[str]):
    parser = argparse.ArgumentParser(
        prog=os.environ.get("RIPTIDE_BENCH_COMMAND", "bench_ws.py"),
        description="Compare tracker_ws with the npm bittorrent-tracker server under the same load_test ws workload.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    add_servers_option(parser, SERVERS)
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
    add_weight_options(parser)
    parser.add_argument("--sdp-bytes", type=int, default=1000, help="length of the sdp of each offer and answer")
    parser.add_argument("--tls", action="store_true",
                        help="wss:// instead of ws:// (a self-signed ECDSA P-256 certificate made with openssl)")
    parser.add_argument("--warmup-timeout", type=int, default=60,
                        help="seconds load_test waits for every connection to connect and announce once")
    add_placement_options(parser)
    add_config_extra_options(parser, "requests.max_scrape_hashes=1", "tracker_ws", "limits.max_outbound_messages=1024")
    add_output_options(parser)
    parser.add_argument("--port", type=int, default=0,
                        help="TCP port of the servers (0: a fresh free one per run, so no TIME_WAIT is reused)")
    parser.add_argument("--tracker-ws", type=Path, default=DEFAULT_TRACKER_WS, help="tracker_ws binary")
    parser.add_argument("--load-test", type=Path, default=DEFAULT_LOAD_TEST, help="load_test binary")
    parser.add_argument("--node", default=shutil.which("node") or "/usr/bin/node", help="node binary")
    parser.add_argument("--reference-dir", type=Path, default=DEFAULT_REFERENCE_DIR,
                        help="directory with node_modules/bittorrent-tracker (npm install --ignore-scripts bittorrent-tracker)")
    add_housekeeping_options(parser)
    args = parser.parse_args(argv)

    check = functools.partial(require, parser)
    check_servers(parser, args, SERVERS)
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
    check_cores(parser, args)
    # tracker_ws is needed even when only the reference runs: it validates its configuration (-P)
    # like always, so that a later comparison uses the same settings.
    check_executables(parser, (args.tracker_ws, args.load_test))
    if REFERENCE in args.servers:
        check(shutil.which(args.node) is not None, f"{args.node}: not found (install Node.js)")
        args.reference_server_js = args.reference_dir / "node_modules/bittorrent-tracker/server.js"
        check(args.reference_server_js.is_file(),
              f"{args.reference_server_js}: missing (cd {args.reference_dir} && npm install --ignore-scripts "
              "bittorrent-tracker)")
    check(shutil.which("taskset") is not None, "taskset not found (util-linux)")
    check(not args.tls or shutil.which("openssl") is not None, "--tls: openssl not found (Debian package openssl)")
    return args


def run(args, argv: list[str]) -> int:
    command = bench_command("python3 scripts/bench_ws.py", argv)
    most = max(args.connections_list)
    descriptors = raise_descriptor_limit(2 * most + 1000)
    if descriptors < most + 200:
        raise BenchError(f"the descriptor limit is {descriptors}; {most} connections need more than {most + 200} "
                         "(raise the hard limit: ulimit -Hn, or run as root)")
    machine = machine_info()
    machine["nofile_limit"] = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    tool_versions = versions(args)

    with bench_workspace("riptide-bench-ws-", args.keep_temp, "round*.stdout") as work:
        scenarios = [{"name": f"{c} conns, {o} offers", "connections": c, "offers": o}
                     for c in args.connections_list for o in args.offers_list]
        reference_script = work / "reference_server.mjs"
        reference_script.write_text(REFERENCE_SCRIPT)
        certificate, key = work / "certificate.pem", work / "key.pem"
        if args.tls:
            make_certificate(certificate, key)

        def load_config_for(scenario: dict, port: int) -> dict:
            config = {
                "target": {"address": "127.0.0.1", "port": port, "tls": args.tls},
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
            if args.tls:
                config["tls"] = {"enabled": True, "certificate_chain_path": str(certificate),
                                 "private_key_path": str(key)}
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

        log(f"{machine_log_line(machine)}, descriptor limit {descriptors}")
        servers = args.servers
        log(f"{args.rounds} round(s) × {len(scenarios)} scenario(s) × {len(servers)} server(s) "
            f"({', '.join(servers)}) × ({args.duration} s measured + warm-up); files in {work}")

        runs: list[dict] = []
        for round_number in range(1, args.rounds + 1):
            order = server_order(servers, round_number)
            for scenario in scenarios:
                for position, name in enumerate(order, start=1):
                    port = args.port or pick_port(socket.SOCK_STREAM)
                    if not port_is_free(port, socket.SOCK_STREAM):
                        raise BenchError(f"TCP port {port} is taken by someone else; retry or pass --port")
                    tag = f"round{round_number}-{scenario['connections']}c-{scenario['offers']}o-{name}"
                    load_path, riptide_path = write_configs(scenario, port, tag)
                    if name == RIPTIDE:
                        argv = [str(args.tracker_ws), "-c", str(riptide_path)]
                    else:
                        argv = [args.node, str(reference_script), str(args.reference_server_js), str(port)]
                        if args.tls:
                            argv += [str(certificate), str(key)]
                    server = WsServer(name, argv, args.server_cores, port, work, tag)
                    log(f"round {round_number}/{args.rounds}, {scenario['name']}: {name} ({position}/{len(order)})...")
                    result = measure(server, args, scenario, load_path, work, tag)
                    result.update(round=round_number, position=position)
                    runs.append(result)
                    log(f"  {result['messages_per_second']:,.0f} msgs/s ({result['served_messages_per_second']:,.0f} "
                        f"served), server CPU {result['cpu_percent']:.1f} %, "
                        f"announce p50/p99 {result['latency_us_p50']}/{result['latency_us_p99']} µs, "
                        f"peak RSS {result['peak_rss_mib']:.1f} MiB, {result['bytes_per_connection']:,.0f} B/conn, "
                        f"load CPU {fmt(result['load_cpu_percent'], '{:.1f}')} %")

        summary = summarise(runs, scenarios, servers)
        ratios = compute_ratios(summary, scenarios)

        server_capacity = 100 * len(args.server_cores_set)
        saturated = [r for r in runs if r["cpu_percent"] >= 0.9 * server_capacity]
        settings = {
            "servers": list(servers), "rounds": args.rounds, "duration_seconds": args.duration,
            "connections": args.connections_list, "offers": args.offers_list, "torrents": args.torrents,
            "message_interval_ms": args.message_interval_ms, "announce_weight": args.announce_weight,
            "scrape_weight": args.scrape_weight, "sdp_bytes": args.sdp_bytes, "tls": args.tls,
            "warmup_timeout_seconds": args.warmup_timeout,
            **placement_settings(args),
        }
        cpu_note = cpu_window_note(runs)

        header_lines = run_header_lines(machine, tool_versions, command) + [
            f"Workload: {'wss://' if args.tls else 'ws://'}, connections {', '.join(map(str, args.connections_list))} "
            f"× offers per announce "
            f"{', '.join(map(str, args.offers_list))}; {args.torrents:,} torrents, one message per connection every "
            f"{args.message_interval_ms} ms (announce:scrape {args.announce_weight}:{args.scrape_weight}), sdp "
            f"{args.sdp_bytes} B; {args.duration} s measured per run, {args.rounds} round(s); load_test "
            f"{args.load_threads} thread(s) on CPUs {args.load_cores}; "
            + ("servers" if len(servers) > 1 else "server") + f" on CPUs {args.server_cores}",
        ] + extras_header_lines(args, "tracker_ws")
        notes = (f"{cpu_note}; msgs/s = every message sent and received by load_test (sent: announce, answer, "
                 "scrape; received: announce response, relayed offer, relayed answer, scrape response), "
                 "counting what a server that falls behind leaves unread in its socket buffers; served msgs/s "
                 "= the messages the server is known to have handled (2 per announce response, scrape response "
                 "and relayed answer, 1 per relayed offer); of it kernel % = the share of the server's CPU spent "
                 "in the kernel (stime); msgs/CPU-s = served msgs/s ÷ server CPU; p50/p99 = announce latency; "
                 "RSS B/conn = (RSS with every connection open, at the last second of the measured phase − RSS "
                 "before the load) / connections it took.")

        text = "\n".join(header_lines) + "\n\n"
        text += "Per run:\n\n" + rounds_table(runs) + "\n\n"
        text += f"Medians over {args.rounds} round(s):\n\n" + summary_table(summary) + "\n\n"
        if ratios is not None:
            text += "riptide / reference (medians; > 1 is better for msgs/s, served msgs/s and msgs/CPU-s, < 1 for the others):\n\n"
            text += ratios_table(ratios) + "\n\n"
        text += f"Notes: {notes}\n"
        print(text, end="", flush=True)

        problems = [r for r in runs if r["failures"] or r["malformed"] or r["dropped"] or r["connect_failures"]
                    or r["closed"]]
        if problems:
            warn(f"{len(problems)} run(s) had failures, malformed messages, drops or closed connections (see the tables)")
        warn_if_load_limited(runs, args)
        if saturated:
            warn(f"in {len(saturated)} run(s) the server used ≥ 90 % of its CPUs: it could not keep up with the "
                 "offered load, so its served msgs/s is its capacity there")

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
            write_markdown(args.output, markdown)

        if args.json:
            print_json_results(machine, tool_versions, command, settings, cpu_note, runs, summary, ratios)
        return 0


if __name__ == "__main__":
    sys.exit(bench_main(sys.argv[1:], parse_args, run))
