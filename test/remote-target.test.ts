// Remote targets (`targets.<name>` with `"kind": "remote"`): a runtime server started by the test on
// loopback with mutual TLS (certificates made with openssl) and a token, reached through the manifest
// as a Cloud TPU VM would be. Real builds: the Julia compiler, the real server, NumPy's numbers.
//
// TPU_BUILD_TEST_REMOTE=host:port points the suite at a real accelerator server instead (a TPU VM or
// GPU host running `tpu-build runtime serve`): its token in TPU_BUILD_TEST_REMOTE_TOKEN, its CA in
// TPU_BUILD_TEST_REMOTE_CA (a PEM file), the name on its certificate in
// TPU_BUILD_TEST_REMOTE_SERVER_NAME, and for mutual TLS a client certificate and key in
// TPU_BUILD_TEST_REMOTE_CERT and TPU_BUILD_TEST_REMOTE_KEY. The tests that must kill or stop the
// server, or that need it to ask for client certificates, then run only on the loopback one.
// Run: npx uvu -r tsx/cjs test remote-target

import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { build, type BuildOptions } from "../build/engine.js";
import type { BuildEvent } from "../build/events.js";
import { juliaPlugin } from "../plugins/julia/index.js";
import { PluginRegistry } from "../plugins/registry.js";
import { localTarget, RemoteTarget, RuntimeClient, RuntimeProcess, readRuntimeTls, serverPlatform } from "../plugins/xla-local/index.js";
import { busyFor, cpuTicks, stopProcess } from "./support/processes.js";
import { runPython } from "./support/python.js";
import { makeCertificates, type TestCertificates } from "./support/tls.js";

const TOKEN_VAR = "TPU_BUILD_TEST_REMOTE_TOKEN";
/** A real accelerator server to test against (see above), or undefined: the loopback one. */
const external = process.env.TPU_BUILD_TEST_REMOTE
  ? {
      address: process.env.TPU_BUILD_TEST_REMOTE,
      token: process.env[TOKEN_VAR] ?? "",
      ca: process.env.TPU_BUILD_TEST_REMOTE_CA,
      serverName: process.env.TPU_BUILD_TEST_REMOTE_SERVER_NAME,
      cert: process.env.TPU_BUILD_TEST_REMOTE_CERT,
      key: process.env.TPU_BUILD_TEST_REMOTE_KEY,
    }
  : undefined;

let work = "";
let certs: TestCertificates;
let token = "";
/** The loopback server (undefined against an external one). */
let server: RuntimeProcess | undefined;
let address = "";
/** The platform the server runs on, as a manifest names it. */
let platform = "cpu";
/** The TLS settings every good manifest gives. */
let tls: Record<string, string> = {};

/** A test that needs the loopback server (to kill or stop it, or to know it asks for client certificates). */
function loopbackTest(name: string, body: () => Promise<void>): void {
  if (!external) test(name, body);
  else console.log(`  (remote-target: "${name}" runs on the loopback server only, not against TPU_BUILD_TEST_REMOTE)`);
}

/** The loopback server, on `listen` when given (a restart on the same address, certificate and token). */
function startServer(listen?: string): Promise<RuntimeProcess> {
  return RuntimeProcess.start({
    listen,
    tls: { cert: certs.serverCert, key: certs.serverKey, clientCa: certs.ca },
    tokenFile: join(work, "token"),
    sharedMemory: false, // a service's: what a remote target reaches
    client: { tls: readRuntimeTls({ ca: certs.ca, serverName: "localhost", cert: certs.clientCert, key: certs.clientKey }) },
  });
}

test.before(async () => {
  work = mkdtempSync(join(tmpdir(), "tpu-build-remote-target-test-"));
  certs = makeCertificates(work);
  token = external ? external.token : createHash("sha256").update(work).digest("hex");
  writeFileSync(join(work, "token"), `${token}\n`, { mode: 0o600 });
  if (external) {
    address = external.address;
    tls = Object.fromEntries(Object.entries({ ca: external.ca, serverName: external.serverName, cert: external.cert, key: external.key }).filter(([, v]) => v !== undefined)) as Record<string, string>;
    const client = new RuntimeClient(address, { token, tls: readRuntimeTls(tls) });
    try {
      const info = await client.deviceInfo();
      platform = serverPlatform(info.platform, info.platformVersion);
    } finally {
      client.close();
    }
  } else {
    server = await startServer();
    address = server.address;
    tls = { ca: certs.ca, serverName: "localhost", cert: certs.clientCert, key: certs.clientKey };
  }
});

