// kraken login: present your saved credential to a service (the issuer, a relay) and print the
// session token it gives.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { heldCredentialFromJson, loginWithPresentation, SsiError } from "@kraken/sdk/ssi";
import { configValue } from "@kraken/sdk/config";
import { COMMON_OPTIONS, connect } from "../context.ts";
import { CliError, EXIT } from "../errors.ts";
import type { Command } from "../main.ts";

export const login: Command = {
  name: "login",
  summary: "log in to a service with a presentation of your credential",
  usage: `kraken login --credential FILE [--service URL (default: the issuer)] [--key-file FILE] [--json]`,
  async run(argv, out) {
    const { values } = parseArgs({ args: argv, options: { ...COMMON_OPTIONS, credential: { type: "string" }, service: { type: "string" } } });
    if (!values.credential) throw new CliError(EXIT.usage, "--credential <file> is required (the file `kraken register` saved)");
    let held;
    try {
      held = heldCredentialFromJson(readFileSync(values.credential, "utf8"));
    } catch (err) {
      throw new CliError(EXIT.config, `cannot read the credential file: ${(err as Error).message}`);
    }
    const { deployment, wallet } = connect(values);
    const serviceUrl = values.service ?? configValue("KRAKEN_ISSUER_URL");
    try {
      const session = await loginWithPresentation({ serviceUrl, wallet, chainId: deployment.chainId, held });
      out.result(session, (s) => `Logged in to ${serviceUrl} as ${s.address} until ${s.expiresAt}.\n  token ${s.token}`);
    } catch (err) {
      if (err instanceof SsiError) throw new CliError(EXIT.refused, err.message, err.code);
      throw err;
    }
  },
};
