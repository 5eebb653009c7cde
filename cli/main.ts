// The `tpu-build` command line. Parsing and printing only: the work is done by the engine in
// build/, in this process or in the workspace's daemon. What a command does not use is never
// loaded: the engine (the compiler) only for an in-process build (from its bundle when it is
// current, cli/load-engine.ts), the daemon client (gRPC, proto-loader) only when a daemon is used,
// the watch view only for `watch`. A cold `build --no-daemon` pays for the compiler alone.

import { dirname, resolve } from "node:path";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import type { BuildEvent } from "../build/events.js";
import type { BuildPlanReport } from "../build/plan.js";
import { EXIT } from "../build/events.js";
import type { DaemonConnection } from "../daemon/client.js";
import { findPackageRoot } from "../package-root.js";
import { loadEngine } from "./load-engine.js";
import type { WatchView } from "./watch-view.js";

const USAGE = `Usage: tpu-build <command> [options]

Commands:
  build [ENTRY…]
             Validate tpu.config.json, compile every entry to an HLO module (cached),
             run the entries that have "run", and write their outputs; with ENTRY
             names, only those and the entries whose results they take. A run whose
             module, target settings, inputs and output files are unchanged is up to
             date and skipped, in any process. Uses the workspace's daemon when one of
             this version runs, else works in-process.
  plan [ENTRY…]
             Say what build would do, compiling and running nothing: per entry, its
             sources, .npy inputs, output files, cache key, and whether it would
             compile and run, and why (--json for all of it as JSON).
  watch [ENTRY…]
             Build, then rebuild exactly what each edit touches; a live status of
             every entry (plain lines when not on a terminal). Starts the daemon.
  events     Stream the daemon's build events as NDJSON (those of build --json).
  daemon start|stop|status|logs
             Manage the workspace's daemon (one per manifest directory).
  cache ls|gc|clean [--json] [--max-size SIZE]
             List the local caches (artifacts, compiled executables), remove the
             least recently used beyond the size cap, or everything. \`cache --help\`.
  runtime serve --listen HOST:PORT [--platform tpu|cuda|rocm|cpu] --tls-cert F
             --tls-key F [--client-ca F] --token-file F [--max-session-bytes N]
             [--idle-timeout S] [--cpu-devices N]
             Run the runtime server as a service (a TPU VM, a GPU host) from
             runtime/.venv; plaintext only on loopback. \`runtime serve --help\`
             lists every option.
  runtime pack --out DIR
             Write the runtime's wheel (tpu-build-runtime, extras [tpu] and
             [cuda12]) for a host without this repository.

Options:
  --config FILE   the manifest (default: ./tpu.config.json)
  --out DIR       where run outputs go (default: .tpu-build/out beside the manifest)
  --json          build, watch: one NDJSON event per step on stdout instead of text;
                  plan: the plan as one JSON document
  --dry-run       build: print the plan instead of building (as plan does)
  --force         build: rerun every run, up to date or not
  --depfile FILE  build, plan: write Make-format dependencies of the run outputs on
                  the manifest, sources, .npy inputs and upstream outputs to FILE
  --daemon        use the daemon even where it is off by default (CI=true)
  --no-daemon     never use the daemon: work in this process
  --wait-uploads  build: finish the remote cache's uploads before reporting the
                  end of the build (CI); implies --no-daemon
  --profile NAME  build, watch: merge the manifest's profiles.NAME over it (e.g. ci);
                  implies --no-daemon
  -h, --help      show this help
  --version       print the version

The daemon is off when CI=true unless --daemon or TPU_BUILD_DAEMON=1 asks for it
(TPU_BUILD_DAEMON=0 turns it off everywhere).

Exit codes: 0 ok, 1 usage or internal error, 2 invalid manifest, 3 compile error,
4 run error, 5 runtime environment missing, 6 an expectation ("expect") failed.`;

