// The "local" target's settings: what the manifest may give (`targets.local`, `watch.targets.local`),
// checked when the manifest is loaded (TargetPlugin.checkSettings: a located manifest error) and
// narrowed when a session opens. Kept apart from local-target.ts so that checking a manifest does
// not load the gRPC client.
//
// Limits: `cpuDevices` at most MAX_CPU_DEVICES (each pretend device costs the runtime server memory;
// 1e9 took 4 GB before failing); `device` below the device count. XLA flags that name a path (a
// dump directory, a cache file: names ending in _to, _dir, _file, _path, _from or _prefix) must
// point inside the workspace, so a manifest cannot make the runtime server write (or read) files
// elsewhere; their values are passed to XLA as absolute paths.

import { realpathSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import type { CompileOptions, SettingProblem } from "../api.js";
import type { LocalTarget } from "../../schema/manifest.js";
import { checkCompileSettings, COMPILE_SETTING_KEYS, compileOptionsOf } from "../compile-settings.js";

/** Settings of the "local" target (manifest `targets.local` or the daemon; LocalTarget in the schema); all optional. */
export type LocalTargetSettings = LocalTarget;

export const LOCAL_SETTING_KEYS = ["cacheDir", "cpuDevices", "device", "transport", "xlaFlags", ...COMPILE_SETTING_KEYS] as const;

/** Pretend CPU devices at most (XLA's host platform; tests use 8). */
export const MAX_CPU_DEVICES = 256;

const FLAG = /^--xla_[A-Za-z0-9_]+(=\S*)?$/;
/** XLA flags whose value is a path the runtime server writes or reads. */
const PATH_FLAG = /^--(xla_[A-Za-z0-9_]*(?:_to|_dir|_file|_path|_from|_prefix))(?:=(.*))?$/;

/** `path` resolved against the workspace, with symlinks of its longest existing ancestor resolved. */
function realTarget(workspace: string, path: string): string {
  let existing = resolve(workspace, path);
  const rest: string[] = [];
  for (;;) {
    try {
      return resolve(realpathSync(existing), ...rest.reverse());
    } catch {
      const parent = dirname(existing);
      if (parent === existing) return resolve(workspace, path);
      rest.push(existing.slice(parent.length + (parent.endsWith("/") ? 0 : 1)));
      existing = parent;
    }
  }
}

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}

/** XLA flags with every path flag's value made absolute, or the first problem. */
function checkedFlags(flags: string, workspace: string): { flags: string } | { problem: string } {
  const words = flags.trim().split(/\s+/).filter(Boolean);
  const out: string[] = [];
  let root = workspace;
  try {
    root = realpathSync(workspace);
  } catch {
    // A workspace that does not exist yet is compared as written.
  }
  for (const word of words) {
    if (!FLAG.test(word)) return { problem: `settings.xlaFlags must be a string of XLA flags such as "--xla_backend_optimization_level=0"; ${JSON.stringify(word.slice(0, 60))} is not one` };
    const path = PATH_FLAG.exec(word);
    if (!path) {
      out.push(word);
      continue;
    }
    const [, name, value] = path;
    if (!value) return { problem: `--${name} writes or reads files: give it a path inside the workspace (--${name}=dir)` };
    const real = realTarget(root, value);
    if (!inside(root, real)) return { problem: `--${name} writes or reads files, so its path must be inside the workspace ${root}; ${JSON.stringify(value.slice(0, 80))} is ${real.slice(0, 200)}` };
    out.push(`--${name}=${real}`);
  }
  return { flags: out.join(" ") };
}

/** Where the runtime server keeps compiled executables (TargetPlugin.executableCacheDirs). */
export function executableCacheDir(settings: Record<string, unknown>, context: { workspace: string }): string {
  return typeof settings.cacheDir === "string" && settings.cacheDir !== "" ? resolve(context.workspace, settings.cacheDir) : join(context.workspace, ".tpu-build", "executables");
}

