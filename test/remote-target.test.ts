// Remote targets (`targets.<name>` with `"kind": "remote"`): a runtime server started by the test on
// loopback with TLS (certificates made with openssl) and a token, reached through the manifest as a
// Cloud TPU VM would be. Real builds: the Julia compiler, the real server, NumPy's numbers.
// Run: npx uvu -r tsx/cjs test remote-target

import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { build } from "../build/engine.js";
import type { BuildEvent } from "../build/events.js";
import { RuntimeProcess, readRuntimeTls } from "../plugins/xla-local/index.js";
import { runPython } from "./support/python.js";
import { makeCertificates, type TestCertificates } from "./support/tls.js";

const TOKEN_VAR = "TPU_BUILD_TEST_REMOTE_TOKEN";
let work = "";
let certs: TestCertificates;
let token = "";
let server: RuntimeProcess | undefined;

test.before(async () => {
  work = mkdtempSync(join(tmpdir(), "tpu-build-remote-target-test-"));
  certs = makeCertificates(work);
  token = createHash("sha256").update(work).digest("hex");
  const tokenFile = join(work, "token");
  writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
  server = await RuntimeProcess.start({ tls: { cert: certs.serverCert, key: certs.serverKey }, tokenFile, client: { tls: readRuntimeTls({ ca: certs.ca, serverName: "localhost" }) } });
});

test.after(async () => {
  delete process.env[TOKEN_VAR];
  await server?.close().catch(() => undefined);
  if (work) rmSync(work, { recursive: true, force: true });
});

/** A workspace with `double(x) = 2x` on an .npy NumPy writes, run on the target "tpu" with `settings`; the manifest is indented, one key a line. */
function workspace(settings: Record<string, unknown>): { dir: string; config: string } {
  const dir = mkdtempSync(join(work, "ws-"));
  writeFileSync(join(dir, "double.jl"), "double(x) = 2f0 .* x\n");
  runPython("import sys, numpy as np\nnp.save(sys.argv[1], np.asfortranarray(np.random.default_rng(5).standard_normal((3, 4)).astype(np.float32)))", [join(dir, "x.npy")]);
  const manifest = {
    targets: { tpu: settings },
    entries: { double: { file: "double.jl", function: "double", args: [{ eltype: "Float32", size: [3, 4], value: { npy: "x.npy" } }], run: { target: "tpu" } } },
  };
  const config = join(dir, "tpu.config.json");
  writeFileSync(config, JSON.stringify(manifest, null, 2));
  return { dir, config };
}

const remote = (more: Record<string, unknown> = {}) => ({ kind: "remote", address: server!.address, platform: "cpu", tls: { ca: certs.ca, serverName: "localhost" }, token: { env: TOKEN_VAR }, ...more });

async function run(config: string): Promise<{ exitCode: number; errors: string; events: BuildEvent[] }> {
  const errors: string[] = [];
  const events: BuildEvent[] = [];
  const summary = await build({ config, error: (e) => errors.push(e), onEvent: (e) => events.push(e) });
  return { exitCode: summary.exitCode, errors: errors.join("\n"), events };
}

test("an entry runs on a remote target over TLS with a token from the environment, and matches NumPy", async () => {
  process.env[TOKEN_VAR] = token;
  const { dir, config } = workspace(remote());
  const r = await run(config);
  assert.is(r.exitCode, 0, r.errors);
  const same = runPython("import sys, numpy as np\ny, x = np.load(sys.argv[1]), np.load(sys.argv[2])\nprint(y.shape == x.shape and bool(np.array_equal(y, 2 * x)))", [join(dir, ".tpu-build", "out", "double", "0.npy"), join(dir, "x.npy")]);
  assert.is(same.trim(), "True", "the output is NumPy's 2x");
  assert.ok(r.events.some((e) => e.event === "run-finished" && e.target === "tpu"));
});

test("a token from a file works too; an unset variable or a wrong token is a run error naming the server", async () => {
  const tokenFile = join(work, "token");
  assert.is((await run(workspace(remote({ token: { file: tokenFile } })).config)).exitCode, 0);
  delete process.env[TOKEN_VAR];
  const unset = await run(workspace(remote()).config);
  assert.is(unset.exitCode, 4);
  assert.match(unset.errors, new RegExp(`running double on tpu failed: the runtime server at ${server!.address} cannot be reached: its token is read from \\$${TOKEN_VAR}, which is not set`));
  process.env[TOKEN_VAR] = `${token}x`;
  const wrong = await run(workspace(remote()).config);
  assert.is(wrong.exitCode, 4);
  assert.match(wrong.errors, new RegExp(`the runtime server at ${server!.address} refused the token \\(from \\$${TOKEN_VAR}\\)`));
});

test("a platform other than the server's is a run error naming both, before anything is uploaded", async () => {
  process.env[TOKEN_VAR] = token;
  const r = await run(workspace(remote({ platform: "tpu" })).config);
  assert.is(r.exitCode, 4);
  assert.match(r.errors, /the target says "platform": "tpu", but the runtime server at \S+ runs on "cpu" \(cpu\); nothing was uploaded/);
});

