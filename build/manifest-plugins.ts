// The manifest's `plugins`: modules loaded before a build, each exporting a Plugin
// (plugins/registry.ts) that registers target or compiler plugins. A path ("./my-target.mjs",
// relative to the manifest) or an npm package name (resolved from the manifest's directory, as
// `require.resolve` would from a file there). Every failure (not found, throws while loading,
// exports no plugin, a name already registered) is a manifest error at its item of `plugins`.
//
// Modules are loaded with import(), so Node caches them for the process: a warm daemon keeps the
// version it loaded first until it restarts.

import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { isAbsolute, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { Plugin, PluginRegistry } from "../plugins/registry.js";
import { manifestDiagnosticAt, quoted, type ManifestDiagnostic, type ResolvedManifest } from "./manifest.js";

export type PluginsLoadResult = { ok: true; registry: PluginRegistry } | { ok: false; diagnostics: ManifestDiagnostic[] };

/** `base` with the manifest's plugins registered in a copy of it (`base` itself when there are none). */
export async function withManifestPlugins(manifest: ResolvedManifest, base: PluginRegistry): Promise<PluginsLoadResult> {
  const specs = manifest.config.plugins ?? [];
  if (!specs.length) return { ok: true, registry: base };
  const registry = base.clone();
  const diagnostics: ManifestDiagnostic[] = [];
  for (const [k, spec] of specs.entries()) {
    const fail = (message: string, notes?: string[]) => diagnostics.push(manifestDiagnosticAt(manifest, `/plugins/${k}`, "plugin-load-failed", message, notes ? { notes } : {}));
    const found = pluginModulePath(spec, manifest.dir);
    if ("problem" in found) {
      fail(found.problem);
      continue;
    }
    let module: Record<string, unknown>;
    try {
      module = (await import(pathToFileURL(found.path).href)) as Record<string, unknown>;
    } catch (e) {
      fail(`plugin ${quoted(spec)} failed to load: ${firstLine(e)}`, [`loaded from ${found.path}`]);
      continue;
    }
    const plugin = pluginExport(module);
    if (!plugin) {
      fail(`plugin ${quoted(spec)} exports no plugin`, ["a plugin module exports `{ name, register(registry) }` as its default export or as `plugin` (plugins/registry.ts)"]);
      continue;
    }
    try {
      registry.use(plugin);
    } catch (e) {
      fail(`plugin ${quoted(spec)} could not register: ${firstLine(e)}`);
    }
  }
  return diagnostics.length ? { ok: false, diagnostics } : { ok: true, registry };
}

function pluginModulePath(spec: string, dir: string): { path: string } | { problem: string } {
  if (spec.startsWith("./") || spec.startsWith("../") || isAbsolute(spec)) {
    const path = resolve(dir, spec);
    return existsSync(path) ? { path } : { problem: `plugin module ${quoted(spec)} not found (looked for ${path})` };
  }
  try {
    return { path: createRequire(join(dir, "tpu.config.json")).resolve(spec) };
  } catch {
    return { problem: `plugin package ${quoted(spec)} not found from ${dir} (install it there with \`npm install ${spec}\`, or give a path starting with "./")` };
  }
}

function pluginExport(module: Record<string, unknown>): Plugin | undefined {
  for (const candidate of [module.default, module.plugin, (module.default as Record<string, unknown> | undefined)?.default]) {
    const p = candidate as Partial<Plugin> | undefined;
    if (p && typeof p === "object" && typeof p.name === "string" && typeof p.register === "function") return p as Plugin;
  }
  return undefined;
}

function firstLine(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  return message.split("\n")[0]!.slice(0, 300);
}