function version(): string {
  const pkg = JSON.parse(readFileSync(resolve(findPackageRoot(), "package.json"), "utf8")) as { version: string };
  return pkg.version;
}

const truthy = (v: string | undefined) => v !== undefined && v !== "" && v !== "0" && v.toLowerCase() !== "false";

/** Whether this command may use a daemon: flags first, then TPU_BUILD_DAEMON, then off under CI. */
function daemonWanted(flags: { daemon?: boolean; "no-daemon"?: boolean }): boolean {
  if (flags["no-daemon"]) return false;
  if (flags.daemon) return true;
  const env = process.env.TPU_BUILD_DAEMON;
  if (env !== undefined && env !== "") return truthy(env);
  return !truthy(process.env.CI);
}

export async function main(argv: string[]): Promise<number> {
  // The runtime's options are the server's own (it parses them): not this command line's.
  if (argv[0] === "runtime") return runtimeCommand(argv.slice(1));
  if (argv[0] === "cache") return (await import("./cache-command.js")).cacheCommand(argv.slice(1));
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: "string" },
        out: { type: "string" },
        json: { type: "boolean", default: false },
        daemon: { type: "boolean", default: false },
        "no-daemon": { type: "boolean", default: false },
        "wait-uploads": { type: "boolean", default: false },
        profile: { type: "string" },
        "dry-run": { type: "boolean", default: false },
        force: { type: "boolean", default: false },
        depfile: { type: "string" },
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
  const config = resolve(values.config ?? "tpu.config.json");
  const outDir = values.out ? resolve(values.out) : undefined;
  const workspace = dirname(config);
  const waitUploads = values["wait-uploads"] ?? false;
  const profile = values.profile;
  // The daemon's uploads outlive a build by design; waiting for them is an in-process build's job.
  // The daemon builds the manifest as it is: a profile's build is done in this process.
  const useDaemon = !waitUploads && profile === undefined && daemonWanted(values);
  const json = values.json ?? false;
  const selection: Selection = { entries: positionals.slice(1), force: values.force ?? false, depfile: values.depfile ? resolve(values.depfile) : undefined, profile };
  switch (command) {
    case "build":
      if (values["dry-run"]) return planCommand(config, outDir, json, selection);
      return buildCommand(config, outDir, json, useDaemon, waitUploads, selection);
    case "plan":
      return planCommand(config, outDir, json, selection);
    case "watch":
      return watchCommand(config, outDir, json, useDaemon, profile, selection.entries);
    case "events":
      return watchCommand(config, outDir, true, useDaemon);
    case "daemon":
      return daemonCommand(positionals[1], workspace);
    default:
      process.stderr.write(`tpu-build: unknown command "${command}"\n\n${USAGE}\n`);
      return EXIT.usage;
  }
}

const say = (line: string) => process.stderr.write(`${line}\n`);

/** What the command line asks of a build beyond the manifest: which entries, whether to rerun, where the depfile goes, the profile. */
interface Selection {
  /** Entry names (empty: all). */
  entries: string[];
  force: boolean;
  depfile?: string;
  profile?: string;
}

