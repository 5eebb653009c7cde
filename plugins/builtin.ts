// The plugins that ship with tpu-build, registered as any other plugin is (plugins/registry.ts).

import { juliaCompiler, juliaPlugin } from "./julia/index.js";
import { PluginRegistry, type Plugin } from "./registry.js";
import { xlaLocalPlugin } from "./xla-local/plugin.js";

export const BUILTIN_PLUGINS: readonly Plugin[] = [juliaPlugin, xlaLocalPlugin];

/** The compiler an entry uses (the manifest has no per-entry choice yet). */
export const DEFAULT_COMPILER = juliaCompiler.name;

/** A fresh registry holding the built-in plugins; `.use(plugin)` adds more. */
export function builtinRegistry(): PluginRegistry {
  const registry = new PluginRegistry();
  for (const plugin of BUILTIN_PLUGINS) registry.use(plugin);
  return registry;
}