/** Every problem with the settings; none means `narrowLocalSettings` accepts them. */
export function checkLocalSettings(settings: Record<string, unknown>, context: { workspace: string }): SettingProblem[] {
  const problems: SettingProblem[] = [];
  for (const key of Object.keys(settings)) {
    if ((LOCAL_SETTING_KEYS as readonly string[]).includes(key)) continue;
    problems.push({ key, unknownKey: [...LOCAL_SETTING_KEYS], message: `unknown setting ${JSON.stringify(key.slice(0, 60))} of the local target; its settings are ${LOCAL_SETTING_KEYS.join(", ")}` });
  }
  const s = settings;
  if (s.cacheDir !== undefined && (typeof s.cacheDir !== "string" || s.cacheDir === "")) problems.push({ key: "cacheDir", message: "settings.cacheDir must be a non-empty string (a directory, relative to the manifest)" });
  const integer = (v: unknown) => typeof v === "number" && Number.isInteger(v);
  if (s.cpuDevices !== undefined && !(integer(s.cpuDevices) && (s.cpuDevices as number) >= 1 && (s.cpuDevices as number) <= MAX_CPU_DEVICES))
    problems.push({ key: "cpuDevices", message: `settings.cpuDevices must be an integer from 1 to ${MAX_CPU_DEVICES}, got ${JSON.stringify(s.cpuDevices)}` });
  if (s.device !== undefined) {
    const devices = integer(s.cpuDevices) ? (s.cpuDevices as number) : MAX_CPU_DEVICES;
    if (!(integer(s.device) && (s.device as number) >= 0 && (s.device as number) < devices))
      problems.push({ key: "device", message: `settings.device must be a device ordinal, an integer from 0 to ${devices - 1}, got ${JSON.stringify(s.device)}` });
  }
  if (s.transport !== undefined && s.transport !== "unix" && s.transport !== "tcp")
    problems.push({ key: "transport", message: `settings.transport must be "unix" or "tcp", got ${JSON.stringify(s.transport)}`, suggestion: typeof s.transport === "string" && s.transport.toLowerCase().startsWith("t") ? "tcp" : undefined });
  if (s.xlaFlags !== undefined) {
    if (typeof s.xlaFlags !== "string") problems.push({ key: "xlaFlags", message: `settings.xlaFlags must be a string of XLA flags such as "--xla_backend_optimization_level=0", got ${JSON.stringify(s.xlaFlags)}` });
    else {
      const r = checkedFlags(s.xlaFlags, context.workspace);
      if ("problem" in r) problems.push({ key: "xlaFlags", message: r.problem });
    }
  }
  problems.push(...checkCompileSettings(s));
  return problems;
}

/** What entries that run on the local target are compiled for: XLA's CPU client, with the settings' `float64` and `matmulPrecision`. */
export function localCompileOptions(settings: Record<string, unknown>): CompileOptions {
  return compileOptionsOf("cpu", settings);
}

/** The settings as the target uses them (path flags made absolute); throws on the first problem (a caller that skipped the manifest check). */
export function narrowLocalSettings(settings: Record<string, unknown> | undefined, workspace: string): LocalTargetSettings {
  const s = settings ?? {};
  const problem = checkLocalSettings(s, { workspace })[0];
  if (problem) throw new Error(`local target: ${problem.message}`);
  const out: LocalTargetSettings = {};
  if (s.cacheDir !== undefined) out.cacheDir = s.cacheDir as string;
  if (s.cpuDevices !== undefined) out.cpuDevices = s.cpuDevices as number;
  if (s.device !== undefined) out.device = s.device as number;
  if (s.transport !== undefined) out.transport = s.transport as "unix" | "tcp";
  if (s.xlaFlags !== undefined) out.xlaFlags = (checkedFlags(s.xlaFlags as string, workspace) as { flags: string }).flags;
  return out;
}
