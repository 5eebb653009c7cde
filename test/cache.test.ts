// The content-addressed artifact cache: keys, layout, verification and concurrent writers. Real
// files in a fresh temporary directory; concurrency with real child processes.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Signature } from "../plugins/api.js";
import { ArtifactStore, cacheKey, defaultCacheDir, type CacheKeyParts } from "../build/cache.js";
import { canonicalJson } from "../build/hash.js";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..");

let dir = "";
test.before.each(() => {
  dir = mkdtempSync(join(tmpdir(), "tpu-cache-"));
});
test.after.each(() => {
  rmSync(dir, { recursive: true, force: true });
});

const sha256 = (b: Uint8Array | string) => createHash("sha256").update(b).digest("hex");

const signature = (tag: string): Signature => ({
  compiler: { name: "tpu-build-julia", version: "0.1.0" },
  entry: tag,
  function: "predict",
  inputs: [{ kind: "array", eltype: "Float32", size: [784, 64] }],
  parameters: [{ path: "[1]", eltype: "Float32", size: [784, 64] }],
  output: { kind: "array", eltype: "Float32", size: [10, 64] },
  results: [{ path: "", eltype: "Float32", size: [10, 64] }],
});

const files = (tag: string, size = 1000) => ({
  module: new Uint8Array(size).fill(tag.charCodeAt(0)),
  text: `HloModule ${tag}\n`,
  signature: signature(tag),
  info: { writer: tag },
});

const base: CacheKeyParts = {
  compiler: { name: "tpu-build-julia", version: "0.1.0", codeDigest: "a".repeat(64) },
  prelude: "1",
  entry: {
    name: "mlp",
    file: "models/mlp.jl",
    function: "predict",
    args: [
      { kind: "runtime", type: { kind: "array", eltype: "Float32", size: [784, 64] } },
      { kind: "const", value: 10 },
    ],
  },
  sources: [
    { path: "models/mlp.jl", content: "include(\"layers.jl\")\npredict(x, n) = x" },
    { path: "models/layers.jl", content: "dense(W, x) = W * x" },
  ],
  options: { optimize: true, passes: ["cse", "dce"] },
};

test("the key is 64 hex digits and depends on nothing but its ingredients", () => {
  const k = cacheKey(base);
  assert.match(k, /^[0-9a-f]{64}$/);
  assert.is(cacheKey(structuredClone(base)), k);
  // Source order and options' key order do not matter.
  assert.is(cacheKey({ ...base, sources: [...base.sources].reverse() }), k);
  assert.is(cacheKey({ ...base, options: { passes: ["cse", "dce"], optimize: true } }), k);
  assert.is(cacheKey({ ...base, options: undefined }), cacheKey({ ...base, options: {} }));
});

test("the key changes with every ingredient", () => {
  const k = cacheKey(base);
  const entry = base.entry;
  const variants: Record<string, CacheKeyParts> = {
    "compiler name": { ...base, compiler: { ...base.compiler, name: "other" } },
    "compiler version": { ...base, compiler: { ...base.compiler, version: "0.1.1" } },
    "compiler code": { ...base, compiler: { ...base.compiler, codeDigest: "b".repeat(64) } },
    "prelude version": { ...base, prelude: "2" },
    "entry name": { ...base, entry: { ...entry, name: "mlp2" } },
    "entry file": { ...base, entry: { ...entry, file: "models/other.jl" } },
    function: { ...base, entry: { ...entry, function: "predict2" } },
    eltype: { ...base, entry: { ...entry, args: [{ kind: "runtime", type: { kind: "array", eltype: "Float64", size: [784, 64] } }, entry.args[1]!] } },
    size: { ...base, entry: { ...entry, args: [{ kind: "runtime", type: { kind: "array", eltype: "Float32", size: [64, 784] } }, entry.args[1]!] } },
    scalar: { ...base, entry: { ...entry, args: [{ kind: "runtime", type: { kind: "array", eltype: "Float32", size: [784, 64], scalar: true } }, entry.args[1]!] } },
    "const value": { ...base, entry: { ...entry, args: [entry.args[0]!, { kind: "const", value: 11 }] } },
    "const type": { ...base, entry: { ...entry, args: [entry.args[0]!, { kind: "const", value: "10" }] } },
    "source content": { ...base, sources: [base.sources[0]!, { path: "models/layers.jl", content: "dense(W, x) = W * x + 0" }] },
    "source path": { ...base, sources: [base.sources[0]!, { path: "models/layer.jl", content: "dense(W, x) = W * x" }] },
    "another source": { ...base, sources: [...base.sources, { path: "models/extra.jl", content: "" }] },
    options: { ...base, options: { optimize: false, passes: ["cse", "dce"] } },
  };
  const keys = new Set([k]);
  for (const [what, parts] of Object.entries(variants)) {
    const v = cacheKey(parts);
    assert.is.not(v, k, what);
    keys.add(v);
  }
  assert.is(keys.size, Object.keys(variants).length + 1, "every variant has its own key");
});

