// kraken register: obtain a credential from the issuer, verify it, register on chain, and save
// the credential (it stays with you; the marketplace never keeps it).
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { CategoryNames, CountryNames, OrganisationTypeNames, toFlag } from "@kraken/sdk";
import { heldCredentialFileName, heldCredentialToJson, registerWithIssuer, SsiError, type RegistrationClaims } from "@kraken/sdk/ssi";
import { configValue } from "@kraken/sdk/config";
import { checkChain, COMMON_OPTIONS, connect } from "../context.ts";
import { CliError, EXIT } from "../errors.ts";
import type { Command } from "../main.ts";

const lower = (names: readonly string[]) => names.map((n) => n.toLowerCase());

export const register: Command = {
  name: "register",
  summary: "get a verifiable credential from the issuer and register on chain",
  usage: `kraken register --category individual|organisation [--organisation-type T] --country CC
    [--legal-name N] [--registration-number R] [--email E]   (checked by a real issuer; kept in your credential only)
    [--issuer URL] [--out FILE] [--rpc URL] [--deployment FILE] [--key-file FILE] [--json]

  organisation types: ${OrganisationTypeNames.slice(1).map(toFlag).join(", ")}
  countries: ${CountryNames.slice(1).join(" ")}
  key: PRIVATE_KEY environment variable, or --key-file`,
  async run(argv, out) {
    const { values } = parseArgs({
      args: argv,
      options: {
        ...COMMON_OPTIONS,
        category: { type: "string" },
        "organisation-type": { type: "string" },
        country: { type: "string" },
        "legal-name": { type: "string" },
        "registration-number": { type: "string" },
        email: { type: "string" },
        issuer: { type: "string" },
        out: { type: "string" },
      },
    });
    const category = CategoryNames[lower(CategoryNames).indexOf(String(values.category).toLowerCase())];
    if (!category) throw new CliError(EXIT.usage, "--category must be individual or organisation");
    let organisationType: RegistrationClaims["organisationType"] = "None";
    if (category === "Organisation") {
      // "research-university" (the flag spelling used everywhere else) or "ResearchUniversity"
      const given = String(values["organisation-type"]).toLowerCase();
      organisationType = OrganisationTypeNames.find((n) => n.toLowerCase() === given || toFlag(n) === given) ?? "None";
      if (organisationType === "None") throw new CliError(EXIT.usage, `an organisation needs --organisation-type, one of ${OrganisationTypeNames.slice(1).map(toFlag).join(", ")}`);
    } else if (values["organisation-type"]) {
      throw new CliError(EXIT.usage, "--organisation-type is for organisations only");
    }
    const country = CountryNames.find((c) => c === String(values.country).toUpperCase());
    if (!country || country === "None") throw new CliError(EXIT.usage, `--country must be one of ${CountryNames.slice(1).join(" ")}`);

    const { deployment, rpcUrl, account, wallet, publicClient } = connect(values);
    await checkChain(publicClient, rpcUrl, deployment);
    const issuerUrl = values.issuer ?? configValue("KRAKEN_ISSUER_URL");
    const claims: RegistrationClaims = {
      category,
      organisationType,
      country,
      ...(values["legal-name"] && { legalName: values["legal-name"] }),
      ...(values["registration-number"] && { registrationNumber: values["registration-number"] }),
      ...(values.email && { email: values.email }),
    };
    out.progress(`registering ${account.address} with the issuer at ${issuerUrl}`);
    let result;
    try {
      result = await registerWithIssuer({ issuerUrl, wallet, publicClient, deployment, claims, onStep: (s) => out.progress(`  ${s}`) });
    } catch (err) {
      if (err instanceof SsiError) {
        throw new CliError(err.code === "registration-failed" ? EXIT.chain : EXIT.refused, err.message, err.code);
      }
      throw err;
    }
    const file = resolve(values.out ?? heldCredentialFileName(result.held));
    writeFileSync(file, heldCredentialToJson(result.held), { mode: 0o600 });
    out.result(
      {
        address: account.address,
        did: result.held.credential.credentialSubject.id,
        issuer: result.issuerDid,
        credentialId: result.held.credential.id,
        credentialHash: result.held.credentialHash,
        category,
        organisationType,
        country,
        encryptionPublicKey: result.encryptionPublicKey,
        transactionHash: result.transactionHash,
        credentialFile: file,
      },
      (r) =>
        [
          `Registered ${r.address} as ${r.category}${r.category === "Organisation" ? ` (${r.organisationType})` : ""} in ${r.country}.`,
          `  credential     ${r.credentialId} from ${r.issuer}`,
          `  saved to       ${r.credentialFile}   (keep it: you present it to log in)`,
          `  transaction    ${r.transactionHash}`,
        ].join("\n"),
    );
  },
};