test.after(async () => {
  delete process.env[TOKEN_VAR];
  if (server) {
    process.kill(server.pid, "SIGCONT"); // a test that stopped it and failed
    await server.close().catch(() => undefined);
  }
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

const remote = (more: Record<string, unknown> = {}) => ({ kind: "remote", address, platform, tls, token: { env: TOKEN_VAR }, ...more });

async function run(config: string, options: Partial<BuildOptions> = {}): Promise<{ exitCode: number; errors: string; events: BuildEvent[]; log: string }> {
  const errors: string[] = [];
  const events: BuildEvent[] = [];
  const log: string[] = [];
  const summary = await build({ config, error: (e) => errors.push(e), onEvent: (e) => events.push(e), log: (l) => log.push(l), ...options });
  return { exitCode: summary.exitCode, errors: errors.join("\n"), events, log: log.join("\n") };
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
  assert.match(unset.errors, new RegExp(`running double on tpu failed: the runtime server at ${address} cannot be reached: its token is read from \\$${TOKEN_VAR}, which is not set`));
  process.env[TOKEN_VAR] = `${token}x`;
  const wrong = await run(workspace(remote()).config);
  assert.is(wrong.exitCode, 4);
  assert.match(wrong.errors, new RegExp(`the runtime server at ${address} refused the token \\(from \\$${TOKEN_VAR}\\)`));
});

test("a platform other than the server's is a run error naming both, before anything is uploaded", async () => {
  process.env[TOKEN_VAR] = token;
  const other = platform === "tpu" ? "cpu" : "tpu";
  const r = await run(workspace(remote({ platform: other })).config);
  assert.is(r.exitCode, 4);
  assert.match(r.errors, new RegExp(`the target says "platform": "${other}", but the runtime server at \\S+ runs on "${platform}" \\(.+\\); nothing was uploaded`));
});

test("TLS problems through the manifest are run errors naming the server and the cause: an unknown CA, a missing or untrusted client certificate", async () => {
  process.env[TOKEN_VAR] = token;
  const { config } = workspace(remote());
  const manifest = JSON.parse(readFileSync(config, "utf8"));
  const attempt = async (settings: Record<string, unknown>) => {
    manifest.targets.tpu = remote({ ...settings, timeoutSeconds: 1 });
    writeFileSync(config, JSON.stringify(manifest, null, 2));
    const r = await run(config);
    assert.is(r.exitCode, 4, r.errors);
    return r.errors;
  };
  const { cert: _cert, key: _key, ...serverAuth } = tls;
  const where = `running double on tpu failed: the runtime server at ${address} cannot be reached`;
  assert.match(await attempt({ tls: { ...tls, ca: certs.otherCa } }), new RegExp(`${where}: the TLS handshake failed: .*certificate.* \\(does tls.ca name the CA that signed the server's certificate\\?\\)`));
  if (external && !external.cert) return; // a server that asks for no client certificate
  assert.match(await attempt({ tls: serverAuth }), new RegExp(`${where}: the server closed the connection after the TLS handshake: it asks for a client certificate \\(mutual TLS: give tls.cert and tls.key\\)`));
  assert.match(await attempt({ tls: { ...serverAuth, cert: certs.otherClientCert, key: certs.otherClientKey } }), new RegExp(`${where}: the server closed the connection after the TLS handshake: it does not accept the client certificate`));
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
function chain(settings = remote()): { dir: string; config: string } {
  const { dir, config } = workspace(settings);
  const manifest = JSON.parse(readFileSync(config, "utf8"));
  manifest.entries.once = manifest.entries.double;
  delete manifest.entries.double;
  manifest.entries.twice = { file: "double.jl", function: "double", args: [{ from: "once" }], run: { target: "tpu" } };
  writeFileSync(config, JSON.stringify(manifest, null, 2));
  return { dir, config };
}

/**
 * A workspace whose entry `spin` applies `x = tanh.(w * x)` ITERATIONS times (one XLA while, seconds
 * of CPU): long enough to be inside its Execute when the server is killed or stopped.
 */
const ITERATIONS = 300;
const N = 384;
function spinWorkspace(settings: Record<string, unknown>): { dir: string; config: string } {
  const dir = mkdtempSync(join(work, "spin-"));
  writeFileSync(join(dir, "spin.jl"), `function spin(w, x)\n    for i in 1:${ITERATIONS}\n        x = tanh.(w * x)\n    end\n    return x\nend\n`);
  runPython(
    "import sys, numpy as np\nr = np.random.default_rng(7)\nn = int(sys.argv[3])\nnp.save(sys.argv[1], np.asfortranarray((r.standard_normal((n, n)) / np.sqrt(n)).astype(np.float32)))\nnp.save(sys.argv[2], np.asfortranarray(r.standard_normal((n, n)).astype(np.float32)))",
    [join(dir, "w.npy"), join(dir, "x.npy"), String(N)],
  );
  const arg = (file: string) => ({ eltype: "Float32", size: [N, N], value: { npy: file } });
  const manifest = { targets: { tpu: settings }, entries: { spin: { file: "spin.jl", function: "spin", args: [arg("w.npy"), arg("x.npy")], run: { target: "tpu" } } } };
  const config = join(dir, "tpu.config.json");
  writeFileSync(config, JSON.stringify(manifest, null, 2));
  return { dir, config };
}

/** NumPy's `spin`, in Float32 as the module computes it, compared with the entry's output. */
function spinMatchesNumPy(dir: string): string {
  return runPython(
    "import sys, numpy as np\nw, x, y = (np.load(f) for f in sys.argv[1:4])\nfor _ in range(int(sys.argv[4])):\n    x = np.tanh(w @ x)\nprint(y.shape == x.shape and bool(np.allclose(y, x, rtol=1e-3, atol=1e-4)), float(np.abs(y - x).max()))",
    [join(dir, "w.npy"), join(dir, "x.npy"), join(dir, ".tpu-build", "out", "spin", "0.npy"), String(ITERATIONS)],
  ).trim();
}

/**
 * The remote target plugin, with `duringExecute` called once each Execute of a run is on the server
 * and the server computes it (its CPU time rising since the call): the test then kills or stops it.
 * Returns the registry to build with and whether each Execute had answered when the hook acted.
 */
function duringExecute(act: (attempt: number) => Promise<void>): { plugins: PluginRegistry; answeredFirst: boolean[] } {
  const answeredFirst: boolean[] = [];
  class WatchedRemote extends RemoteTarget {
    override async open(options: { workspace: string; settings?: Record<string, unknown> }) {
      const session = await super.open(options);
      const client = session.client;
      const execute = client.execute.bind(client);
      client.execute = (executable, handles) => {
        const attempt = answeredFirst.length;
        answeredFirst.push(false);
        let answered = false;
        const from = cpuTicks(server!.pid);
        const call = execute(executable, handles).finally(() => (answered = true));
        // 30 clock ticks: 0.3 s of the server's CPU on this Execute alone, so it is under way.
        const acted = busyFor(server!.pid, from, 30).then(() => {
          answeredFirst[attempt] = answered;
          return act(attempt);
        });
        // The run goes on once the test has acted (a restart finished), whatever Execute answered.
        return Promise.allSettled([call, acted]).then(([, a]) => (a.status === "rejected" ? Promise.reject(a.reason) : call));
      };
      return session;
    }
  }
  const plugins = new PluginRegistry().use(juliaPlugin).use({ name: "test remote", register: (r) => (r.registerTarget(localTarget), r.registerTarget(new WatchedRemote())) });
  return { plugins, answeredFirst };
}

/** Kills a server and resolves once it is gone, its port free (a timer holds the event loop: the server's child handle does not). */
async function kill(p: RuntimeProcess): Promise<void> {
  const hold = setInterval(() => {}, 1000);
  process.kill(p.pid, "SIGKILL");
  await p.exited.finally(() => clearInterval(hold));
}

/** Kills the loopback server now and starts it again on the same address. */
async function killAndRestart(): Promise<void> {
  const old = server!;
  await kill(old);
  server = await startServer(old.address);
}

loopbackTest("a server killed inside an Execute is reconnected, the inputs are uploaded again and the run retried once, matching NumPy", async () => {
  process.env[TOKEN_VAR] = token;
  // Restarting the server takes seconds on a loaded machine: the target waits for it that long.
  const { dir, config } = spinWorkspace(remote({ timeoutSeconds: 120 }));
  const { plugins, answeredFirst } = duringExecute(async (attempt) => {
    if (attempt === 0) await killAndRestart();
  });
  const r = await run(config, { plugins });
  assert.is(r.exitCode, 0, r.errors);
  assert.equal(answeredFirst, [false, false], "the first Execute was killed before it answered, and the run went on with a second");
  assert.match(r.log, /retry +spin +on tpu: its runtime server stopped answering \(runtime Execute failed \(UNAVAILABLE\)/);
  assert.match(spinMatchesNumPy(dir), /^True /);
});

loopbackTest("a server killed inside the retried Execute too is a run error (exit 4) naming the target and both causes", async () => {
  process.env[TOKEN_VAR] = token;
  const { config } = spinWorkspace(remote({ timeoutSeconds: 120 }));
  const { plugins, answeredFirst } = duringExecute(() => killAndRestart());
  const r = await run(config, { plugins });
  assert.is(r.exitCode, 4, r.errors);
  assert.equal(answeredFirst, [false, false]);
  assert.match(r.errors, /running spin on tpu failed: runtime Execute failed \(UNAVAILABLE\): .* \(retried once after the connection to the server was lost: runtime Execute failed \(UNAVAILABLE\): .*\)/);
});

loopbackTest("a server stopped (SIGSTOP) inside an Execute fails the run within timeoutSeconds, with nothing hanging", async () => {
  process.env[TOKEN_VAR] = token;
  const { config } = spinWorkspace(remote({ timeoutSeconds: 2 }));
  const { plugins } = duringExecute((attempt) => (attempt === 0 ? stopProcess(server!.pid) : Promise.resolve()));
  try {
    let timer: NodeJS.Timeout | undefined;
    // Not a timing assertion: a guard so that a hang fails this test instead of the whole run.
    const hung = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error("the build hung on a stopped server")), 120_000)));
    const r = await Promise.race([run(config, { plugins }), hung]).finally(() => clearTimeout(timer));
    assert.is(r.exitCode, 4, r.errors);
    assert.match(r.errors, new RegExp(`running spin on tpu failed: the runtime server at ${address} cannot be reached: no connection within 2 s .*\\(retried once after the connection to the server was lost: runtime Execute failed \\(UNAVAILABLE\\)`), r.errors);
  } finally {
    process.kill(server!.pid, "SIGCONT");
  }
});

