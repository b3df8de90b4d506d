// Interop: two clients of the reference WebTorrent tracker package (npm `bittorrent-tracker`,
// with @roamhq/wrtc for WebRTC) meet through a real tracker_ws: both get announce responses, and
// their offer/answer exchange through the tracker ends in a connected WebRTC peer on each side;
// then a scrape through the same client library sees the seeder and the leecher.
//   node bittorrent_tracker_client_test.mjs TRACKER_WS NODE_MODULES_PARENT
// RIPTIDE_TEST_WS_WORKERS="S,R" runs the tracker with S socket workers and R request workers.
// RIPTIDE_TEST_WS_TLS=1 runs it over wss:// with a self-signed certificate made by the openssl
// CLI (the clients trust it through NODE_TLS_REJECT_UNAUTHORIZED=0, as browsers would a real one).
import { spawn, execFileSync } from 'node:child_process';
import { register, createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [trackerPath, modulesParent] = process.argv.slice(2);
if (!trackerPath || !modulesParent) {
  console.error('usage: bittorrent_tracker_client_test.mjs TRACKER_WS NODE_MODULES_PARENT');
  process.exit(2);
}
process.env.RIPTIDE_NODE_MODULES_PARENT = modulesParent;
register(new URL('./webrtc_resolve_hook.mjs', import.meta.url));
const requireFromModules = createRequire(join(modulesParent, 'package.json'));
// The package exports only an ESM `import` entry: import its index.js by path.
const { default: Client } = await import(
  pathToFileURL(join(modulesParent, 'node_modules', 'bittorrent-tracker', 'index.js')).href);
const wrtc = requireFromModules('@roamhq/wrtc');

function fail(message) {
  console.error('FAIL: ' + message);
  process.exitCode = 1;
}

const directory = mkdtempSync(join(tmpdir(), 'riptide-interop-'));
const configPath = join(directory, 'tracker.toml');
const layout = process.env.RIPTIDE_TEST_WS_WORKERS;
const workers = layout ? `[workers]\nsocket_workers = ${layout.split(',')[0]}\nrequest_workers = ${layout.split(',')[1]}\n` : '';
const tls = process.env.RIPTIDE_TEST_WS_TLS === '1';
let tlsSection = '';
if (tls) {
  const certificate = join(directory, 'certificate.pem');
  const key = join(directory, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
                           '-keyout', key, '-out', certificate, '-days', '2', '-subj', '/CN=127.0.0.1'],
               { stdio: 'ignore' });
  tlsSection = `[tls]\nenabled = true\ncertificate_chain_path = "${certificate}"\nprivate_key_path = "${key}"\n`;
  process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
}
const scheme = tls ? 'wss' : 'ws';
writeFileSync(configPath, '[network]\nipv4_address = "127.0.0.1"\nipv6_address = ""\nport = 0\n' +
                          '[statistics]\ninterval_seconds = 0\n' + workers + tlsSection);
const tracker = spawn(trackerPath, ['-c', configPath], { stdio: ['ignore', 'pipe', 'inherit'] });

const port = await new Promise((resolve, reject) => {
  let printed = '';
  const timer = setTimeout(() => reject(new Error('tracker not ready: ' + printed)), 10000);
  tracker.stdout.on('data', (chunk) => {
    printed += chunk;
    const listening = printed.match(new RegExp(`listening ${scheme}4 127\\.0\\.0\\.1:(\\d+)`));
    if (listening && printed.includes('ready\n')) {
      clearTimeout(timer);
      resolve(Number(listening[1]));
    }
  });
  tracker.on('exit', (code) => reject(new Error('tracker exited with ' + code + ': ' + printed)));
});

const infoHash = 'aa'.repeat(20);
// bittorrent-tracker shares one WebSocket per announce URL among the clients of a process, and a
// connection holds one peer id per torrent (docs/protocols.md): two URLs give two connections.
const makeClient = (peerId, seeder, path) =>
  new Client({
    infoHash, peerId, announce: [`${scheme}://127.0.0.1:${port}${path}`], port: 6881, wrtc, rtcConfig: { iceServers: [] },
    getAnnounceOpts: () => ({ uploaded: 0, downloaded: 0, left: seeder ? 0 : 1000 }),
  });

const clients = [makeClient('11'.repeat(20), true, '/announce'), makeClient('22'.repeat(20), false, '')];
const updates = [false, false];
const peers = [false, false];
const done = new Promise((resolve) => {
  clients.forEach((client, index) => {
    client.on('error', (error) => fail(`client ${index} error: ${error.message}`));
    client.on('warning', (error) => console.error(`client ${index} warning: ${error.message}`));
    client.on('update', (data) => {
      if (typeof data.complete !== 'number' || typeof data.incomplete !== 'number') {
        fail(`client ${index}: announce response without counts: ${JSON.stringify(data)}`);
      }
      updates[index] = true;
    });
    client.on('peer', (peer) => {
      peers[index] = true;
      peer.on('error', () => {});
      if (peers.every(Boolean)) resolve();
    });
  });
});

clients[0].start();
// The second client announces once the first is in the swarm, so its offers find it.
await new Promise((resolve) => {
  const check = setInterval(() => { if (updates[0]) { clearInterval(check); resolve(); } }, 20);
});
clients[1].start();

const timeout = new Promise((resolve) => setTimeout(() => resolve('timeout'), 30000));
if ((await Promise.race([done, timeout])) === 'timeout') {
  fail(`no WebRTC peer through the tracker within 30 s (updates ${updates}, peers ${peers})`);
}
if (!updates.every(Boolean)) fail(`announce responses: ${updates}`);

// Scrape through the library: one seeder and one leecher in the swarm.
const scraped = new Promise((resolve) => {
  clients[0].once('scrape', (data) => resolve(data));
  clients[0].scrape();
});
const scrape = await Promise.race([scraped, new Promise((resolve) => setTimeout(() => resolve(null), 10000))]);
if (scrape === null) {
  fail('no scrape response within 10 s');
} else if (scrape.complete !== 1 || scrape.incomplete !== 1 || typeof scrape.downloaded !== 'number') {
  fail(`scrape counts: ${JSON.stringify(scrape)}`);
}

for (const client of clients) client.destroy();
tracker.kill('SIGTERM');
const exitCode = await new Promise((resolve) => tracker.on('exit', (code) => resolve(code)));
if (exitCode !== 0) fail('tracker exit code ' + exitCode);
rmSync(directory, { recursive: true, force: true });
if (!process.exitCode) {
  console.log(`ok: two bittorrent-tracker clients connected over WebRTC through tracker_ws over ${scheme}://` +
              `${layout ? ` (workers ${layout})` : ''}, and scraped it`);
}
process.exit(process.exitCode ?? 0);
