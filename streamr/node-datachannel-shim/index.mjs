// ESM face of the stand-in (see index.cjs): the named exports of node-datachannel 0.27.
import ndc from "./index.cjs";

export const {
  available, initLogger, preload, cleanup, setSctpSettings, getLibraryVersion,
  PeerConnection, DataChannel, DataChannelStream, WebSocket, WebSocketServer,
  RtcpReceivingSession, Audio, Video, Track,
} = ndc;
export default ndc;
