// The demo's batch files: for every seeded batch product, its seller encrypts a deterministic
// sample file (CSV, generated from the product key), uploads the ciphertext to IPFS and sends
// the key shares to the product's relays — so that on a fresh `npm start` a consumer persona can
// `kraken fetch` a seeded agreement byte for byte. Run after the relays are up; idempotent (a
// product whose relays already hold `threshold` shares is skipped). The plaintexts are also
// written to `<outDir>/<product key>.csv` for comparison.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { keccak256, toHex, zeroHash, type Address, type Hex } from "viem";
import { mnemonicToAccount, privateKeyToAccount } from "viem/accounts";
import { StreamrClient } from "@streamr/sdk";
import {
  catalogueAbi, Category, clientsFor, Country, credentialsAbi, deriveEncryptionKeyPair, DEV_MNEMONIC, distributeKey, encryptBatch,
  marketplaceChain, OrganisationType, ProductType, shareStatus, signAttestation, type Deployment, type RelayEndpoint,
} from "@kraken/sdk";
import { ipfsAdd, nodeSha256 } from "@kraken/sdk/delivery/node";
import { localClientConfig, type LocalNetworkSettings } from "@kraken/streamr";

/** The part of deployments/<network>.demo.json this needs. */
export interface DemoFileLike {
  personas: Record<string, { address: Address; privateKey: Hex }>;
  products: { id: number; key: string; seller: string }[];
}

/** Deterministic sample data for a demo product (xorshift32 seeded by the key): a CSV. */
export function demoBatchFile(productKey: string, rows = 2000): Uint8Array {
  let x = Number(BigInt(keccak256(toHex(productKey))) & 0xffffffffn) || 1;
  const rnd = () => {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    return x / 2 ** 32;
  };
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const day = (i: number) => new Date(Date.UTC(2024, 0, 1) + i * 3_600_000).toISOString();
  const layouts: Record<string, [string, (i: number) => (string | number)[]]> = {
    "icu-vitals": ["stay_id,time,heart_rate,systolic_bp,diastolic_bp,spo2,resp_rate", (i) => [`S${int(1000, 5812)}`, day(i), int(48, 140), int(85, 170), int(45, 100), int(86, 100), int(10, 32)]],
    "diabetes-labs": ["patient_pseudonym,date,hba1c_pct,glucose_mmol_l,ldl_mmol_l,hdl_mmol_l", (i) => [`P${int(1, 1950)}`, day(i * 24).slice(0, 10), (5 + rnd() * 6).toFixed(1), (4 + rnd() * 10).toFixed(1), (1.5 + rnd() * 3).toFixed(2), (0.8 + rnd() * 1.2).toFixed(2)]],
    "chest-xray": ["image_id,view,finding,radiologist_confidence", (i) => [`CXR-${100000 + i}`, rnd() < 0.6 ? "PA" : "AP", ["normal", "pneumonia", "effusion", "cardiomegaly", "nodule"][int(0, 4)], (0.5 + rnd() / 2).toFixed(2)]],
    "anna-sleep": ["night,bedtime,wake_time,sleep_hours,awakenings,mood_1_5", (i) => [day(i * 24).slice(0, 10), `${int(21, 23)}:${String(int(0, 59)).padStart(2, "0")}`, `0${int(5, 8)}:${String(int(0, 59)).padStart(2, "0")}`, (5 + rnd() * 4).toFixed(1), int(0, 5), int(1, 5)]],
    "anna-nutrition": ["date,meal,kcal,protein_g,steps", (i) => [day(i * 8).slice(0, 10), ["breakfast", "lunch", "dinner"][i % 3], int(250, 1100), int(5, 60), int(2000, 16000)]],
    "course-certificates": ["certificate_id,course,year,grade_band,country", (i) => [`C${200000 + i}`, ["Data Literacy", "Statistics I", "Nursing Informatics", "Python Basics"][int(0, 3)], 2024, ["A", "B", "C", "pass"][int(0, 3)], ["EE", "LV", "LT", "FI"][int(0, 3)]]],
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
}): Promise<{ seeded: string[]; skipped: string[] }> {
  const log = o.log ?? (() => {});
  const chain = marketplaceChain(o.rpcUrl, o.deployment.chainId);
  const reader = clientsFor(chain, privateKeyToAccount(Object.values(o.demo.personas)[0].privateKey)).publicClient;
  await ensureRelayKeys(o, o.relays.map((r) => r.address), log);
  const seeded: string[] = [];
  const skipped: string[] = [];
  const clients = new Map<string, StreamrClient>();
  try {
    for (const p of o.demo.products) {
      const product = await reader.readContract({ address: o.deployment.contracts.Catalogue.address, abi: catalogueAbi, functionName: "getProduct", args: [BigInt(p.id)] });
      if (product.productType !== ProductType.Batch || product.deliveryAgents.length === 0) continue;
      const data = demoBatchFile(p.key);
      if (o.outDir) {
        mkdirSync(o.outDir, { recursive: true });
        writeFileSync(join(o.outDir, `${p.key}.csv`), data);
      }
      const held = await Promise.all(o.relays.filter((r) => product.deliveryAgents.some((a) => a.toLowerCase() === r.address.toLowerCase())).map((r) => shareStatus(r, BigInt(p.id)).catch(() => null)));
      if (held.filter(Boolean).length >= product.threshold) {
        skipped.push(p.key);
        continue;
      }
      const seller = o.demo.personas[p.seller];
      let client = clients.get(p.seller);
      if (!client) {
        client = new StreamrClient(localClientConfig(o.streamr, seller.privateKey, { id: `demo-seller-${p.seller}` }));
        clients.set(p.seller, client);
      }
      const enc = encryptBatch((async function* () { yield data; })(), { createHash: nodeSha256 });
      const link = `ipfs://${await ipfsAdd(o.ipfsApiUrl, enc.ciphertext, `${p.key}.csv.krkn`)}`;
      await distributeKey({ publicClient: reader, deployment: o.deployment, productId: BigInt(p.id), key: enc.key, link, hashes: enc.hashes(), publisher: client, relays: o.relays, timeoutMs: 30_000 });
      seeded.push(p.key);
      log(`demo batch file for product ${p.id} (${p.key}): ${data.length} bytes at ${link}, key shares with the relays`);
    }
  } finally {
    await Promise.all([...clients.values()].map((c) => c.destroy().catch(() => {})));
  }
  return { seeded, skipped };
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
