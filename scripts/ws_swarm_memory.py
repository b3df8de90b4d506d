#!/usr/bin/env python3
"""Memory per torrent of tracker_ws and of the npm bittorrent-tracker server, side by side.

Many WebTorrent swarms are tiny (a page's own video, seeded by one or two browsers), so what a
torrent with one peer costs is what an operator pays for most torrents. For each server: start
it, and for each of PEERS peers announce the same TORRENTS info hashes (a peer is a peer id; it
announces over one WebSocket connection per 10,000 torrents, tracker_ws's most per connection),
reading every reply; then print the growth of the server's RSS per torrent and per peer. Needs
what scripts/bench-ws.sh installs and builds (run it once first). Standard library only; loopback only; each run ends by itself.

  scripts/ws_swarm_memory.py                        # 50,000 torrents x 1 peer, then 20,000 x 5
  scripts/ws_swarm_memory.py --torrents 10000 --peers 3 --servers riptide
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = Path(os.environ.get("RIPTIDE_BENCH_BUILD_DIR", ROOT / "build" / "release"))
REFERENCE_SERVER = """import { pathToFileURL } from 'node:url'
const [serverJs, port] = process.argv.slice(2)
const { default: Server } = await import(pathToFileURL(serverJs).href)
const server = new Server({ udp: false, http: false, ws: true, stats: false })
server.on('listening', () => console.log('ready'))
server.listen(Number(port), '127.0.0.1')
process.on('SIGTERM', () => process.exit(0))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def client_frame(text: str) -> bytes:
    payload = text.encode()
    key = os.urandom(4)
    n = len(payload)
    header = bytes([0x81]) + (bytes([0x80 | n]) if n < 126 else struct.pack("!BH", 0x80 | 126, n))
    return header + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


class connection:
    def __init__(self, port: int):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(f"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode())
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise RuntimeError("closed during the handshake")
            self.buffer += chunk
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise RuntimeError(f"no upgrade: {head[:80]!r}")

    def read_message(self) -> None:
        while True:
            if len(self.buffer) >= 2:
                n = self.buffer[1] & 0x7F
                start = 2
                if n == 126:
                    n, start = struct.unpack("!H", self.buffer[2:4])[0], 4
                elif n == 127:
                    n, start = struct.unpack("!Q", self.buffer[2:10])[0], 10
                if len(self.buffer) >= start + n:
                    self.buffer = self.buffer[start + n:]
                    return
            chunk = self.sock.recv(65536)
            if not chunk:
                raise RuntimeError("closed")
            self.buffer += chunk


def binary_string(raw: bytes) -> str:
    return "".join(chr(b) for b in raw)


def measure(name: str, argv: list[str], port: int, torrents: int, peers: int) -> tuple[int, int]:
    server = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        for line in server.stdout or []:  # tracker_ws prints `listening ...` lines first
            if line.strip() == "ready":
                break
        else:
            raise RuntimeError(f"{name} did not start")
        time.sleep(0.5)
        per_connection = 10000
        chunks = (torrents + per_connection - 1) // per_connection
        clients = [connection(port) for _ in range(peers * chunks)]
        before = rss_kib(server.pid)
        hashes = [binary_string(os.urandom(20)) for _ in range(torrents)]
        peer_ids = [binary_string(os.urandom(20)) for _ in range(peers)]
        for number, client in enumerate(clients):
            peer_id = peer_ids[number // chunks]
            chunk = number % chunks
            mine = hashes[chunk * per_connection:(chunk + 1) * per_connection]
            for first in range(0, len(mine), 200):  # 200 in flight: never blocked by the server's bounds
                batch = mine[first:first + 200]
                client.sock.sendall(b"".join(client_frame(json.dumps(
                    {"action": "announce", "info_hash": h, "peer_id": peer_id, "uploaded": 0, "downloaded": 0,
                     "left": 100, "event": "started", "numwant": 5})) for h in batch))
                for _ in batch:
                    client.read_message()
        after = rss_kib(server.pid)
        for client in clients:
            client.sock.close()
        return before, after
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--torrents", type=int, action="append", help="torrents (default: 50000, then 20000)")
    parser.add_argument("--peers", type=int, action="append", help="peers of each torrent (default: 1, then 5)")
    parser.add_argument("--servers", default="riptide,reference")
    parser.add_argument("--tracker-ws", type=Path, default=BUILD / "tracker_ws" / "tracker_ws")
    parser.add_argument("--node", default=shutil.which("node") or "/usr/bin/node")
    parser.add_argument("--reference-dir", type=Path, default=BUILD / "bittorrent-tracker-ref")
    args = parser.parse_args()
    runs = list(zip(args.torrents or [50000, 20000], args.peers or [1, 5]))
    work = Path(os.environ.get("TMPDIR", "/tmp")) / f"ws_swarm_memory.{os.getpid()}"
    work.mkdir()
    print("| server | torrents | peers each | RSS before KiB | RSS after KiB | B/torrent | B/peer |")
    print("|---|--:|--:|--:|--:|--:|--:|")
    for torrents, peers in runs:
        for name in args.servers.split(","):
            port = free_port()
            if name == "riptide":
                config = work / "tracker_ws.toml"
                config.write_text(f'[network]\nipv4_address = "127.0.0.1"\nipv6_address = ""\nport = {port}\n'
                                  f"[statistics]\ninterval_seconds = 0\n[limits]\n"
                                  f"max_torrents_per_connection = 10000\n")
                argv = [str(args.tracker_ws), "-c", str(config)]
            else:
                script = args.reference_dir / "ws_swarm_memory_server.mjs"
                script.write_text(REFERENCE_SERVER)
                argv = [args.node, str(script), str(args.reference_dir / "node_modules/bittorrent-tracker/server.js"),
                        str(port)]
            before, after = measure(name, argv, port, torrents, peers)
            grown = (after - before) * 1024
            print(f"| {name} | {torrents:,} | {peers} | {before:,} | {after:,} | {grown // torrents:,} | "
                  f"{grown // (torrents * peers):,} |", flush=True)
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
