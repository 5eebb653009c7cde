// The `tpu-build` command line. Parsing and printing only: the work is done by the engine in
// build/, in this process or in the workspace's daemon. What a command does not use is never
// loaded: the engine (the compiler) only for an in-process build (from its bundle when it is
// current, cli/load-engine.ts), the daemon client (gRPC, proto-loader) only when a daemon is used,
// the watch view only for `watch`. A cold `build --no-daemon` pays for the compiler alone.

import { dirname, resolve } from "node:path";
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import type { BuildEvent, DaemonEvent } from "../build/events.js";
import type { BuildPlanReport } from "../build/plan.js";
import { EXIT, eventLine } from "../build/events.js";
import type { DaemonConnection } from "../daemon/client.js";
import { findPackageRoot } from "../package-root.js";
import { BuildProgress } from "./build-progress.js";
import { displayPath } from "../build/display-path.js";
import { BuildReport } from "./build-report.js";
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
  inspect ENTRY
             One entry's signature, cache key parts, instruction count and opcode
             histogram (compiling it if the cache does not hold it); --hlo adds its
             HLO text, --svg FILE draws its HLO graph, --json prints it as JSON.
  graph [ENTRY…] [--format dot|mermaid|svg]
             The build graph: entries grouped by target, \`from\` edges, and what a
             build would do with each (as plan says), in DOT (default), Mermaid or SVG.
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

Options (\`tpu-build <command> --help\` lists a command's own):
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
  --junit FILE    build: write a JUnit XML report (one test case per entry)
  --report FILE   build: write an HTML page of the build (graph, timeline, diagnostics)
  -h, --help      show this help
  --version       print the version

The daemon is off when CI=true unless --daemon or TPU_BUILD_DAEMON=1 asks for it
(TPU_BUILD_DAEMON=0 turns it off everywhere).

Exit codes: 0 ok, 1 usage or internal error, 2 invalid manifest, 3 compile error,
4 run error, 5 runtime environment missing, 6 an expectation ("expect") failed.`;

const COMMON = `  --config FILE   the manifest (default: ./tpu.config.json)
  -h, --help      show this help`;

