#!/usr/bin/python3
"""Real-client test: libtorrent peers meet through the UDP tracker and transfer a file.

Usage: libtorrent_swarm_test.py TRACKER_BINARY [--family ipv4|ipv6|both]

Starts TRACKER_BINARY with a temporary config (port 0), waits for its `ready` line, then for
each family: creates a random file and a v1 torrent whose only tracker is
udp://ADDR:PORT/announce, starts a seeder session and a leecher session listening on the
loopback address of that family, and waits until the leecher is a seed. DHT, LSD, UPnP,
NAT-PMP and the default plugins (ut_pex) are off and no peer is added by hand, so the tracker
is the only way the peers can meet. Checks that the file is byte-identical, that both peers got
tracker replies and no tracker errors, and that the tracker exits with 0 on SIGTERM.

Exit status: 0 on success, 1 on any failure (including python3-libtorrent missing: it is
installed by scripts/install-deps.sh, so its absence is an error, not a skip).
Run it with /usr/bin/python3: python3-libtorrent is installed for the system Python only.
"""

import argparse
import os
import queue
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time

try:
    import libtorrent as lt
except ImportError as exc:  # fail, do not skip
    print(f"FAIL: cannot import libtorrent ({exc}); install python3-libtorrent "
          f"(scripts/install-deps.sh) and run with /usr/bin/python3 (running {sys.executable})")
    sys.exit(1)

READY_TIMEOUT_S = 20.0
SWARM_TIMEOUT_S = 60.0
SEEDER_ANNOUNCE_TIMEOUT_S = 20.0
TRACKER_STOP_TIMEOUT_S = 10.0
POLL_S = 0.05
FILE_SIZE = 3 * 1024 * 1024 + 12345  # not a multiple of the piece size: last piece is short
PIECE_SIZE = 64 * 1024

FAMILIES = {
    # family: (tracker host in the URL, loopback listen interface, stdout socket name)
    "ipv4": ("127.0.0.1", "127.0.0.1", "udp4"),
    "ipv6": ("[::1]", "[::1]", "udp6"),
}

TRACKER_CONFIG = """[network]
ipv4_address = "127.0.0.1"
ipv6_address = "::1"
port = 0
[statistics]
interval_seconds = 0
"""

_cat = lt.alert.category_t
# Everything but the per-peer/per-block noise: tracker and torrent logs explain failures.
ALERT_MASK = _cat.all_categories & ~(
    _cat.peer_log_notification | _cat.stats_notification | _cat.block_progress_notification
    | _cat.piece_progress_notification | _cat.upload_notification
    | _cat.file_progress_notification | _cat.picker_log_notification)
MAX_ALERTS_SHOWN = 400

LISTENING_RE = re.compile(r"^listening (udp[46]) (.+):(\d+)$")


class TestFailure(Exception):
    pass


class Tracker:
    """The tracker process: stdout is drained by a thread, stderr goes to a file."""

    def __init__(self, binary, workdir):
        self.config_path = os.path.join(workdir, "tracker.toml")
        with open(self.config_path, "w", encoding="utf-8") as f:
            f.write(TRACKER_CONFIG)
        self.stderr_path = os.path.join(workdir, "tracker.stderr")
        self.stderr_file = open(self.stderr_path, "wb")
        self.lines = queue.Queue()
        self.stdout_log = []
        self.ports = {}
        self.proc = subprocess.Popen([binary, "-c", self.config_path], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=self.stderr_file)
        self.reader = threading.Thread(target=self._read_stdout, daemon=True)
        self.reader.start()

    def _read_stdout(self):
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            self.stdout_log.append(line)
            self.lines.put(line)
        self.lines.put(None)  # EOF

    def wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TestFailure(f"tracker did not print 'ready' within {timeout:.0f} s")
            try:
                line = self.lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                rc = self.proc.wait(timeout=5)
                raise TestFailure(f"tracker exited with code {rc} before printing 'ready'")
            if line == "ready":
                return
            m = LISTENING_RE.match(line)
            if m:
                self.ports[m.group(1)] = int(m.group(3))

    def stop(self):
        """SIGTERM and wait; returns an error message, or None on a clean exit with code 0."""
        error = None
        if self.proc.poll() is not None:
            error = f"tracker had already exited with code {self.proc.returncode} before SIGTERM"
        else:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=TRACKER_STOP_TIMEOUT_S)
                if self.proc.returncode != 0:
                    error = (f"tracker exited with code {self.proc.returncode} on SIGTERM "
                             f"(expected 0)")
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
                error = f"tracker ignored SIGTERM for {TRACKER_STOP_TIMEOUT_S:.0f} s (killed)"
        self.reader.join(timeout=5)
        self.stderr_file.close()
        return error

    def stderr_text(self):
        try:
            self.stderr_file.flush()
        except ValueError:
            pass
        with open(self.stderr_path, "rb") as f:
            return f.read().decode("utf-8", "replace")


