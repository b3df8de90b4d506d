// ES module face of @roamhq/wrtc (a CommonJS package whose names Node cannot detect statically),
// loaded from the node_modules named by RIPTIDE_NODE_MODULES_PARENT.
import { createRequire } from 'node:module';
import { join } from 'node:path';

const wrtc = createRequire(join(process.env.RIPTIDE_NODE_MODULES_PARENT, 'package.json'))('@roamhq/wrtc');
export const RTCPeerConnection = wrtc.RTCPeerConnection;
export const RTCSessionDescription = wrtc.RTCSessionDescription;
export const RTCIceCandidate = wrtc.RTCIceCandidate;
export default wrtc;
