// A newcomer with a brand-new key and no ETH on the local demo chain, as they would type it:
// `kraken register`, `kraken faucet`, `kraken buy`. Gas is free there and the faucet gives
// DATA, so nothing else is needed. Run with the machine's own Node (run.ts).
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatEther } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { PRODUCTS } from "../../contracts/scripts/demo.ts";
import { startFaucet, type RunningFaucet } from "../../faucet/src/index.ts";
import { startStack, type Stack } from "../../test/helpers/stack.ts";
import { EXIT } from "../src/errors.ts";
import { execFileSync } from "node:child_process";
import { kraken, userNode } from "./run.ts";

let s: Stack;
let faucet: RunningFaucet;
const key = generatePrivateKey();
const me = privateKeyToAccount(key).address;
const env = () => ({ PRIVATE_KEY: key, KRAKEN_RPC_URL: s.rpcUrl, KRAKEN_DEPLOYMENT: s.deploymentFile, KRAKEN_ISSUER_URL: s.issuer.url, KRAKEN_FAUCET_URL: faucet.url });

beforeAll(async () => {
  s = await startStack({ seed: true });
  faucet = await startFaucet({ rpcUrl: s.rpcUrl, deployment: s.deployment, dataDir: join(s.dir, "faucet"), port: 0, log: () => {} });
});
afterAll(async () => {
  await faucet?.stop();
  await s?.stop();
});

describe("a brand-new key on the local demo", () => {
  it("runs under the machine's own Node, whatever its version", async () => {
    const version = execFileSync(userNode, ["--version"], { encoding: "utf8" }).trim();
    process.stderr.write(`[cli tests] kraken runs under ${userNode} ${version}\n`);
    const help = await kraken(["--help"]);
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toContain("faucet");
  });

  it("holds no ETH, registers, gets demo DATA once, and buys a product", async () => {
    expect(await s.clients(0).publicClient.getBalance({ address: me })).toBe(0n);

    const reg = await kraken(["register", "--category", "organisation", "--organisation-type", "research-university", "--country", "IT", "--out", join(s.dir, "me.json")], env());
    expect(reg.code, reg.stderr + reg.stdout).toBe(0);
    expect(reg.stdout).toContain(`Registered ${me}`);

    const drip = await kraken(["faucet", "--json"], env());
    expect(drip.code, drip.stderr + drip.stdout).toBe(0);
    expect(JSON.parse(drip.stdout)).toMatchObject({ address: me, amount: (10n ** 21n).toString() });
    const again = await kraken(["faucet"], env());
    expect(again.code).toBe(EXIT.refused);
    expect(again.stderr).toContain("ask again in");

    const product = String(PRODUCTS.findIndex((p) => p.key === "course-certificates") + 1);
    const buy = await kraken(["buy", product, "--purpose", "research"], env());
    expect(buy.code, buy.stderr + buy.stdout).toBe(0);
    expect(buy.stdout).toMatch(/^Agreement \d+ on product \d+ for research: ACTIVE\./);
    expect(buy.stdout).toContain("paid           50 DATA");
    // gas was free: still no ETH spent, and the DATA paid is all that left the wallet
    expect(formatEther(await s.clients(0).publicClient.getBalance({ address: me }))).toBe("0");
  });

  it("faucet without an address or key says what to pass; a bad address is a usage error", async () => {
    const none = await kraken(["faucet"], { KRAKEN_FAUCET_URL: faucet.url });
    expect(none.code).toBe(EXIT.usage);
    expect(none.stderr).toContain("--address");
    const bad = await kraken(["faucet", "--address", "0x1234", "--json"], { KRAKEN_FAUCET_URL: faucet.url });
    expect(bad.code).toBe(EXIT.usage);
    expect(JSON.parse(bad.stdout)).toMatchObject({ error: "bad-address" });
  });
});
