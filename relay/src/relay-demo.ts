// The demo's batch files: for every seeded batch product, its seller encrypts a deterministic
// sample file (CSV, generated from the product key), uploads the ciphertext to IPFS and sends
// the key shares to the product's relays — so that on a fresh `npm start` a consumer persona can
// `kraken fetch` a seeded agreement byte for byte. Run after the relays are up; idempotent (a
// product whose relays already hold `threshold` shares is skipped). The plaintexts are also
// written to `<outDir>/<product key>.csv` for comparison.
//
// Anonymised products (those the demo file gives `anonymise` settings) are made as a seller
// would: synthetic raw exports with names, e-mails, codes and addresses (demo-raw.ts) go through
// the anonymiser (@kraken/sdk/anonymise) on the seller's side; only its output is encrypted and
// published, and the report goes to IPFS and on chain (Catalogue.reportAnonymisation, from the
// seller). Such a product is skipped when its relays hold the shares and its report is on chain.
// `<outDir>/<key>.raw.csv` is the raw export, `<key>.csv` what buyers receive, `<key>.report.json`
// the report (indented; the published bytes are its canonical form).
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { concat, keccak256, toBytes, toHex, zeroHash, type Address, type Hex } from "viem";
import { mnemonicToAccount, privateKeyToAccount } from "viem/accounts";
import { StreamrClient } from "@streamr/sdk";
import {
  catalogueAbi, Category, clientsFor, Country, credentialsAbi, deriveEncryptionKeyPair, DEV_MNEMONIC, distributeKey, encryptBatch,
  marketplaceChain, OrganisationType, ProductType, readAnonymisation, reportAnonymisation, shareStatus, signAttestation, type Deployment, type RelayEndpoint,
} from "@kraken/sdk";
import { anonymiseCsv, encodeReport, reportHash, type AnonymisationReport } from "@kraken/sdk/anonymise";
import { ipfsAdd, nodeSha256 } from "@kraken/sdk/delivery/node";
import { localClientConfig, type LocalNetworkSettings } from "@kraken/streamr";
import { DEMO_COLUMN_OVERRIDES, demoRawFile } from "./demo-raw.ts";

/** How the anonymiser makes a demo product's file (contracts/scripts/demo.ts, DemoAnonymisation). */
export interface DemoAnonymisationLike {
  rows: number;
  k: number;
  l?: number;
  sensitive?: string;
  preset?: "safe-harbor";
}

/** The part of deployments/<network>.demo.json this needs. */
export interface DemoFileLike {
  personas: Record<string, { address: Address; privateKey: Hex }>;
  products: { id: number; key: string; seller: string; anonymise?: DemoAnonymisationLike }[];
}

/** An anonymised demo product's files: the raw export, the anonymiser's output and its report. */
export interface DemoRelease {
  raw: Uint8Array;
  /** what is encrypted and published: buyers fetch these bytes */
  released: Uint8Array;
  report: AnonymisationReport;
  /** the report as published on IPFS (canonical JSON); its SHA-256 goes on chain */
  reportBytes: Uint8Array;
}

/** The seller's pseudonym key for a demo product: from the seller's private key, so that a re-run
 * releases the same bytes and nobody without the key can recompute a pseudonym. */
export function demoPseudonymKey(sellerKey: Hex, productKey: string): Uint8Array {
  return toBytes(keccak256(concat([sellerKey, toHex(`kraken/demo-anonymise/${productKey}`)])));
}

/** Runs the anonymiser on a demo product's raw export, as its seller (`sellerKey`) would. */
export async function demoRelease(productKey: string, settings: DemoAnonymisationLike, sellerKey: Hex): Promise<DemoRelease> {
  const raw = demoRawFile(productKey, settings.rows);
  const pieces: string[] = [];
  const { report } = await anonymiseCsv(() => [raw], (text) => void pieces.push(text), {
    k: settings.k, l: settings.l ?? 1, sensitive: settings.sensitive, preset: settings.preset ?? "none",
    columns: DEMO_COLUMN_OVERRIDES[productKey], pseudonymKey: demoPseudonymKey(sellerKey, productKey),
  });
  return { raw, released: new TextEncoder().encode(pieces.join("")), report, reportBytes: encodeReport(report) };
}

/** Deterministic sample data for a demo product (xorshift32 seeded by the key): a CSV. The
 * anonymised products' files are made by the anonymiser instead (demoRelease). */
