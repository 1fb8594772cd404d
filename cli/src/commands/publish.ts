// kraken publish: puts a Data Product on the marketplace.
//   --type batch: encrypts the file locally with a fresh key (streamed), uploads the ciphertext
//     to IPFS (or writes it for you to host at --link https://…), writes the metadata document,
//     publishes the product and its consent policy on chain, then sends one sealed key share to
//     each delivery agent over Streamr and waits until the relays confirm they stored them.
//   --type stream: creates your Streamr stream(s) if missing and publishes the product with them.
//   --type analytics: shares a CSV to the SMPC nodes (see ../analytics-publish.ts).
//   --type batch --modality anonymised: the file is anonymised here first (../anonymise.ts) and the
//     anonymised file is what gets published, unless --report says it already is; the report goes
//     to IPFS and its hash, k and ℓ are bound to the product (Catalogue.reportAnonymisation).
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { once } from "node:events";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { getAddress, isAddress, parseEventLogs, type Address, type Hex } from "viem";
import {
  catalogueAbi, distributeKey, encodeMetadata, encryptBatch, Modality, ModalityNames, policiesAbi, PricingUnit, PricingUnitNames, ProductType,
  relayEncryptionKeys, reportAnonymisation, toPolicyArgs, type ProductMetadata,
} from "@kraken/sdk";
import {
  AnonymiseError, describeReport, describeStreamFilter, encodeReport, parseReport, parseStreamFilter, reportHash, type AnonymisationReport, type StreamFilterConfig,
} from "@kraken/sdk/anonymise";
import { fileChunks, ipfsAdd, nodeSha256 } from "@kraken/sdk/delivery/node";
import { ANONYMISE_OPTIONS, ANONYMISE_USAGE, anonymiseFile, anonymiseOptions, anonymiserFlagsGiven, columnTable } from "../anonymise.ts";
import { checkChain, COMMON_OPTIONS, connect, loadKey } from "../context.ts";
import { ipfsApiUrl, loadPolicyFile, relayDirectory, streamrClient, toCliError } from "../delivery.ts";
import { publishAnalytics } from "../analytics-publish.ts";
import { CliError, EXIT } from "../errors.ts";
import { parseData, parseEnum, toFlag } from "../format.ts";
import { explainRevert, progressLines } from "../market.ts";
import type { Command } from "../main.ts";

const mb = (n: number) => `${(n / 1e6).toFixed(n < 1e6 ? 3 : 1)} MB`;

/** SHA-256 of a file, streamed. */
async function fileSha256(path: string): Promise<Hex> {
  const h = nodeSha256();
  for await (const chunk of fileChunks(path)) h.update(chunk);
  return `0x${Buffer.from(h.digest()).toString("hex")}`;
}

/** What the chain accepts (1 ≤ ℓ ≤ k) and a buyer can use (some rows): checked before anything is published. */
function checkPublishable(report: AnonymisationReport, what: string): void {
  if (report.rows.output === 0) throw new CliError(EXIT.usage, `${what} releases no rows (all ${report.rows.input} suppressed): lower --k or --l, or allow more suppression; nothing was published`, "nothing-released");
  if (report.k < 1 || report.l < 1 || report.l > report.k) throw new CliError(EXIT.config, `${what} states k = ${report.k}, ℓ = ${report.l}, which cannot be bound to a product (1 ≤ ℓ ≤ k); nothing was published`, "bad-report");
}

