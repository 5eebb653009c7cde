// The compiled `tpu-build` command in a child process, as a pipeline runs it (CI=true: no daemon).

import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const BIN = join(ROOT, "bin", "tpu-build.js");

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout's NDJSON events (empty unless the command had --json). */
  events: Record<string, unknown>[];
}

/** Commands whose --json is one JSON document rather than NDJSON events. */
const SINGLE_JSON = new Set(["plan", "inspect"]);

export function runCli(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: "utf8", env: { ...process.env, CI: "true", ...env }, timeout: 240_000 });
  const events = args.includes("--json") && !SINGLE_JSON.has(args[0] ?? "") ? r.stdout.split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) : [];
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, events };
}