def make_session(listen_interface):
    settings = {
        "listen_interfaces": f"{listen_interface}:0",
        "enable_dht": False,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        "enable_incoming_utp": True,
        "enable_outgoing_utp": True,
        "allow_multiple_connections_per_ip": True,
        "alert_mask": ALERT_MASK,
        "tracker_completion_timeout": 10,
        "tracker_receive_timeout": 5,
        "stop_tracker_timeout": 1,
        "min_reconnect_time": 1,
        "user_agent": "riptide-real-client-test",
    }
    # flags=0: no default plugins, so no ut_pex (nor ut_metadata / smart_ban).
    return lt.session(settings, 0)


def make_torrent(data_dir, name, tracker_url):
    path = os.path.join(data_dir, name)
    with open(path, "wb") as f:
        f.write(os.urandom(FILE_SIZE))
    fs = lt.file_storage()
    lt.add_files(fs, path)
    ct = lt.create_torrent(fs, PIECE_SIZE, lt.create_torrent.v1_only)
    ct.add_tracker(tracker_url)
    ct.set_creator("riptide real-client test")
    lt.set_piece_hashes(ct, data_dir)
    return path, lt.torrent_info(lt.bencode(ct.generate()))


class Swarm:
    """Two sessions (seeder, leecher) and everything they reported."""

    def __init__(self, family, tracker_url, workdir):
        self.family = family
        self.tracker_url = tracker_url
        self.workdir = workdir
        self.log = []  # (seconds since start, peer, alert type, message)
        self.replies = {"seeder": [], "leecher": []}  # num_peers per tracker_reply_alert
        self.announced = {"seeder": [], "leecher": []}  # event per tracker_announce_alert
        self.errors = []
        self.t0 = time.monotonic()
        self.sessions = {}
        self.handles = {}

    def pump(self, timeout_ms=0):
        for name, ses in self.sessions.items():
            if timeout_ms:
                ses.wait_for_alert(timeout_ms)
            for a in ses.pop_alerts():
                what = a.what()
                self.log.append((time.monotonic() - self.t0, name, what, a.message()))
                if isinstance(a, lt.tracker_announce_alert):
                    self.announced[name].append(str(a.event).rsplit(".", 1)[-1])
                elif isinstance(a, lt.tracker_reply_alert):
                    self.replies[name].append(a.num_peers)
                elif isinstance(a, lt.tracker_error_alert):
                    self.errors.append(f"{name}: {a.message()}")

    def wait(self, condition, timeout, what):
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise TestFailure(f"timed out after {timeout:.0f} s waiting for {what}")
            self.pump(int(POLL_S * 1000 / max(1, len(self.sessions))))
            if self.errors:
                raise TestFailure(f"tracker error while waiting for {what}: {self.errors[0]}")

    def add_peer(self, name, listen_interface, ti, save_path, seed):
        ses = make_session(listen_interface)
        self.sessions[name] = ses
        atp = lt.add_torrent_params()
        atp.ti = ti
        atp.save_path = save_path
        atp.flags = (lt.torrent_flags.default_flags & ~lt.torrent_flags.auto_managed
                     & ~lt.torrent_flags.paused)
        atp.flags |= lt.torrent_flags.disable_dht | lt.torrent_flags.disable_lsd \
            | lt.torrent_flags.disable_pex
        if seed:
            atp.flags |= lt.torrent_flags.seed_mode
        self.handles[name] = ses.add_torrent(atp)

    def run(self, listen_interface, on_torrent=None):
        data_dir = os.path.join(self.workdir, f"{self.family}-seed")
        leech_dir = os.path.join(self.workdir, f"{self.family}-leech")
        os.makedirs(data_dir)
        os.makedirs(leech_dir)
        name = f"riptide-{self.family}.bin"
        src, ti = make_torrent(data_dir, name, self.tracker_url)
        self.info_hash = str(ti.info_hash())
        if on_torrent:
            on_torrent(self.info_hash)

        # Seeder first, and wait for its announce to be answered, so that the leecher's
        # announce is answered with the seeder's address (no waiting for a re-announce).
        self.add_peer("seeder", listen_interface, ti, data_dir, seed=True)
        self.wait(lambda: self.replies["seeder"], SEEDER_ANNOUNCE_TIMEOUT_S,
                  "the seeder's tracker reply")
        self.add_peer("leecher", listen_interface, ti, leech_dir, seed=False)
        leecher = self.handles["leecher"]
        self.wait(lambda: leecher.status().is_seeding, SWARM_TIMEOUT_S,
                  "the leecher to complete the download")
        self.pump()
        st = leecher.status()

        if not any(n >= 1 for n in self.replies["leecher"]):
            raise TestFailure(f"leecher finished but no tracker reply to it had a peer: "
                              f"{self.replies['leecher']}")
        if st.num_complete < 1:
            raise TestFailure(f"tracker reported {st.num_complete} seeders to the leecher "
                              f"(expected >= 1)")
        with open(src, "rb") as a, open(os.path.join(leech_dir, name), "rb") as b:
            if a.read() != b.read():
                raise TestFailure("downloaded file differs from the original")

        # The leecher announces `completed` as it finishes. Pausing while that request is in flight
        # makes libtorrent abort it and send no `stopped` at all (a race of the client, seen once:
        # "aborting: udp://...", then the reply dropped for its transaction id). So the stop waits
        # until every announce so far has its reply.
        self.wait(lambda: "completed" in self.announced["leecher"]
                  and all(len(self.replies[n]) == len(self.announced[n]) for n in self.sessions),
                  TRACKER_STOP_TIMEOUT_S, "the tracker's reply to the leecher's `completed` announce")

        # Graceful stop: both peers announce `stopped`, and the tracker must answer those too.
        for ses in self.sessions.values():
            ses.pause()
        self.wait(lambda: all("stopped" in self.announced[n]
                              and len(self.replies[n]) == len(self.announced[n])
                              for n in self.sessions),
                  TRACKER_STOP_TIMEOUT_S, "the tracker's replies to the `stopped` announces")
        return (f"{self.family}: OK leecher downloaded {FILE_SIZE} bytes ({ti.num_pieces()} pieces)"
                f" via {self.tracker_url} in {time.monotonic() - self.t0:.2f} s; tracker replies:"
                f" seeder {self.replies['seeder']}, leecher {self.replies['leecher']} peers"
                f" (to events seeder {self.announced['seeder']},"
                f" leecher {self.announced['leecher']});"
                f" leecher saw seeders={st.num_complete} leechers={st.num_incomplete}")

    def diagnostics(self):
        out = [f"--- {self.family} swarm diagnostics (tracker {self.tracker_url}) ---"]
        for name, h in self.handles.items():
            try:
                st = h.status()
                peers = [f"{p.ip[0]}:{p.ip[1]}" for p in h.get_peer_info()]
                out.append(f"{name}: state={st.state} progress={st.progress:.3f} "
                           f"seeding={st.is_seeding} peers={st.num_peers} connected={peers} "
                           f"seeders={st.num_complete} leechers={st.num_incomplete} "
                           f"current_tracker={st.current_tracker!r} error={st.errc.message()!r}")
                for tr in h.trackers():
                    for ep in tr.get("endpoints", []):
                        out.append(f"  tracker {tr['url']} endpoint {ep.get('local_address')}: "
                                   f"message={ep.get('message')!r} "
                                   f"last_error={ep.get('last_error')!r} "
                                   f"fails={ep.get('fails')} updating={ep.get('updating')}")
            except Exception as exc:  # diagnostics must not mask the failure
                out.append(f"{name}: cannot get status: {exc}")
        shown = self.log[-MAX_ALERTS_SHOWN:]
        out.append(f"alerts ({len(self.log) - len(shown)} earlier ones not shown):"
                   if len(shown) < len(self.log) else "alerts:")
        out += [f"  {t:7.3f} {n:7s} {w}: {m}" for t, n, w, m in shown]
        return "\n".join(out)

    def close(self):
        self.handles.clear()
        self.sessions.clear()  # session destructors send `stopped` (bounded by stop_tracker_timeout)


