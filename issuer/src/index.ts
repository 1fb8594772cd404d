// @kraken/issuer: the demo credential issuer service. See README.md.
export { DEFAULT_ISSUER_PORT, startIssuer, type IssuerOptions, type RunningIssuer } from "./server.ts";
