// Where the engine finds compilers and targets: by name, in a registry that plugins fill.
//
// A plugin is a module that exports a `Plugin`: a name and a `register` function that calls
// `registerCompiler` and/or `registerTarget` with the objects of plugins/api.ts. The built-in
// plugins (plugins/julia, plugins/xla-local) do exactly that; plugins/builtin.ts lists them. A
// third-party plugin is registered the same way:
//
//   const registry = builtinRegistry().use(myPlugin);   // myPlugin.register(registry) runs here
//   new BuildEngine({ config, plugins: registry });
//
// Names are what the manifest uses (`run.target`) and what a compiler puts in every cache key, so a
// second plugin under a name already taken is refused rather than silently replacing the first.

import type { CompilerPlugin, TargetPlugin } from "./api.js";

/** What a plugin's `register` may call. */
export interface PluginRegistrar {
  registerCompiler(compiler: CompilerPlugin): void;
  registerTarget(target: TargetPlugin): void;
}

/** A plugin module's export. */
export interface Plugin {
  /** For messages (which plugin registered what). */
  readonly name: string;
  register(registry: PluginRegistrar): void;
}

export class PluginRegistry implements PluginRegistrar {
  private readonly compilers = new Map<string, { plugin: CompilerPlugin; from: string }>();
  private readonly targets = new Map<string, { plugin: TargetPlugin; from: string }>();
  /** The plugin whose `register` is running (for the duplicate-name message). */
  private registering = "the caller";

  /** Lets `plugin` register what it provides; returns the registry, to chain. */
  use(plugin: Plugin): this {
    const outer = this.registering;
    this.registering = `plugin "${plugin.name}"`;
    try {
      plugin.register(this);
    } finally {
      this.registering = outer;
    }
    return this;
  }

  /** A new registry holding what this one holds (a manifest's `plugins` are added to a copy). */
  clone(): PluginRegistry {
    const copy = new PluginRegistry();
    for (const [name, entry] of this.compilers) copy.compilers.set(name, entry);
    for (const [name, entry] of this.targets) copy.targets.set(name, entry);
    return copy;
  }

  registerCompiler(compiler: CompilerPlugin): void {
    claim(this.compilers, "compiler", compiler.name, { plugin: compiler, from: this.registering });
  }

  registerTarget(target: TargetPlugin): void {
    claim(this.targets, "target", target.name, { plugin: target, from: this.registering });
  }

  compiler(name: string): CompilerPlugin | undefined {
    return this.compilers.get(name)?.plugin;
  }

  target(name: string): TargetPlugin | undefined {
    return this.targets.get(name)?.plugin;
  }

  /** Registered target names, in registration order. */
  targetNames(): string[] {
    return [...this.targets.keys()];
  }

  /** Registered compiler names, in registration order. */
  compilerNames(): string[] {
    return [...this.compilers.keys()];
  }
}

function claim<T>(table: Map<string, { plugin: T; from: string }>, kind: string, name: string, entry: { plugin: T; from: string }): void {
  if (typeof name !== "string" || name === "") throw new Error(`tpu-build: ${entry.from} registered a ${kind} without a name`);
  const taken = table.get(name);
  if (taken) throw new Error(`tpu-build: ${entry.from} registered a ${kind} named "${name}", but ${taken.from} already registered one`);
  table.set(name, entry);
}