/** Each command's own help (\`tpu-build <command> --help\`). */
const COMMAND_HELP: Record<string, string> = {
  build: `Usage: tpu-build build [ENTRY…] [options]

Validate the manifest, compile every entry (or the ENTRYs named and those they
take results from) to an HLO module (cached), run those that have "run", write
their outputs and check their "expect". A run whose module, settings and inputs
are unchanged and whose outputs still hold what it wrote is skipped. On a terminal, a live line per entry being compiled
or run and a closing summary line; nothing more when not on a terminal.

Options:
${COMMON}
  --out DIR       where run outputs go (default: .tpu-build/out beside the manifest)
  --json          one NDJSON event per step on stdout (schema/events.schema.json)
  --junit FILE    write a JUnit XML report: one test case per entry (compile,
                  run, expectations), failures with their located message
  --report FILE   write the build as one self-contained HTML page: the build
                  graph, a timeline bar per entry (compile; run: session, load,
                  upload, execute, download) and every diagnostic
  --profile NAME  merge the manifest's profiles.NAME over it (e.g. ci); implies --no-daemon
  --daemon        use the daemon even where it is off by default (CI=true)
  --no-daemon     never use the daemon: build in this process
  --wait-uploads  finish the remote cache's uploads first (CI); implies --no-daemon
  --force         rerun every run, up to date or not
  --dry-run       print the plan instead of building (as \`tpu-build plan\`)
  --depfile FILE  write Make-format dependencies of the outputs on the sources and inputs

With GITHUB_ACTIONS=true, errors are also printed as GitHub annotations
(::error file=…,line=…,col=…::…) and a table of the entries is appended to
$GITHUB_STEP_SUMMARY.

Exit codes: 0 ok, 1 usage or internal error, 2 invalid manifest, 3 compile error,
4 run error, 5 runtime environment missing, 6 an expectation ("expect") failed.`,
  plan: `Usage: tpu-build plan [ENTRY…] [options]

Say, without compiling or running, what a build of the entries would read and
write (sources, .npy inputs, outputs, cache key) and whether it would compile
and run them, and why.

Options:
${COMMON}
  --out DIR       where run outputs go
  --json          the plan as JSON
  --depfile FILE  write Make-format dependencies of the outputs on the sources and inputs
  --profile NAME  merge the manifest's profiles.NAME over it`,
  watch: `Usage: tpu-build watch [ENTRY…] [options]

Build, then rebuild exactly what each edit touches, with a live status of every
entry (plain lines when not on a terminal). Starts the workspace's daemon.

Options:
${COMMON}
  --out DIR       where run outputs go (default: .tpu-build/out beside the manifest)
  --json          one NDJSON event per step on stdout instead of the view
  --profile NAME  merge the manifest's profiles.NAME over it; implies --no-daemon
  --no-daemon     watch in this process`,
  inspect: `Usage: tpu-build inspect ENTRY [options]

Show what ENTRY's module is: the signature it is compiled for, the parts of its
cache key (compiler, prelude, signature, options, every source with its SHA-256),
its instruction count and a histogram of its HLO opcodes. Compiles the entry
(and those it takes results from) when the cache does not hold it, as a build
would; runs nothing.

Options:
${COMMON}
  --hlo           also print the HLO text (module.hlo.txt)
  --svg FILE      draw the HLO graph (instructions, operand edges, one cluster
                  per computation) as SVG to FILE, laid out by Graphviz
  --json          all of it as one JSON document (with "hlo" under --hlo)
  --profile NAME  merge the manifest's profiles.NAME over it

Exit codes: 0 ok, 1 usage or internal error, 2 invalid manifest or unknown ENTRY,
3 compile error.`,
  graph: `Usage: tpu-build graph [ENTRY…] [options]

Print the build graph of the entries (default: all; with ENTRY names, those and
the entries whose results they take): a node per entry with its function and
what a build would do with it (cached or compile, up to date or run, as
\`tpu-build plan\` says), the entries grouped by the target they run on, and an
edge from each entry to those that take its results (\`from\`). Compiles and runs
nothing.

Options:
${COMMON}
  --format F      dot (default, Graphviz), mermaid (GitHub/GitLab Markdown) or
                  svg (drawn by Graphviz)
  --out DIR       where run outputs go (decides what is up to date)
  --profile NAME  merge the manifest's profiles.NAME over it

Exit codes: 0 ok, 1 usage or internal error, 2 invalid manifest or unknown ENTRY.`,
  events: `Usage: tpu-build events [options]

Print the build events of the workspace's running daemon as NDJSON (those of
build --json), as builds happen. Only listens: never starts a daemon or a build
(exit 1 when no daemon runs).

Options:
${COMMON}
  --out DIR       the output directory of the session to listen to`,
  daemon: `Usage: tpu-build daemon start|stop|status|logs [options]

  start     start the workspace's daemon (one per manifest directory)
  stop      stop it and its runtime servers
  status    what it runs (--json: a JSON object; {"running": false} when none)
  logs      print its log

Options:
${COMMON}
  --json          status: JSON on stdout whether or not a daemon runs`,
  runtime: `Usage: tpu-build runtime serve|pack [options]

  serve --listen HOST:PORT …   run the runtime server as a service (\`tpu-build
                               runtime serve --help\` lists every option)
  pack --out DIR               write the runtime's wheel for a host without
                               this repository`,
};

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

/**
 * A reader that stops reading (`tpu-build build --json | head`) ends the command quietly, as other
 * command-line tools do, instead of with an EPIPE stack trace.
 */
function endQuietlyOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr])
    stream.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code !== "EPIPE") throw e;
      process.exit(typeof process.exitCode === "number" ? process.exitCode : EXIT.ok);
    });
}