def run_family(family, port, workdir, on_torrent=None):
    host, listen_interface, _ = FAMILIES[family]
    swarm = Swarm(family, f"udp://{host}:{port}/announce", workdir)
    try:
        return swarm.run(listen_interface, on_torrent)
    except TestFailure as exc:
        swarm.pump()
        raise TestFailure(f"{family}: {exc}\n{swarm.diagnostics()}") from None
    finally:
        swarm.close()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tracker", help="path to the tracker_udp binary")
    parser.add_argument("--family", choices=["ipv4", "ipv6", "both"], default="both")
    args = parser.parse_args(argv)
    families = ["ipv4", "ipv6"] if args.family == "both" else [args.family]

    failed = False
    with tempfile.TemporaryDirectory(prefix="riptide-lt-") as workdir:
        tracker = None
        try:
            tracker = Tracker(args.tracker, workdir)
            tracker.wait_ready(READY_TIMEOUT_S)
            if len(set(tracker.ports.values())) > 1:
                raise TestFailure(f"tracker sockets do not share one port: {tracker.ports}")
            for family in families:
                sock = FAMILIES[family][2]
                if sock not in tracker.ports:
                    raise TestFailure(f"tracker printed no 'listening {sock} ...' line")
                print(run_family(family, tracker.ports[sock], workdir), flush=True)
        except (TestFailure, OSError) as exc:
            failed = True
            print(f"FAIL: {exc}", flush=True)
        finally:
            if tracker is not None:
                stop_error = tracker.stop()
                if stop_error:
                    failed = True
                    print(f"FAIL: {stop_error}", flush=True)
                if failed:
                    print("--- tracker stdout ---\n" + "\n".join(tracker.stdout_log))
                    print("--- tracker stderr ---\n" + tracker.stderr_text(), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
