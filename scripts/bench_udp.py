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
import functools
import os
import re
import secrets
import shutil
import socket
import struct
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
                          run_header_lines, run_load_test, run_tool, Server, server_cells, server_order,
                          set_program_name, socket_inodes, sockets_on_port, tail, tool_version, warn,
                          warn_about_problems, warn_if_load_limited, write_markdown)

DEFAULT_TRACKER_UDP = ROOT / "build/release/tracker_udp/tracker_udp"
DEFAULT_LOAD_TEST = ROOT / "build/release/load_test/load_test"

RIPTIDE = "riptide"
OPENTRACKER = "opentracker"
SERVERS = (RIPTIDE, OPENTRACKER)

LOAD_TEST_WARMUP_LIMIT = 120.0  # load_test gives up warming up after this long

PROTOCOL_ID = 0x41727101980

set_program_name("bench-udp")


# --------------------------------------------------------------------------------------------
# Servers


def foreign_udp_sockets(port: int, pid: int) -> set[int] | None:
    """Inodes of UDP sockets bound to port that are not pid's; None when pid's fds are unreadable."""
    bound = sockets_on_port(("/proc/net/udp", "/proc/net/udp6"), port)
    ours = socket_inodes(pid)
    return None if ours is None else bound - ours


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


class UdpServer(Server):
    """tracker_udp prints `ready` once it serves; both must answer a BEP 15 connect (opentracker
    prints nothing when ready). Only tracker_udp's exit code after SIGTERM is checked."""

    probe_description = "answer a BEP 15 connect"

    def prints_ready(self) -> bool:
        return self.name == RIPTIDE

    def exits_cleanly(self) -> bool:
        return self.name == RIPTIDE

    def answers_probe(self, deadline: float) -> bool:
        return bep15_connect_ok(self.port, deadline)

    def check_port_exclusive(self) -> None:
        foreign = foreign_udp_sockets(self.port, self.pid)
        if foreign:
            raise self.failure(f"shares UDP port {self.port} with another process (socket inodes "
                               f"{sorted(foreign)}): the load would not all reach the server under test")


# --------------------------------------------------------------------------------------------
# One measurement


def measure(server: Server, args, load_config: Path, logs: Path, tag: str) -> dict:
    load = run_load_test(server, "udp", load_config, args, logs, tag, LOAD_TEST_WARMUP_LIMIT)
    report = load.report
    if not report.get("responses"):
        raise BenchError(f"load_test got zero responses from {server.name}\n  stderr:\n{tail(load.stderr_path)}")

    util = load.server_cpu
    rps = float(report["responses_per_second"])
    result = {
        "server": server.name,
        "responses_per_second": rps,
        "announce_per_second": float(report.get("announce_per_second", 0)),
        "scrape_per_second": float(report.get("scrape_per_second", 0)),
        "connect_per_second": float(report.get("connect_per_second", 0)),
        **load.cpu_fields(),
        "responses_per_cpu_second": rps / util if util > 0 else None,
        "latency_us_p50": report["latency_us_p50"],
        "latency_us_p99": report["latency_us_p99"],
        "latency_us_p999": report["latency_us_p999"],
        "latency_us_max": report["latency_us_max"],
        "baseline_rss_kib": load.baseline_rss_kib,
        "peak_rss_kib": load.peak_rss_kib,
        "peak_rss_mib": load.peak_rss_kib / 1024,
        "bytes_per_peer": (load.peak_rss_kib - load.baseline_rss_kib) * 1024 / args.peers,
        "sent": report["sent"],
        "responses": report["responses"],
        "peers_per_announce": report.get("peers_per_announce"),
        "malformed": report["malformed"],
        "lost": report["lost"],
        "late": report.get("late", 0),
        "error_replies": report["error_replies"],
    }
    warn_about_problems(server.name, tag, result, report, ("malformed", "lost", "error_replies"),
                        ("first_error", "first_malformed"))
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


