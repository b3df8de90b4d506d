"""What scripts/bench_udp.py and scripts/bench_ws.py share. Standard library only.

Both benchmarks start a tracker pinned to some CPUs, drive it with load_test pinned to others,
read the tracker's CPU time and memory from /proc and print markdown tables of the results. This
module holds the parts that do not depend on the protocol:

- messages on stderr (prefixed with the program name) and the BenchError that ends a benchmark;
- the processes a benchmark started, stopped on exit by PID only;
- /proc readings (CPU ticks, VmRSS / VmHWM, socket inodes), CPU lists, free ports;
- TOML configuration files written from dicts, with SECTION.KEY=VALUE extras;
- Server, the tracker under test (a protocol subclasses it for its readiness probe);
- run_load_test, one load_test run against a server it starts and stops, with CPU sampled over
  the measured phase;
- the command-line options and checks both scripts have, the run's header lines, markdown tables,
  medians, ratios, machine and version information, the JSON line, and bench_main().
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import platform
import random
import re
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
from typing import Callable, Iterator

ROOT = Path(__file__).resolve().parent.parent

SERVER_START_TIMEOUT = 15.0  # seconds until a server must be ready and answer its probe
SERVER_STOP_TIMEOUT = 10.0  # seconds after SIGTERM before SIGKILL
LOAD_TEST_MARGIN = 60.0  # on top of warm-up limit + duration: drain, start-up, exit
TOOL_TIMEOUT = 120.0  # load_test -P / --print-info-hashes, tracker -P, version queries

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
MEASURE_LINE = re.compile(r"^load_test: measure\s")


class BenchError(Exception):
    """A failure that makes the benchmark meaningless: reported, then exit 1."""


# --------------------------------------------------------------------------------------------
# Messages on stderr

_program = "bench"


def set_program_name(name: str) -> None:
    """The prefix of every message on stderr, e.g. bench-udp."""
    global _program
    _program = name


def log(message: str) -> None:
    print(f"{_program}: {message}", file=sys.stderr, flush=True)


def warn(message: str) -> None:
    print(f"{_program}: WARNING: {message}", file=sys.stderr, flush=True)


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


@contextlib.contextmanager
def bench_workspace(prefix: str, keep: bool, failure_logs: str) -> Iterator[Path]:
    """A temporary directory for the configurations and logs of one benchmark. On leaving it,
    every process still running is stopped and the directory removed, unless keep is set or a
    failure left logs matching the glob failure_logs (they explain it)."""
    work = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield work
    except KeyboardInterrupt:
        raise
    except BaseException:
        keep = keep or any(work.glob(failure_logs))
        raise
    finally:
        stop_all()
        if keep:
            log(f"configurations and logs kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


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
# /proc


def cpu_ticks_split(pid: int) -> tuple[int, int]:
    """(utime, stime) of every thread of pid, in clock ticks."""
    with open(f"/proc/{pid}/stat", "rb") as f:
        text = f.read().decode()
    fields = text[text.rindex(")") + 2 :].split()  # fields[0] is field 3 (state)
    return int(fields[11]), int(fields[12])  # fields 14 and 15


def cpu_ticks(pid: int) -> int:
    """utime + stime of every thread of pid, in clock ticks."""
    return sum(cpu_ticks_split(pid))


def status_kib(pid: int, key: str) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise BenchError(f"no {key} in /proc/{pid}/status")


def socket_inodes(pid: int) -> set[int] | None:
    """Inodes of the sockets pid holds open; None when its fds are unreadable."""
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


def sockets_on_port(tables: tuple[str, ...], port: int, state: str | None = None) -> set[int]:
    """Inodes of the sockets on local port in /proc/net tables (e.g. /proc/net/udp), only those in
    state (hex, e.g. 0A for a listening TCP socket) when given."""
    found: set[int] = set()
    for table in tables:
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if (len(fields) > 9 and (state is None or fields[3] == state)
                    and int(fields[1].rsplit(":", 1)[1], 16) == port and fields[9] != "0"):
                found.add(int(fields[9]))
    return found


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
# Ports


def free_port(kind: int) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_is_free(port: int, kind: int) -> bool:
    with socket.socket(socket.AF_INET, kind) as s:
        if kind == socket.SOCK_STREAM:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def pick_port(kind: int) -> int:
    """A free port (kind: socket.SOCK_DGRAM or SOCK_STREAM) below the ephemeral range, so neither
    a process binding port 0 nor a connection's local port lands on it between runs."""
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