test("a token written in the manifest is a manifest error at its line", async () => {
  const { config } = workspace(remote({ token: "s3cret" }));
  const r = await run(config);
  assert.is(r.exitCode, 2);
  assert.match(r.errors, /tpu\.config\.json:\d+:\d+/);
  assert.match(r.errors, /a token written in the manifest is refused \(manifests are committed\)/);
  const invalid = r.events.find((e) => e.event === "manifest-invalid");
  assert.ok(invalid && invalid.event === "manifest-invalid");
  const d = invalid.diagnostics[0]!;
  assert.is(d.code, "invalid-setting");
  // The line of "token" in the indented manifest.
  const line = readFileSync(config, "utf8").split("\n").findIndex((l) => l.includes('"token"')) + 1;
  assert.match(r.errors, new RegExp(`tpu\\.config\\.json:${line}:`));
});

test("a misspelt setting of a remote target is a manifest error with the nearest valid key", async () => {
  const { platform, ...rest } = remote();
  const r = await run(workspace({ ...rest, platfrom: platform }).config);
  assert.is(r.exitCode, 2);
  const invalid = r.events.find((e) => e.event === "manifest-invalid");
  assert.ok(invalid && invalid.event === "manifest-invalid");
  assert.is(invalid.diagnostics[0]!.code, "unknown-setting");
  assert.match(invalid.diagnostics[0]!.rendered, /did you mean "platform"\?/);
  assert.match(r.errors, /unknown setting "platfrom" of a remote target/);
});

test("an unknown target kind is a manifest error with the nearest kind", async () => {
  const r = await run(workspace(remote({ kind: "remot" })).config);
  assert.is(r.exitCode, 2);
  assert.match(r.errors, /unknown target kind "remot"/);
  const invalid = r.events.find((e) => e.event === "manifest-invalid");
  assert.ok(invalid && invalid.event === "manifest-invalid");
  assert.match(invalid.diagnostics[0]!.rendered, /did you mean "remote"\?/, invalid.diagnostics.map((d) => d.rendered).join("\n"));
});

test("watch settings of a remote target are checked over its declared ones, and reported at their own keys", async () => {
  const { config } = workspace(remote());
  const manifest = JSON.parse(readFileSync(config, "utf8"));
  manifest.watch = { targets: { tpu: { platform: "cpu" } } };
  writeFileSync(config, JSON.stringify(manifest, null, 2));
  process.env[TOKEN_VAR] = token;
  const ok = await run(config);
  assert.is(ok.exitCode, 0, ok.errors);
  manifest.watch.targets.tpu = { platform: "TPU" };
  writeFileSync(config, JSON.stringify(manifest, null, 2));
  const bad = await run(config);
  assert.is(bad.exitCode, 2);
  const invalid = bad.events.find((e) => e.event === "manifest-invalid");
  assert.ok(invalid && invalid.event === "manifest-invalid");
  assert.is(invalid.diagnostics.length, 1, bad.errors);
  assert.match(bad.errors, /\(at \/watch\/targets\/tpu\/platform\)/);
});

/** A workspace where `twice` doubles the output of `once` (which doubles x.npy), both on "tpu". */
function chain(): { dir: string; config: string } {
  const { dir, config } = workspace(remote());
  const manifest = JSON.parse(readFileSync(config, "utf8"));
  manifest.entries.once = manifest.entries.double;
  delete manifest.entries.double;
  manifest.entries.twice = { file: "double.jl", function: "double", args: [{ from: "once" }], run: { target: "tpu" } };
  writeFileSync(config, JSON.stringify(manifest, null, 2));
  return { dir, config };
}

/** The server of `serverStart` again, on the same address, certificate and token. */
function restart(address: string): Promise<RuntimeProcess> {
  return RuntimeProcess.start({ listen: address, tls: { cert: certs.serverCert, key: certs.serverKey }, tokenFile: join(work, "token"), client: { tls: readRuntimeTls({ ca: certs.ca, serverName: "localhost" }) } });
}

test("a server killed in the middle of a build and restarted is reconnected, and the run goes on with its inputs uploaded again", async () => {
  process.env[TOKEN_VAR] = token;
  const { dir, config } = chain();
  const old = server!;
  let restarted: Promise<RuntimeProcess> | undefined;
  const summary = await build({
    config,
    error: () => {},
    onEvent: (e) => {
      if (e.event === "run-finished" && e.entry === "once" && !restarted) {
        process.kill(old.pid, "SIGKILL");
        restarted = new Promise((r) => setTimeout(r, 200)).then(() => restart(old.address));
      }
    },
  });
  assert.ok(restarted, "the server was killed after the first entry ran");
  server = await restarted!;
  await old.close().catch(() => undefined);
  assert.is(summary.exitCode, 0);
  const four = runPython("import sys, numpy as np\ny, x = np.load(sys.argv[1]), np.load(sys.argv[2])\nprint(bool(np.array_equal(y, 4 * x)))", [join(dir, ".tpu-build", "out", "twice", "0.npy"), join(dir, "x.npy")]);
  assert.is(four.trim(), "True", "the second entry's output is NumPy's 4x, computed on the restarted server");
});

test("a server killed in the middle of a build and not restarted is a run error naming the target and the cause", async () => {
  process.env[TOKEN_VAR] = token;
  const { config } = chain();
  const old = server!;
  const errors: string[] = [];
  const summary = await build({
    config,
    error: (e) => errors.push(e),
    onEvent: (e) => {
      if (e.event === "run-finished" && e.entry === "once") process.kill(old.pid, "SIGKILL");
    },
  });
  await old.close().catch(() => undefined);
  server = undefined;
  assert.is(summary.exitCode, 4);
  assert.match(errors.join("\n"), new RegExp(`running twice on tpu failed: the runtime server at ${old.address} cannot be reached: no connection within 10 s`), errors.join("\n"));
});

test.run();
