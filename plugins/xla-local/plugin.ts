// The xla-local plugin's registration (plugins/registry.ts): the "local" target, and the "remote"
// target kind (`targets.<name>` with `"kind": "remote"`), which reach a runtime server the same way.
//
// A target module is loaded when an entry first runs on it: its gRPC client and proto-loader cost
// a cold process ~100 ms, which a compile-only build should not pay. Compiled to ESM (dist/) this is
// a dynamic import(); under tsx's CommonJS transform (`uvu -r tsx/cjs`, the tests) import() would
// reach Node's own ESM loader, which cannot load .ts files, so there the module is required.

import type { TargetPlugin } from "../api.js";
import type { Plugin } from "../registry.js";
import { checkRemoteSettings, remoteCompileOptions } from "./remote-settings.js";
import { checkLocalSettings, executableCacheDir, localCompileOptions } from "./settings.js";

/** A target whose module `load` brings in at its first `open`; its settings are checked, and what they mean for the caches and the compiler read, without it. */
function lazyTarget(name: string, load: () => Promise<TargetPlugin>, settings: Pick<TargetPlugin, "checkSettings" | "executableCacheDirs" | "compileOptions">): TargetPlugin {
  return { name, open: async (options) => (await load()).open(options), ...settings };
}

const lazyLocalTarget = lazyTarget(
  "local",
  async () => {
    type LocalTargetModule = typeof import("./local-target.js");
    return (typeof require === "function" ? (require("./local-target.js") as LocalTargetModule) : await import("./local-target.js")).localTarget;
  },
  { checkSettings: checkLocalSettings, executableCacheDirs: (settings, context) => [executableCacheDir(settings, context)], compileOptions: localCompileOptions },
);

const lazyRemoteTarget = lazyTarget(
  "remote",
  async () => {
    type RemoteTargetModule = typeof import("./remote-target.js");
    return (typeof require === "function" ? (require("./remote-target.js") as RemoteTargetModule) : await import("./remote-target.js")).remoteTarget;
  },
  { checkSettings: checkRemoteSettings, compileOptions: remoteCompileOptions },
);

export const xlaLocalPlugin: Plugin = {
  name: "xla-local",
  register(registry) {
    registry.registerTarget(lazyLocalTarget);
    registry.registerTarget(lazyRemoteTarget);
  },
};
