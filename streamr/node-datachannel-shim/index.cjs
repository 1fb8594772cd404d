"use strict";
// Stand-in for `node-datachannel` (libdatachannel WebRTC bindings) as @streamr/dht sees it;
// selected by the root package.json "overrides". Why:
//  - @streamr/dht 103.3.1 asks for node-datachannel ^0.27, whose install script downloads its
//    binary from GitHub or builds from a git clone: on a machine without GitHub the whole
//    `npm ci` fails.
//  - node-datachannel 0.33 ships its binaries as npm packages (@node-datachannel/<platform>,
//    no install script) and is our optional dependency `node-datachannel-native`. Its
//    initLogger requires a callback that dht (written for 0.27) omits; we add one.
//  - When the native module is absent (platform without a prebuilt package, --omit=optional,
//    or KRAKEN_DISABLE_WEBRTC=1) this exports stubs: dht imports the module at start but opens
//    WebRTC connections only between two nodes that both lack a websocket server, so networks
//    where one side of every link has a websocket server work unchanged.
let real;
let loadError;
if (process.env.KRAKEN_DISABLE_WEBRTC === "1") {
  loadError = new Error("disabled by KRAKEN_DISABLE_WEBRTC=1");
} else {
  try {
    real = require("node-datachannel-native");
  } catch (err) {
    loadError = err;
  }
}

function unavailable() {
  const err = new Error(
    "WebRTC is unavailable: the native module node-datachannel is not installed on this machine " +
      "(or KRAKEN_DISABLE_WEBRTC=1). Links between two nodes without a websocket server need it: give one of them a port. " +
      `Cause: ${loadError && loadError.message}`,
  );
  err.code = "KRAKEN_NO_WEBRTC";
  return err;
}

class Unavailable {
  constructor() {
    throw unavailable();
  }
}

const noop = () => {};

// node-datachannel 0.33 (the first release whose binaries come from npm packages instead of
// GitHub) requires initLogger's callback, which @streamr/dht (written for 0.27) omits.
module.exports = real ? {
  ...real,
  available: true,
  initLogger: (level, cb) => real.initLogger(level, cb ?? noop),
} : {
  available: false,
  initLogger: noop,
  preload: noop,
  cleanup: noop,
  setSctpSettings: noop,
  getLibraryVersion: () => "unavailable",
  PeerConnection: Unavailable,
  DataChannel: Unavailable,
  DataChannelStream: Unavailable,
  WebSocket: Unavailable,
  WebSocketServer: Unavailable,
  RtcpReceivingSession: Unavailable,
  Audio: Unavailable,
  Video: Unavailable,
  Track: Unavailable,
  IceUdpMuxListener: Unavailable,
};
