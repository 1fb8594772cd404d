// `kraken anonymise` and `kraken publish --modality anonymised` as users run them (child
// processes under the machine's Node). Offline: a synthetic health table with names, e-mails,
// birth dates, postcodes, sex and diagnosis → identifiers gone, every group over the
// quasi-identifiers ≥ k and ℓ-diverse, the report's figures equal to a recount made here; bad
// inputs fail with a reason and leave no file. On the whole marketplace (one `npm start` stack):
// publish anonymises, binds the report, `product` shows it in words, `search --min-k` filters,
// and a buyer fetches exactly the anonymised bytes.
import { createHash } from "node:crypto";
import { closeSync, ftruncateSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "csv-parse/sync";
import { parseEventLogs, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { catalogueAbi, clientsFor, marketplaceChain, Modality, PricingUnit, ProductType, reportAnonymisation } from "@kraken/sdk";
import { reportHash, type AnonymisationReport } from "@kraken/sdk/anonymise";
import { cliEnv, startMarketplace, type Marketplace } from "../../test/browser/harness/stack.ts";
import { anonymiseOptions, type AnonymiseFlags } from "../src/anonymise.ts";
import { CliError, EXIT } from "../src/errors.ts";
import { kraken } from "./run.ts";

const dir = mkdtempSync(join(tmpdir(), "kraken-anonymise-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string) => join(dir, name);
const sha256 = (b: Uint8Array | string) => `0x${createHash("sha256").update(b).digest("hex")}`;

// A synthetic admissions table (deterministic): 2,000 patients, most of them unique on
// birth date + postcode + sex, as real people are.
const FIRST = ["Anna", "Luca", "Maria", "Jonas", "Sofia", "Pablo", "Eva", "Marco", "Lena", "Tomás", "Ingrid", "Nikos"];
const LAST = ["Rossi", "Bauer", "Silva", "Nilsson", "Costa", "García", "Novak", "Berg", "Papadakis", "Dubois"];
const DIAGNOSES = ["asthma", "diabetes", "hypertension", "migraine", "copd", "depression", "fracture"];
function healthCsv(rows: number, seed = 7): { text: string; names: string[]; emails: string[] } {
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648), s / 2147483648);
  const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)];
  const names: string[] = [], emails: string[] = [];
  const lines = ["name,email,birth_date,postcode,sex,diagnosis,length_of_stay"];
  for (let i = 0; i < rows; i++) {
    const first = pick(FIRST), last = pick(LAST);
    const name = `${first} ${last}`;
    const email = `${first.toLowerCase()}.${last.toLowerCase()}${i}@example.org`;
    const birth = `${1935 + Math.floor(rnd() * 70)}-${String(1 + Math.floor(rnd() * 12)).padStart(2, "0")}-${String(1 + Math.floor(rnd() * 28)).padStart(2, "0")}`;
    names.push(name);
    emails.push(email);
    lines.push([name, email, birth, String(10100 + Math.floor(rnd() * 900)), rnd() < 0.5 ? "F" : "M", pick(DIAGNOSES), String(1 + Math.floor(rnd() * 20))].join(","));
  }
  return { text: `${lines.join("\n")}\n`, names, emails };
}

/** Recount of a released CSV: its groups over `quasi` (sizes, distinct `sensitive` values). */
function recount(csv: string, quasi: string[], sensitive?: string) {
  const records = parse(csv, { columns: true, skip_empty_lines: true }) as Record<string, string>[];
  const groups = new Map<string, { n: number; values: Set<string> }>();
  for (const r of records) {
    const key = JSON.stringify(quasi.map((q) => r[q]));
    const g = groups.get(key) ?? { n: 0, values: new Set<string>() };
    g.n++;
    if (sensitive) g.values.add(r[sensitive]);
    groups.set(key, g);
  }
  const sizes = [...groups.values()].map((g) => g.n);
  return {
    header: Object.keys(records[0] ?? {}),
    rows: records.length,
    classes: groups.size,
    k: Math.min(...sizes),
    l: sensitive ? Math.min(...[...groups.values()].map((g) => g.values.size)) : 1,
    riskMax: 1 / Math.min(...sizes),
    riskAverage: groups.size / records.length, // mean over records of 1 / (size of its group)
  };
}

