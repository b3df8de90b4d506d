// One real WebTorrent 2.8.5 client (Node, WebRTC from @roamhq/wrtc), forked by
// webtorrent_transfer_test.mjs with an IPC channel; one process per client, as in the real world
// (bittorrent-tracker shares one WebSocket per tracker URL among the clients of a process).
//   node webtorrent_peer.mjs ROLE NODE_MODULES_PARENT WORK_DIR NAME   (ROLE: seed | leech)
// Parent -> child: {cmd:'seed', file, announce} | {cmd:'leech', magnet} | {cmd:'destroy'}
// Child -> parent: {ev:'seeding', magnet, infoHash} | {ev:'done', sha256, bytes, wires, ms}
//                  | {ev:'wire', type, addr} | {ev:'error', message} | {ev:'destroyed'}
// Every WebSocket message the client sends or receives is appended (SDP shortened) to
// WORK_DIR/NAME.ws.jsonl.
import { register, createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { appendFileSync, readFileSync, mkdirSync } from 'node:fs';
import { createHash } from 'node:crypto';

const [role, modulesParent, workDir, name] = process.argv.slice(2);
process.env.RIPTIDE_NODE_MODULES_PARENT = modulesParent;
register(new URL('./webrtc_resolve_hook.mjs', import.meta.url));
const requireFromModules = createRequire(join(modulesParent, 'package.json'));
const wrtc = requireFromModules('@roamhq/wrtc');
const modules = join(modulesParent, 'node_modules');
const { default: WebTorrent } = await import(pathToFileURL(join(modules, 'webtorrent', 'index.js')).href);
const { default: Socket } = await import(pathToFileURL(join(modules, '@thaunknown', 'simple-websocket', 'index.js')).href);

// Capture of the tracker conversation: wrap the WebSocket class bittorrent-tracker uses.
const capturePath = join(workDir, `${name}.ws.jsonl`);
const shorten = (text) => {
  try {
    const message = JSON.parse(text);
    const cut = (o) => { if (o && typeof o.sdp === 'string') o.sdp = `<${o.sdp.length} bytes>`; };
    cut(message.offer); cut(message.answer);
    if (Array.isArray(message.offers)) message.offers.forEach((o) => cut(o.offer));
    for (const key of ['info_hash', 'peer_id', 'to_peer_id', 'offer_id']) {
      if (typeof message[key] === 'string') message[key] = Buffer.from(message[key], 'latin1').toString('hex');
    }
    if (Array.isArray(message.offers)) message.offers.forEach((o) => { o.offer_id = Buffer.from(o.offer_id, 'latin1').toString('hex'); });
    if (Array.isArray(message.info_hash)) message.info_hash = message.info_hash.map((h) => Buffer.from(h, 'latin1').toString('hex'));
    if (message.files) message.files = Object.fromEntries(Object.entries(message.files).map(([k, v]) => [Buffer.from(k, 'latin1').toString('hex'), v]));
    return message;
  } catch { return { unparsed: String(text).slice(0, 200) }; }
};
const log = (dir, url, text) => appendFileSync(capturePath, JSON.stringify({ t: Date.now(), dir, url, msg: shorten(text) }) + '\n');
const originalSend = Socket.prototype.send;
Socket.prototype.send = function (chunk) { log('out', this.url, chunk); return originalSend.call(this, chunk); };
const originalHandle = Socket.prototype._handleMessage;
Socket.prototype._handleMessage = function (event) { log('in', this.url, event.data); return originalHandle.call(this, event); };
const originalDestroy = Socket.prototype._destroy;
Socket.prototype._destroy = function (cb) { appendFileSync(capturePath, JSON.stringify({ t: Date.now(), dir: 'close', url: this.url }) + '\n'); return originalDestroy.call(this, cb); };

const send = (message) => process.send?.(message);
process.on('disconnect', () => process.exit(1));  // the test is gone: so is this client
mkdirSync(join(workDir, name), { recursive: true });
// The tracker must be the only way the peers meet: no DHT, no LSD, no ut_pex, no NAT mapping, no
// web seeds; only the tracker URL given (no default trackers).
const client = new WebTorrent({
  dht: false, lsd: false, utPex: false, natUpnp: false, natPmp: false, webSeeds: false,
  tracker: { wrtc, rtcConfig: { iceServers: [] } },
});
client.on('error', (error) => send({ ev: 'error', message: String(error?.message ?? error) }));
const wires = [];
const started = Date.now();

const watch = (torrent) => {
  torrent.on('warning', (w) => send({ ev: 'warning', message: String(w?.message ?? w) }));
  torrent.on('error', (e) => send({ ev: 'error', message: String(e?.message ?? e) }));
  torrent.on('wire', (wire, addr) => { wires.push({ type: wire.type, addr }); send({ ev: 'wire', type: wire.type, addr }); });
};

process.on('message', async (message) => {
  if (message.cmd === 'seed') {
    client.seed(message.file, { announce: message.announce, path: join(workDir, name), private: false }, (torrent) => {
      watch(torrent);
      send({ ev: 'seeding', magnet: torrent.magnetURI, infoHash: torrent.infoHash, announce: torrent.announce });
    });
  } else if (message.cmd === 'leech') {
    const torrent = client.add(message.magnet, { path: join(workDir, name) });
    watch(torrent);
    torrent.on('done', async () => {
      const file = torrent.files[0];
      const bytes = Buffer.from(await file.arrayBuffer());
      // Also the bytes the store wrote to disk.
      const disk = readFileSync(join(workDir, name, file.path));
      send({
        ev: 'done', ms: Date.now() - started, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'),
        diskSha256: createHash('sha256').update(disk).digest('hex'), wires, announce: torrent.announce,
      });
    });
  } else if (message.cmd === 'destroy') {
    client.destroy((error) => {
      send({ ev: 'destroyed', error: error ? String(error.message ?? error) : null });
      setTimeout(() => process.exit(0), 200);
    });
  }
});
send({ ev: 'ready', role });