loopbackTest("a server killed between two runs of a build and restarted is reconnected, and the run goes on with its inputs uploaded again", async () => {
  process.env[TOKEN_VAR] = token;
  const { dir, config } = chain();
  const old = server!;
  let restarted: Promise<RuntimeProcess> | undefined;
  const summary = await build({
    config,
    error: () => {},
    onEvent: (e) => {
      if (e.event === "run-finished" && e.entry === "once" && !restarted) restarted = kill(old).then(() => startServer(old.address));
    },
  });
  assert.ok(restarted, "the server was killed after the first entry ran");
  server = await restarted!;
  await old.close().catch(() => undefined);
  assert.is(summary.exitCode, 0);
  const four = runPython("import sys, numpy as np\ny, x = np.load(sys.argv[1]), np.load(sys.argv[2])\nprint(bool(np.array_equal(y, 4 * x)))", [join(dir, ".tpu-build", "out", "twice", "0.npy"), join(dir, "x.npy")]);
  assert.is(four.trim(), "True", "the second entry's output is NumPy's 4x, computed on the restarted server");
});

loopbackTest("a server killed between two runs of a build and not restarted is a run error naming the target and the cause", async () => {
  process.env[TOKEN_VAR] = token;
  const { config } = chain(remote({ timeoutSeconds: 2 }));
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
  assert.match(errors.join("\n"), new RegExp(`running twice on tpu failed: the runtime server at ${old.address} cannot be reached: no connection within 2 s`), errors.join("\n"));
});

test.run();