test("the encoding is length-prefixed: moving text between fields changes the key", () => {
  const a = cacheKey({ ...base, compiler: { ...base.compiler, name: "ab", version: "c" } });
  const b = cacheKey({ ...base, compiler: { ...base.compiler, name: "a", version: "bc" } });
  assert.is.not(a, b);
  const c = cacheKey({ ...base, sources: [{ path: "a", content: "bc" }] });
  const d = cacheKey({ ...base, sources: [{ path: "ab", content: "c" }] });
  assert.is.not(c, d);
});

test("canonical JSON sorts keys and refuses values JSON cannot hold", () => {
  assert.is(canonicalJson({ b: 1, a: [true, null, "x", { d: 2, c: 3 }] }), `{"a":[true,null,"x",{"c":3,"d":2}],"b":1}`);
  assert.throws(() => canonicalJson({ a: NaN }), /no JSON form/);
  assert.throws(() => canonicalJson([undefined]), /no JSON form/);
});

test("a miss, then a put, then a verified hit with the same bytes and the module's content hash", async () => {
  const store = new ArtifactStore(join(dir, "cache"));
  const key = cacheKey(base);
  assert.is(await store.get(key), undefined);
  const put = await store.put(key, files("a"));
  assert.is(put.hash, sha256(files("a").module));
  const hit = await store.get(key);
  assert.ok(hit);
  assert.is(hit!.hash, put.hash);
  assert.equal(Buffer.from(hit!.module), Buffer.from(files("a").module));
  assert.is(hit!.text, "HloModule a\n");
  assert.equal(hit!.signature, signature("a"));
  assert.equal(hit!.info, { writer: "a" });
});

test("layout: artifacts/<key[0:2]>/<key>/ with the three files and a meta.json of their SHA-256", async () => {
  const root = join(dir, "cache");
  const store = new ArtifactStore(root);
  const key = cacheKey(base);
  await store.put(key, files("a"));
  const at = join(root, "artifacts", key.slice(0, 2), key);
  assert.equal(readdirSync(at).sort(), ["meta.json", "module.hlo.pb", "module.hlo.txt", "signature.json"]);
  const meta = JSON.parse(readFileSync(join(at, "meta.json"), "utf8"));
  for (const name of ["module.hlo.pb", "module.hlo.txt", "signature.json"]) assert.is(meta.files[name].sha256, sha256(readFileSync(join(at, name))), name);
  assert.is(meta.hash, sha256(readFileSync(join(at, "module.hlo.pb"))));
  assert.equal(JSON.parse(readFileSync(join(at, "signature.json"), "utf8")), signature("a"));
  assert.equal(readdirSync(join(root, "tmp")), [], "no staging directory left behind");
});

test("a corrupt or incomplete entry is a miss and is removed", async () => {
  const root = join(dir, "cache");
  const store = new ArtifactStore(root);
  const key = cacheKey(base);
  const at = join(root, "artifacts", key.slice(0, 2), key);
  const damage: [string, () => void][] = [
    ["one flipped byte in the module", () => {
      const b = readFileSync(join(at, "module.hlo.pb"));
      b[500] ^= 1;
      writeFileSync(join(at, "module.hlo.pb"), b);
    }],
    ["a truncated text", () => writeFileSync(join(at, "module.hlo.txt"), "HloModule")],
    ["a missing signature", () => unlinkSync(join(at, "signature.json"))],
    ["no meta.json", () => unlinkSync(join(at, "meta.json"))],
    ["a meta.json that is not JSON", () => writeFileSync(join(at, "meta.json"), "{")],
    ["a meta.json for another key", () => {
      const meta = JSON.parse(readFileSync(join(at, "meta.json"), "utf8"));
      writeFileSync(join(at, "meta.json"), JSON.stringify({ ...meta, key: "0".repeat(64) }));
    }],
  ];
  for (const [what, spoil] of damage) {
    await store.put(key, files("a"));
    spoil();
    assert.is(await store.get(key), undefined, what);
    assert.not.ok(existsSync(at), `${what}: the entry is removed`);
  }
  // And the next put stores a good entry again.
  await store.put(key, files("a"));
  assert.ok(await store.get(key));
});

