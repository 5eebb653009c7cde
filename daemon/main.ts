// The daemon process: `node dist/daemon/main.js --workspace DIR [--idle-ms N]`, started detached
// by daemon/client.ts (never by hand), its stdout and stderr appended to the workspace's daemon.log.

import { parseArgs } from "node:util";
import { resolve } from "node:path";
import { DaemonServer } from "./server.js";

async function main(): Promise<void> {
  const { values } = parseArgs({ args: process.argv.slice(2), options: { workspace: { type: "string" }, "idle-ms": { type: "string" } } });
  if (!values.workspace) {
    process.stderr.write("usage: node dist/daemon/main.js --workspace DIR [--idle-ms N] (started by `tpu-build daemon start`)\n");
    process.exit(1);
  }
  const idle = values["idle-ms"] ?? process.env.TPU_BUILD_DAEMON_IDLE_MS;
  const log = (line: string) => process.stdout.write(`${new Date().toISOString()} ${line}\n`);
  const server = new DaemonServer({ workspace: resolve(values.workspace), idleMs: idle ? Number(idle) : undefined, log });
  const stop = (reason: string) => void server.stop(reason).then(() => process.exit(0));
  // Registered before any runtime server starts, so its own signal hooks do not re-raise the signal.
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGHUP", () => stop("SIGHUP"));
  process.on("uncaughtException", (e) => {
    log(`internal error (uncaught): ${e.stack ?? e}`);
    stop("internal error");
  });
  process.on("unhandledRejection", (e) => log(`internal error (unhandled rejection): ${(e as Error)?.stack ?? e}`));
  await server.listen();
  await server.stopped;
  process.exit(0);
}

void main().catch((e: Error) => {
  process.stderr.write(`${new Date().toISOString()} tpu-build daemon failed to start: ${e.stack ?? e}\n`);
  process.exit(1);
});