/** `plan` and `build --dry-run`: the plan as text (or JSON), and the depfile when asked; nothing compiled or run. */
async function planCommand(config: string, outDir: string | undefined, json: boolean, selection: Selection): Promise<number> {
  const report = await planOf(config, outDir, selection);
  if (json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else if (report.ok) process.stdout.write(`${(await import("../build/plan.js")).renderPlan(report)}\n`);
  return report.exitCode;
}

/** The plan of the selected entries, computed in this process; the depfile written from it when asked. */
async function planOf(config: string, outDir: string | undefined, selection: Selection): Promise<BuildPlanReport> {
  const { plan } = await loadEngine();
  const { entries, force, profile } = selection;
  const report = await plan({ config, outDir, entries, force, ...(profile !== undefined ? { profile } : {}), error: say });
  if (report.ok && selection.depfile) {
    mkdirSync(dirname(selection.depfile), { recursive: true });
    writeFileSync(selection.depfile, (await import("../build/plan.js")).depfile(report));
  }
  return report;
}

async function buildCommand(config: string, outDir: string | undefined, json: boolean, useDaemon: boolean, waitUploads: boolean, selection: Selection): Promise<number> {
  const code = await buildOnce(config, outDir, json, useDaemon, waitUploads, selection);
  // The depfile from a plan of the same entries: every module is in the cache by now, so it lists every output.
  if (code === EXIT.ok && selection.depfile) await planOf(config, outDir, { ...selection, force: false }).catch((e: Error) => say(`tpu-build: could not write ${selection.depfile}: ${e.message}`));
  return code;
}

async function buildOnce(config: string, outDir: string | undefined, json: boolean, useDaemon: boolean, waitUploads: boolean, selection: Selection): Promise<number> {
  const { profile } = selection;
  const onEvent = json ? (e: BuildEvent) => process.stdout.write(`${JSON.stringify(e)}\n`) : undefined;
  const log = json ? undefined : (line: string) => process.stdout.write(`${line}\n`);
  const error = (line: string) => process.stderr.write(`${line}\n`);
  if (useDaemon) {
    const { ensureDaemon, findDaemon } = await import("../daemon/client.js");
    let connection: DaemonConnection | undefined;
    try {
      const found = await findDaemon(dirname(config), say);
      // A daemon of an older install was stopped: its successor takes over.
      connection = found.connection ?? (found.replaced ? await ensureDaemon(dirname(config), say) : undefined);
    } catch (e) {
      say(`tpu-build: the daemon is unavailable (${(e as Error).message}); building in this process`);
    }
    if (connection) {
      let started = false;
      try {
        return await connection.build(
          config,
          outDir,
          {
            onEvent: (line) => {
              started = true;
              if (json) process.stdout.write(`${line}\n`);
            },
            log: (line) => log?.(line),
            error,
          },
          { entries: selection.entries, force: selection.force },
        );
      } catch (e) {
        // The daemon went away. Before any output, the build can still be done here.
        if (started) {
          say(`tpu-build: the daemon stopped during the build: ${(e as Error).message}`);
          return EXIT.usage;
        }
        say(`tpu-build: the daemon did not take the build (${(e as Error).message}); building in this process`);
      } finally {
        connection.close();
      }
    }
  }
  // The Node API, loaded only here: a build through the daemon never pays for the compiler's modules.
  const { build } = await loadEngine();
  const summary = await build({ config, outDir, onEvent, log, error, waitUploads, entries: selection.entries, force: selection.force, ...(profile !== undefined ? { profile } : {}) });
  return summary.exitCode;
}

async function watchCommand(config: string, outDir: string | undefined, json: boolean, useDaemon: boolean, profile?: string, entries: string[] = []): Promise<number> {
  // Misspelt entry names end the command at once (a watch would wait for a manifest edit instead).
  if (entries.length) {
    const [{ loadManifest }, { selectEntries }] = await Promise.all([import("../build/manifest.js"), import("../build/selection.js")]);
    const loaded = await loadManifest(config, profile !== undefined ? { profile } : {});
    const selection = loaded.ok ? selectEntries(loaded.manifest, entries) : undefined;
    if (selection && !selection.ok) {
      for (const d of selection.diagnostics) say(d.rendered);
      return EXIT.invalidManifest;
    }
  }
  const view: WatchView | undefined = json ? undefined : new (await import("./watch-view.js")).WatchView(process.stdout, config);
  const handlers = {
    onEvent: (line: string) => (json ? process.stdout.write(`${line}\n`) : view!.event(JSON.parse(line))),
    log: (line: string) => view?.line(line),
    error: (text: string) => (json ? process.stderr.write(`${text}\n`) : view!.error(text)),
  };
  // `on`, not `once`, until the session is closed: the runtime server's own signal hook re-raises a
  // signal nobody else listens for, which would kill this process before it closes the session.
  let onSignal: () => void = () => {};
  const interrupted = new Promise<void>((resolve) => (onSignal = resolve));
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const stopListening = () => {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  };
  if (useDaemon) {
    const { ensureDaemon } = await import("../daemon/client.js");
    const connection = await ensureDaemon(dirname(config), say);
    const attached = connection.watch(config, outDir, handlers, entries);
    const ended = await Promise.race([attached.done.then(() => "ended" as const, (e: Error) => e), interrupted.then(() => "interrupted" as const)]);
    attached.cancel();
    connection.close();
    stopListening();
    if (ended instanceof Error) {
      say(`tpu-build watch: lost the daemon (${ended.message})`);
      return EXIT.usage;
    }
    if (ended === "ended") say("tpu-build watch: the daemon stopped");
    return EXIT.ok;
  }
  const { watch } = await loadEngine();
  const watching = await watch({ config, outDir, ...(profile !== undefined ? { profile } : {}), ...(entries.length ? { entries } : {}), polling: process.env.TPU_BUILD_WATCH_POLL === "1", onEvent: (e) => handlers.onEvent(JSON.stringify(e)), log: handlers.log, error: handlers.error });
  await interrupted;
  await watching.close();
  stopListening();
  return EXIT.ok;
}

async function runtimeCommand(argv: string[]): Promise<number> {
  const { packRuntime, serveRuntime } = await import("../plugins/xla-local/runtime-package.js");
  const [action, ...rest] = argv;
  try {
    switch (action) {
      case "serve":
        return await serveRuntime(rest);
      case "pack": {
        const { values } = parseArgs({ args: rest, options: { out: { type: "string" } } });
        if (!values.out) {
          process.stderr.write(`tpu-build runtime pack: --out DIR is required\n`);
          return EXIT.usage;
        }
        process.stdout.write(`${packRuntime(values.out)}\n`);
        return EXIT.ok;
      }
      default:
        process.stderr.write(`tpu-build: runtime needs serve or pack\n\n${USAGE}\n`);
        return EXIT.usage;
    }
  } catch (e) {
    const message = (e as Error).message;
    process.stderr.write(`tpu-build runtime ${action}: ${message}\n`);
    return /not installed/.test(message) ? EXIT.environment : EXIT.usage;
  }
}

async function daemonCommand(action: string | undefined, workspace: string): Promise<number> {
  const [{ ensureDaemon, findDaemon, stopDaemon }, { daemonPaths }] = await Promise.all([import("../daemon/client.js"), import("../daemon/protocol.js")]);
  const paths = daemonPaths(workspace);
  switch (action) {
    case "start": {
      const c = await ensureDaemon(workspace, say);
      process.stdout.write(`tpu-build daemon ${c.handshake.version} (${c.handshake.buildId}) pid ${c.handshake.pid} serving ${c.handshake.workspace}\n`);
      c.close();
      return EXIT.ok;
    }
    case "stop": {
      const stopped = await stopDaemon(workspace);
      process.stdout.write(stopped ? "tpu-build daemon stopped\n" : "no tpu-build daemon was running\n");
      return EXIT.ok;
    }
    case "status": {
      const found = await findDaemon(workspace, say);
      if (!found.connection) {
        process.stdout.write(`no tpu-build daemon is running for ${paths.workspace}\n`);
        return EXIT.usage;
      }
      const s = await found.connection.status();
      found.connection.close();
      process.stdout.write(`${JSON.stringify(s, null, 2)}\n`);
      return EXIT.ok;
    }
    case "logs": {
      try {
        process.stdout.write(readFileSync(paths.log, "utf8"));
        return EXIT.ok;
      } catch {
        process.stderr.write(`no daemon log at ${paths.log}\n`);
        return EXIT.usage;
      }
    }
    default:
      process.stderr.write(`tpu-build: daemon needs start, stop, status or logs\n\n${USAGE}\n`);
      return EXIT.usage;
  }
}