export async function main(argv: string[]): Promise<number> {
  endQuietlyOnClosedPipe();
  // The runtime's options are the server's own (it parses them): not this command line's.
  if (argv[0] === "runtime" && (argv[1] === "serve" || argv[1] === "pack")) return runtimeCommand(argv.slice(1));
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
        junit: { type: "string" },
        report: { type: "string" },
        hlo: { type: "boolean", default: false },
        svg: { type: "string" },
        format: { type: "string" },
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
    process.stdout.write(`${(command && COMMAND_HELP[command]) || USAGE}\n`);
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
      return buildCommand(config, outDir, { json, useDaemon, waitUploads, selection, junit: values.junit === undefined ? undefined : resolve(values.junit), ...(values.report !== undefined ? { report: resolve(values.report) } : {}) });
    case "plan":
      return planCommand(config, outDir, json, selection);
    case "inspect":
      return (await import("./inspect-command.js")).inspectCommand(config, selection.entries, { json, hlo: values.hlo ?? false, ...(values.svg !== undefined ? { svg: resolve(values.svg) } : {}), ...(profile !== undefined ? { profile } : {}) });
    case "graph": {
      const { graphCommand, GRAPH_FORMATS } = await import("./inspect-command.js");
      const format = (values.format ?? "dot") as (typeof GRAPH_FORMATS)[number];
      if (!GRAPH_FORMATS.includes(format)) {
        say(`tpu-build graph: --format must be ${GRAPH_FORMATS.join(", ")} (got "${values.format}")`);
        return EXIT.usage;
      }
      return graphCommand(await planOf(config, outDir, selection), format);
    }
    case "watch":
      return watchCommand(config, outDir, json, useDaemon, profile, selection.entries);
    case "events":
      return eventsCommand(config, outDir);
    case "daemon":
      return daemonCommand(positionals[1], workspace, json);
    case "runtime":
      process.stderr.write(`tpu-build: runtime needs serve or pack\n\n${COMMAND_HELP.runtime}\n`);
      return EXIT.usage;
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

interface BuildFlags {
  json: boolean;
  useDaemon: boolean;
  waitUploads: boolean;
  /** Which entries, whether to rerun, the depfile, the profile. */
  selection: Selection;
  /** Where to write the JUnit XML report. */
  junit?: string;
  /** Where to write the HTML report. */
  report?: string;
}

async function buildCommand(config: string, outDir: string | undefined, flags: BuildFlags): Promise<number> {
  const { selection } = flags;
  const code = await buildOnce(config, outDir, flags);
  // The depfile from a plan of the same entries: every module is in the cache by now, so it lists every output.
  if (code === EXIT.ok && selection.depfile) await planOf(config, outDir, { ...selection, force: false }).catch((e: Error) => say(`tpu-build: could not write ${selection.depfile}: ${e.message}`));
  return code;
}

/** A build, reported as asked: text or NDJSON, live lines on a terminal, JUnit XML, GitHub Actions' annotations and step summary. */
async function buildOnce(config: string, outDir: string | undefined, flags: BuildFlags): Promise<number> {
  const { json } = flags;
  const report = new BuildReport(config);
  const progress = !json && process.stdout.isTTY ? new BuildProgress(process.stdout, report) : undefined;
  const seen = (e: DaemonEvent) => {
    report.event(e);
    progress?.event(e);
  };
  const code = await runBuild(config, outDir, flags, {
    onEvent: (e) => {
      seen(e);
      if (json) process.stdout.write(`${eventLine(e)}\n`);
    },
    onEventLine: (line) => {
      seen(JSON.parse(line) as DaemonEvent);
      if (json) process.stdout.write(`${line}\n`);
    },
    log: (line) => (json ? undefined : progress ? progress.line(line) : process.stdout.write(`${line}\n`)),
    error: (text) => (progress ? progress.line(text, process.stderr) : process.stderr.write(`${text}\n`)),
  });
  progress?.finish();
  const { writeOutputFile } = await import("./output-file.js");
  if (flags.junit && !writeOutputFile(flags.junit, report.junit(), "the JUnit report")) return code === EXIT.ok ? EXIT.usage : code;
  if (flags.report) {
    // The graph's edges are the manifest's; an invalid one leaves the page without a graph.
    const loaded = await (await import("../build/manifest.js")).loadManifest(config, flags.selection.profile !== undefined ? { profile: flags.selection.profile } : {});
    if (!writeOutputFile(flags.report, await report.html(loaded.ok ? loaded.manifest : undefined), "the HTML report")) return code === EXIT.ok ? EXIT.usage : code;
  }
  if (process.env.GITHUB_ACTIONS === "true") {
    // Workflow commands are read from stdout and stderr alike; NDJSON on stdout stays pure.
    const annotations = report.githubAnnotations();
    if (annotations.length) (json ? process.stderr : process.stdout).write(`${annotations.join("\n")}\n`);
    const summaryFile = process.env.GITHUB_STEP_SUMMARY;
    if (summaryFile) {
      try {
        appendFileSync(summaryFile, report.markdownSummary());
      } catch (e) {
        say(`tpu-build: cannot append to GITHUB_STEP_SUMMARY (${summaryFile}): ${(e as Error).message}`);
      }
    }
  }
  return code;
}

interface BuildOutputHandlers {
  onEvent: (e: BuildEvent) => void;
  /** An event as the daemon sends it: its JSON text. */
  onEventLine: (line: string) => void;
  log: (line: string) => void;
  error: (text: string) => void;
}

/** One build, through the daemon when one may be used and takes it, else in this process. */
async function runBuild(config: string, outDir: string | undefined, { useDaemon, waitUploads, selection }: BuildFlags, { onEvent, onEventLine, log, error }: BuildOutputHandlers): Promise<number> {
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
              onEventLine(line);
            },
            log,
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
  const summary = await build({ config, outDir, onEvent, log, error, waitUploads, entries: selection.entries, force: selection.force, ...(selection.profile !== undefined ? { profile: selection.profile } : {}) });
  return summary.exitCode;
}

