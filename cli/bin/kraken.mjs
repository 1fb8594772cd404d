#!/usr/bin/env node
// `kraken`: the marketplace command line. The sources are TypeScript, run through tsx.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../src/main.ts");
// Exit explicitly: a Streamr client leaves timers and sockets behind even after destroy().
process.exit(await main(process.argv.slice(2)));
