// An example target plugin: "timed" runs entries on the built-in local XLA target and appends one
// JSON line per run (entry, module hash, milliseconds, input and output shapes) to a log file.
// It shows the whole TargetPlugin interface of plugins/api.ts: checked settings, a session that
// loads and runs artifacts, and the executable cache it shares with the local target.
//
// In a manifest:
//   "plugins": ["./timed-target.mjs"],
//   "targets": { "timed": { "log": "timings.ndjson", "cpuDevices": 1 } },
//   "entries": { "predict": { ..., "run": { "target": "timed" } } }
// Every setting except `log` is the local target's (cacheDir, cpuDevices, device, transport, xlaFlags).

import { appendFile, mkdir } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { builtinRegistry } from "tpu-build";

const local = builtinRegistry().target("local");

/** The settings without our own `log`: what the local target gets. */
function localSettings(settings = {}) {
  const { log: _log, ...rest } = settings;
  return rest;
}

/** @type {import("tpu-build").TargetPlugin} */
const timedTarget = {
  name: "timed",

  checkSettings(settings, context) {
    const problems = [];
    if (settings.log !== undefined && (typeof settings.log !== "string" || settings.log === ""))
      problems.push({ key: "log", message: `settings.log must be a file name (relative to the manifest), got ${JSON.stringify(settings.log)}` });
    return [...problems, ...(local.checkSettings?.(localSettings(settings), context) ?? [])];
  },

  executableCacheDirs(settings, context) {
    return local.executableCacheDirs?.(localSettings(settings), context) ?? [];
  },

  async open({ workspace, settings = {} }) {
    const log = resolve(workspace, settings.log ?? "timings.ndjson");
    await mkdir(dirname(log), { recursive: true });
    const session = await local.open({ workspace, settings: localSettings(settings) });
    const entries = new Map();
    return {
      info: () => session.info(),
      async load(artifact) {
        entries.set(artifact.hash, artifact.signature.entry);
        await session.load(artifact);
      },
      async run(hash, inputs) {
        const started = performance.now();
        const outputs = await session.run(hash, inputs);
        const ms = Math.round((performance.now() - started) * 1000) / 1000;
        const line = { entry: entries.get(hash), hash, ms, inputs: inputs.map((t) => [t.eltype, t.size]), outputs: outputs.map((t) => [t.eltype, t.size]) };
        await appendFile(log, `${JSON.stringify(line)}\n`);
        return outputs;
      },
      close: () => session.close(),
    };
  },
};

/** @type {import("tpu-build").Plugin} */
export default {
  name: "timed-target-example",
  register(registry) {
    registry.registerTarget(timedTarget);
  },
};