def rounds_table(runs: list[dict]) -> str:
    headers = ["round", "server"] + metric_headers(COLUMNS)
    rows = [[str(run["round"]), server] + metric_cells(run, COLUMNS) for run, server in zip(runs, server_cells(runs))]
    return markdown_table(headers, rows, 2)


def summarise(runs: list[dict], servers: tuple[str, ...]) -> dict[str, dict]:
    keys = [k for k, _, _ in COLUMNS] + ["latency_us_max", "load_cpu_percent", "cpu_percent_whole_run",
                                         "baseline_rss_kib", "peers_per_announce"]
    return {name: {key: median_of([r for r in runs if r["server"] == name], key) for key in keys}
            for name in servers}


def summary_table(summary: dict[str, dict]) -> str:
    headers = ["server", "rounds"] + metric_headers(COLUMNS)
    rows = [[name, str(summary[name]["rounds"])] + metric_cells(summary[name], COLUMNS) for name in summary]
    return markdown_table(headers, rows, 2)


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
    return ("riptide / opentracker (medians): "
            f"responses/s {format_ratio(ratios['responses_per_second'])}, "
            f"responses per CPU-second {format_ratio(ratios['responses_per_cpu_second'])}, "
            f"RSS bytes/peer {format_ratio(ratios['bytes_per_peer'])} (lower is leaner)")


def versions(args) -> dict:
    out = {}
    if RIPTIDE in args.servers:
        out["tracker_udp"] = tool_version(args.tracker_udp)
    out["load_test"] = tool_version(args.load_test)
    if OPENTRACKER in args.servers:
        opentracker = "unknown"
        if shutil.which("dpkg-query"):
            result = run_tool(["dpkg-query", "-W", "-f=${Version}", "opentracker"])
            if result.returncode == 0 and result.stdout.strip():
                opentracker = "opentracker " + result.stdout.strip() + " (Debian package)"
        out["opentracker"] = opentracker
    git = git_version()
    if git is not None:
        out["git"] = git
    return out


# --------------------------------------------------------------------------------------------
# Main


