// pinDemoMetadata makes every seeded product's metadataURI resolvable at the gateway: once with
// a demo file written by the real seed (chain + deployment + seed, as `npm start` does), once
// with documents built from contracts/scripts/demo.ts the way seed.ts builds them.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeMetadata, metadataCid } from "@kraken/sdk";
import { PRODUCTS } from "../../contracts/scripts/demo.ts";
import { startStack, type Stack } from "../../test/helpers/stack.ts";
import { pinDemoMetadata, type DemoFileLike, type RunningIpfs } from "../src/index.ts";
import { startTestIpfs, tempDir } from "./helpers.ts";

let tmp: ReturnType<typeof tempDir>;
let ipfs: RunningIpfs;

beforeAll(async () => {
  tmp = tempDir();
  ipfs = await startTestIpfs(tmp.dir);
});
afterAll(async () => {
  await ipfs?.stop();
  tmp?.remove();
});

async function expectResolvable(demo: DemoFileLike) {
  for (const p of demo.products) {
    const cid = p.metadataURI.replace("ipfs://", "");
    const res = await fetch(`${ipfs.gatewayUrl}/ipfs/${cid}`);
    expect(res.status, `${p.key} ${p.metadataURI}`).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(await res.json()).toEqual(p.metadata);
  }
}

describe("pinDemoMetadata", () => {
  it("documents built like contracts/scripts/seed.ts", async () => {
    const demo: DemoFileLike = { products: [] };
    for (const [i, p] of PRODUCTS.entries()) {
      const metadata = { schema: "kraken.product/v1" as const, title: p.title, summary: p.summary, description: p.description, category: p.category, tags: p.tags };
      demo.products.push({ id: i + 1, key: p.key, metadataURI: `ipfs://${await metadataCid(encodeMetadata(metadata))}`, metadata });
    }
    const pinned = await pinDemoMetadata(ipfs.apiUrl, demo);
    expect(pinned).toHaveLength(PRODUCTS.length);
    await expectResolvable(demo);
  });

  it("rejects a demo file whose metadataURI does not match its document", async () => {
    const demo: DemoFileLike = { products: [{ id: 1, key: "x", metadataURI: "ipfs://bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy", metadata: { schema: "kraken.product/v1", title: "t" } }] };
    await expect(pinDemoMetadata(ipfs.apiUrl, demo)).rejects.toThrow(/metadataURI is ipfs:\/\/bafkreigh/);
  });

  describe("with the demo file written by the real seed", () => {
    let stack: Stack;
    beforeAll(async () => {
      stack = await startStack({ seed: true });
    });
    afterAll(async () => {
      await stack?.stop();
    });

    it("every seeded product's metadataURI resolves at the gateway, and survives a restart", async () => {
      const file = join(stack.dir, "deployments", "localhost.demo.json");
      const demo = JSON.parse(readFileSync(file, "utf8")) as DemoFileLike;
      expect(demo.products.length).toBeGreaterThan(0);
      expect(await pinDemoMetadata(ipfs.apiUrl, file)).toEqual(demo.products.map((p) => p.metadataURI.replace("ipfs://", "")));
      await expectResolvable(demo);
      // idempotent: pinning the same file again is fine
      await pinDemoMetadata(ipfs.apiUrl, file);
      await ipfs.stop();
      ipfs = await startTestIpfs(tmp.dir);
      await expectResolvable(demo);
    });
  });
});
