// The manifest's `plugins`: modules loaded before a build, each exporting a Plugin
// (plugins/registry.ts) that registers target or compiler plugins. A path ("./my-target.mjs",
// relative to the manifest) or an npm package name (resolved from the manifest's directory, as
// `require.resolve` would from a file there). Every failure (not found, throws while loading,
// exports no plugin, a name already registered) is a manifest error at its item of `plugins`.
//
// Modules are loaded with import(). A module file of the workspace ("./…") is imported under its
// content's digest, so a warm daemon that finds it edited loads the new version (Node keeps the old
// one in memory) and the engine watches it; the modules it imports in turn, and npm packages, stay
// as Node first loaded them until the daemon restarts. The digest of the module that registered a
// target is part of the fingerprint of every run on it (build/engine.ts): an edited target plugin
// reruns what ran on it.

import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { isAbsolute, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { Plugin, PluginRegistry } from "../plugins/registry.js";
import { manifestDiagnosticAt, quoted, type ManifestDiagnostic, type ManifestSections } from "./manifest.js";

/** A plugin module file of the workspace: its path, the SHA-256 of its content, and the targets it registered. */
export interface PluginModuleFile {
  path: string;
  digest: string;
  targets: string[];
}

export type PluginsLoadResult = { ok: true; registry: PluginRegistry; files: PluginModuleFile[] } | { ok: false; diagnostics: ManifestDiagnostic[]; files: PluginModuleFile[] };

/** `base` with the manifest's plugins registered in a copy of it (`base` itself when there are none). */
export async function withManifestPlugins(manifest: Pick<ManifestSections, "path" | "dir" | "text" | "document" | "originOf" | "config">, base: PluginRegistry): Promise<PluginsLoadResult> {
  const specs = manifest.config.plugins ?? [];
  if (!specs.length) return { ok: true, registry: base, files: [] };
  const registry = base.clone();
  const diagnostics: ManifestDiagnostic[] = [];
  const files: PluginModuleFile[] = [];
  for (const [k, spec] of specs.entries()) {
    const fail = (message: string, notes?: string[]) => diagnostics.push(manifestDiagnosticAt(manifest, `/plugins/${k}`, "plugin-load-failed", message, notes ? { notes } : {}));
    const found = pluginModulePath(spec, manifest.dir);
    if ("problem" in found) {
      fail(found.problem);
      continue;
    }
    let module: Record<string, unknown>;
    let file: PluginModuleFile | undefined;
    try {
      let url = pathToFileURL(found.path).href;
      if (found.local) {
        file = { path: found.path, digest: createHash("sha256").update(await readFile(found.path)).digest("hex"), targets: [] };
        files.push(file);
        url += `?sha256=${file.digest}`;
      }
      module = (await import(url)) as Record<string, unknown>;
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
      const before = new Set(registry.targetNames());
      registry.use(plugin);
      if (file) file.targets = registry.targetNames().filter((t) => !before.has(t));
    } catch (e) {
      fail(`plugin ${quoted(spec)} could not register: ${firstLine(e)}`);
    }
  }
  return diagnostics.length ? { ok: false, diagnostics, files } : { ok: true, registry, files };
}

function pluginModulePath(spec: string, dir: string): { path: string; local: boolean } | { problem: string } {
  if (spec.startsWith("./") || spec.startsWith("../") || isAbsolute(spec)) {
    const path = resolve(dir, spec);
    return existsSync(path) ? { path, local: true } : { problem: `plugin module ${quoted(spec)} not found (looked for ${path})` };
  }
  try {
    return { path: createRequire(join(dir, "tpu.config.json")).resolve(spec), local: false };
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
