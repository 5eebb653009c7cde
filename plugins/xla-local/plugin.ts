// The xla-local plugin's registration (plugins/registry.ts): the "local" target, and the "remote"
// target kind (`targets.<name>` with `"kind": "remote"`), which reach a runtime server the same way.
//
// A target module is loaded when an entry first runs on it: its gRPC client and proto-loader cost
// a cold process ~100 ms, which a compile-only build should not pay. Compiled to ESM (dist/) this is
// a dynamic import(); under tsx's CommonJS transform (`uvu -r tsx/cjs`, the tests) import() would
// reach Node's own ESM loader, which cannot load .ts files, so there the module is required.

import type { TargetPlugin } from "../api.js";
import type { Plugin } from "../registry.js";
import { checkRemoteSettings } from "./remote-settings.js";
import { checkLocalSettings, executableCacheDir } from "./settings.js";

/** A target whose module `load` brings in at its first `open`; settings are checked without it. */
function lazyTarget(name: string, load: () => Promise<TargetPlugin>, checkSettings: TargetPlugin["checkSettings"], executableCacheDirs?: TargetPlugin["executableCacheDirs"]): TargetPlugin {
  return { name, open: async (options) => (await load()).open(options), checkSettings, ...(executableCacheDirs ? { executableCacheDirs } : {}) };
}

const lazyLocalTarget = lazyTarget(
  "local",
  async () => {
    type LocalTargetModule = typeof import("./local-target.js");
    return (typeof require === "function" ? (require("./local-target.js") as LocalTargetModule) : await import("./local-target.js")).localTarget;
  },
  checkLocalSettings,
  (settings, context) => [executableCacheDir(settings, context)],
);

const lazyRemoteTarget = lazyTarget(
  "remote",
  async () => {
    type RemoteTargetModule = typeof import("./remote-target.js");
    return (typeof require === "function" ? (require("./remote-target.js") as RemoteTargetModule) : await import("./remote-target.js")).remoteTarget;
  },
  checkRemoteSettings,
);

export const xlaLocalPlugin: Plugin = {
  name: "xla-local",
  register(registry) {
    registry.registerTarget(lazyLocalTarget);
    registry.registerTarget(lazyRemoteTarget);
  },
};