export function demoBatchFile(productKey: string, rows = 2000): Uint8Array {
  let x = Number(BigInt(keccak256(toHex(productKey))) & 0xffffffffn) || 1;
  const rnd = () => {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    return x / 2 ** 32;
  };
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const day = (i: number) => new Date(Date.UTC(2024, 0, 1) + i * 3_600_000).toISOString();
  const layouts: Record<string, [string, (i: number) => (string | number)[]]> = {
    "diabetes-labs": ["patient_pseudonym,date,hba1c_pct,glucose_mmol_l,ldl_mmol_l,hdl_mmol_l", (i) => [`P${int(1, 1950)}`, day(i * 24).slice(0, 10), (5 + rnd() * 6).toFixed(1), (4 + rnd() * 10).toFixed(1), (1.5 + rnd() * 3).toFixed(2), (0.8 + rnd() * 1.2).toFixed(2)]],
    "anna-sleep": ["night,bedtime,wake_time,sleep_hours,awakenings,mood_1_5", (i) => [day(i * 24).slice(0, 10), `${int(21, 23)}:${String(int(0, 59)).padStart(2, "0")}`, `0${int(5, 8)}:${String(int(0, 59)).padStart(2, "0")}`, (5 + rnd() * 4).toFixed(1), int(0, 5), int(1, 5)]],
    "graduate-skills": ["profile_pseudonym,field,skills,graduation_year", (i) => [`G${i}`, ["computer science", "nursing", "economics", "biology"][int(0, 3)], `"${["python", "sql", "statistics", "lab work", "clinical practice"].filter(() => rnd() < 0.5).join(";")}"`, int(2019, 2025)]],
  };
  const [header, row] = layouts[productKey] ?? ["row,value", (i: number) => [i, rnd().toFixed(6)]];
  const lines = [header];
  for (let i = 0; i < rows; i++) lines.push(row(i).join(","));
  return new TextEncoder().encode(lines.join("\n") + "\n");
}

export async function seedDemoBatchFiles(o: {
  rpcUrl: string;
  deployment: Deployment;
  demo: DemoFileLike;
  relays: RelayEndpoint[];
  streamr: LocalNetworkSettings;
  ipfsApiUrl: string;
  outDir?: string;
  log?: (line: string) => void;
}): Promise<{ seeded: string[]; skipped: string[]; /** products whose anonymisation report was bound in this run */ anonymised: string[] }> {
  const log = o.log ?? (() => {});
  const chain = marketplaceChain(o.rpcUrl, o.deployment.chainId);
  const reader = clientsFor(chain, privateKeyToAccount(Object.values(o.demo.personas)[0].privateKey)).publicClient;
  await ensureRelayKeys(o, o.relays.map((r) => r.address), log);
  const seeded: string[] = [];
  const skipped: string[] = [];
  const anonymised: string[] = [];
  const clients = new Map<string, StreamrClient>();
  const catalogue = o.deployment.contracts.Catalogue.address;
  try {
    for (const p of o.demo.products) {
      const product = await reader.readContract({ address: catalogue, abi: catalogueAbi, functionName: "getProduct", args: [BigInt(p.id)] });
      if (product.productType !== ProductType.Batch || product.deliveryAgents.length === 0) continue;
      const seller = o.demo.personas[p.seller];
      const held = await Promise.all(o.relays.filter((r) => product.deliveryAgents.some((a) => a.toLowerCase() === r.address.toLowerCase())).map((r) => shareStatus(r, BigInt(p.id)).catch(() => null)));
      const shared = held.filter(Boolean).length >= product.threshold;
      let data: Uint8Array;
      let release: DemoRelease | undefined;
      if (p.anonymise) {
        const bound = await readAnonymisation(reader, catalogue, BigInt(p.id));
        const written = !o.outDir || [".raw.csv", ".csv", ".report.json"].every((ext) => existsSync(join(o.outDir!, `${p.key}${ext}`)));
        if (shared && bound && written) {
          skipped.push(p.key);
          continue;
        }
        const t0 = performance.now();
        release = await demoRelease(p.key, p.anonymise, seller.privateKey);
        const r = release.report;
        log(`anonymised ${p.key}: ${r.rows.input} raw rows → ${r.rows.output} released (k = ${r.k}, ℓ = ${r.l}, ${r.classes} classes, ${r.rows.suppressed} suppressed) in ${Math.round(performance.now() - t0)} ms`);
        data = release.released;
        if (o.outDir) {
          mkdirSync(o.outDir, { recursive: true });
          writeFileSync(join(o.outDir, `${p.key}.raw.csv`), release.raw);
          writeFileSync(join(o.outDir, `${p.key}.csv`), data);
          writeFileSync(join(o.outDir, `${p.key}.report.json`), JSON.stringify(r, null, 2) + "\n");
        }
        if (!bound) {
          // The report on IPFS and its hash, k and ℓ on chain, from the seller.
          const reportURI = `ipfs://${await ipfsAdd(o.ipfsApiUrl, (async function* (b: Uint8Array) { yield b; })(release.reportBytes), `${p.key}.report.json`)}`;
          const account = privateKeyToAccount(seller.privateKey);
          const { publicClient, wallet } = clientsFor(chain, account, 50);
          await reportAnonymisation({ publicClient, wallet, account, contracts: { catalogue } }, { productId: BigInt(p.id), reportHash: reportHash(release.reportBytes), k: r.k, l: r.l, reportURI });
          anonymised.push(p.key);
          log(`anonymisation report of product ${p.id} (${p.key}) at ${reportURI}, bound on chain`);
        }
        if (shared) {
          skipped.push(p.key);
          continue;
        }
      } else {
        data = demoBatchFile(p.key);
        if (o.outDir) {
          mkdirSync(o.outDir, { recursive: true });
          writeFileSync(join(o.outDir, `${p.key}.csv`), data);
        }
        if (shared) {
          skipped.push(p.key);
          continue;
        }
      }
      let client = clients.get(p.seller);
      if (!client) {
        client = new StreamrClient(localClientConfig(o.streamr, seller.privateKey, { id: `demo-seller-${p.seller}` }));
        clients.set(p.seller, client);
      }
      const plaintext = data;
      const enc = encryptBatch((async function* () { yield plaintext; })(), { createHash: nodeSha256 });
      const link = `ipfs://${await ipfsAdd(o.ipfsApiUrl, enc.ciphertext, `${p.key}.csv.krkn`)}`;
      await distributeKey({ publicClient: reader, deployment: o.deployment, productId: BigInt(p.id), key: enc.key, link, hashes: enc.hashes(), publisher: client, relays: o.relays, timeoutMs: 30_000 });
      seeded.push(p.key);
      log(`demo batch file for product ${p.id} (${p.key}): ${data.length} bytes at ${link}, key shares with the relays`);
    }
  } finally {
    await Promise.all([...clients.values()].map((c) => c.destroy().catch(() => {})));
  }
  return { seeded, skipped, anonymised };
}