const raw = healthCsv(2000);
writeFileSync(file("raw.csv"), raw.text);
const QUASI = ["birth_date", "postcode", "sex"];
/** Files left in the test directory other than the given ones (a refused run must leave none). */
const leftovers = (known: string[]) => readdirSync(dir).filter((f) => !known.includes(f));

describe("kraken anonymise (offline)", () => {
  let report: AnonymisationReport;

  it("removes the identifiers, makes every group over birth date, postcode and sex ≥ k and ℓ-diverse; the report equals a recount", async () => {
    const r = await kraken(["anonymise", file("raw.csv"), "--out", file("out.csv"), "--k", "5", "--l", "2", "--sensitive", "diagnosis", "--report", file("report.json"), "--json"]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const result = JSON.parse(r.stdout);
    report = result.report;
    const out = readFileSync(file("out.csv"), "utf8");

    // the classification: identifiers dropped, the quasi-identifiers and the sensitive column found
    const byName = Object.fromEntries(result.columns.map((c: { name: string }) => [c.name, c]));
    expect(byName.name).toMatchObject({ role: "identifier", action: "drop" });
    expect(byName.email).toMatchObject({ role: "identifier", action: "drop" });
    for (const q of QUASI) expect(byName[q]).toMatchObject({ role: "quasi" });
    expect(byName.diagnosis).toMatchObject({ role: "sensitive" });
    expect(report.columns.filter((c) => c.role === "quasi").map((c) => c.name).sort()).toEqual([...QUASI].sort());

    // identifiers gone: not in the header, no value anywhere in the file
    const count = recount(out, QUASI, "diagnosis");
    expect(count.header).toEqual(["birth_date", "postcode", "sex", "diagnosis", "length_of_stay"]);
    expect(out).not.toContain("@");
    for (const n of new Set(raw.names)) expect(out).not.toContain(n);
    for (const last of LAST) expect(out).not.toContain(last);

    // k-anonymity and ℓ-diversity, counted here
    expect(count.k).toBeGreaterThanOrEqual(5);
    expect(count.l).toBeGreaterThanOrEqual(2);
    // the report's figures are the recount's
    expect(report.settings).toMatchObject({ k: 5, l: 2, sensitive: "diagnosis" });
    expect(report.rows).toEqual({ input: 2000, output: count.rows, suppressed: 2000 - count.rows });
    expect(report.k).toBe(count.k);
    expect(report.l).toBe(count.l);
    expect(report.classes).toBe(count.classes);
    expect(report.risk.max).toBeCloseTo(count.riskMax, 5);
    expect(report.risk.average).toBeCloseTo(count.riskAverage, 5);
    expect(report.output).toEqual({ sha256: sha256(readFileSync(file("out.csv"))), bytes: readFileSync(file("out.csv")).length });
    // the report file is the JSON printed, and its hash the one printed
    const saved = readFileSync(file("report.json"));
    expect(JSON.parse(saved.toString("utf8"))).toEqual(report);
    expect(result.reportHash).toBe(reportHash(saved));
    expect(sha256(saved)).toBe(result.reportHash);
  });

  it("prints progress on stderr, the classification table and the report in words", async () => {
    const r = await kraken(["anonymise", file("raw.csv"), "--out", file("out-human.csv"), "--k", "5", "--l", "2", "--sensitive", "diagnosis"]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stderr).toMatch(/2,000 rows read/);
    expect(r.stderr).toMatch(/rows written/);
    expect(r.stdout).toMatch(/^Anonymised .*raw\.csv → .*out-human\.csv: \d[\d,]* of 2,000 rows released, k = \d+, ℓ = \d+/);
    expect(r.stdout).toMatch(/column\s+role\s+kind\s+action\s+loss\s+reason/);
    expect(r.stdout).toMatch(/email\s+identifier\s+\w+\s+drop/);
    expect(r.stdout).toMatch(/birth_date\s+quasi\s+date\s+generalise/);
    expect(r.stdout).toContain("Every record shares its birth_date");
    expect(r.stdout).toContain("Direct identifiers removed: name and email.");
    expect(r.stdout).toContain("different values of diagnosis (ℓ = ");
    expect(r.stdout).toContain("pass --report FILE to keep it");
  });

  it("--column overrides the classification: a pseudonymised e-mail, the length of stay as a quasi-identifier", async () => {
    const r = await kraken(["anonymise", file("raw.csv"), "--out", file("out-columns.csv"), "--k", "4", "--column", "email=identifier:pseudonymise", "--column", "length_of_stay=quasi:number", "--json"]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const result = JSON.parse(r.stdout);
    const byName = Object.fromEntries(result.columns.map((c: { name: string }) => [c.name, c]));
    expect(byName.email).toMatchObject({ role: "identifier", action: "pseudonymise", reason: expect.any(String) });
    expect(byName.length_of_stay).toMatchObject({ role: "quasi", kind: "number" });
    const out = readFileSync(file("out-columns.csv"), "utf8");
    const count = recount(out, [...QUASI, "length_of_stay"]);
    expect(count.header).toContain("email");
    expect(count.header).not.toContain("name");
    expect(count.k).toBeGreaterThanOrEqual(4);
    expect(result.report.k).toBe(count.k);
    const released = (parse(out, { columns: true }) as Record<string, string>[]).map((x) => x.email);
    expect(new Set(released).size).toBe(count.rows); // one pseudonym per person (every e-mail is distinct)
    for (const e of released.slice(0, 50)) expect(raw.emails).not.toContain(e);
  });

  it("refuses bad inputs with a reason and an exit code, and writes nothing", async () => {
    const before = readdirSync(dir);
    writeFileSync(file("empty.csv"), "");
    writeFileSync(file("header-only.csv"), "name,birth_date,sex\n");
    // Latin-1, not UTF-8: "José" with é as the single byte 0xE9
    writeFileSync(file("latin1.csv"), Buffer.concat([Buffer.from(raw.text.split("\n").slice(0, 40).join("\n")), Buffer.from("\nJos"), Buffer.from([0xe9]), Buffer.from(" Silva,jose@example.org,1960-01-01,10123,M,asthma,3\n")]));
    // a 1 GB file (sparse: no disk used) is refused from its size before anything is read
    const big = openSync(file("huge.csv"), "w");
    ftruncateSync(big, 1_000_000_000);
    closeSync(big);
    const inputs = ["empty.csv", "header-only.csv", "latin1.csv", "huge.csv"];
    const run = (input: string, ...flags: string[]) => kraken(["anonymise", file(input), "--out", file("refused.csv"), "--report", file("refused.json"), ...flags, "--json"]);
    const cases: [string[], number, RegExp][] = [
      [["empty.csv"], EXIT.config, /the file is empty/],
      [["header-only.csv"], EXIT.config, /no rows/],
      [["latin1.csv"], EXIT.config, /UTF-8/],
      [["huge.csv"], EXIT.config, /954 MiB, larger than the anonymiser's limit of 512 MiB/],
      [["raw.csv", "--sensitive", "diagnosys", "--l", "2"], EXIT.usage, /no column "diagnosys".*diagnosis/],
      [["raw.csv", "--k", "0"], EXIT.usage, /--k must be a whole number ≥ 1/],
      [["raw.csv", "--k", "5000"], EXIT.usage, /lower --k/],
      [["raw.csv", "--column", "email=secret"], EXIT.usage, /"secret" is not a role/],
      [["raw.csv", "--column", "nickname=identifier"], EXIT.usage, /no column "nickname"/],
      [["missing.csv"], EXIT.config, /no such file/],
    ];
    // four at a time: each is a process that mostly waits on its start
    const results: Awaited<ReturnType<typeof kraken>>[] = [];
    for (let i = 0; i < cases.length; i += 4) results.push(...(await Promise.all(cases.slice(i, i + 4).map(([[input, ...flags]]) => run(input, ...flags)))));
    cases.forEach(([args, code, message], i) => {
      const r = results[i];
      expect(r.code, `${args.join(" ")}: ${r.stdout}${r.stderr}`).toBe(code);
      expect(JSON.parse(r.stdout).message, args.join(" ")).toMatch(message);
    });
    expect(leftovers([...before, ...inputs])).toEqual([]); // no OUT, no report, no temporary file

    // an existing OUT is kept unless --force
    const existing = await kraken(["anonymise", file("raw.csv"), "--out", file("out.csv"), "--k", "5"]);
    expect(existing.code).toBe(EXIT.usage);
    expect(existing.stderr).toContain("exists; pass --force");
    expect(sha256(readFileSync(file("out.csv")))).toBe(report.output.sha256);
  });

  it("checks every anonymiser flag (the parser the command uses)", () => {
    const usage = (flags: AnonymiseFlags, message: RegExp) => {
      let err: unknown;
      try {
        anonymiseOptions(flags);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(flags)).toBeInstanceOf(CliError);
      expect((err as CliError).exitCode).toBe(EXIT.usage);
      expect((err as CliError).message).toMatch(message);
    };
    usage({ k: "0" }, /--k must be a whole number ≥ 1/);
    usage({ k: "2.5" }, /--k must be a whole number ≥ 1/);
    usage({ k: "ten" }, /--k must be a whole number ≥ 1/);
    usage({ l: "2" }, /--l needs --sensitive/);
    usage({ k: "3", l: "4", sensitive: "diagnosis" }, /--l \(4\) cannot exceed --k \(3\)/);
    usage({ column: ["email"] }, /NAME=ROLE\[:KIND\]\[:ACTION\]/);
    usage({ column: ["email=secret"] }, /"secret" is not a role/);
    usage({ column: ["sex=quasi:pseudonymise"] }, /identifiers only/);
    usage({ column: ["sex=quasi:date:category"] }, /two kinds/);
    usage({ column: ["sex=quasi", "sex=other"] }, /--column sex is given twice/);
    usage({ preset: "gdpr" }, /unknown --preset "gdpr" \(one of none, safe-harbor\)/);
    usage({ method: "magic" }, /unknown --method "magic" \(one of mondrian, global\)/);
    usage({ "max-suppression": "2" }, /--max-suppression takes a share of rows from 0 to 1/);
    expect(anonymiseOptions({ k: "5", l: "2", sensitive: "diagnosis", preset: "Safe_Harbor", method: "GLOBAL", "max-suppression": "2.5%", column: ["e-mail=identifier::pseudonymise", "ward=category:quasi", "a=b=other"] })).toEqual({
      k: 5, l: 2, sensitive: "diagnosis", preset: "safe-harbor", method: "global", maxSuppression: 0.025,
      columns: { "e-mail": { role: "identifier", action: "pseudonymise" }, ward: { role: "quasi", kind: "category" }, "a=b": { role: "other" } },
    });
    expect(anonymiseOptions({})).toEqual({ k: 10, l: 1 });
  });

  it("publish --report refuses a file that is not the one the report describes, before anything is sent", async () => {
    writeFileSync(file("policy.json"), JSON.stringify({ purposes: ["research"], consumers: ["organisation"], organisationTypes: ["research-university"], jurisdictions: "target" }));
    const r = await kraken(["publish", "--type", "batch", "--modality", "anonymised", "--file", file("raw.csv"), "--report", file("report.json"), "--title", "x", "--policy", file("policy.json"), "--json"]);
    expect(r.code, r.stdout + r.stderr).toBe(EXIT.integrity);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: "report-mismatch", message: expect.stringMatching(/is not the file .*report\.json describes.*nothing was published/) });
    const mixed = await kraken(["publish", "--type", "batch", "--modality", "encrypted", "--file", file("raw.csv"), "--sensitive", "diagnosis", "--title", "x", "--policy", file("policy.json")]);
    expect(mixed.code).toBe(EXIT.usage);
    expect(mixed.stderr).toContain("--sensitive: the anonymiser runs for --type batch --modality anonymised only");
    const filterOnBatch = await kraken(["publish", "--type", "batch", "--modality", "anonymised", "--file", file("raw.csv"), "--stream-filter", '{"drop":[]}', "--title", "x", "--policy", file("policy.json")]);
    expect(filterOnBatch.code).toBe(EXIT.usage);
    expect(filterOnBatch.stderr).toContain("--stream-filter is for --type stream --modality anonymised products");
    const badFilter = await kraken(["publish", "--type", "stream", "--modality", "anonymised", "--stream", "/x", "--stream-filter", '{"drop":["a"],"timestamps":{"fields":["ts"],"granularity":"week"}}', "--title", "x", "--policy", file("policy.json")]);
    expect(badFilter.code).toBe(EXIT.usage);
    expect(badFilter.stderr).toMatch(/--stream-filter: .*granularity/);
  });
});

describe("anonymised products on the marketplace", () => {
  let m: Marketplace;
  const keyOf = (persona: string) => (m.demo.personas as Record<string, { privateKey: Hex; address: Address }>)[persona];
  const env = (persona?: string) => cliEnv(m, persona);
  const json = async (args: string[], persona?: string) => {
    const r = await kraken([...args, "--json"], env(persona));
    expect(r.code, r.stderr + r.stdout).toBe(0);
    return JSON.parse(r.stdout);
  };
  /** Until the indexer has the product with its report (it follows the chain within a second or two). */
  const indexed = async (id: string) => {
    for (let i = 0; i < 60; i++) {
      const r = await kraken(["product", id, "--json"], env());
      if (r.code !== EXIT.notFound) expect(r.code, r.stderr + r.stdout).toBe(0);
      const p = r.code === 0 ? JSON.parse(r.stdout) : undefined;
      if (p?.anonymisation?.reported) return p;
      await new Promise((x) => setTimeout(x, 500));
    }
    throw new Error(`product ${id} was not indexed with its report`);
  };

  beforeAll(async () => {
    m = await startMarketplace();
  }, 240_000);
  afterAll(async () => {
    await m?.stop();
  });

  let productId: string;
  let published: { anonymisation: { k: number; l: number; reportURI: string; reportHash: Hex }; plaintextHash: Hex; bytes: number };

  it("publish --modality anonymised anonymises the raw file, publishes the anonymised one and binds its report", async () => {
    const r = await kraken(["publish", "--type", "batch", "--modality", "anonymised", "--file", file("raw.csv"), "--k", "5", "--l", "2", "--sensitive", "diagnosis",
      "--title", "Admissions 2024, anonymised", "--summary", "synthetic admissions", "--price", "1", "--policy", file("policy.json"), "--json"], env("hospital"));
    expect(r.code, r.stderr + r.stdout).toBe(0);
    published = JSON.parse(r.stdout);
    productId = (published as unknown as { productId: string }).productId;
    expect(published.anonymisation).toMatchObject({ k: expect.any(Number), l: expect.any(Number), reportURI: expect.stringMatching(/^ipfs:\/\//) });
    expect(published.anonymisation.k).toBeGreaterThanOrEqual(5);
    expect(published.anonymisation.l).toBeGreaterThanOrEqual(2);
    // the report on IPFS is the one bound on chain and describes the file published
    const bytes = new Uint8Array(await (await fetch(`${m.urls.ipfsGateway}/ipfs/${published.anonymisation.reportURI.slice(7)}`)).arrayBuffer());
    expect(reportHash(bytes)).toBe(published.anonymisation.reportHash);
    const report = JSON.parse(new TextDecoder().decode(bytes)) as AnonymisationReport;
    expect(report.output).toEqual({ sha256: published.plaintextHash, bytes: published.bytes });
    expect(published.plaintextHash).not.toBe(sha256(readFileSync(file("raw.csv")))); // not the raw file
  });

  it("kraken product shows the report in words; kraken search --min-k filters by it", async () => {
    const p = await indexed(productId);
    expect(p.anonymisation).toMatchObject({ reported: true, k: published.anonymisation.k, l: published.anonymisation.l, reportURI: published.anonymisation.reportURI });
    expect(p.anonymisation.warning).toBeUndefined();
    const human = await kraken(["product", productId], env());
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain("Anonymisation");
    expect(human.stdout).toContain(`k = ${published.anonymisation.k}, ℓ = ${published.anonymisation.l}`);
    expect(human.stdout).toMatch(/Every record shares its birth_date .* with at least \d+ other records/);
    expect(human.stdout).toContain("Direct identifiers removed: name and email.");

    const ids = async (...flags: string[]) => (await json(["search", "--first", "1000", ...flags])).products.map((x: { id: string }) => x.id);
    expect(await ids("--min-k", "5")).toContain(productId);
    expect(await ids("--min-k", "50")).not.toContain(productId);
    expect((await json(["search", "--min-k", "5", "--first", "1000"])).products.find((x: { id: string }) => x.id === productId)).toMatchObject({ anonymisationK: published.anonymisation.k });
    const bad = await kraken(["search", "--min-k", "zero"], env());
    expect(bad.code).toBe(EXIT.usage);
  });

  it("a buyer gets exactly the anonymised bytes the report describes", async () => {
    const b = await json(["buy", productId, "--purpose", "research"], "researchInstitute");
    const target = file("bought.csv");
    const f = await kraken(["fetch", b.agreementId, "--out", target], env("researchInstitute"));
    expect(f.code, f.stderr + f.stdout).toBe(0);
    const got = readFileSync(target);
    const p = await json(["product", productId]);
    expect(sha256(got)).toBe(p.anonymisation.report.output.sha256);
    expect(got.toString("utf8")).not.toContain("@example.org");
    expect(recount(got.toString("utf8"), QUASI, "diagnosis").k).toBeGreaterThanOrEqual(5);
  });

  it("publish --report publishes a file anonymised already; a report whose hash does not match the chain is a warning; no report is said", async () => {
    const r = await json(["publish", "--type", "batch", "--modality", "anonymised", "--file", file("out.csv"), "--report", file("report.json"), "--title", "Admissions 2024 (anonymised offline)", "--policy", file("policy.json")], "hospital");
    const report = JSON.parse(readFileSync(file("report.json"), "utf8")) as AnonymisationReport;
    expect(r.anonymisation).toMatchObject({ k: report.k, l: report.l, reportHash: reportHash(readFileSync(file("report.json"))) });
    expect(r.plaintextHash).toBe(report.output.sha256);
    await indexed(r.productId);

    // the seller binds a hash the document at the URI does not have
    const seller = privateKeyToAccount(keyOf("hospital").privateKey);
    const { publicClient, wallet } = clientsFor(marketplaceChain(m.urls.rpc, m.deployment.chainId), seller);
    const catalogue = m.deployment.contracts.Catalogue.address;
    await reportAnonymisation({ publicClient, wallet, account: seller, contracts: { catalogue } }, { productId: BigInt(r.productId), reportHash: sha256("another report") as Hex, k: report.k, l: report.l, reportURI: r.anonymisation.reportURI });
    let warned: string | undefined;
    for (let i = 0; i < 60 && !warned; i++) {
      warned = (await json(["product", r.productId])).anonymisation.warning;
      if (!warned) await new Promise((x) => setTimeout(x, 500));
    }
    expect(warned).toMatch(/does not match the hash its seller recorded on chain/);
    const human = await kraken(["product", r.productId], env());
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/warning: the anonymisation report does not match/);
    expect(human.stdout).not.toContain("Every record shares");

    // an anonymised batch product without a report (published straight on chain)
    const receipt = await publicClient.waitForTransactionReceipt({
      hash: await wallet.writeContract({
        address: catalogue, abi: catalogueAbi, functionName: "publish",
        args: [ProductType.Batch, Modality.Anonymised, 0n, PricingUnit.OneTime, [seller.address], 1, { metadataURI: "ipfs://bafkqaaa", title: "Unreported", summary: "", category: "other", tags: [] }, []],
      }),
    });
    const [event] = parseEventLogs({ abi: catalogueAbi, logs: receipt.logs, eventName: "ProductPublished" });
    const id = event.args.productId.toString();
    let text = "";
    for (let i = 0; i < 60 && !text.includes("no anonymisation report published"); i++) {
      const x = await kraken(["product", id], env());
      text = x.stdout;
      if (!text.includes("no anonymisation report published")) await new Promise((y) => setTimeout(y, 500));
    }
    expect(text).toContain("no anonymisation report published");
  });

  it("publish --type stream --modality anonymised --stream-filter keeps the filter in the product's metadata", async () => {
    const filter = { drop: ["name"], pseudonymise: ["deviceId"], timestamps: { fields: ["ts"], granularity: "minute" }, locations: { fields: ["lat", "lon"], decimals: 2 } };
    const r = await json(["publish", "--type", "stream", "--modality", "anonymised", "--stream", "/kraken/anonymised-vitals", "--stream-filter", JSON.stringify(filter),
      "--title", "Ward vitals, filtered", "--unit", "hour", "--policy", file("policy.json")], "hospital");
    expect(r.streamFilter).toEqual(filter);
    const metadata = await (await fetch(`${m.urls.ipfsGateway}/ipfs/${(r.metadataURI as string).slice(7)}`)).json();
    expect(metadata.streamFilter).toEqual(filter);
    const human = await kraken(["publish", "--type", "stream", "--modality", "anonymised", "--stream", "/kraken/anonymised-vitals-2", "--title", "Unfiltered", "--unit", "hour", "--policy", file("policy.json")], env("hospital"));
    expect(human.code, human.stderr).toBe(0);
    expect(human.stderr).toContain("without --stream-filter: publishers will send messages as they are");
  });
});
