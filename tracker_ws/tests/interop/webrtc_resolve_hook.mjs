// Node module resolve hook: the WebTorrent libraries import `webrtc-polyfill`, whose native part
// (node-datachannel) is missing after `npm install --ignore-scripts`; point them at a shim over
// @roamhq/wrtc, which ships its binary inside the package (docs: real-clients.md).
export async function resolve(specifier, context, next) {
  if (specifier === 'webrtc-polyfill') {
    return { url: new URL('./wrtc_shim.mjs', import.meta.url).href, shortCircuit: true };
  }
  return next(specifier, context);
}
