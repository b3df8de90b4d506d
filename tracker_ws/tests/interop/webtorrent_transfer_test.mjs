// Real data transfer through tracker_ws: a WebTorrent 2.8.5 seeder (Node, @roamhq/wrtc) seeds a
// file of random bytes; leechers, each its own process, download it by magnet link with tracker_ws
// as the only tracker (no DHT, LSD, ut_pex, web seeds). Checks the bytes, the wires (WebRTC only),
// /stats while the swarm is up, and that a destroyed client (stopped) or a killed one (closed
// connection) leaves the swarm at once (scrape), then the tracker's log.
//   node webtorrent_transfer_test.mjs TRACKER_WS NODE_MODULES_PARENT
// Environment, as for bittorrent_tracker_client_test.mjs: RIPTIDE_TEST_WS_WORKERS="S,R" (socket
// and request workers), RIPTIDE_TEST_WS_TLS=1 (wss:// with a self-signed certificate); also
// RIPTIDE_TEST_WS_IPV6=1 (the clients use ws://[::1]:PORT), RIPTIDE_TEST_WT_ORDER=leechers-first
// (the leechers are in the swarm before the seeder comes, so its offers reach them),
// RIPTIDE_TEST_WT_LEECHERS=N (default 2), RIPTIDE_TEST_WT_SIZE_MIB (default 4), and
// RIPTIDE_TEST_KEEP=1 keeps the work directory (the tracker's log, and NAME.ws.jsonl: every
// WebSocket message each client sent and received).
import { spawn, fork, execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { randomBytes, createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import https from 'node:https';
import http from 'node:http';

const t0 = Date.now();
const [trackerPath, modulesParent] = process.argv.slice(2);
if (!trackerPath || !modulesParent) {
  console.error('usage: webtorrent_transfer_test.mjs TRACKER_WS NODE_MODULES_PARENT');
  process.exit(2);
}
const requireFromModules = createRequire(join(modulesParent, 'package.json'));
const WebSocket = requireFromModules('ws');
const here = new URL('.', import.meta.url).pathname;

let failures = 0;
const fail = (message) => { failures++; console.error('FAIL: ' + message); };
const note = (message) => console.log(`[${((Date.now() - t0) / 1000).toFixed(2)}s] ${message}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const withTimeout = (promise, ms, what) => Promise.race([promise, sleep(ms).then(() => { throw new Error(`timeout: ${what}`); })]);

const directory = mkdtempSync(join(tmpdir(), 'riptide-webtorrent-'));
const layout = process.env.RIPTIDE_TEST_WS_WORKERS;
const tls = process.env.RIPTIDE_TEST_WS_TLS === '1';
const ipv6 = process.env.RIPTIDE_TEST_WS_IPV6 === '1';
const leecherCount = Number(process.env.RIPTIDE_TEST_WT_LEECHERS ?? 2);
const sizeMiB = Number(process.env.RIPTIDE_TEST_WT_SIZE_MIB ?? 4);
// Leechers first: their magnet links get them into the swarm before the seeder comes, and its
// offers reach them; else the seeder comes first and the leechers' offers reach it.
const leechersFirst = process.env.RIPTIDE_TEST_WT_ORDER === 'leechers-first';
const workers = layout ? `[workers]\nsocket_workers = ${layout.split(',')[0]}\nrequest_workers = ${layout.split(',')[1]}\n` : '';
let tlsSection = '';
if (tls) {
  const certificate = join(directory, 'certificate.pem');
  const key = join(directory, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
                           '-keyout', key, '-out', certificate, '-days', '2', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
  tlsSection = `[tls]\nenabled = true\ncertificate_chain_path = "${certificate}"\nprivate_key_path = "${key}"\n`;
  process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
}
const scheme = tls ? 'wss' : 'ws';
const configPath = join(directory, 'tracker.toml');
writeFileSync(configPath, `[network]\nipv4_address = "127.0.0.1"\nipv6_address = "${ipv6 ? '::1' : ''}"\nport = 0\n` +
                          `[statistics]\ninterval_seconds = 0\n[log]\nlevel = "debug"\n` + workers + tlsSection);
const trackerLog = [];
const tracker = spawn(trackerPath, ['-c', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
tracker.stderr.on('data', (chunk) => trackerLog.push(String(chunk)));
const port = await withTimeout(new Promise((resolve, reject) => {
  let printed = '';
  tracker.stdout.on('data', (chunk) => {
    printed += chunk;
    const listening = printed.match(/listening wss?4 127\.0\.0\.1:(\d+)/);
    if (listening && printed.includes('ready\n')) resolve(Number(listening[1]));
  });
  tracker.on('exit', (code) => reject(new Error('tracker exited with ' + code + ': ' + printed)));
}), 10000, 'tracker start').catch((e) => { tracker.kill('SIGKILL'); throw e; });
process.on('SIGTERM', () => process.exit(1));  // the exit handler below ends the tracker and the clients
const host = ipv6 ? '[::1]' : '127.0.0.1';
const announceUrl = `${scheme}://${host}:${port}/announce`;
note(`tracker on ${announceUrl}${layout ? ` workers ${layout}` : ''}`);

const getStats = () => withTimeout(new Promise((resolve, reject) => {
  const get = tls ? https.get : http.get;
  get(`${tls ? 'https' : 'http'}://${host}:${port}/stats`, { rejectUnauthorized: false }, (response) => {
    let body = '';
    response.on('data', (c) => { body += c; });
    response.on('end', () => { try { resolve(JSON.parse(body)); } catch (e) { reject(e); } });
  }).on('error', reject);
}), 5000, 'GET /stats');

// A scrape over a fresh WebSocket, as a client would send it.
// Polls /stats until the tracker holds `count` peers, for at most 10 s; fails the test otherwise.
const peersReach = async (count, what) => {
  for (const deadline = Date.now() + 10000; (await getStats()).peers < count;) {
    if (Date.now() > deadline) throw new Error(`timeout: ${what} (${count} peer(s) in the tracker)`);
    await sleep(100);
  }
};

const scrape = (infoHashHex) => withTimeout(new Promise((resolve, reject) => {
  const ws = new WebSocket(announceUrl, { rejectUnauthorized: false });
  const binary = Buffer.from(infoHashHex, 'hex').toString('latin1');
  ws.on('open', () => ws.send(JSON.stringify({ action: 'scrape', info_hash: [binary] })));
  ws.on('message', (data) => {
    const message = JSON.parse(String(data));
    ws.close();
    resolve(message.files?.[binary] ?? message);
  });
  ws.on('error', reject);
}), 5000, 'scrape');

// Clients: one process each. One that dies unasked (say, a crash in the native WebRTC library)
// fails the test; whatever is still running when this process exits is killed.
const children = [];
process.on('exit', () => {
  for (const peer of children) if (peer.child.exitCode === null) peer.child.kill('SIGKILL');
  if (tracker.exitCode === null) tracker.kill('SIGKILL');
});
const spawnPeer = (role, name) => {
  const child = fork(join(here, 'webtorrent_peer.mjs'), [role, modulesParent, directory, name],
                     { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const peer = { child, name, events: [], waiters: [], ending: false };
  child.on('error', (error) => fail(`${name}: ${error.message}`));
  child.on('exit', (code, signal) => { if (!peer.ending) fail(`${name} exited unasked (${code ?? signal})`); });
  peer.send = (message) => {
    if (message.cmd === 'destroy') peer.ending = true;
    if (child.connected) child.send(message);
  };
  peer.kill = () => { peer.ending = true; child.kill('SIGKILL'); };
  child.on('message', (message) => {
    peer.events.push(message);
    if (message.ev === 'error') fail(`${name}: ${message.message}`);
    peer.waiters = peer.waiters.filter((w) => !(w.ev === message.ev && (w.resolve(message), true)));
  });
  peer.wait = (ev, ms) => {
    const seen = peer.events.find((m) => m.ev === ev);
    if (seen) return Promise.resolve(seen);
    return withTimeout(new Promise((resolve) => peer.waiters.push({ ev, resolve })), ms, `${name} ${ev}`);
  };
  children.push(peer);
  return peer;
};

let exitCode = 0;
try {
  const data = randomBytes(sizeMiB * 1024 * 1024);
  const dataPath = join(directory, 'random.bin');
  writeFileSync(dataPath, data);
  const dataHash = createHash('sha256').update(data).digest('hex');

  const seeder = spawnPeer('seed', 'seeder');
  const leechers = [];
  for (let i = 0; i < leecherCount; i++) leechers.push(spawnPeer('leech', `leecher${i + 1}`));
  await Promise.all([seeder, ...leechers].map((p) => p.wait('ready', 15000)));
  const startSeeder = async () => {
    seeder.send({ cmd: 'seed', file: dataPath, announce: [announceUrl] });
    return seeder.wait('seeding', 30000);
  };
  // The magnet is known without the seeder: make the torrent here the way the seeder will.
  const magnetOf = async () => {
    const { default: createTorrent } = await import(pathToFileURL(join(modulesParent, 'node_modules', 'create-torrent', 'index.js')).href);
    const { default: parseTorrent, toMagnetURI } = await import(pathToFileURL(join(modulesParent, 'node_modules', 'parse-torrent', 'index.js')).href);
    const torrentFile = await new Promise((resolve, reject) => createTorrent(dataPath, { announce: [announceUrl], private: false }, (e, t) => e ? reject(e) : resolve(t)));
    const parsed = await parseTorrent(torrentFile);
    return { infoHash: parsed.infoHash, magnet: toMagnetURI(parsed) };
  };
  let seeding;
  if (!leechersFirst) {
    seeding = await startSeeder();
    await peersReach(1, "the seeder's first announce, before the leechers make their offers");
  } else {
    seeding = await magnetOf();
  }
  note(`${leechersFirst ? 'magnet' : 'seeding'} ${seeding.infoHash} (${sizeMiB} MiB): ${seeding.magnet}`);
  const leechStart = Date.now();
  for (const l of leechers) l.send({ cmd: 'leech', magnet: seeding.magnet });
  if (leechersFirst) {
    await peersReach(leecherCount, "the leechers' first announces, before the seeder comes");
    const seeded = await startSeeder();
    if (seeded.infoHash !== seeding.infoHash) fail(`seeder info hash ${seeded.infoHash}, magnet ${seeding.infoHash}`);
    seeding.announce = seeded.announce;
  }
  if (seeding.announce.length !== 1) fail(`seeder announce list: ${JSON.stringify(seeding.announce)}`);
  const statsDuring = [];
  const poll = setInterval(() => getStats().then((s) => statsDuring.push(s)).catch(() => {}), 250);
  const results = await Promise.all(leechers.map((l) => l.wait('done', 60000)));
  clearInterval(poll);
  note(`downloads done in ${Date.now() - leechStart} ms`);
  results.forEach((r, i) => {
    const name = leechers[i].name;
    if (r.sha256 !== dataHash || r.diskSha256 !== dataHash || r.bytes !== data.length) {
      fail(`${name}: bytes differ (got ${r.bytes} bytes, sha256 ${r.sha256}, disk ${r.diskSha256}; want ${dataHash})`);
    }
    const types = r.wires.map((w) => w.type);
    if (types.length === 0 || types.some((t) => t !== 'webrtc')) fail(`${name}: wires ${JSON.stringify(r.wires)}`);
    note(`${name}: ${r.bytes} bytes, sha256 ok=${r.sha256 === dataHash}, wires ${JSON.stringify(types)}, ${r.ms} ms since start`);
  });
  if (!results.every((r) => r.announce.length === 1)) fail(`leecher announce lists: ${JSON.stringify(results.map((r) => r.announce))}`);

  // Stats with the whole swarm up, once the leechers have announced `completed` (soon after done).
  const n = leecherCount + 1;
  let stats = await getStats();
  for (const deadline = Date.now() + 10000; stats.seeders !== n && Date.now() < deadline;) {
    await sleep(100);
    stats = await getStats();
  }
  const peak = statsDuring.reduce((m, s) => Math.max(m, s.connections), 0);
  note(`stats (swarm up): ${JSON.stringify({ connections: stats.connections, peak_connections: peak, torrents: stats.torrents, peers: stats.peers, seeders: stats.seeders, leechers: stats.leechers, pending_offers: stats.pending_offers, messages: stats.messages, relayed: stats.relayed, totals: stats.totals })}`);
  const nonZero = (o) => Object.fromEntries(Object.entries(o).filter(([, v]) => v));
  if (Object.keys(nonZero(stats.dropped)).length) note(`stats dropped: ${JSON.stringify(nonZero(stats.dropped))}`);
  if (Object.keys(nonZero(stats.limits)).length) note(`stats limits: ${JSON.stringify(nonZero(stats.limits))}`);
  if (stats.torrents !== 1) fail(`torrents ${stats.torrents}`);
  if (stats.peers !== n) fail(`peers ${stats.peers}, want ${n}`);
  if (stats.seeders !== n) fail(`seeders ${stats.seeders}, want ${n} (everybody completed)`);
  if (stats.connections !== n + 1) fail(`connections ${stats.connections}, want ${n} WebSockets + this HTTP request`);
  if (stats.totals.websocket_sessions !== n) fail(`websocket_sessions ${stats.totals.websocket_sessions}, want ${n}`);
  if (stats.messages.announce < n) fail(`announces ${stats.messages.announce}`);
  if (stats.relayed.offers < leecherCount) fail(`relayed offers ${stats.relayed.offers}`);
  if (stats.relayed.answers < leecherCount) fail(`relayed answers ${stats.relayed.answers}`);
  if (stats.relayed.answers > stats.relayed.offers) fail('more answers than offers relayed');
  if (stats.messages.answer !== stats.relayed.answers + stats.dropped.answers) {
    note(`answers received ${stats.messages.answer}, relayed ${stats.relayed.answers}, dropped ${stats.dropped.answers}`);
  }
  if (stats.messages.invalid || stats.messages.refused) fail(`invalid ${stats.messages.invalid}, refused ${stats.messages.refused}`);

  let counts = await scrape(seeding.infoHash);
  note(`scrape (swarm up): ${JSON.stringify(counts)}`);
  if (counts.complete !== n || counts.incomplete !== 0 || counts.downloaded !== leecherCount) fail(`scrape ${JSON.stringify(counts)}`);

  // Scrapes until the swarm has `complete` seeders, for at most 3 s: long before any peer timeout
  // (minutes), so a peer that leaves is removed at once (the scrape travels on another connection
  // than the client's last words, hence a few tries).
  const scrapeUntil = async (complete) => {
    const since = Date.now();
    let found = await scrape(seeding.infoHash);
    while (found.complete !== complete && Date.now() - since < 3000) {
      await sleep(50);
      found = await scrape(seeding.infoHash);
    }
    return [found, Date.now() - since];
  };
  let waited;
  // Leecher 1: destroyed (sends stopped, closes its WebSocket).
  leechers[0].send({ cmd: 'destroy' });
  await leechers[0].wait('destroyed', 10000);
  [counts, waited] = await scrapeUntil(n - 1);
  note(`scrape ${waited} ms after leecher1 destroyed: ${JSON.stringify(counts)}`);
  if (counts.complete !== n - 1) fail(`after destroy: ${JSON.stringify(counts)}`);
  let gone = 1;
  // Leecher 2 (if any): SIGKILL, so only the closed TCP connection tells the tracker.
  if (leecherCount > 1) {
    leechers[1].kill();
    await new Promise((r) => leechers[1].child.exitCode !== null ? r() : leechers[1].child.once('exit', r));
    gone++;
    [counts, waited] = await scrapeUntil(n - gone);
    note(`scrape ${waited} ms after leecher2 SIGKILLed: ${JSON.stringify(counts)}`);
    if (counts.complete !== n - gone) fail(`after kill: ${JSON.stringify(counts)}`);
  }
  for (const l of leechers.slice(gone)) { l.send({ cmd: 'destroy' }); await l.wait('destroyed', 10000); }
  seeder.send({ cmd: 'destroy' });
  await seeder.wait('destroyed', 10000);
  [counts, waited] = await scrapeUntil(0);
  note(`scrape ${waited} ms after all destroyed: ${JSON.stringify(counts)}`);
  if (counts.complete !== 0 || counts.incomplete !== 0 || counts.downloaded !== leecherCount) fail(`after all: ${JSON.stringify(counts)}`);
  // The clients' connections are closed by now; the tracker counts them gone as it sees that.
  let after = await getStats();
  for (const deadline = Date.now() + 5000; (after.peers !== 0 || after.connections !== 1) && Date.now() < deadline;) {
    await sleep(100);
    after = await getStats();
  }
  note(`stats (all gone): ${JSON.stringify({ connections: after.connections, torrents: after.torrents, peers: after.peers, pending_offers: after.pending_offers, totals: after.totals })}`);
  if (after.peers !== 0 || after.connections !== 1) fail(`after all gone: peers ${after.peers}, connections ${after.connections}`);
} catch (error) {
  fail(error.stack ?? String(error));
} finally {
  for (const c of children) if (c.child.exitCode === null) c.kill();
  tracker.kill('SIGTERM');
  exitCode = await withTimeout(new Promise((resolve) => tracker.exitCode !== null ? resolve(tracker.exitCode) : tracker.on('exit', resolve)), 5000, 'tracker exit').catch(() => { tracker.kill('SIGKILL'); return -1; });
}
if (exitCode !== 0) fail('tracker exit code ' + exitCode);
const log = trackerLog.join('');
writeFileSync(join(directory, 'tracker.log'), log);
const bad = log.split('\n').filter((l) => / (WARN|WARNING|ERROR|CRITICAL) /.test(l));
if (bad.length) { fail(`tracker log has ${bad.length} warning/error lines:`); bad.slice(0, 20).forEach((l) => console.error('  ' + l)); }
if (process.env.RIPTIDE_TEST_KEEP === '1') note(`kept ${directory}`); else rmSync(directory, { recursive: true, force: true });
const label = `${scheme}${ipv6 ? ' IPv6' : ''}${layout ? ` workers ${layout}` : ''}${leechersFirst ? ', leechers first' : ''}, ` +
              `${leecherCount} leecher(s), ${sizeMiB} MiB`;
if (failures) console.log(`FAILED (${failures}): webtorrent transfer through tracker_ws (${label}) in ${Date.now() - t0} ms`);
else console.log(`ok: webtorrent transfer through tracker_ws (${label}) in ${Date.now() - t0} ms`);
process.exit(failures ? 1 : 0);
