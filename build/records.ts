// What builds leave behind besides their outputs, beside the manifest under `.tpu-build/`:
//
// - `state/<entry>.json`, the entry's last build: its cache key with a digest of each key part, and
//   (after a successful run) the run's fingerprint with its parts and the SHA-256 of every output
//   file. Any process, not only a warm daemon, skips a run whose fingerprint matches and whose files
//   still hold those bytes; `tpu-build plan` compares the parts to say why an entry would rebuild.
//   A record is a hint checked against content, never trusted alone: a wrong or stale one only
//   costs a run. A warm engine remembers each record with its file's stamp (EntryRecords), so a
//   build reads only the records that changed since it last saw them.
// - `runs/<time>-<pid>.json`, one summary per build with its timings (Turborepo's run summary), so
//   the outputs themselves can be byte-identical from build to build.

import { readFileSync } from "node:fs";
import { mkdir, readdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { OWNER_ONLY_DIR, OWNER_ONLY_FILE, type KeyPartDigests } from "./cache.js";
import { fileStamp, FileMemo } from "./file-stamps.js";
import { canonicalJson, sha256Hex } from "./hash.js";

/** What a run's fingerprint is taken over: equal parts, equal results (runs are pure). */
export interface RunFingerprintParts {
  /** SHA-256 of the module that runs. */
  module: string;
  target: string;
  /** Canonical JSON of the target's settings. */
  settings: string;
  /** SHA-256 of the workspace plugin module that registered the target (absent for built-in and npm ones): an edited plugin reruns. */
  plugin?: string;
  /** Absolute output directory. */
  outDir: string;
  /** Content digest of every input leaf, in parameter order. */
  inputs: string[];
  /** Set when a fast-compiled executable ran (a watch build's first tier): then no optimized run is up to date with it. */
  tier?: "fast";
}

export function runFingerprint(parts: RunFingerprintParts): string {
  return sha256Hex(canonicalJson(parts));
}

/** What differs between two runs' fingerprint parts, in words; `inputLabel` names an input leaf by its index. */
export function changedRunParts(before: RunFingerprintParts, after: RunFingerprintParts, inputLabel: (k: number) => string = (k) => `input ${k + 1}`): string[] {
  const changed: string[] = [];
  if (before.module !== after.module) changed.push("module");
  if (before.target !== after.target) changed.push("target");
  else if (before.settings !== after.settings) changed.push("target settings");
  else if (before.plugin !== after.plugin) changed.push("target plugin");
  if (before.outDir !== after.outDir) changed.push("output directory");
  if (before.tier !== after.tier) changed.push("fast tier");
  if (before.inputs.length !== after.inputs.length) changed.push("inputs");
  else after.inputs.forEach((d, k) => d !== before.inputs[k] && changed.push(inputLabel(k)));
  return changed;
}

export interface EntryRecord {
  format: 1;
  entry: string;
  /** The entry's last compile (or cache hit). */
  compile?: {
    key: string;
    /** SHA-256 of the module. */
    hash: string;
    parts: KeyPartDigests;
    /** The files a run writes, by name (from the signature). */
    outputs: string[];
  };
  /** The executable its module was last loaded as, by the runtime's digest (what the remote cache shares executables under). */
  executable?: { module: string; target: string; settings: string; digest: string };
  /** The entry's last successful run, whose outputs are on disk. */
  run?: {
    fingerprint: string;
    parts: RunFingerprintParts;
    /** SHA-256 of each output file, by name in `<outDir>/<entry>/`. */
    files: Record<string, string>;
    /** Content digest of each result leaf (what dependents' fingerprints take). */
    leaves: string[];
  };
}

const stateDir = (workspace: string) => join(workspace, ".tpu-build", "state");
const runsDir = (workspace: string) => join(workspace, ".tpu-build", "runs");

/**
 * The entries' records of one workspace. A record is read again only when its file's stamp is not
 * the one it had when this process last read or wrote it (another process's build replaced it, say).
 * Records handed out are never changed: write() a new one. Writes of one entry's record happen in
 * the order they were asked for, and read() answers the last one asked for at once.
 */
export class EntryRecords {
  private readonly memo = new FileMemo<EntryRecord>();
  /** Per entry, the last record asked to be written, until its write (and those before it) ends. */
  private readonly writing = new Map<string, { record: EntryRecord; written: Promise<void> }>();

  constructor(readonly workspace: string) {}

  /** The recorded state of an entry, or an empty record when there is none (or it is unreadable). */
  read(entry: string): EntryRecord {
    const pending = this.writing.get(entry);
    if (pending) return pending.record;
    const path = recordPath(this.workspace, entry);
    const stamp = fileStamp(path);
    const known = this.memo.get(path, stamp);
    if (known) return known;
    let record: EntryRecord = { format: 1, entry };
    try {
      const r = JSON.parse(readFileSync(path, "utf8")) as EntryRecord;
      if (r.format === 1 && r.entry === entry) record = r;
    } catch {
      // absent or unreadable: as if never built
    }
    this.memo.set(path, stamp, record);
    return record;
  }

  /** Replaces an entry's record atomically (concurrent processes: the last writer wins, each record whole). */
  async write(record: EntryRecord): Promise<void> {
    const path = recordPath(this.workspace, record.entry);
    const before = this.writing.get(record.entry)?.written.catch(() => {});
    const written = (async () => {
      await before;
      await this.replace(path, record);
    })();
    const mine = { record, written };
    this.writing.set(record.entry, mine);
    this.memo.delete(path);
    try {
      await mine.written;
    } finally {
      if (this.writing.get(record.entry) === mine) this.writing.delete(record.entry);
    }
  }

  private async replace(path: string, record: EntryRecord): Promise<void> {
    const dir = stateDir(this.workspace);
    // Owner-only, like the cache and the outputs they describe.
    await mkdir(dir, { recursive: true, mode: OWNER_ONLY_DIR });
    const tmp = join(dir, `.${record.entry}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
    await writeFile(tmp, `${JSON.stringify(record, null, 2)}\n`, { mode: OWNER_ONLY_FILE });
    await rename(tmp, path);
    // Builds write records only by a rename (a new inode), so one written now is told apart from the next.
    this.memo.set(path, fileStamp(path), record, { replacedWhole: true });
  }
}

const recordPath = (workspace: string, entry: string) => join(stateDir(workspace), `${entry}.json`);

/** One build's summary: what each entry did and how long it took. */
export interface RunSummary {
  format: 1;
  startedAt: string;
  /** The manifest, relative to the workspace. */
  config: string;
  exitCode: number;
  durationMs: number;
  counts: Record<string, number>;
  entries: Record<string, { compile: string; compileMs?: number; run?: string; runMs?: number; key?: string; hash?: string }>;
}

/** Summaries kept; older ones are removed as new ones are written. */
const KEPT_SUMMARIES = 50;

/** Writes a build's summary to `.tpu-build/runs/` and returns its path. */
export async function writeRunSummary(workspace: string, summary: RunSummary): Promise<string> {
  const dir = runsDir(workspace);
  await mkdir(dir, { recursive: true, mode: OWNER_ONLY_DIR });
  const path = join(dir, `${summary.startedAt.replace(/:/g, "-")}-${process.pid}.json`);
  await writeFile(path, `${JSON.stringify(summary, null, 2)}\n`, { mode: OWNER_ONLY_FILE });
  // ISO times sort as text: the oldest come first.
  const all = (await readdir(dir)).filter((f) => f.endsWith(".json")).sort();
  for (const old of all.slice(0, Math.max(0, all.length - KEPT_SUMMARIES))) await rm(join(dir, old), { force: true });
  return path;
}