# --------------------------------------------------------------------------------------------
# Servers


class Server:
    """A tracker under test, pinned with taskset: started, checked to serve on 127.0.0.1:port alone,
    stopped with SIGTERM. A protocol subclasses it for how a server shows that it serves."""

    probe_description = "answer"  # what start() waits for, as in "did not answer on 127.0.0.1:PORT"

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

    def prints_ready(self) -> bool:
        """Whether this server prints a line `ready` once it serves."""
        return True

    def exits_cleanly(self) -> bool:
        """Whether this server exits with 0 on SIGTERM (another code is then worth a warning)."""
        return True

    def answers_probe(self, deadline: float) -> bool:
        """Whether the server answers on its port before the deadline."""
        raise NotImplementedError

    def check_port_exclusive(self) -> None:
        """Raises when another process shares the server's port."""
        raise NotImplementedError

    def failure(self, what: str) -> BenchError:
        return BenchError(f"{self.name} {what}\n  command: {shlex.join(self.argv)}\n"
                          f"  stdout ({self.stdout_path}):\n{tail(self.stdout_path)}\n"
                          f"  stderr ({self.stderr_path}):\n{tail(self.stderr_path)}")

    def start(self) -> None:
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.process = spawn(self.argv, stdout=out, stderr=err)
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        if self.prints_ready():
            self.wait_for_ready_line(deadline)
        if not self.answers_probe(deadline):
            if self.process.poll() is not None:
                raise self.failure(f"exited with {self.process.returncode} before it was ready")
            raise self.failure(f"did not {self.probe_description} on 127.0.0.1:{self.port} "
                               f"within {SERVER_START_TIMEOUT:.0f} s")
        if self.process.poll() is not None:
            raise self.failure(f"exited with {self.process.returncode} right after starting")
        self.check_port_exclusive()

    def wait_for_ready_line(self, deadline: float) -> None:
        assert self.process is not None
        while True:
            if self.process.poll() is not None:
                raise self.failure(f"exited with {self.process.returncode} before it was ready")
            if re.search(r"^ready$", self.stdout_path.read_text(errors="replace"), re.M):
                return
            if time.monotonic() > deadline:
                raise self.failure(f"did not print `ready` within {SERVER_START_TIMEOUT:.0f} s")
            time.sleep(0.02)

    def stop(self) -> None:
        assert self.process is not None
        code, killed = stop(self.process)
        if killed:
            warn(f"{self.name} (PID {self.pid}) ignored SIGTERM for {SERVER_STOP_TIMEOUT:.0f} s; killed")
        elif self.exits_cleanly() and code != 0:
            warn(f"{self.name} exited with {code} after SIGTERM\n{tail(self.stderr_path)}")


# --------------------------------------------------------------------------------------------
# One load_test run


@dataclasses.dataclass
class LoadRun:
    """What one load_test run against a server measured."""

    report: dict  # load_test's JSON summary (the last line it printed)
    stderr_path: Path  # load_test's progress lines and diagnostics
    baseline_rss_kib: int  # server VmRSS before the load
    loaded_rss_kib: int  # server VmRSS at the last progress line of the measured phase (peak without one)
    peak_rss_kib: int  # server VmHWM after the load
    server_cpu: float  # server CPU seconds per wall second over cpu_window (1.0: one core)
    load_cpu: float | None  # load_test's, over the same window; None when cpu_window is the whole run
    server_cpu_whole_run: float  # server CPU seconds per wall second over the whole load_test run
    cpu_window: str  # "measured" (the measured phase from its 2nd second) or "whole run"
    server_kernel_share: float | None  # of the server's CPU over cpu_window, the part in the kernel (stime)

    def cpu_fields(self) -> dict:
        """The CPU entries of a result, in percent (100: one core)."""
        return {
            "cpu_percent": self.server_cpu * 100,
            "cpu_window": self.cpu_window,
            "cpu_percent_whole_run": self.server_cpu_whole_run * 100,
            "load_cpu_percent": None if self.load_cpu is None else self.load_cpu * 100,
            "server_kernel_percent": None if self.server_kernel_share is None else self.server_kernel_share * 100,
        }


