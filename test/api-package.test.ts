// The Node API as a user gets it: `npm pack`, installed from the tarball into a temporary project,
// imported as "tpu-build" (package.json `exports`, not a path into the repository), type-checked
// against its .d.ts, and used to plan, build and watch an example whose outputs are compared with NumPy.

import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runPython } from "./support/jax.js";
import { float32Output } from "./support/outputs.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const test = suite("Node API, packed and installed");
let work = "";
test.before(() => {
  work = mkdtempSync(join(tmpdir(), "tpu-build-api-"));
});
test.after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

function run(command: string, args: string[], cwd: string, env: Record<string, string> = {}) {
  const r = spawnSync(command, args, { cwd, encoding: "utf8", env: { ...process.env, CI: "true", ...env }, timeout: 300_000 });
  assert.is(r.status, 0, `${command} ${args.join(" ")}:\n${r.stderr}\n${r.stdout}`);
  return r.stdout;
}

const API_SCRIPT = `
import { build, plan, loadManifest, watch, EXIT } from "tpu-build";
import { appendFileSync } from "node:fs";

const config = process.argv[2];
const loaded = await loadManifest(config);
if (!loaded.ok) throw new Error("manifest: " + loaded.diagnostics.map((d) => d.message).join("; "));
const before = await plan({ config });
const events = [];
const summary = await build({ config, onEvent: (e) => events.push(e.event), error: (text) => console.error(text) });
const after = await plan({ config });
const statuses = (p) => p.entries.map((e) => [e.entry, e.compile.status, e.run?.status]);

// A compile-only watch: an edit to the source is rebuilt before settled() resolves.
const watchEvents = [];
const w = await watch({ config: process.argv[3], onEvent: (e) => watchEvents.push(e.event) });
const firstOk = w.first.ok;
appendFileSync(process.argv[4], "\\ncube(x) = x .^ 3\\n");
while (!watchEvents.includes("watch-changed")) await new Promise((r) => setTimeout(r, 20));
await w.settled();
await w.close();
console.log(JSON.stringify({ planned: [statuses(before), statuses(after)], order: loaded.manifest.order, ok: summary.ok, exitCode: summary.exitCode, okCode: EXIT.ok, entries: summary.entries, events, firstOk, lastOk: w.last?.ok, watchEvents }));
`;

// Compiled by tsc against the installed package: the declarations resolve through `exports`, and
// are real types (the @ts-expect-error lines fail the check if they were \`any\`).
const TYPED_USE = `
import { build, plan, loadManifest, watch, type BuildSummary, type BuildPlanReport, type TargetPlugin, type Plugin } from "tpu-build";

export async function use(config: string): Promise<boolean> {
  const summary: BuildSummary = await build({ config, onEvent: (e) => void e.event });
  const report: BuildPlanReport = await plan({ config });
  void report.entries[0]?.compile.status;
  const loaded = await loadManifest(config);
  if (loaded.ok) void loaded.manifest.order.length;
  else void loaded.diagnostics[0]?.line;
  const w = await watch({ config });
  await w.close();
  // @ts-expect-error a build needs its manifest
  await build({});
  // @ts-expect-error exit codes are numbers
  const wrong: string = summary.exitCode;
  void wrong;
  return summary.ok;
}

export const target: TargetPlugin = { name: "mine", open: async () => { throw new Error("not here"); } };
export const plugin: Plugin = { name: "mine", register: (r) => r.registerTarget(target) };
`;