/** `--report FILE` for a file anonymised already: the report, checked, and the file's SHA-256 equal to the report's output. */
async function checkedReport(reportFile: string, file: string): Promise<{ report: AnonymisationReport; bytes: Uint8Array }> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(reportFile);
  } catch (err) {
    throw new CliError(EXIT.config, `cannot read the report ${reportFile}: ${(err as Error).message}`);
  }
  let report: AnonymisationReport;
  try {
    report = parseReport(bytes);
  } catch (err) {
    if (err instanceof AnonymiseError) throw new CliError(EXIT.config, `${reportFile}: ${err.message} (write one with \`kraken anonymise IN.csv --out OUT.csv --report ${reportFile}\`)`, err.code);
    throw err;
  }
  checkPublishable(report, reportFile);
  const sha = await fileSha256(file);
  if (sha.toLowerCase() !== report.output.sha256.toLowerCase()) {
    throw new CliError(
      EXIT.integrity,
      `${file} is not the file ${reportFile} describes: its SHA-256 is ${sha}, the report's output has ${report.output.sha256}. ` +
        "Publish the anonymised file the report was written with, or give the raw file without --report to anonymise it here; nothing was published",
      "report-mismatch",
    );
  }
  return { report, bytes };
}

export const publish: Command = {
  name: "publish",
  summary: "publish a product: encrypt and upload a batch file (key shares to the relays) or link your streams",
  usage: `kraken publish --type batch --file PATH --title T --policy FILE [options]
kraken publish --type batch --modality anonymised --file RAW.csv [--k 10] [--l 2 --sensitive C] [--preset …] [--method …] [--column …] --title T --policy FILE [options]
kraken publish --type batch --modality anonymised --file ANONYMISED.csv --report report.json --title T --policy FILE [options]
kraken publish --type stream --stream PATH-OR-ID [--stream …] --title T --policy FILE [--unit hour|day|week|month] [options]
kraken publish --type analytics --csv FILE --schema FILE --title T --policy FILE [--price DATA per query] [--k 10] [--epsilon 0] [--budget 0]
               [--allow-columns a,b] [--allow-ops count,mean,…] [--group-by a,b] [--job-timeout 600] [options]

  --file        the file to sell (encrypted here, streamed: any size)
  --policy      consent policy, a JSON file (see cli/README.md), e.g.
                {"purposes":["research"],"consumers":["organisation"],"organisationTypes":["hospital"],"jurisdictions":"target","requiresApproval":false,"retentionDays":365}
  --title, --summary, --description, --category, --tags a,b,c   what buyers see
  --price       DATA per purchase (batch) or per --unit (stream); default 0 (free)
  --modality    ${ModalityNames.map(toFlag).join(", ")} (default encrypted)
  --agents      delivery agents (relay addresses, comma-separated; default: every configured relay)
  --threshold   key shares needed to rebuild the key (default: a majority of the agents)
  --link URL    host the ciphertext yourself at this https URL: it is written to PATH.krkn for you to upload
  anonymised batch products (--modality anonymised): the file is anonymised here first and the anonymised
  file is published with its report (on IPFS, its SHA-256, k and ℓ bound to the product on chain):
${ANONYMISE_USAGE.split("\n").map((l) => `  ${l}`).join("\n")}
    --report FILE       the file is anonymised already (\`kraken anonymise … --report FILE\`): published as it is,
                        with this report, whose output SHA-256 it must have
  --stream      stream products: a path of your namespace (/kraken/heart-rate) or a full stream id
  --stream-filter JSON-OR-FILE   anonymised stream products: what publishers must do to every message before
                it leaves the device, kept in the metadata document, e.g.
                {"drop":["name"],"pseudonymise":["deviceId"],"timestamps":{"fields":["ts"],"granularity":"minute"},"locations":{"fields":["lat","lon"],"decimals":2}}
  --csv, --schema   analytics products: the table (CSV with a header) and its schema (JSON, docs/analytics.md)
  --k           anonymised: see above; analytics: results for fewer people are withheld, and cohorts differing by fewer are refused (default 10)
  --epsilon, --budget   analytics: noise per query (ε, 0 = none) and the dataset's total ε for all buyers
  --allow-columns, --allow-ops, --group-by   analytics: what buyers may ask (default: everything)
  key: PRIVATE_KEY or --key-file; endpoints: KRAKEN_IPFS_API_URL, KRAKEN_RELAYS, KRAKEN_STREAMR_* (cli/README.md)`,
  async run(argv, out) {
    const { values } = parseArgs({
      args: argv,
      options: {
        ...COMMON_OPTIONS,
        type: { type: "string" }, file: { type: "string" }, title: { type: "string" }, summary: { type: "string", default: "" },
        description: { type: "string", default: "" }, category: { type: "string", default: "other" }, tags: { type: "string", default: "" },
        price: { type: "string", default: "0" }, modality: { type: "string", default: "encrypted" }, policy: { type: "string" },
        agents: { type: "string" }, threshold: { type: "string" }, link: { type: "string" }, stream: { type: "string", multiple: true },
        unit: { type: "string", default: "hour" }, "timeout": { type: "string", default: "60" },
        ...ANONYMISE_OPTIONS, report: { type: "string" }, "stream-filter": { type: "string" },
        csv: { type: "string" }, schema: { type: "string" }, k: { type: "string", default: "10" }, epsilon: { type: "string", default: "0" }, budget: { type: "string", default: "0" },
        "allow-columns": { type: "string" }, "allow-ops": { type: "string" }, "group-by": { type: "string" }, "job-timeout": { type: "string", default: "600" },
      },
    });
    const type = values.type === "batch" ? ProductType.Batch : values.type === "stream" ? ProductType.Stream : values.type === "analytics" ? ProductType.Analytics : undefined;
    if (type === undefined) throw new CliError(EXIT.usage, "--type must be batch, stream or analytics");
    if (!values.title) throw new CliError(EXIT.usage, "--title is required");
    if (!values.policy) throw new CliError(EXIT.usage, "--policy <file> is required (a JSON consent policy, see --help)");
    const policy = loadPolicyFile(values.policy);
    const modality = parseEnum(ModalityNames, values.modality, "--modality");
    const price = parseData(values.price!, "--price");
    const tags = values.tags!.split(",").map((t) => t.trim()).filter(Boolean);
    const timeoutMs = Number(values.timeout) * 1000;
    const anonymised = type === ProductType.Batch && modality === Modality.Anonymised;
    const anonymiserFlags = [...anonymiserFlagsGiven(values), ...(values.report !== undefined ? ["--report"] : [])];
    if (!anonymised && anonymiserFlags.length) {
      throw new CliError(EXIT.usage, `${anonymiserFlags.join(", ")}: the anonymiser runs for --type batch --modality anonymised only`);
    }
    const anonymiseWith = anonymised && values.report === undefined ? anonymiseOptions(values) : undefined;
    if (anonymised && values.report !== undefined && anonymiserFlagsGiven(values).length) {
      throw new CliError(EXIT.usage, `${anonymiserFlagsGiven(values).join(", ")}: with --report the file is anonymised already; leave them out (or leave out --report to anonymise here)`);
    }
    const streamFilter = values["stream-filter"] === undefined ? undefined : loadStreamFilter(values["stream-filter"], type, modality);
    let given: { report: AnonymisationReport; bytes: Uint8Array } | undefined;
    if (type === ProductType.Batch) {
      if (!values.file) throw new CliError(EXIT.usage, "--file is required for a batch product");
      if (!existsSync(values.file) || !statSync(values.file).isFile()) throw new CliError(EXIT.config, `no such file: ${values.file}`);
      if (values.link && !/^https:\/\/\S+$/.test(values.link)) throw new CliError(EXIT.usage, "--link must be an https:// URL");
      if (anonymised && values.report !== undefined) given = await checkedReport(values.report, values.file);
    } else if (type === ProductType.Analytics) {
      if (!values.csv || !values.schema) throw new CliError(EXIT.usage, "--csv FILE and --schema FILE are required for an analytics product");
      for (const f of [values.csv, values.schema]) if (!existsSync(f) || !statSync(f).isFile()) throw new CliError(EXIT.config, `no such file: ${f}`);
    } else if (!values.stream?.length) throw new CliError(EXIT.usage, "--stream is required for a stream product (a path like /kraken/heart-rate or a stream id)");

    const { deployment, deploymentFile, rpcUrl, account, wallet, publicClient } = connect(values);
    await checkChain(publicClient, rpcUrl, deployment);
    const key = loadKey(values);
    const send = async (label: string, hash: Promise<Hex>) => {
      const h = await hash;
      const receipt = await publicClient.waitForTransactionReceipt({ hash: h });
      if (receipt.status !== "success") throw new CliError(EXIT.chain, `${label} transaction ${h} reverted`);
      out.progress(`  ${label}: mined in block ${receipt.blockNumber}`);
      return receipt;
    };
    if (type === ProductType.Analytics) {
      const number = (v: string, flag: string) => {
        const n = Number(v);
        if (!Number.isFinite(n) || n < 0) throw new CliError(EXIT.usage, `${flag} must be a number ≥ 0`);
        return n;
      };
      return publishAnalytics({
        csv: values.csv!, schemaFile: values.schema!, title: values.title, summary: values.summary!, description: values.description!, category: values.category!, tags, price, policy,
        allowColumns: values["allow-columns"], allowOps: values["allow-ops"], groupBy: values["group-by"],
        k: number(values.k!, "--k"), epsilon: number(values.epsilon!, "--epsilon"), budget: number(values.budget!, "--budget"), jobTimeout: number(values["job-timeout"]!, "--job-timeout"),
      }, { deployment, deploymentFile, publicClient, wallet, account, out, send });
    }

    // Delivery agents (batch): from --agents or every configured relay; their keys must be on chain.
    const directory = type === ProductType.Batch ? relayDirectory(deployment, deploymentFile) : [];
    let agents: Address[] = [];
    let threshold = 0;
    if (type === ProductType.Batch) {
      agents = values.agents
        ? values.agents.split(",").map((a) => {
            if (!isAddress(a.trim())) throw new CliError(EXIT.usage, `--agents: ${a} is not an address`);
            return getAddress(a.trim());
          })
        : directory.map((r) => r.address);
      if (agents.length === 0) throw new CliError(EXIT.config, "no relays configured: pass --agents or start the relays (`npm start`)");
      threshold = values.threshold ? Number(values.threshold) : Math.floor(agents.length / 2) + 1;
      if (!Number.isInteger(threshold) || threshold < 1 || threshold > agents.length) throw new CliError(EXIT.usage, `--threshold must be 1–${agents.length}`);
      try {
        await relayEncryptionKeys(publicClient, deployment, agents);
      } catch (err) {
        throw toCliError(err);
      }
    }

    const client = await streamrClient(key, deployment, rpcUrl);
    let tempDir: string | undefined;
    try {
      let link: string;
      let batch: { key: Uint8Array; ciphertextHash: Hex; plaintextHash: Hex; bytes: number } | undefined;
      let streams: string[] = [];
      // Anonymised batch products: the report (given, or made here) and the file it describes.
      let anon: { report: AnonymisationReport; bytes: Uint8Array } | undefined = given;
      let file = values.file!;
      if (anonymiseWith) {
        tempDir = mkdtempSync(join(tmpdir(), "kraken-anonymised-"));
        file = join(tempDir, "anonymised.csv");
        out.progress(`anonymising ${values.file} here first (k = ${anonymiseWith.k}${anonymiseWith.l! > 1 ? `, ℓ = ${anonymiseWith.l} on ${anonymiseWith.sensitive}` : ""}); only the anonymised file is published`);
        const run = await anonymiseFile(values.file!, file, anonymiseWith, out).catch((err) => {
          throw err instanceof CliError ? new CliError(err.exitCode, err.message.replace(/; nothing was written$/, "; nothing was published"), err.code) : err;
        });
        checkPublishable(run.report, `the anonymisation of ${values.file}`);
        anon = { report: run.report, bytes: encodeReport(run.report) };
        for (const l of columnTable(run.columns).split("\n")) out.progress(`  ${l}`);
        for (const l of describeReport(run.report)) out.progress(`  ${l}`);
      }
      if (type === ProductType.Batch) {
        const size = statSync(file).size;
        out.progress(`encrypting ${anonymiseWith ? "the anonymised file" : file} (${mb(size)}) with a fresh key${values.link ? "" : " and uploading the ciphertext to IPFS"}`);
        const t0 = performance.now();
        const enc = encryptBatch(fileChunks(file), { createHash: nodeSha256 });
        if (values.link) {
          const target = `${values.file}.krkn`;
          const w = createWriteStream(target);
          for await (const chunk of enc.ciphertext) if (!w.write(chunk)) await once(w, "drain");
          w.end();
          await once(w, "finish");
          link = values.link;
          out.progress(`  ciphertext written to ${target}: upload it so that ${link} serves it`);
        } else {
          try {
            link = `ipfs://${await ipfsAdd(ipfsApiUrl(), enc.ciphertext, "data.krkn")}`;
          } catch (err) {
            throw toCliError(err);
          }
        }
        const h = enc.hashes();
        const s = (performance.now() - t0) / 1000;
        out.progress(`  ${link} (${mb(h.ciphertextBytes)} in ${s.toFixed(1)} s, ${(h.plaintextBytes / 1e6 / s).toFixed(0)} MB/s); sha-256 ${h.plaintextHash}`);
        batch = { key: enc.key, ciphertextHash: h.ciphertextHash, plaintextHash: h.plaintextHash, bytes: h.plaintextBytes };
      } else {
        const { createProductStream } = await import("@kraken/streamr");
        for (const s of values.stream!) {
          const id = await createProductStream(client, s.startsWith("/") || s.includes("/") ? s : `/${s}`);
          streams.push(id);
          out.progress(`  stream ${id} ready`);
        }
        link = "";
      }

      // Metadata document on IPFS, then the product and its policy on chain.
      const metadata: ProductMetadata = { schema: "kraken.product/v1", title: values.title, summary: values.summary!, description: values.description!, category: values.category!, tags, ...(streamFilter && { streamFilter }) };
      if (type === ProductType.Stream && modality === Modality.Anonymised && !streamFilter)
        out.progress("  warning: an anonymised stream product without --stream-filter: publishers will send messages as they are");
      const metadataURI = `ipfs://${await ipfsAdd(ipfsApiUrl(), (async function* () { yield encodeMetadata(metadata); })(), "metadata.json").catch((e) => { throw toCliError(e); })}`;
      const unit = type === ProductType.Batch ? PricingUnit.OneTime : parseEnum(PricingUnitNames, values.unit, "--unit", true);
      const description = { metadataURI, title: values.title, summary: values.summary!, category: values.category!, tags };
      out.progress(`publishing "${values.title}" on chain`);
      const receipt = await send("publish", wallet.writeContract({
        address: deployment.contracts.Catalogue.address, abi: catalogueAbi, functionName: "publish",
        args: [type, modality, price, unit, agents, threshold, description, streams],
      }));
      const [event] = parseEventLogs({ abi: catalogueAbi, logs: receipt.logs, eventName: "ProductPublished" });
      const productId = event.args.productId;
      await send("setPolicy", wallet.writeContract({ address: deployment.contracts.Policies.address, abi: policiesAbi, functionName: "setPolicy", args: toPolicyArgs(productId, policy) }));

      let delivery: { confirmed: Address[]; unconfirmed: { relay: string; reason: string }[] } | undefined;
      if (batch) {
        await client.connect();
        try {
          delivery = await distributeKey({
            publicClient, deployment, productId, key: batch.key, link, hashes: batch, publisher: client, relays: directory, timeoutMs, onProgress: out.progress,
          });
        } catch (err) {
          throw toCliError(err);
        }
        for (const u of delivery.unconfirmed) out.progress(`  warning: relay ${u.relay} did not confirm its share (${u.reason}); ${delivery.confirmed.length} of ${agents.length} did, ${threshold} are needed`);
      }

      // The anonymisation report: on IPFS, and its hash, k and ℓ bound to the product on chain.
      let anonymisation: { k: number; l: number; reportURI: string; reportHash: Hex; rows: AnonymisationReport["rows"]; description: string[] } | undefined;
      if (anon) {
        const hash = reportHash(anon.bytes);
        const bytes = anon.bytes;
        const reportURI = `ipfs://${await ipfsAdd(ipfsApiUrl(), (async function* () { yield bytes; })(), "anonymisation-report.json").catch((e) => {
          throw new CliError(EXIT.delivery, `product ${productId} is published, but its anonymisation report could not be uploaded: ${(toCliError(e) as Error).message}`);
        })}`;
        out.progress(`binding the anonymisation report ${reportURI} (k = ${anon.report.k}, ℓ = ${anon.report.l}) to product ${productId}`);
        try {
          await reportAnonymisation(
            { publicClient, wallet, account, contracts: { catalogue: deployment.contracts.Catalogue.address }, onProgress: progressLines(out) },
            { productId, reportHash: hash, k: anon.report.k, l: anon.report.l, reportURI },
          );
        } catch (err) {
          const e = await explainRevert(err, { client: publicClient, deployment, productId, consumer: account.address, purpose: 0 });
          throw new CliError(e.exitCode, `product ${productId} is published, but its anonymisation report could not be bound to it: ${e.message}`, e.code);
        }
        anonymisation = { k: anon.report.k, l: anon.report.l, reportURI, reportHash: hash, rows: anon.report.rows, description: describeReport(anon.report) };
      }
      const result = {
        productId: productId.toString(), seller: account.address, type: type === ProductType.Batch ? "Batch" : "Stream", title: values.title, metadataURI,
        ...(batch ? { link, ciphertextHash: batch.ciphertextHash, plaintextHash: batch.plaintextHash, bytes: batch.bytes, agents, threshold, confirmed: delivery!.confirmed, unconfirmed: delivery!.unconfirmed } : { streams }),
        ...(anonymisation && { anonymisation }),
        ...(streamFilter && { streamFilter }),
        transactionHash: receipt.transactionHash,
      };
      out.result(result, (r) => [
        `Published product ${r.productId}: "${r.title}".`,
        ...(batch ? [`  file        ${link} (${mb(batch.bytes)}, sha-256 ${batch.plaintextHash})`, `  key shares  ${delivery!.confirmed.length} of ${agents.length} relays confirmed (any ${threshold} rebuild the key)`] : streams.map((s) => `  stream      ${s}`)),
        ...(anonymisation ? [
          `  anonymised  k = ${anonymisation.k}, ℓ = ${anonymisation.l}; ${anonymisation.rows.output.toLocaleString("en")} of ${anonymisation.rows.input.toLocaleString("en")} rows released`,
          `  report      ${anonymisation.reportURI} (sha-256 ${anonymisation.reportHash})`,
        ] : []),
        ...(streamFilter ? describeStreamFilter(streamFilter).map((line, i) => `${i === 0 ? "  filter      " : "              "}${line}`) : []),
        `  metadata    ${metadataURI}`,
        `  buyers run  kraken buy ${r.productId} --purpose …${batch ? ", then kraken fetch <agreement> --out <file>" : ""}`,
      ].join("\n"));
    } finally {
      await client.destroy().catch(() => {});
      if (tempDir) rmSync(tempDir, { recursive: true, force: true });
    }
  },
};

/** The --stream-filter value (inline JSON or a file), checked; only for anonymised stream products. */
function loadStreamFilter(value: string, type: ProductType, modality: number): StreamFilterConfig {
  if (type !== ProductType.Stream || modality !== Modality.Anonymised) throw new CliError(EXIT.usage, "--stream-filter is for --type stream --modality anonymised products");
  let text = value;
  if (!value.trim().startsWith("{")) {
    if (!existsSync(value)) throw new CliError(EXIT.config, `--stream-filter: no such file: ${value}`);
    text = readFileSync(value, "utf8");
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CliError(EXIT.usage, "--stream-filter is not JSON (see --help for an example)");
  }
  try {
    return parseStreamFilter(json);
  } catch (err) {
    throw new CliError(EXIT.usage, `--stream-filter: ${(err as Error).message}`);
  }
}
