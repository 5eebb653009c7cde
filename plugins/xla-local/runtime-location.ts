// Where the runtime's files are, from source (tsx: plugins/xla-local/*.ts) and from the compiled
// package (dist/plugins/xla-local/*.js) alike: the package root is the nearest directory upward
// that holds package.json (dist/ has none).

import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export interface RuntimeLocation {
  /** The tpu-build package root. */
  root: string;
  proto: string;
  serverScript: string;
  /** runtime/.venv's interpreter, made by runtime/install.mjs. */
  python: string;
  generatedStubs: string;
}

function here(): string {
  // tsx in CommonJS mode (uvu -r tsx/cjs) still provides import.meta.url; __dirname is a fallback.
  try {
    return dirname(fileURLToPath(import.meta.url));
  } catch {
    return typeof __dirname === "string" ? __dirname : process.cwd();
  }
}

export function findPackageRoot(start: string = here()): string {
  let dir = start;
  for (;;) {
    if (existsSync(join(dir, "package.json"))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`tpu-build: cannot find the package root (no package.json above ${start})`);
    dir = parent;
  }
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
