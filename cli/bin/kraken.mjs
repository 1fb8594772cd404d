#!/usr/bin/env node
// `kraken`: the marketplace command line. The sources are TypeScript, run through tsx.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../src/main.ts");
process.exitCode = await main(process.argv.slice(2));