def parse_args(argv: list[str]):
    parser = argparse.ArgumentParser(
        prog=os.environ.get("RIPTIDE_BENCH_COMMAND", "bench_udp.py"),
        description="Compare tracker_udp with opentracker under the same load_test workload.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    add_servers_option(parser, SERVERS)
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds; each measures every chosen server, alternating order")
    parser.add_argument("--duration", type=int, default=10, help="measured seconds per load_test run (after warm-up)")
    parser.add_argument("--torrents", type=int, default=100000, help="torrents in the workload")
    parser.add_argument("--peers", type=int, default=400000, help="peers in the workload")
    add_weight_options(parser)
    parser.add_argument("--riptide-workers", default="1,1", metavar="SOCKET,REQUEST",
                        help="tracker_udp socket and request workers")
    parser.add_argument("--opentracker-udp-workers", type=int, default=None, metavar="N",
                        help="opentracker listen.udp.workers (default: not set, opentracker's own default)")
    add_placement_options(parser)
    add_config_extra_options(parser, "run.sockets_per_thread=16", "tracker_udp", "protocol.receive_batch=32")
    add_output_options(parser)
    parser.add_argument("--port", type=int, default=0, help="UDP port of the servers (0: a free one)")
    parser.add_argument("--tracker-udp", type=Path, default=DEFAULT_TRACKER_UDP, help="tracker_udp binary")
    parser.add_argument("--load-test", type=Path, default=DEFAULT_LOAD_TEST, help="load_test binary")
    parser.add_argument("--opentracker", default=shutil.which("opentracker") or "/usr/bin/opentracker",
                        help="opentracker binary")
    add_housekeeping_options(parser)
    args = parser.parse_args(argv)

    check = functools.partial(require, parser)
    check_servers(parser, args, SERVERS)
    check(args.rounds >= 1, "--rounds must be at least 1")
    check(1 <= args.duration <= 3600, "--duration must be 1..3600 seconds")
    check(args.torrents >= 1 and args.peers >= 1, "--torrents and --peers must be at least 1")
    check(args.announce_weight >= 0 and args.scrape_weight >= 0, "weights must not be negative")
    check(1 <= args.load_threads <= 256, "--load-threads must be 1..256")
    check(0 <= args.port <= 65535, "--port must be 0..65535")
    match = re.fullmatch(r"\s*(\d+)\s*,\s*(\d+)\s*", args.riptide_workers)
    check(match is not None, "--riptide-workers must be SOCKET,REQUEST, e.g. 1,1")
    args.socket_workers, args.request_workers = int(match.group(1)), int(match.group(2))
    check_cores(parser, args)
    # tracker_udp is needed even when only opentracker runs: it validates its configuration (-P)
    # like always, so that a later comparison uses the same settings.
    check_executables(parser, (args.tracker_udp, args.load_test))
    if OPENTRACKER in args.servers:
        check(shutil.which(args.opentracker) is not None, f"{args.opentracker}: not found (install opentracker)")
    check(shutil.which("taskset") is not None, "taskset not found (util-linux)")
    return args


def run(args, argv: list[str]) -> int:
    command = bench_command("python3 scripts/bench_udp.py", argv)
    machine = machine_info()
    tool_versions = versions(args)

    with bench_workspace("riptide-bench-udp-", args.keep_temp, "round*") as work:
        os.chmod(work, 0o755)  # opentracker reads the whitelist as nobody
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

        log(machine_log_line(machine))
        servers = args.servers
        log(f"{args.rounds} round(s) × {len(servers)} server(s) ({', '.join(servers)}) × ({args.duration} s "
            f"measured + warm-up of {args.peers} peers); files in {work}")

        runs: list[dict] = []
        for round_number in range(1, args.rounds + 1):
            order = server_order(servers, round_number)
            for position, name in enumerate(order, start=1):
                if not port_is_free(udp_port, socket.SOCK_DGRAM):
                    raise BenchError(f"UDP port {udp_port} is taken by someone else; retry or pass --port")
                write_server_configs(pick_port(socket.SOCK_STREAM))
                tag = f"round{round_number}-{name}"
                if name == RIPTIDE:
                    argv = [str(args.tracker_udp), "-c", str(riptide_config_path)]
                else:
                    argv = [args.opentracker, "-f", str(opentracker_config_path)]
                server = UdpServer(name, argv, args.server_cores, udp_port, work, tag)
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

        settings = {
            "servers": list(servers), "rounds": args.rounds, "duration_seconds": args.duration, "torrents": args.torrents, "peers": args.peers,
            "announce_weight": args.announce_weight, "scrape_weight": args.scrape_weight,
            "riptide_socket_workers": args.socket_workers, "riptide_request_workers": args.request_workers,
            "opentracker_udp_workers": args.opentracker_udp_workers,
            **placement_settings(args),
        }
        cpu_note = cpu_window_note(runs)

        header_lines = run_header_lines(machine, tool_versions, command) + [
            f"Workload: {args.torrents:,} torrents, {args.peers:,} peers, announce:scrape {args.announce_weight}:"
            f"{args.scrape_weight}, {args.duration} s measured per run, {args.rounds} round(s), load_test "
            f"{args.load_threads} thread(s) on CPUs {args.load_cores}; "
            + ("servers" if len(servers) > 1 else "server") + f" on CPUs {args.server_cores}"
            + (f"; tracker_udp workers {args.socket_workers} socket + {args.request_workers} request"
               if RIPTIDE in servers else "")
            + (f"; opentracker listen.udp.workers {args.opentracker_udp_workers}"
               if OPENTRACKER in servers and args.opentracker_udp_workers is not None else ""),
        ] + extras_header_lines(args, "tracker_udp")

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
        warn_if_load_limited(runs, args)

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
            write_markdown(args.output, markdown)

        if args.json:
            print_json_results(machine, tool_versions, command, settings, cpu_note, runs, summary, ratios)
        return 0


if __name__ == "__main__":
    sys.exit(bench_main(sys.argv[1:], parse_args, run))