test("a put over a corrupt entry replaces it; over a good one keeps the existing entry", async () => {
  const root = join(dir, "cache");
  const store = new ArtifactStore(root);
  const key = cacheKey(base);
  const at = join(root, "artifacts", key.slice(0, 2), key);
  await store.put(key, files("a"));
  writeFileSync(join(at, "module.hlo.pb"), "garbage");
  const replaced = await store.put(key, files("b"));
  assert.is(replaced.info?.writer, "b");
  assert.is((await store.get(key))!.info?.writer, "b");
  const kept = await store.put(key, files("c"));
  assert.is(kept.info?.writer, "b", "the first complete entry wins");
});

test("parallel writers in one process never leave a corrupt entry", async () => {
  const store = new ArtifactStore(join(dir, "cache"));
  const key = cacheKey(base);
  const tags = "abcdefghij".split("");
  const results = await Promise.all(tags.map((t) => store.put(key, files(t, 200_000))));
  const hit = await store.get(key);
  assert.ok(hit);
  const writer = hit!.info!.writer as string;
  assert.ok(tags.includes(writer));
  assert.equal(Buffer.from(hit!.module), Buffer.from(files(writer, 200_000).module), "module, text and signature come from one writer");
  assert.is(hit!.text, `HloModule ${writer}\n`);
  for (const r of results) assert.is(r.hash, sha256(files(r.info!.writer as string, 200_000).module));
  assert.equal(readdirSync(join(dir, "cache", "tmp")), []);
});

test("concurrent writer processes never leave a corrupt entry", async () => {
  const root = join(dir, "cache");
  const key = cacheKey(base);
  const go = join(dir, "go");
  const script = join(dir, "writer.mts");
  writeFileSync(
    script,
    `import { existsSync } from "node:fs";
import { ArtifactStore } from ${JSON.stringify(pathToFileURL(join(repo, "build", "cache.ts")).href)};
const [root, key, tag, go] = process.argv.slice(2);
while (!existsSync(go)) await new Promise((r) => setTimeout(r, 2));
const store = new ArtifactStore(root);
const module = new Uint8Array(4_000_000).fill(tag.charCodeAt(0));
const put = await store.put(key, { module, text: "HloModule " + tag + "\\n", signature: { entry: tag }, info: { writer: tag } });
const got = await store.get(key);
process.stdout.write(JSON.stringify({ put: put.info.writer, got: got && got.info.writer, consistent: !!got && got.module.every((b) => b === got.info.writer.charCodeAt(0)) && got.text === "HloModule " + got.info.writer + "\\n" }));
`,
  );
  const tags = "pqrstuvw".split("");
  const children = tags.map(
    (tag) =>
      new Promise<{ put: string; got: string; consistent: boolean }>((resolve, reject) => {
        execFile(process.execPath, ["--import", "tsx", script, root, key, tag, go], { cwd: repo, timeout: 120_000 }, (err, stdout, stderr) => {
          if (err) reject(new Error(`writer ${tag} failed: ${stderr || err.message}`));
          else resolve(JSON.parse(stdout));
        });
      }),
  );
  await new Promise((r) => setTimeout(r, 1500)); // let every child start and wait at the barrier
  writeFileSync(go, "");
  const outcomes = await Promise.all(children);
  const store = new ArtifactStore(root);
  const final = await store.get(key);
  assert.ok(final, "the entry verifies");
  const winner = final!.info!.writer as string;
  assert.ok(final!.module.every((b) => b === winner.charCodeAt(0)));
  assert.is(final!.text, `HloModule ${winner}\n`);
  for (const o of outcomes) {
    assert.ok(o.consistent, "every reader saw a whole entry");
    assert.is(o.got, winner, "once written, the entry is never replaced by a later writer");
  }
  assert.equal(readdirSync(join(root, "tmp")), [], "no staging directory left behind");
});

test("the cache lives in <workspace>/.tpu-build/cache unless TPU_BUILD_CACHE_DIR says otherwise", () => {
  const saved = process.env.TPU_BUILD_CACHE_DIR;
  try {
    delete process.env.TPU_BUILD_CACHE_DIR;
    assert.is(defaultCacheDir("/w"), join("/w", ".tpu-build", "cache"));
    process.env.TPU_BUILD_CACHE_DIR = "/elsewhere";
    assert.is(defaultCacheDir("/w"), "/elsewhere");
  } finally {
    if (saved === undefined) delete process.env.TPU_BUILD_CACHE_DIR;
    else process.env.TPU_BUILD_CACHE_DIR = saved;
  }
});

test.run();
