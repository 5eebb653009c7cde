// The remote cache against a real REAPI server (BuildGrid from PyPI, test/support/buildgrid.ts) on
// loopback: workspaces in different directories share compiles and opted-in runs through it; a blob
// corrupted in the server's disk store, an unsigned entry and one signed with another key are
// misses with a warning, never used; a killed or stopped server costs one warning and the build
// goes on locally; a blob above the batch limit goes through ByteStream.
// Run: npx uvu -r tsx/cjs test remote-cache.test.ts

import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { build, plan, type BuildSummary } from "../build/engine.js";
import type { BuildEvent } from "../build/events.js";
import { renderPlan, type BuildPlanReport } from "../build/plan.js";
import { resolveManifest } from "../build/manifest.js";
import { remoteCacheConfig } from "../build/remote-cache/config.js";
import { REAPI_LOADER_OPTIONS, REAPI_PROTOS, reapiProtoDir } from "../build/remote-cache/reapi-client.js";
import { digestOf, RemoteCache } from "../build/remote-cache/remote-cache.js";
import { startBuildGrid, type BuildGridServer } from "./support/buildgrid.js";
import { freePort } from "./support/ports.js";
import { RuntimeProcess } from "../plugins/xla-local/runtime-process.js";
import { float32Output } from "./support/outputs.js";
import { runPython } from "./support/python.js";

const test = suite("remote cache");
const dirs: string[] = [];
const tempDir = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), `tpu-build-remote-${prefix}-`));
  dirs.push(d);
  return d;
};
let server: BuildGridServer;