def run_load_test(server: Server, protocol: str, load_config: Path, args, logs: Path, tag: str,
                  warmup_limit: float) -> LoadRun:
    """Starts server, runs `load_test PROTOCOL` against it (pinned to args.load_cores) and stops it;
    load_test must finish within warmup_limit + args.duration + LOAD_TEST_MARGIN seconds. CPU and
    VmRSS are sampled at load_test's progress lines of the measured phase."""
    server.start()
    pid = server.pid
    baseline_kib = status_kib(pid, "VmRSS")

    load_argv = ["taskset", "-c", args.load_cores, str(args.load_test), protocol, "-c", str(load_config), "--json"]
    stdout_path = logs / f"{tag}.load_test.stdout"
    stderr_path = logs / f"{tag}.load_test.stderr"
    # (monotonic, server ticks, load_test ticks, server VmRSS KiB, server kernel ticks)
    samples: list[tuple[float, int, int, int, int]] = []

    with open(stdout_path, "wb") as out:
        start_wall = time.monotonic()
        start_ticks = cpu_ticks(pid)
        load = spawn(load_argv, stdout=out, stderr=subprocess.PIPE)
        reader = threading.Thread(target=_record_progress, args=(load, pid, stderr_path, samples, args.verbose),
                                  daemon=True)
        reader.start()
        limit = warmup_limit + args.duration + LOAD_TEST_MARGIN
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
    report = read_load_report(stdout_path, server.name)

    whole_util = (end_ticks - start_ticks) / CLOCK_TICKS / max(end_wall - start_wall, 1e-9)
    util, load_util, cpu_window = cpu_over_samples(samples, whole_util)
    kernel_share = None
    if cpu_window == "measured" and samples[-1][1] > samples[0][1]:
        kernel_share = (samples[-1][4] - samples[0][4]) / (samples[-1][1] - samples[0][1])
    return LoadRun(report=report, stderr_path=stderr_path, baseline_rss_kib=baseline_kib,
                   loaded_rss_kib=samples[-1][3] if samples else peak_kib, peak_rss_kib=peak_kib,
                   server_cpu=util, load_cpu=load_util, server_cpu_whole_run=whole_util, cpu_window=cpu_window,
                   server_kernel_share=kernel_share)


def read_load_report(stdout_path: Path, server_name: str) -> dict:
    """load_test's JSON summary: the last line it printed."""
    lines = [l for l in stdout_path.read_text().splitlines() if l.strip()]
    try:
        return json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        raise BenchError(f"load_test against {server_name} printed no JSON summary ({stdout_path})")


def cpu_over_samples(samples: list[tuple[float, int, int, int, int]],
                     whole_util: float) -> tuple[float, float | None, str]:
    """(server CPU, load_test CPU, window) in CPU seconds per wall second between the first and the
    last progress sample; (whole_util, None, "whole run") when they span less than half a second."""
    if len(samples) >= 2 and samples[-1][0] - samples[0][0] >= 0.5:
        window = samples[-1][0] - samples[0][0]
        util = (samples[-1][1] - samples[0][1]) / CLOCK_TICKS / window
        load_util = (samples[-1][2] - samples[0][2]) / CLOCK_TICKS / window
        return util, load_util, "measured"
    return whole_util, None, "whole run"