test("npm pack, installed in a fresh project: typed imports, a build through the API matching NumPy, and a watch", async () => {
  assert.ok(existsSync(join(ROOT, "dist", "index.js")) && existsSync(join(ROOT, "dist", "index.d.ts")), "run `npm run build` first (npm test does)");
  // --ignore-scripts: dist/ is already built (npm test builds first); `prepare` would rebuild it.
  run("npm", ["pack", "--ignore-scripts", "--pack-destination", work], ROOT);
  const tarball = readdirSync(work).find((n) => n.endsWith(".tgz"));
  assert.ok(tarball);
  const project = join(work, "project");
  mkdirSync(project);
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "uses-tpu-build", private: true, type: "module" }));
  // The package's dependencies from the npm cache when it has them (the registry otherwise). Its
  // postinstall (the runtime's virtualenv: pip installs jax) is skipped and the repository's
  // runtime/.venv and stubs lent instead: the same requirements, without minutes of downloads.
  run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts", join(work, tarball!)], project);
  const installed = join(project, "node_modules", "tpu-build");
  symlinkSync(realpathSync(join(ROOT, "runtime", ".venv")), join(installed, "runtime", ".venv"));
  cpSync(join(ROOT, "runtime", "_generated"), join(installed, "runtime", "_generated"), { recursive: true });

  // The types, through the package's exports.
  writeFileSync(join(project, "use.ts"), TYPED_USE);
  writeFileSync(
    join(project, "tsconfig.json"),
    JSON.stringify({ compilerOptions: { strict: true, module: "NodeNext", moduleResolution: "NodeNext", target: "ES2022", noEmit: true, skipLibCheck: true, types: ["node"], typeRoots: [join(ROOT, "node_modules", "@types")] }, files: ["use.ts"] }),
  );
  run(process.execPath, [join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", "."], project);

  // The example from the installed package, built through the API.
  const ws = join(project, "ws");
  mkdirSync(ws);
  cpSync(join(installed, "examples", "polynomial.jl"), join(ws, "polynomial.jl"));
  await runPython(`np.save(INPUT + "/x.npy", np.linspace(-2, 2, 12, dtype=np.float32).reshape(4, 3))\nemit(None)`, ws);
  const x = { eltype: "Float32", size: [4, 3], value: { npy: "x.npy" } };
  writeFileSync(join(ws, "tpu.config.json"), JSON.stringify({ entries: { poly: { file: "polynomial.jl", function: "poly", args: [{ eltype: "Float32", value: 1.5 }], run: true }, smooth: { file: "polynomial.jl", function: "smooth", args: [x], run: true } } }));
  const watched = join(project, "watched");
  mkdirSync(watched);
  writeFileSync(join(watched, "m.jl"), "square(x) = x .* x\n");
  writeFileSync(join(watched, "tpu.config.json"), JSON.stringify({ entries: { square: { file: "m.jl", function: "square", args: [{ eltype: "Float32", size: [2] }] } } }));
  writeFileSync(join(project, "api.mjs"), API_SCRIPT);
  const out = JSON.parse(run(process.execPath, ["api.mjs", join(ws, "tpu.config.json"), join(watched, "tpu.config.json"), join(watched, "m.jl")], project).trim().split("\n").at(-1)!) as {
    planned: [string, string, string | undefined][][];
    order: string[];
    ok: boolean;
    exitCode: number;
    okCode: number;
    entries: Record<string, { status: string; ran?: boolean }>;
    events: string[];
    firstOk: boolean;
    lastOk: boolean;
    watchEvents: string[];
  };
  assert.equal(out.order, ["poly", "smooth"]);
  // plan, before the build and after it: would compile and run, then all cached and up to date.
  assert.equal(out.planned, [
    [["poly", "miss", "run"], ["smooth", "miss", "run"]],
    [["poly", "hit", "up-to-date"], ["smooth", "hit", "up-to-date"]],
  ]);
  assert.is(out.exitCode, out.okCode, JSON.stringify(out));
  assert.ok(out.ok);
  assert.equal(Object.keys(out.entries).sort(), ["poly", "smooth"]);
  assert.is(out.events[0], "build-started");
  assert.is(out.events.at(-1), "build-finished");
  assert.is(out.events.filter((e) => e === "run-finished").length, 2);
  assert.ok(out.firstOk && out.lastOk);
  assert.is(out.watchEvents.filter((e) => e === "build-finished").length, 2, out.watchEvents.join(" "));

  const expected = await runPython<{ poly: number[]; smooth: number[] }>(
    // poly of a scalar; smooth broadcasts it over the array (a matrix's x^2 would be a matrix power).
    `poly = lambda x: 3 * x**2 + 2 * x + 1\nx = np.load(INPUT + "/x.npy")\nemit({"poly": [float(poly(np.float32(1.5)))], "smooth": (np.float32(0.5) * poly(x) + np.float32(1e-3)).flatten(order="F").tolist()})`,
    ws,
  );
  for (const name of ["poly", "smooth"] as const) {
    const got = float32Output(ws, name);
    assert.ok(got, `${name} wrote no output`);
    got!.forEach((v, i) => assert.ok(Math.abs(v - expected[name][i]!) <= 1e-5 * (1 + Math.abs(expected[name][i]!)), `${name}[${i}]: ${v} vs NumPy ${expected[name][i]}`));
  }
});

test.run();