test.before(async () => {
  server = await startBuildGrid(tempDir("server"));
});
test.after(async () => {
  await server?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const SOURCE = `
affine(x) = 2f0 .* x .+ 1f0
scaled_sum(x, y) = sum(x .* y; dims=1)
`;

const KEY_ENV = "TPU_BUILD_TEST_REMOTE_KEY";

/** A workspace in a directory of its own, with the remote cache at `address` (signed with $KEY_ENV unless `signed` is false). */
function workspace(address: string, options: { signed?: boolean; extra?: Record<string, unknown>; tag?: string } = {}): { dir: string; config: string } {
  const dir = tempDir("ws");
  writeFileSync(join(dir, "model.jl"), SOURCE + (options.tag ?? ""));
  const manifest = {
    remoteCache: { address, ...(options.signed === false ? {} : { signingKey: { env: KEY_ENV } }), timeoutSeconds: 2, ...options.extra },
    targets: { local: { cacheDir: "executables" } },
    entries: {
      affine: { file: "model.jl", function: "affine", args: [{ eltype: "Float32", size: [4], value: { fill: 3 } }], run: { target: "local", cache: "remote" } },
      scaled: { file: "model.jl", function: "scaled_sum", args: [{ eltype: "Float32", size: [3, 2] }, { eltype: "Float32", size: [3, 2] }] },
    },
  };
  const config = join(dir, "tpu.config.json");
  writeFileSync(config, JSON.stringify(manifest, null, 2));
  return { dir, config };
}

/** `f` with the signing key in $KEY_ENV. */
async function withKey<T>(key: string, f: () => Promise<T>): Promise<T> {
  const previous = process.env[KEY_ENV];
  process.env[KEY_ENV] = key;
  try {
    return await f();
  } finally {
    if (previous === undefined) delete process.env[KEY_ENV];
    else process.env[KEY_ENV] = previous;
  }
}

/** What `tpu-build plan` says of the workspace: per entry, its remote cache answers. */
async function planIn(ws: { dir: string; config: string }): Promise<{ report: BuildPlanReport; remote: Record<string, BuildPlanReport["entries"][number]["remote"]> }> {
  const report = await withKey("team-key-1", () => plan({ config: ws.config, cacheDir: join(ws.dir, ".tpu-build", "cache") }));
  assert.ok(report.ok, JSON.stringify(report.diagnostics));
  return { report, remote: Object.fromEntries(report.entries.map((e) => [e.entry, e.remote])) };
}

async function buildIn(ws: { dir: string; config: string }, extra: { key?: string; onEvent?: (e: BuildEvent) => void } = {}): Promise<{ summary: BuildSummary; events: BuildEvent[]; warnings: string[] }> {
  const events: BuildEvent[] = [];
  return withKey(extra.key ?? "team-key-1", async () => {
    const summary = await build({
      config: ws.config,
      cacheDir: join(ws.dir, ".tpu-build", "cache"),
      waitUploads: true,
      onEvent: (e) => {
        events.push(e);
        extra.onEvent?.(e);
      },
    });
    const warnings = events.flatMap((e) => (e.event === "remote-cache-warning" ? [e.message] : []));
    return { summary, events, warnings };
  });
}

const kinds = (events: BuildEvent[], kind: BuildEvent["event"]) => events.filter((e) => e.event === kind);

/** NumPy's 2x + 1 on the workspace's input (x = fill(3f0, 4)). */
const affineReference = (): number[] => JSON.parse(runPython("import numpy as np, json; print(json.dumps((np.float32(2) * np.full(4, 3, np.float32) + np.float32(1)).tolist()))")) as number[];

test("a second workspace in another directory compiles nothing and runs nothing: the remote cache answers, with the bytes moved", async () => {
  const firstWorkspace = workspace(server.address);
  const first = { ...(await buildIn(firstWorkspace)), dir: firstWorkspace.dir };
  assert.is(first.summary.exitCode, 0, JSON.stringify(first.warnings));
  assert.is(kinds(first.events, "compile-finished").length, 2);
  assert.is(kinds(first.events, "run-finished").length, 1);
  const uploaded = (kinds(first.events, "remote-upload-finished") as Extract<BuildEvent, { event: "remote-upload-finished" }>[]).map((u) => u.kind).sort();
  assert.equal(uploaded, ["artifact", "artifact", "executable", "run"], "two artifacts, the executable that ran and one run uploaded before the end (--wait-uploads)");
  assert.equal(first.warnings, []);

  const second = workspace(server.address);
  // plan says beforehand what the remote cache will answer (asking its ActionCache, reading no blob).
  const planned = await planIn(second);
  assert.equal(planned.remote, { affine: { artifact: true, run: true }, scaled: { artifact: true } });
  assert.equal(planned.report.warnings, []);
  assert.match(renderPlan(planned.report), "2 answered by the remote cache");
  const { summary, events, warnings } = await buildIn(second);
  assert.is(summary.exitCode, 0);
  assert.equal(warnings, []);
  assert.is(kinds(events, "compile-started").length, 0, "nothing compiled");
  assert.is(kinds(events, "run-started").length, 0, "nothing ran");
  const hits = kinds(events, "compile-cache-hit") as Extract<BuildEvent, { event: "compile-cache-hit" }>[];
  assert.equal(hits.map((h) => h.layer), ["remote", "remote"]);
  for (const h of hits) assert.ok((h.bytes ?? 0) > 100, `bytes moved for ${h.entry}`);
  const runHit = kinds(events, "run-cache-hit")[0] as Extract<BuildEvent, { event: "run-cache-hit" }>;
  assert.ok(runHit && runHit.bytes > 0);
  assert.equal(float32Output(second.dir, "affine"), affineReference());
  // The outputs do not say where they came from (the events do): a run taken from the remote cache
  // writes the same bytes as the run it was taken from.
  const resultJson = (dir: string) => readFileSync(join(dir, ".tpu-build", "out", "affine", "result.json"), "utf8");
  assert.is(resultJson(second.dir), resultJson(first.dir));

  // Fetched entries are kept locally: a third build of the same workspace asks the local layer only.
  const again = await buildIn(second);
  assert.equal((kinds(again.events, "compile-cache-hit") as Extract<BuildEvent, { event: "compile-cache-hit" }>[]).map((h) => h.layer), ["local", "local"]);
});

/** A workspace whose one entry always runs (no shared run results), on a local target with `cpuDevices` devices. */
function executableWorkspace(address: string, cpuDevices?: number): { dir: string; config: string } {
  const dir = tempDir("exe");
  writeFileSync(join(dir, "model.jl"), "shifted(x) = 3f0 .* x .- 2f0\n");
  const manifest = {
    remoteCache: { address, signingKey: { env: KEY_ENV }, timeoutSeconds: 2 },
    targets: { local: { cacheDir: "executables", ...(cpuDevices ? { cpuDevices } : {}) } },
    entries: { shifted: { file: "model.jl", function: "shifted", args: [{ eltype: "Float32", size: [5], value: { fill: 1.5 } }], run: { target: "local" } } },
  };
  const config = join(dir, "tpu.config.json");
  writeFileSync(config, JSON.stringify(manifest, null, 2));
  return { dir, config };
}

const loadedExecutable = (events: BuildEvent[]) => kinds(events, "executable-loaded") as Extract<BuildEvent, { event: "executable-loaded" }>[];

test("a compiled executable is shared: a fresh runtime in another workspace deserializes it instead of compiling; a runtime with other devices misses it and compiles", async () => {
  const expected = JSON.parse(runPython("import numpy as np, json; print(json.dumps((np.float32(3) * np.full(5, 1.5, np.float32) - np.float32(2)).tolist()))")) as number[];
  const writer = await buildIn(executableWorkspace(server.address));
  assert.is(writer.summary.exitCode, 0, JSON.stringify(writer.warnings));
  assert.equal(loadedExecutable(writer.events).map((e) => [e.source, e.xlaCompilations]), [["compiled", 1]]);
  assert.ok(kinds(writer.events, "remote-upload-finished").some((e) => e.event === "remote-upload-finished" && e.kind === "executable"), "the executable uploaded");

  // Another directory, its own empty executable cache, a runtime server of its own.
  const reader = executableWorkspace(server.address);
  const shared = await buildIn(reader);
  assert.is(shared.summary.exitCode, 0);
  assert.equal(shared.warnings, []);
  const [loaded] = loadedExecutable(shared.events);
  assert.ok(loaded, "an executable-loaded event");
  assert.is(loaded.source, "remote");
  assert.is(loaded.xlaCompilations, 0, "XLA compiled nothing in the reader's runtime");
  assert.ok((loaded.bytes ?? 0) > 1000, `bytes fetched: ${loaded.bytes}`);
  assert.is(kinds(shared.events, "run-finished").length, 1, "it ran");
  assert.equal(float32Output(reader.dir, "shifted"), expected);
  // The reader's record names the executable's digest: with its outputs gone, plan says the remote
  // cache holds the executable its run will load.
  rmSync(join(reader.dir, ".tpu-build", "out"), { recursive: true });
  const replanned = await planIn(reader);
  assert.equal([replanned.report.entries[0]!.run!.status, replanned.remote.shifted], ["run", { executable: true }]);

  // Two devices instead of one: another runtime configuration, so another digest: a miss, no error.
  const other = executableWorkspace(server.address, 2);
  const missed = await buildIn(other);
  assert.is(missed.summary.exitCode, 0);
  assert.equal(missed.warnings, []);
  assert.equal(loadedExecutable(missed.events).map((e) => [e.source, e.xlaCompilations]), [["compiled", 1]]);
  assert.ok(loadedExecutable(missed.events)[0]!.digest !== loaded.digest);
  assert.equal(float32Output(other.dir, "shifted"), expected);
});

test("a pod's executables are shared host by host: fresh servers of the same topology each take their own process's part (a digest per process), never another's", async () => {
  const tokenDir = tempDir("pod-token");
  const tokenFile = join(tokenDir, "token");
  writeFileSync(tokenFile, `${"p".repeat(32)}\n`, { mode: 0o600 });
  /** Two runtime servers on loopback acting as one (JAX's distributed runtime), 2 CPU devices each. */
  const pod = async () => {
    const coordinator = `127.0.0.1:${await freePort()}`;
    return Promise.all([0, 1].map((processId) => RuntimeProcess.start({ transport: "tcp", tokenFile, cpuDevices: 2, distributed: { coordinator, numProcesses: 2, processId } })));
  };
  const podWorkspace = (hosts: { address: string }[]) => {
    const dir = tempDir("pod");
    writeFileSync(join(dir, "model.jl"), "tripled(x) = 3f0 .* x .+ 0.5f0\n");
    writeFileSync(join(dir, "token"), `${"p".repeat(32)}\n`, { mode: 0o600 });
    const manifest = {
      remoteCache: { address: server.address, signingKey: { env: KEY_ENV }, timeoutSeconds: 5 },
      targets: { pod: { kind: "remote", hosts: hosts.map((h) => h.address), token: { file: "token" }, platform: "cpu" } },
      entries: { tripled: { file: "model.jl", function: "tripled", args: [{ eltype: "Float32", size: [8], value: { fill: 1.25 }, shard: ["data"] }], run: { target: "pod", mesh: { data: 4 } } } },
    };
    const config = join(dir, "tpu.config.json");
    writeFileSync(config, JSON.stringify(manifest, null, 2));
    return { dir, config };
  };
  const expected = JSON.parse(runPython("import numpy as np, json; print(json.dumps((np.float32(3) * np.full(8, 1.25, np.float32) + np.float32(0.5)).tolist()))")) as number[];
  const digestsOf = (events: BuildEvent[]) => kinds(events, "remote-upload-finished").flatMap((e) => (e.event === "remote-upload-finished" && e.kind === "executable" ? [e.key] : []));
  let hosts = await pod();
  try {
    const writer = podWorkspace(hosts);
    const wrote = await buildIn(writer);
    assert.is(wrote.summary.exitCode, 0, JSON.stringify(wrote.warnings));
    assert.equal(loadedExecutable(wrote.events).map((e) => e.source), ["compiled"]);
    const uploaded = digestsOf(wrote.events);
    assert.is(new Set(uploaded).size, 2, `one executable per process, under its own digest: ${uploaded.join(", ")}`);
    assert.equal(float32Output(writer.dir, "tripled"), expected);
  } finally {
    await Promise.all(hosts.map((h) => h.close(30_000).catch(() => undefined)));
  }
  hosts = await pod();
  try {
    const reader = podWorkspace(hosts);
    const read = await buildIn(reader);
    assert.is(read.summary.exitCode, 0, JSON.stringify(read.warnings));
    assert.equal(read.warnings, []);
    const [loaded] = loadedExecutable(read.events);
    assert.equal([loaded?.source, loaded?.xlaCompilations], ["remote", 0], "both hosts deserialized their own part; XLA compiled nothing");
    assert.equal(digestsOf(read.events), [], "nothing compiled, so nothing uploaded");
    assert.equal(float32Output(reader.dir, "tripled"), expected);
  } finally {
    await Promise.all(hosts.map((h) => h.close(30_000).catch(() => undefined)));
  }
});

test("an entry signed with another key, or unsigned, is a miss with a warning: the build compiles locally", async () => {
  const tag = "\n# signed-entries\n";
  const writer = await buildIn(workspace(server.address, { tag }), { key: "team-key-1" });
  assert.is(writer.summary.exitCode, 0);
  const other = await buildIn(workspace(server.address, { tag }), { key: "someone-elses-key" });
  assert.is(other.summary.exitCode, 0);
  assert.is(kinds(other.events, "compile-finished").length, 2, "both compiled locally");
  assert.is(kinds(other.events, "run-finished").length, 1, "the run ran");
  assert.ok(other.warnings.some((w) => /signed with another key/.test(w)), other.warnings.join("\n"));

  const unsignedTag = "\n# unsigned-entries\n";
  const unsignedWriter = await buildIn(workspace(server.address, { tag: unsignedTag, signed: false }));
  assert.is(unsignedWriter.summary.exitCode, 0);
  const reader = await buildIn(workspace(server.address, { tag: unsignedTag }));
  assert.is(kinds(reader.events, "compile-finished").length, 2);
  assert.ok(reader.warnings.some((w) => /unsigned/.test(w)), reader.warnings.join("\n"));
});

test("a blob corrupted in the server's disk store is detected, not used, and the artifact rebuilt locally", async () => {
  const tag = "\n# corrupted\n";
  const writer = await buildIn(workspace(server.address, { tag }));
  const scaled = kinds(writer.events, "compile-finished").find((e) => e.event === "compile-finished" && e.entry === "scaled") as Extract<BuildEvent, { event: "compile-finished" }>;
  // module.hlo.pb's blob in BuildGrid's disk store (cas/objects/<2 hex>/<62 hex>), one byte flipped.
  const module = findArtifactModule(writer, scaled.key);
  const digest = digestOf(module);
  const blob = join(server.store, "cas", "objects", digest.hash.slice(0, 2), digest.hash.slice(2));
  assert.ok(existsSync(blob), `blob at ${blob}`);
  const bytes = readFileSync(blob);
  bytes[bytes.length >> 1] ^= 0xff;
  writeFileSync(blob, bytes);

  const reader = await buildIn(workspace(server.address, { tag }));
  assert.is(reader.summary.exitCode, 0);
  assert.ok(reader.warnings.some((w) => /does not match its digest/.test(w) && /scaled/.test(w)), reader.warnings.join("\n"));
  const compiled = kinds(reader.events, "compile-finished").map((e) => (e as { entry: string }).entry);
  assert.equal(compiled, ["scaled"], "the corrupt artifact rebuilt, the sound one taken from the server");
  // BuildGrid's disk store keeps the first copy of a blob (it links, never overwrites), so the
  // corrupt one stays: every later reader detects it again and builds locally, never using it.
  const third = await buildIn(workspace(server.address, { tag }));
  assert.equal(kinds(third.events, "compile-finished").map((e) => (e as { entry: string }).entry), ["scaled"]);
  assert.ok(third.warnings.some((w) => /does not match its digest/.test(w)));
});

/** The local artifact cache of the workspace a build ran in. */
function tempDirOf(r: { summary: BuildSummary; events: BuildEvent[] }): string {
  const started = r.events.find((e) => e.event === "build-started") as Extract<BuildEvent, { event: "build-started" }>;
  return join(started.config, "..", ".tpu-build", "cache");
}

function findArtifactModule(r: { summary: BuildSummary; events: BuildEvent[] }, key: string): Buffer {
  return readFileSync(join(tempDirOf(r), "artifacts", key.slice(0, 2), key, "module.hlo.pb"));
}

test("a blob above the server's batch limit goes through ByteStream, both ways, and comes back byte for byte", async () => {
  const warnings: string[] = [];
  const cache = new RemoteCache({ endpoint: { address: server.address, instance: "" }, write: true, signingKey: Buffer.from("k") }, { warn: (m) => warnings.push(m) });
  try {
    // Above BuildGrid's max_batch_total_size_bytes (4 MiB less a little) and gRPC's default message size.
    const big = Buffer.alloc(9 << 20);
    for (let i = 0; i < big.length; i += 4) big.writeUInt32LE((i * 2654435761) >>> 0, i);
    const small = Buffer.from("a small file beside it");
    const key = digestOf(big).hash;
    cache.put("artifact", key, "big", [{ path: "big.bin", data: big }, { path: "small.txt", data: small }]);
    await cache.flush();
    assert.equal(warnings, []);
    assert.is(cache.stats.byteStreamWrites, 1);
    assert.is(cache.stats.entriesWritten, 1);
    const got = await cache.get("artifact", key, "big");
    assert.ok(got, "a hit");
    assert.is(cache.stats.byteStreamReads, 1);
    assert.is(cache.stats.batchReads, 1, "the small file in a batch");
    assert.ok(got.files.get("big.bin")!.equals(big));
    assert.is(got.files.get("small.txt")!.toString(), small.toString());
    assert.is(got.bytes, big.length + small.length);
  } finally {
    await cache.close();
  }
});

test("a server killed mid-build: one warning, the build finishes locally", async () => {
  const own = await startBuildGrid(tempDir("killed"));
  try {
    const ws = workspace(own.address, { tag: "\n# killed\n" });
    const { summary, events, warnings } = await buildIn(ws, {
      onEvent: (e) => {
        if (e.event === "compile-finished" && e.entry === "affine") own.process.kill("SIGKILL");
      },
    });
    assert.is(summary.exitCode, 0);
    assert.is(kinds(events, "compile-finished").length, 2);
    assert.is(kinds(events, "run-finished").length, 1);
    assert.is(warnings.length, 1, warnings.join("\n"));
    assert.match(warnings[0]!, /unavailable/);
    assert.equal(float32Output(ws.dir, "affine"), affineReference());
  } finally {
    await own.stop();
  }
});

test("a stopped server (SIGSTOP): every call meets its deadline, one warning, the build finishes locally", async () => {
  const own = await startBuildGrid(tempDir("stopped"));
  try {
    own.process.kill("SIGSTOP");
    const ws = workspace(own.address, { tag: "\n# stopped\n" });
    // plan too: a deadline, one warning, the plan stands and claims no remote answer.
    const planned = await planIn(ws);
    assert.is(planned.report.warnings.length, 1, planned.report.warnings.join("\n"));
    assert.equal(planned.remote, { affine: {}, scaled: {} });
    const { summary, events, warnings } = await buildIn(ws);
    assert.is(summary.exitCode, 0);
    assert.is(kinds(events, "compile-finished").length, 2);
    assert.is(kinds(events, "run-finished").length, 1);
    assert.is(warnings.length, 1, warnings.join("\n"));
    assert.match(warnings[0]!, /DEADLINE_EXCEEDED|UNAVAILABLE/);
  } finally {
    await own.stop();
  }
});

test("nothing listening: one warning, the build goes on", async () => {
  const ws = workspace("grpc://127.0.0.1:9", { tag: "\n# nobody\n" });
  const { summary, warnings } = await buildIn(ws);
  assert.is(summary.exitCode, 0);
  assert.is(warnings.length, 1);
});

test("BuildBuddy's API key (apiKey, from its environment variable) travels as the x-buildbuddy-api-key header", async () => {
  // BuildBuddy cannot run here: a gRPC server of REAPI's Capabilities service stands in, recording the header.
  const definition = protoLoader.loadSync(REAPI_PROTOS, { ...REAPI_LOADER_OPTIONS, includeDirs: [reapiProtoDir()] });
  const reapi = grpc.loadPackageDefinition(definition) as unknown as { build: { bazel: { remote: { execution: { v2: { Capabilities: { service: grpc.ServiceDefinition } } } } } } };
  const seen: string[] = [];
  const listener = new grpc.Server();
  listener.addService(reapi.build.bazel.remote.execution.v2.Capabilities.service, {
    getCapabilities: (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      seen.push(call.metadata.get("x-buildbuddy-api-key").map(String).join(","));
      callback(null, { cacheCapabilities: { digestFunctions: ["SHA256"], actionCacheUpdateCapabilities: { updateEnabled: false } } });
    },
  });
  const port = await new Promise<number>((resolve, reject) => listener.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  const warnings: string[] = [];
  const config = remoteCacheConfig({ address: `grpc://127.0.0.1:${port}`, apiKey: { env: "BB_KEY" }, timeoutSeconds: 2 }, "/w", { BB_KEY: "bb-secret" });
  assert.ok(config.ok && config.config, JSON.stringify(config));
  const cache = new RemoteCache({ endpoint: config.config.endpoint, write: false }, { warn: (m) => warnings.push(m) });
  try {
    // Capabilities answers; the ActionCache it lacks then turns the layer off, with its one warning.
    assert.is(await cache.get("artifact", "0".repeat(64), "probe"), undefined);
    assert.equal(seen, ["bb-secret"]);
    assert.is(warnings.length, 1, warnings.join("\n"));
  } finally {
    await cache.close();
    listener.forceShutdown();
  }
});

test("configuration: TPU_BUILD_REMOTE_CACHE overrides the manifest, a bad one is a clear error, a missing secret turns the cache off with a warning", () => {
  const section = { address: "grpc://cache.example:9092", instance: "main", signingKey: { env: "NO_SUCH_VARIABLE_FOR_TPU_BUILD" } };
  assert.equal(remoteCacheConfig(section, "/w", { TPU_BUILD_REMOTE_CACHE: "off" }), { ok: true });
  const missing = remoteCacheConfig(section, "/w", {});
  assert.ok(missing.ok && !missing.config && /\$NO_SUCH_VARIABLE_FOR_TPU_BUILD, which is not set/.test(missing.warning ?? ""));
  const overridden = remoteCacheConfig({ ...section, signingKey: { env: "K" } }, "/w", { TPU_BUILD_REMOTE_CACHE: "grpcs://ci-cache:443", K: "secret" });
  assert.ok(overridden.ok && overridden.config);
  assert.is(overridden.config.endpoint.address, "grpcs://ci-cache:443");
  assert.is(overridden.config.endpoint.instance, "main");
  assert.is(overridden.config.signingKey?.toString(), "secret");
  const json = remoteCacheConfig(undefined, "/w", { TPU_BUILD_REMOTE_CACHE: '{"address": "grpc://127.0.0.1:1", "write": false}' });
  assert.ok(json.ok && json.config && json.config.write === false);
  const bad = remoteCacheConfig(undefined, "/w", { TPU_BUILD_REMOTE_CACHE: "http://cache:80" });
  assert.ok(!bad.ok && /TPU_BUILD_REMOTE_CACHE="http:\/\/cache:80": expected "off", an address grpc:\/\/host:port/.test(bad.message));
  const badJson = remoteCacheConfig(undefined, "/w", { TPU_BUILD_REMOTE_CACHE: '{"address": "grpc://h:1", "signingKey": "plain"}' });
  assert.ok(!badJson.ok && /not a valid "remoteCache" object: \/signingKey/.test(badJson.message), JSON.stringify(badJson));
});

test("manifest: a secret written in place is refused at its line, naming the two forms", async () => {
  const text = `{
  "remoteCache": { "address": "grpc://localhost:9092", "signingKey": "hunter2" },
  "entries": {}
}
`;
  const r = await resolveManifest(join(tempDir("manifest"), "tpu.config.json"), text);
  assert.ok(!r.ok);
  const d = r.diagnostics.find((x) => x.pointer === "/remoteCache/signingKey");
  assert.ok(d, JSON.stringify(r.diagnostics));
  assert.is(d.line, 2);
  assert.match(d.message, /expected a secret: \{"env": "NAME"\} \(an environment variable\) or \{"file": "path"\}/);
  const badAddress = await resolveManifest(join(tempDir("manifest"), "tpu.config.json"), `{ "remoteCache": { "address": "localhost:9092" }, "entries": {} }`);
  assert.ok(!badAddress.ok && badAddress.diagnostics.some((x) => x.pointer === "/remoteCache/address"));
});

test("build/remote-cache/generated/ is what proto-loader-gen-types makes of proto/reapi/", () => {
  const out = tempDir("gen");
  const root = join(__dirname, "..");
  execFileSync(
    process.execPath,
    ["node_modules/@grpc/proto-loader/build/bin/proto-loader-gen-types.js", "--longs=Number", "--enums=String", "--defaults", "--oneofs", "--grpcLib=@grpc/grpc-js", "--importFileExtension=.js", "-I", "proto/reapi", "-O", out, ...REAPI_PROTOS],
    { stdio: "pipe", cwd: root, timeout: 120_000 },
  );
  assert.equal(REAPI_LOADER_OPTIONS, { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true });
  const walk = (d: string, rel = ""): string[] => readdirSync(join(d, rel), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(d, join(rel, e.name)) : e.name.endsWith(".ts") ? [join(rel, e.name)] : []));
  const generated = join(root, "build/remote-cache/generated");
  assert.equal(walk(generated).sort(), walk(out).sort());
  for (const f of walk(out)) assert.is(readFileSync(join(generated, f), "utf8"), readFileSync(join(out, f), "utf8"), f);
});

test.run();