def _record_progress(load: subprocess.Popen, pid: int, stderr_path: Path,
                     samples: list[tuple[float, int, int, int, int]], verbose: bool) -> None:
    """Copies load_test's stderr to stderr_path (and to ours when verbose), sampling the server's
    and load_test's CPU and the server's VmRSS at every progress line of the measured phase."""
    with open(stderr_path, "w") as err:
        for raw in load.stderr:
            line = raw.decode(errors="replace")
            if MEASURE_LINE.match(line):
                try:
                    user, kernel = cpu_ticks_split(pid)
                    samples.append((time.monotonic(), user + kernel, cpu_ticks(load.pid), status_kib(pid, "VmRSS"),
                                    kernel))
                except (OSError, ValueError, BenchError):
                    pass
            err.write(line)
            err.flush()
            if verbose:
                sys.stderr.write("    " + line)


def served_ws_messages(received: dict[str, float]) -> float:
    """What a WebTorrent tracker handled, from what `load_test ws` received (keys as in its JSON
    summary: announce_response, offer, answer, scrape_response): a response or a relayed answer
    stands for a request read and a reply written, a relayed offer for a message written. Messages
    sent that a server fell behind on and left unread do not count."""
    return (2 * (received.get("announce_response", 0) + received.get("scrape_response", 0) + received.get("answer", 0))
            + received.get("offer", 0))


def warn_about_problems(server_name: str, tag: str, result: dict, report: dict, problem_keys: tuple[str, ...],
                        detail_keys: tuple[str, ...]) -> None:
    """Warns when any of result's problem_keys is not zero, with report's detail_keys that are set."""
    problems = [f"{k} {result[k]}" for k in problem_keys if result[k]]
    if problems:
        detail = "; ".join(f"{k}: {report[k]}" for k in detail_keys if report.get(k))
        warn(f"{server_name} ({tag}): " + ", ".join(problems) + (f" ({detail})" if detail else ""))


# --------------------------------------------------------------------------------------------
# Results


def server_order(servers: tuple[str, ...], round_number: int) -> tuple[str, ...]:
    """Odd rounds measure the servers in the order given, even rounds in reverse."""
    return servers if round_number % 2 == 1 else tuple(reversed(servers))


def load_limited_runs(runs: list[dict], args) -> list[dict]:
    """The runs in which load_test used at least 90 % of the CPU it could use."""
    load_capacity = 100 * min(args.load_threads, len(args.load_cores_set))  # CPU % load_test can use
    return [r for r in runs if r["load_cpu_percent"] is not None and r["load_cpu_percent"] >= 0.9 * load_capacity]


def warn_if_load_limited(runs: list[dict], args) -> None:
    load_limited = load_limited_runs(runs, args)
    if load_limited:
        warn(f"in {len(load_limited)} run(s) load_test used ≥ 90 % of its CPUs: the load generator may be "
             "the limit, not the server (more --load-threads / --load-cores?)")


def cpu_window_note(runs: list[dict]) -> str:
    return ("server CPU % is sampled over the measured phase (from its 2nd second); 100 % = one core"
            if all(r["cpu_window"] == "measured" for r in runs)
            else "server CPU % covers the whole load_test run, warm-up included (measured phase < 2 s)")


def placement_settings(args) -> dict:
    """The settings both benchmarks record about CPUs and extras, for the JSON line."""
    return {
        "server_cores": args.server_cores, "load_cores": args.load_cores, "load_threads": args.load_threads,
        "load_config_extra": args.load_config_extra, "riptide_config_extra": args.riptide_config_extra,
    }


def machine_log_line(machine: dict) -> str:
    return (f"machine: {machine['nproc']} CPUs, {machine['cpu_model']}, {machine['kernel']}, "
            f"load average {machine['loadavg_at_start']}")


def run_header_lines(machine: dict, tool_versions: dict, command: str) -> list[str]:
    """The Machine, Versions and Command lines that head the printed and markdown results."""
    return [
        f"Machine: {machine['nproc']} CPUs available ({machine['cpu_count']} online), {machine['cpu_model']}, "
        f"{machine['kernel']}; load average at start {machine['loadavg_at_start']}",
        "Versions: " + ", ".join(f"{v}" for k, v in tool_versions.items() if k != "git")
        + (f"; git {tool_versions['git']}" if "git" in tool_versions else ""),
        f"Command: {command}",
    ]