/** `tpu-build events`: the running daemon's events for this manifest, as they happen; starts nothing. */
async function eventsCommand(config: string, outDir: string | undefined): Promise<number> {
  const { findDaemon } = await import("../daemon/client.js");
  const found = await findDaemon(dirname(config), say);
  if (!found.connection) {
    say(`tpu-build events: no tpu-build daemon is running for ${displayPath(dirname(config)) || "."}; \`tpu-build watch\` or \`tpu-build daemon start\` starts one`);
    return EXIT.usage;
  }
  const connection = found.connection;
  const attached = connection.watch(config, outDir, { onEvent: (line) => process.stdout.write(`${line}\n`), log: () => {}, error: () => {} }, [], { passive: true });
  let onSignal: () => void = () => {};
  const interrupted = new Promise<void>((resolve) => (onSignal = resolve));
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const ended = await Promise.race([attached.done.then(() => "ended" as const, (e: Error) => e), interrupted.then(() => "interrupted" as const)]);
  attached.cancel();
  connection.close();
  if (ended instanceof Error) {
    say(`tpu-build events: lost the daemon (${ended.message})`);
    return EXIT.usage;
  }
  return EXIT.ok;
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
  const watching = await watch({ config, outDir, ...(profile !== undefined ? { profile } : {}), ...(entries.length ? { entries } : {}), polling: process.env.TPU_BUILD_WATCH_POLL === "1", onEvent: (e) => handlers.onEvent(eventLine(e)), log: handlers.log, error: handlers.error });
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

async function daemonCommand(action: string | undefined, workspace: string, json: boolean): Promise<number> {
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
      const found = await findDaemon(workspace, json ? undefined : say);
      if (!found.connection) {
        // Always JSON with --json, so a script can read the answer whatever it is.
        if (json) {
          process.stdout.write(`${JSON.stringify({ running: false, workspace: paths.workspace })}\n`);
          return EXIT.ok;
        }
        process.stdout.write(`no tpu-build daemon is running for ${paths.workspace}\n`);
        return EXIT.usage;
      }
      const s = await found.connection.status();
      found.connection.close();
      process.stdout.write(`${JSON.stringify({ running: true, ...s }, null, json ? undefined : 2)}\n`);
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
