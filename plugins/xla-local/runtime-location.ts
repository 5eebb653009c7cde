// Where the runtime's files are, under the package root (../../package-root.ts), from source and
// from the compiled package alike.

import { existsSync } from "node:fs";
import { join } from "node:path";
import { findPackageRoot } from "../../package-root.js";

export interface RuntimeLocation {
  /** The tpu-build package root. */
  root: string;
  proto: string;
  serverScript: string;
  /** runtime/.venv's interpreter, made by runtime/install.mjs. */
  python: string;
  generatedStubs: string;
}

export function runtimeLocation(root: string = findPackageRoot()): RuntimeLocation {
  return {
    root,
    proto: join(root, "proto", "runtime.proto"),
    serverScript: join(root, "runtime", "server.py"),
    python: join(root, "runtime", ".venv", "bin", "python"),
    generatedStubs: join(root, "runtime", "_generated", "runtime_pb2_grpc.py"),
  };
}

/** Why the runtime cannot start, or undefined when its files are in place. */
export function missingRuntime(location: RuntimeLocation, python?: string): string | undefined {
  const interpreter = python ?? location.python;
  if (!existsSync(interpreter) || !existsSync(location.generatedStubs)) {
    return (
      `The tpu-build runtime is not installed (${existsSync(interpreter) ? location.generatedStubs : interpreter} is missing).\n` +
      `Run \`npm install\` in ${location.root} (or \`node runtime/install.mjs\`) to create runtime/.venv; ` +
      `it needs Python 3.10 or newer (TPU_BUILD_PYTHON can point at one).`
    );
  }
  if (!existsSync(location.serverScript)) return `The tpu-build runtime server is missing: ${location.serverScript}`;
  return undefined;
}