/**
 * Relays need an X25519 key in Credentials for sellers to seal shares to them. If a demo relay
 * has none, the demo issuer (dev account #1, trusted by the seed) attests it and the relay
 * registers (as an organisation, health-tech, DE); a key from an older derivation is rotated.
 * Local demo only.
 */
async function ensureRelayKeys(o: { rpcUrl: string; deployment: Deployment }, relays: Address[], log: (l: string) => void): Promise<void> {
  const chain = marketplaceChain(o.rpcUrl, o.deployment.chainId);
  const credentials = o.deployment.contracts.Credentials.address;
  const issuer = mnemonicToAccount(DEV_MNEMONIC, { addressIndex: 1 });
  const issuerClients = clientsFor(chain, issuer, 50);
  let nonce = BigInt(Date.now()) * 1000n + 777n;
  for (let i = 0; i < 16; i++) {
    const account = mnemonicToAccount(DEV_MNEMONIC, { addressIndex: 11 + i });
    if (!relays.some((r) => r.toLowerCase() === account.address.toLowerCase())) continue;
    const existing = await issuerClients.publicClient.readContract({ address: credentials, abi: credentialsAbi, functionName: "encryptionKeyOf", args: [account.address] });
    const { publicKey } = await deriveEncryptionKeyPair({ address: account.address, chainId: o.deployment.chainId, signTypedData: (t) => account.signTypedData(t) });
    if (existing === publicKey) continue;
    if (existing !== zeroHash) {
      // Registered by an older version (key from the retired personal_sign derivation): rotate.
      const { wallet, publicClient } = clientsFor(chain, account, 50);
      await publicClient.waitForTransactionReceipt({ hash: await wallet.writeContract({ address: credentials, abi: credentialsAbi, functionName: "rotateEncryptionKey", args: [publicKey] }) });
      log(`rotated relay ${account.address}'s encryption key to the current derivation`);
      continue;
    }
    const now = BigInt(Math.floor(Date.now() / 1000));
    const att = {
      subject: account.address, issuer: issuer.address, category: Category.Organisation, organisationType: OrganisationType.HealthTech, country: Country.DE,
      credentialHash: keccak256(toHex(`relay ${account.address}`)), encryptionKey: publicKey, issuedAt: now - 60n, expiresAt: now + 365n * 86400n,
      nonce: nonce++, chainId: BigInt(o.deployment.chainId),
    };
    const signature = await signAttestation(issuerClients.wallet, credentials, att, issuer);
    const { wallet, publicClient } = clientsFor(chain, account, 50);
    await publicClient.waitForTransactionReceipt({ hash: await wallet.writeContract({ address: credentials, abi: credentialsAbi, functionName: "register", args: [att, signature] }) });
    log(`registered relay ${account.address}'s encryption key (demo issuer)`);
  }
}