def extras_header_lines(args, tracker: str) -> list[str]:
    """Header lines naming the --load-config-extra and --riptide-config-extra settings, if any."""
    lines = []
    if args.load_config_extra:
        lines.append("load_test extras: " + ", ".join(args.load_config_extra))
    if args.riptide_config_extra:
        lines.append(f"{tracker} extras: " + ", ".join(args.riptide_config_extra))
    return lines


def print_json_results(machine: dict, tool_versions: dict, command: str, settings: dict, cpu_note: str,
                       runs: list[dict], summary, ratios) -> None:
    """Prints every result as one JSON line (--json)."""
    print(json.dumps({"machine": machine, "versions": tool_versions, "command": command,
                      "settings": settings, "cpu_window": cpu_note, "runs": runs, "summary": summary,
                      "ratios": ratios}, separators=(",", ":")))


def write_markdown(path: Path, markdown: str) -> None:
    path.write_text(markdown)
    log(f"wrote {path}")


# --------------------------------------------------------------------------------------------
# Tables


def fmt(value, pattern: str) -> str:
    return "–" if value is None else pattern.format(value)


def format_ratio(value) -> str:
    return "–" if value is None else f"{value:.2f}×"


def markdown_table(headers: list[str], rows: list[list[str]], text_columns: int) -> str:
    """A markdown table; the first text_columns columns are left-aligned, the others right-aligned."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    def line(cells):
        return "| " + " | ".join(c.ljust(w) if i < text_columns else c.rjust(w)
                                 for i, (c, w) in enumerate(zip(cells, widths))) + " |"
    separator = "|" + "|".join(("-" * (w + 2)) if i < text_columns else ("-" * (w + 1) + ":")
                               for i, w in enumerate(widths)) + "|"
    return "\n".join([line(headers), separator] + [line(r) for r in rows])


def metric_headers(columns: list[tuple[str, str, str]]) -> list[str]:
    """Headers of the (key, header, format) columns, then load CPU %."""
    return [h for _, h, _ in columns] + ["load CPU %"]


def metric_cells(values: dict, columns: list[tuple[str, str, str]]) -> list[str]:
    """values formatted for the (key, header, format) columns, then load CPU %."""
    return [fmt(values[k], f) for k, _, f in columns] + [fmt(values["load_cpu_percent"], "{:.1f}")]


def server_cells(runs: list[dict]) -> list[str]:
    """The server column of the per-round table: with its position in the round when several ran."""
    alone = len({run["server"] for run in runs}) == 1
    return [run["server"] if alone else f"{run['server']} ({'1st' if run['position'] == 1 else '2nd'})"
            for run in runs]


def median_of(runs: list[dict], key: str):
    values = [r[key] for r in runs if r.get(key) is not None]
    return statistics.median(values) if values else None


def ratio(a, b):
    return a / b if a is not None and b not in (None, 0) else None


# --------------------------------------------------------------------------------------------
# Machine and versions


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


def tool_version(binary: Path) -> str:
    """What `BINARY -V` prints (our own tools)."""
    return run_tool([str(binary), "-V"]).stdout.strip() or "unknown"


def git_version() -> str | None:
    """The short HEAD of this checkout, marked when it has uncommitted changes; None without git."""
    if not shutil.which("git"):
        return None
    head = run_tool(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
    if head.returncode != 0:
        return None
    dirty = run_tool(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"])
    return head.stdout.strip() + (" (uncommitted changes)" if dirty.stdout.strip() else "")


# --------------------------------------------------------------------------------------------
# Command line


def bench_command(default: str, argv: list[str]) -> str:
    """How the benchmark was invoked, for the results: RIPTIDE_BENCH_COMMAND (or default) and argv."""
    # The program part may hold a space ("python3 scripts/bench_udp.py"): quote only the arguments.
    return " ".join([os.environ.get("RIPTIDE_BENCH_COMMAND", default)] + ([shlex.join(argv)] if argv else []))


def add_servers_option(parser: argparse.ArgumentParser, servers: tuple[str, ...]) -> None:
    parser.add_argument("--servers", default=",".join(servers), metavar="NAME[,NAME]",
                        help=f"servers to measure, comma-separated: {' and/or '.join(servers)} "
                             "(ratios only when both run)")


def add_weight_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--announce-weight", type=int, default=90, help="relative weight of announces")
    parser.add_argument("--scrape-weight", type=int, default=10, help="relative weight of scrapes")


def add_placement_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--server-cores", default="0", help="taskset -c list for the servers")
    parser.add_argument("--load-cores", default="1", help="taskset -c list for load_test")
    parser.add_argument("--load-threads", type=int, default=1, help="load_test run.threads")


def add_config_extra_options(parser: argparse.ArgumentParser, load_example: str, tracker: str,
                             tracker_example: str) -> None:
    parser.add_argument("--load-config-extra", action="append", default=[], metavar="SECTION.KEY=VALUE",
                        help=f"any other load_test setting (repeatable), e.g. {load_example}")
    parser.add_argument("--riptide-config-extra", action="append", default=[], metavar="SECTION.KEY=VALUE",
                        help=f"any other {tracker} setting (repeatable), e.g. {tracker_example}")


def add_output_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="also print the results as one JSON line at the end")
    parser.add_argument("--output", type=Path, metavar="FILE", help="also write the results as markdown to FILE")


def add_housekeeping_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--keep-temp", action="store_true", help="keep the configurations and logs (kept on failure anyway)")
    parser.add_argument("-v", "--verbose", action="store_true", help="show load_test progress")


def require(parser: argparse.ArgumentParser, condition: bool, message: str) -> None:
    """Ends with a usage error (exit 2) unless condition holds."""
    if not condition:
        parser.error(message)


def check_servers(parser: argparse.ArgumentParser, args, servers: tuple[str, ...]) -> None:
    """Turns args.servers (comma-separated names) into a tuple of known servers in the order of servers."""
    chosen = [name.strip().lower() for name in args.servers.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in servers]
    require(parser, not unknown, f"--servers: unknown server(s) {', '.join(unknown)}; choose from {', '.join(servers)}")
    require(parser, bool(chosen), f"--servers: name at least one of {', '.join(servers)}")
    args.servers = tuple(name for name in servers if name in chosen)  # canonical order, no duplicates


def check_cores(parser: argparse.ArgumentParser, args) -> None:
    """Checks --server-cores and --load-cores, sets args.server_cores_set and args.load_cores_set."""
    available = os.sched_getaffinity(0)
    for option, text in (("--server-cores", args.server_cores), ("--load-cores", args.load_cores)):
        try:
            cores = parse_cpu_list(text)
        except ValueError as error:
            parser.error(f"{option}: {error}")
        require(parser, cores <= available,
                f"{option} {text}: not all of these CPUs are available ({sorted(available)})")
        setattr(args, option[2:].replace("-", "_") + "_set", cores)
    if args.server_cores_set & args.load_cores_set:
        warn("--server-cores and --load-cores overlap: server and load generator share CPUs")


def check_executables(parser: argparse.ArgumentParser, paths: tuple[Path, ...]) -> None:
    for path in paths:
        require(parser, path.is_file() and os.access(path, os.X_OK), f"{path}: not an executable (build it first)")


def bench_main(argv: list[str], parse_args: Callable[[list[str]], argparse.Namespace],
               run: Callable[[argparse.Namespace, list[str]], int]) -> int:
    """Parses argv, runs the benchmark with SIGTERM and SIGHUP treated as Ctrl-C; the exit code:
    0, 1 when a BenchError ended it, 130 when interrupted."""
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _on_sigterm)
    signal.signal(signal.SIGHUP, _on_sigterm)
    try:
        return run(args, argv)
    except BenchError as error:
        print(f"{_program}: FAILED: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{_program}: interrupted", file=sys.stderr)
        return 130
