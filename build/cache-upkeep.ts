// Cache upkeep (`tpu-build cache ls|gc|clean`, and the size cap every build enforces): what the
// artifact store (build/cache.ts) and the runtime's executable cache (runtime/executable_cache.py)
// hold, and removing the least recently used of it.
//
// Last use. A hit touches the entry (its meta.json for an artifact, the .exe file for an
// executable): utimes is one atomic metadata update, so concurrent builds never corrupt anything by
// recording a use, and the mtime is the last use. Removing an entry is safe while another build
// runs: an artifact directory is renamed into <root>/tmp/ (atomic) and deleted there, an executable
// unlinked (a reader that has it open keeps reading). A build that then misses it compiles it again;
// a build that already holds it in memory is not affected. Just before removing, the entry is
// stat'ed again and spared if it was used since it was listed. One gc at a time (an exclusive lock
// file); a second one started meanwhile (two builds ending together) skips.

import { randomBytes } from "node:crypto";
import { mkdir, open, readdir, readFile, rename, rm, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import type { PluginRegistry } from "../plugins/registry.js";
import { ARTIFACT_FILES, defaultCacheDir, OWNER_ONLY_DIR } from "./cache.js";
import { targetKind, targetNames, targetSettings, type ResolvedManifest } from "./manifest.js";
import { parseByteSize, SIZE_EXAMPLES } from "./limits.js";

export interface CacheLocations {
  /** The artifact store's root (build/cache.ts's defaultCacheDir). */
  artifacts: string;
  /** Directories of the runtime's executable cache (one per target setting that names one). */
  executables: string[];
}

/**
 * A manifest's caches: the artifact store and every executable cache directory its targets'
 * plugins name (TargetPlugin.executableCacheDirs), for build and watch settings alike.
 */
export function cacheLocations(manifest: ResolvedManifest, plugins: PluginRegistry, cacheDir?: string): CacheLocations {
  const executables: string[] = [];
  for (const target of targetNames(manifest, plugins.targetNames())) {
    const plugin = plugins.target(targetKind(manifest, target));
    for (const watch of [false, true]) executables.push(...(plugin?.executableCacheDirs?.(targetSettings(manifest, target, watch), { workspace: manifest.dir }) ?? []));
  }
  return { artifacts: cacheDir ?? defaultCacheDir(manifest.dir), executables: unique(executables) };
}

/** The size cap: TPU_BUILD_CACHE_MAX over the manifest's `cache.maxSize`; a message when the variable is not a size. */
export function cacheCap(cacheMaxBytes: number | undefined, env: NodeJS.ProcessEnv = process.env): { maxBytes?: number } | { problem: string } {
  const fromEnv = env.TPU_BUILD_CACHE_MAX;
  if (fromEnv === undefined || fromEnv === "") return cacheMaxBytes === undefined ? {} : { maxBytes: cacheMaxBytes };
  const maxBytes = parseByteSize(fromEnv);
  return maxBytes === undefined ? { problem: `TPU_BUILD_CACHE_MAX=${JSON.stringify(fromEnv.slice(0, 40))} is not a size: give ${SIZE_EXAMPLES}` } : { maxBytes };
}

export interface CacheEntry {
  kind: "artifact" | "executable";
  /** The artifact key or the executable's digest. */
  key: string;
  /** The artifact's entry name (from its signature), when known. */
  entry?: string;
  path: string;
  bytes: number;
  /** Last use (a hit or the write), ms since the epoch. */
  usedAt: number;
}

/** A temporary file or directory older than this belongs to a writer that died. */
const STALE_TEMPORARY_MS = 60 * 60 * 1000;
/** A gc lock older than this was left by a process that died. */
const STALE_LOCK_MS = 10 * 60 * 1000;

const isErrno = (e: unknown, ...codes: string[]) => e instanceof Error && codes.includes((e as NodeJS.ErrnoException).code ?? "");

async function entriesOf(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (e) {
    if (isErrno(e, "ENOENT", "ENOTDIR")) return [];
    throw e;
  }
}

async function directoryBytes(dir: string): Promise<number> {
  let total = 0;
  for (const name of await entriesOf(dir)) {
    const s = await stat(join(dir, name)).catch(() => undefined);
    if (s?.isFile()) total += s.size;
  }
  return total;
}

/** Every complete entry of both caches (entries half-written or being removed are not listed). */
export async function listCache(locations: CacheLocations): Promise<CacheEntry[]> {
  const found: CacheEntry[] = [];
  const artifacts = join(locations.artifacts, "artifacts");
  for (const shard of await entriesOf(artifacts)) {
    for (const key of await entriesOf(join(artifacts, shard))) {
      const path = join(artifacts, shard, key);
      const meta = await stat(join(path, ARTIFACT_FILES.meta)).catch(() => undefined);
      if (!meta) continue;
      const item: CacheEntry = { kind: "artifact", key, path, bytes: await directoryBytes(path), usedAt: meta.mtimeMs };
      const entry = await readFile(join(path, ARTIFACT_FILES.signature), "utf8").then((t) => (JSON.parse(t) as { entry?: unknown }).entry, () => undefined);
      if (typeof entry === "string") item.entry = entry;
      found.push(item);
    }
  }
  for (const dir of unique(locations.executables)) {
    for (const name of await entriesOf(dir)) {
      if (!name.endsWith(".exe") || name.startsWith(".")) continue;
      const path = join(dir, name);
      const s = await stat(path).catch(() => undefined);
      if (s?.isFile()) found.push({ kind: "executable", key: name.slice(0, -".exe".length), path, bytes: s.size, usedAt: s.mtimeMs });
    }
  }
  return found.sort((a, b) => a.usedAt - b.usedAt);
}

export interface GcResult {
  /** Another gc held the lock: nothing was done. */
  skipped?: boolean;
  removed: CacheEntry[];
  freedBytes: number;
  /** What both caches hold afterwards. */
  keptBytes: number;
  keptEntries: number;
  /** Temporaries of writers that died, removed. */
  staleTemporaries: number;
}

/**
 * Removes stale temporaries and then, least recently used first, entries until both caches together
 * hold at most `maxBytes` (no limit: only the temporaries).
 */
export async function collectGarbage(locations: CacheLocations, maxBytes?: number): Promise<GcResult> {
  const lock = await takeGcLock(locations.artifacts);
  if (!lock) return { skipped: true, removed: [], freedBytes: 0, keptBytes: 0, keptEntries: 0, staleTemporaries: 0 };
  try {
    const staleTemporaries = await removeStaleTemporaries(locations);
    const entries = await listCache(locations);
    let total = entries.reduce((sum, e) => sum + e.bytes, 0);
    const removed: CacheEntry[] = [];
    for (const e of entries) {
      if (maxBytes === undefined || total <= maxBytes) break;
      if (await removeEntry(locations, e, { ifUnusedSince: e.usedAt })) {
        removed.push(e);
        total -= e.bytes;
      }
    }
    const freedBytes = removed.reduce((sum, e) => sum + e.bytes, 0);
    return { removed, freedBytes, keptBytes: total, keptEntries: entries.length - removed.length, staleTemporaries };
  } finally {
    await lock.release();
  }
}

/** Removes every entry of both caches (a build running meanwhile recompiles what it misses). */
export async function cleanCache(locations: CacheLocations): Promise<{ removed: CacheEntry[]; freedBytes: number }> {
  const removed: CacheEntry[] = [];
  for (const e of await listCache(locations)) if (await removeEntry(locations, e)) removed.push(e);
  // Temporaries younger than an hour may be a concurrent build's writes in progress: left alone.
  await removeStaleTemporaries(locations);
  return { removed, freedBytes: removed.reduce((sum, e) => sum + e.bytes, 0) };
}

/** Removes one entry atomically; false when it is gone already or (with `ifUnusedSince`) was used since. */
async function removeEntry(locations: CacheLocations, e: CacheEntry, options: { ifUnusedSince?: number } = {}): Promise<boolean> {
  const usedFile = e.kind === "artifact" ? join(e.path, ARTIFACT_FILES.meta) : e.path;
  if (options.ifUnusedSince !== undefined) {
    const s = await stat(usedFile).catch(() => undefined);
    if (!s || s.mtimeMs > options.ifUnusedSince) return false;
  }
  if (e.kind === "executable") {
    try {
      await unlink(e.path);
      return true;
    } catch (err) {
      if (isErrno(err, "ENOENT")) return false;
      throw err;
    }
  }
  const tmp = join(locations.artifacts, "tmp");
  await mkdir(tmp, { recursive: true, mode: OWNER_ONLY_DIR });
  const trash = join(tmp, `evict-${process.pid}-${randomBytes(6).toString("hex")}`);
  try {
    await rename(e.path, trash);
  } catch (err) {
    if (isErrno(err, "ENOENT")) return false;
    throw err;
  }
  await rm(trash, { recursive: true, force: true });
  return true;
}

/** Staging directories and half-written executables of writers that died; returns how many were removed. */
async function removeStaleTemporaries(locations: CacheLocations): Promise<number> {
  const cutoff = Date.now() - STALE_TEMPORARY_MS;
  const candidates: string[] = [];
  const tmp = join(locations.artifacts, "tmp");
  for (const name of await entriesOf(tmp)) candidates.push(join(tmp, name));
  for (const dir of unique(locations.executables)) for (const name of await entriesOf(dir)) if (name.startsWith(".tmp-")) candidates.push(join(dir, name));
  let removed = 0;
  for (const path of candidates) {
    const s = await stat(path).catch(() => undefined);
    // A staging directory still being written has a recent mtime (files keep appearing in it).
    if (!s || s.mtimeMs > cutoff) continue;
    await rm(path, { recursive: true, force: true });
    removed++;
  }
  return removed;
}

async function takeGcLock(root: string): Promise<{ release(): Promise<void> } | undefined> {
  await mkdir(root, { recursive: true, mode: OWNER_ONLY_DIR });
  const path = join(root, "gc.lock");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(path, "wx", 0o600);
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return { release: () => rm(path, { force: true }) };
    } catch (e) {
      if (!isErrno(e, "EEXIST")) throw e;
      const s = await stat(path).catch(() => undefined);
      if (s && Date.now() - s.mtimeMs < STALE_LOCK_MS) return undefined;
      await rm(path, { force: true });
    }
  }
  return undefined;
}

const unique = (items: string[]) => [...new Set(items)];
