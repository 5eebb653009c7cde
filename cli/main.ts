// The `tpu-build` command line. Parsing and printing only: the work is done by the engine in
// daemon/, which the watch daemon shares.

import { resolve } from "node:path";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { build } from "../daemon/engine.js";
import type { BuildEvent } from "../daemon/events.js";
import { EXIT } from "../daemon/events.js";
import { findPackageRoot } from "../plugins/xla-local/index.js";

const USAGE = `Usage: tpu-build <command> [options]

Commands:
  build      Validate tpu.config.json, compile every entry to an HLO module (cached),
             run the entries that have "run", and write their outputs.

Options for build:
  --config FILE   the manifest (default: ./tpu.config.json)
  --out DIR       where run outputs go (default: .tpu-build/out beside the manifest)
  --json          print one NDJSON event per step on stdout instead of text
  -h, --help      show this help
  --version       print the version

Exit codes: 0 ok, 1 usage or internal error, 2 invalid manifest, 3 compile error,
4 run error, 5 runtime environment missing.`;

function version(): string {
  const pkg = JSON.parse(readFileSync(resolve(findPackageRoot(), "package.json"), "utf8")) as { version: string };
  return pkg.version;
}

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: "string" },
        out: { type: "string" },
        json: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
        version: { type: "boolean", default: false },
      },
    });
  } catch (e) {
    process.stderr.write(`tpu-build: ${(e as Error).message}\n\n${USAGE}\n`);
    return EXIT.usage;
  }
  const { values, positionals } = parsed;
  if (values.version) {
    process.stdout.write(`tpu-build ${version()}\n`);
    return EXIT.ok;
  }
  const command = positionals[0];
  if (values.help || !command) {
    process.stdout.write(`${USAGE}\n`);
    return values.help ? EXIT.ok : EXIT.usage;
  }
  if (command !== "build") {
    process.stderr.write(`tpu-build: unknown command "${command}"\n\n${USAGE}\n`);
    return EXIT.usage;
  }
  const json = values.json ?? false;
  const onEvent = json ? (e: BuildEvent) => process.stdout.write(`${JSON.stringify(e)}\n`) : undefined;
  const log = json ? (line: string) => process.stderr.write(`${line}\n`) : (line: string) => process.stdout.write(`${line}\n`);
  const summary = await build({
    config: resolve(values.config ?? "tpu.config.json"),
    outDir: values.out ? resolve(values.out) : undefined,
    onEvent,
    log: json ? undefined : log,
    error: (line) => process.stderr.write(`${line}\n`),
  });
  return summary.exitCode;
}
