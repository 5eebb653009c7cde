// The xla-local plugin's registration (plugins/registry.ts): the "local" target.
//
// The target module is loaded when an entry first runs on it: its gRPC client and proto-loader cost
// a cold process ~100 ms, which a compile-only build should not pay. Compiled to ESM (dist/) this is
// a dynamic import(); under tsx's CommonJS transform (`uvu -r tsx/cjs`, the tests) import() would
// reach Node's own ESM loader, which cannot load .ts files, so there the module is required.

import type { TargetPlugin } from "../api.js";
import type { Plugin } from "../registry.js";
import { checkLocalSettings } from "./settings.js";

const lazyLocalTarget: TargetPlugin = {
  name: "local",
  async open(options) {
    type LocalTargetModule = typeof import("./local-target.js");
    const { localTarget }: LocalTargetModule = typeof require === "function" ? (require("./local-target.js") as LocalTargetModule) : await import("./local-target.js");
    return localTarget.open(options);
  },
  checkSettings: checkLocalSettings,
};

export const xlaLocalPlugin: Plugin = {
  name: "xla-local",
  register(registry) {
    registry.registerTarget(lazyLocalTarget);
  },
};
