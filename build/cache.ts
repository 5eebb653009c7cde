// The content-addressed artifact cache (design §4).
//
// Key. cacheKey() is SHA-256 over a length-prefixed sequence of labelled fields: the compiler's name,
// version and code digest (of the modules that compile, so a changed compiler never hits), the prelude version, the canonical entry signature (entry name, file, function, the
// arguments' type trees and compile-time constants, as canonical JSON), the options (canonical
// JSON: what the entry's target tells the compiler, its platform, `float64` and `matmulPrecision`,
// so the same module for the same platform and settings is one artifact), and the path and SHA-256 of every source file the entry reaches, sorted by path. Length
// prefixes make the encoding injective: no two different inputs share a byte stream.
//
// Layout. <root>/artifacts/<key[0:2]>/<key>/ holds module.hlo.pb, module.hlo.txt, signature.json
// and meta.json, which lists each file's SHA-256 and size. The root defaults to
// <workspace>/.tpu-build/cache (or $TPU_BUILD_CACHE_DIR).
//
// Writes build the whole directory under <root>/tmp/ (same file system) and rename it into place,
// so an entry appears complete or not at all. When another writer got there first, its entry is
// kept if it verifies (the contents are equal by construction: same key). Reads verify every file
// against meta.json; a mismatch or a missing file is a miss, and the broken entry is moved aside
// and deleted. Only successful compilations have a put(): failures are never cached. A hit touches
// meta.json: its mtime is the entry's last use, which the size cap (build/cache-upkeep.ts) evicts by.

import { randomBytes } from "node:crypto";
import { chmodSync, lstatSync } from "node:fs";
import { mkdir, open, readFile, rename, rm, stat, utimes } from "node:fs/promises";
import { join } from "node:path";
import type { ArgSpec, MeshSpec, ShardSpec, Signature } from "../plugins/api.js";
import { canonicalJson, sha256Hex } from "./hash.js";

/** 64 lowercase hex digits. */
export type ArtifactKey = string;

export interface CacheKeyParts {
  /** `codeDigest`: SHA-256 of the compiler's own code (CompilerPlugin.codeDigest). */
  compiler: { name: string; version: string; codeDigest: string };
  /** The prelude (the compiler's built-in Julia library) version. */
  prelude: string;
  /** The canonical entry signature. */
  entry: { name: string; file: string; function: string; args: ArgSpec[]; mesh?: MeshSpec; resultShards?: (ShardSpec | null)[] };
  /** Every source file the entry reaches (entry file and its includes), path relative to the workspace. */
  sources: { path: string; content: string | Uint8Array }[];
  /** Compiler options; absent is the same as {}. */
  options?: Record<string, unknown>;
}

const KEY_FORMAT = "tpu-build/artifact-key/2";

/** The canonical entry signature: what the module is compiled for. */
function signatureJson(parts: CacheKeyParts): string {
  return canonicalJson({ entry: parts.entry.name, file: parts.entry.file, function: parts.entry.function, args: parts.entry.args, ...(parts.entry.mesh ? { mesh: parts.entry.mesh } : {}), ...(parts.entry.resultShards ? { resultShards: parts.entry.resultShards } : {}) });
}

/** The cache key of an entry's compilation (see the top of this file). */
export function cacheKey(parts: CacheKeyParts): ArtifactKey {
  const fields: [string, string][] = [
    ["format", KEY_FORMAT],
    ["compiler.name", parts.compiler.name],
    ["compiler.version", parts.compiler.version],
    ["compiler.code", parts.compiler.codeDigest],
    ["prelude", parts.prelude],
    // The mesh, the arguments' shardings (in args) and the results' decide the module's OpShardings.
    ["signature", signatureJson(parts)],
    ["options", canonicalJson(parts.options ?? {})],
  ];
  const sources = [...parts.sources].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  fields.push(["sources", String(sources.length)]);
  for (const s of sources) fields.push(["source.path", s.path], ["source.sha256", sha256Hex(s.content)]);
  const chunks: Buffer[] = [];
  for (const [label, value] of fields) {
    for (const text of [label, value]) {
      const bytes = Buffer.from(text, "utf8");
      const length = Buffer.alloc(8);
      length.writeBigUInt64BE(BigInt(bytes.length));
      chunks.push(length, bytes);
    }
  }
  return sha256Hex(Buffer.concat(chunks));
}

/**
 * A digest of each part of a cache key, recorded with every build so that a later plan can say
 * which parts changed (the key itself only says that something did).
 */
export interface KeyPartDigests {
  /** Name, version and code digest of the compiler. */
  compiler: string;
  prelude: string;
  /** SHA-256 of the canonical entry signature (function, argument types, constants). */
  signature: string;
  /** SHA-256 of the canonical options. */
  options: string;
  /** SHA-256 of every source file the entry reaches, by path. */
  sources: Record<string, string>;
}

export function keyPartDigests(parts: CacheKeyParts): KeyPartDigests {
  const sources: Record<string, string> = {};
  for (const s of [...parts.sources].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) sources[s.path] = sha256Hex(s.content);
  return {
    compiler: `${parts.compiler.name} ${parts.compiler.version} ${parts.compiler.codeDigest}`,
    prelude: parts.prelude,
    signature: sha256Hex(signatureJson(parts)),
    options: sha256Hex(canonicalJson(parts.options ?? {})),
    sources,
  };
}

/** What differs between two builds' key parts, in words: "source examples/mlp.jl", "signature", …. */
export function changedKeyParts(before: KeyPartDigests, after: KeyPartDigests): string[] {
  const changed: string[] = [];
  for (const part of ["compiler", "prelude", "signature", "options"] as const) if (before[part] !== after[part]) changed.push(part);
  for (const [path, digest] of Object.entries(after.sources)) {
    if (!(path in before.sources)) changed.push(`source ${path} (newly included)`);
    else if (before.sources[path] !== digest) changed.push(`source ${path}`);
  }
  for (const path of Object.keys(before.sources)) if (!(path in after.sources)) changed.push(`source ${path} (no longer included)`);
  return changed;
}

/** The artifact's content hash, SHA-256 of module.hlo.pb: equal hashes mean nothing downstream reruns (early cutoff). */
export function artifactHash(module: Uint8Array): string {
  return sha256Hex(module);
}

/** What a successful compilation stores. */
export interface ArtifactFiles {
  module: Uint8Array;
  text: string;
  signature: Signature;
  /** Extra JSON kept in meta.json (e.g. compile stats, the sources reached). */
  info?: Record<string, unknown>;
}

export interface CachedArtifact extends ArtifactFiles {
  key: ArtifactKey;
  /** The artifact's directory. */
  dir: string;
  /** SHA-256 of module.hlo.pb. */
  hash: string;
}

/** Content of meta.json. */
export interface ArtifactMeta {
  format: 1;
  key: ArtifactKey;
  hash: string;
  files: Record<string, { sha256: string; size: number }>;
  createdAt: string;
  info?: Record<string, unknown>;
}

export const ARTIFACT_FILES = { module: "module.hlo.pb", text: "module.hlo.txt", signature: "signature.json", meta: "meta.json" } as const;

/** <workspace>/.tpu-build/cache, unless $TPU_BUILD_CACHE_DIR says otherwise. */
export function defaultCacheDir(workspace: string): string {
  return process.env.TPU_BUILD_CACHE_DIR || join(workspace, ".tpu-build", "cache");
}

const KEY_PATTERN = /^[0-9a-f]{64}$/;

/**
 * The cache is owner-only (issue 16.13): directories 0700 and files 0600 whatever the umask, like
 * the runtime's executable cache; a module, its HLO text and its signature reveal the program.
 */
export const OWNER_ONLY_DIR = 0o700;
export const OWNER_ONLY_FILE = 0o600;

/**
 * Keeps an existing directory of ours owner-only. Versions before issue 16.13 created the cache and
 * the outputs under the umask (0755 with 022), and mkdir never changes a directory that exists:
 * such a one is tightened to 0700 (which closes everything beneath it) and the old mode returned,
 * for a warning. One that is not a directory or belongs to another user is refused: its owner could
 * read or replace what the build keeps there. Absent: nothing to do (writers create it 0700).
 */
export function keepPrivate(dir: string): { tightenedFrom?: number } {
  let st;
  try {
    st = lstatSync(dir);
  } catch (e) {
    if (isErrno(e, "ENOENT")) return {};
    throw e;
  }
  if (!st.isDirectory()) throw new PrivateDirError(`${dir} is not a directory; tpu-build keeps its cache and outputs there and refuses to use it. Remove it, or choose another place.`);
  if (typeof process.getuid === "function" && st.uid !== process.getuid())
    throw new PrivateDirError(`${dir} belongs to another user (uid ${st.uid}), who could read or replace what tpu-build keeps there; refusing to use it. Remove it, or choose another place.`);
  const mode = st.mode & 0o777;
  if ((mode & 0o077) === 0) return {};
  chmodSync(dir, OWNER_ONLY_DIR);
  return { tightenedFrom: mode };
}

/** A directory the build must keep private that it cannot (another user's, not a directory). */
export class PrivateDirError extends Error {}

async function writeFileSynced(path: string, data: Uint8Array | string): Promise<void> {
  const handle = await open(path, "wx", OWNER_ONLY_FILE);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

const isErrno = (e: unknown, ...codes: string[]) => e instanceof Error && codes.includes((e as NodeJS.ErrnoException).code ?? "");

export class ArtifactStore {
  constructor(readonly root: string) {}

  /** The directory of an artifact (whether or not it exists). */
  pathOf(key: ArtifactKey): string {
    if (!KEY_PATTERN.test(key)) throw new Error(`internal error: malformed artifact key ${JSON.stringify(key)}`);
    return join(this.root, "artifacts", key.slice(0, 2), key);
  }

  /** The verified artifact, or undefined on a miss (absent, incomplete or corrupt; a broken entry is removed). */
  async get(key: ArtifactKey): Promise<CachedArtifact | undefined> {
    const dir = this.pathOf(key);
    const verified = await this.verify(key, dir);
    if (verified === "absent") return undefined;
    if (verified === "corrupt") {
      await this.discard(dir);
      return undefined;
    }
    // The last use, for the size cap's least-recently-used order (build/cache-upkeep.ts). utimes is
    // atomic; an entry removed meanwhile by a gc is no error (this build holds its contents).
    const at = new Date();
    await utimes(join(dir, ARTIFACT_FILES.meta), at, at).catch(() => {});
    return verified;
  }

  private async verify(key: ArtifactKey, dir: string): Promise<CachedArtifact | "absent" | "corrupt"> {
    let metaText: string;
    try {
      metaText = await readFile(join(dir, ARTIFACT_FILES.meta), "utf8");
    } catch (e) {
      if (!isErrno(e, "ENOENT", "ENOTDIR")) return "corrupt";
      // No meta.json: nothing there, or a directory that is not a complete artifact.
      const present = await stat(dir).then(() => true, () => false);
      return present ? "corrupt" : "absent";
    }
    try {
      const meta = JSON.parse(metaText) as ArtifactMeta;
      if (meta.format !== 1 || meta.key !== key) return "corrupt";
      const contents: Record<string, Buffer> = {};
      for (const name of [ARTIFACT_FILES.module, ARTIFACT_FILES.text, ARTIFACT_FILES.signature]) {
        const expected = meta.files?.[name];
        if (!expected) return "corrupt";
        const bytes = await readFile(join(dir, name));
        if (bytes.length !== expected.size || sha256Hex(bytes) !== expected.sha256) return "corrupt";
        contents[name] = bytes;
      }
      const module = new Uint8Array(contents[ARTIFACT_FILES.module]!);
      if (artifactHash(module) !== meta.hash) return "corrupt";
      const artifact: CachedArtifact = {
        key,
        dir,
        hash: meta.hash,
        module,
        text: contents[ARTIFACT_FILES.text]!.toString("utf8"),
        signature: JSON.parse(contents[ARTIFACT_FILES.signature]!.toString("utf8")) as Signature,
      };
      if (meta.info !== undefined) artifact.info = meta.info;
      return artifact;
    } catch {
      return "corrupt";
    }
  }

  /** Moves a broken entry out of the way atomically, then deletes it. */
  private async discard(dir: string): Promise<void> {
    const trash = join(this.root, "tmp", `discard-${process.pid}-${randomBytes(6).toString("hex")}`);
    await mkdir(join(this.root, "tmp"), { recursive: true, mode: OWNER_ONLY_DIR });
    try {
      await rename(dir, trash);
    } catch (e) {
      if (isErrno(e, "ENOENT")) return; // someone else removed it already
      throw e;
    }
    await rm(trash, { recursive: true, force: true });
  }

  /**
   * Stores an artifact atomically and returns it as stored. If a verified entry for `key` already
   * exists (a concurrent writer), that one is kept and returned.
   */
  async put(key: ArtifactKey, files: ArtifactFiles): Promise<CachedArtifact> {
    const dir = this.pathOf(key);
    const tmpRoot = join(this.root, "tmp");
    await mkdir(tmpRoot, { recursive: true, mode: OWNER_ONLY_DIR });
    const staging = join(tmpRoot, `${key}-${process.pid}-${randomBytes(6).toString("hex")}`);
    await mkdir(staging, { mode: OWNER_ONLY_DIR });
    try {
      const signatureText = JSON.stringify(files.signature, null, 2) + "\n";
      const contents: [string, Uint8Array | string][] = [
        [ARTIFACT_FILES.module, files.module],
        [ARTIFACT_FILES.text, files.text],
        [ARTIFACT_FILES.signature, signatureText],
      ];
      const meta: ArtifactMeta = { format: 1, key, hash: artifactHash(files.module), files: {}, createdAt: new Date().toISOString() };
      for (const [name, data] of contents) {
        const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
        meta.files[name] = { sha256: sha256Hex(bytes), size: bytes.length };
      }
      // The three files are independent: written and fsynced concurrently, not one fsync after
      // another. meta.json still goes only once all three are on disk.
      const written = await Promise.allSettled(contents.map(([name, data]) => writeFileSynced(join(staging, name), data)));
      for (const w of written) if (w.status === "rejected") throw w.reason;
      if (files.info !== undefined) meta.info = files.info;
      // meta.json last: an entry without it is never trusted.
      await writeFileSynced(join(staging, ARTIFACT_FILES.meta), JSON.stringify(meta, null, 2) + "\n");
      await mkdir(join(this.root, "artifacts", key.slice(0, 2)), { recursive: true, mode: OWNER_ONLY_DIR });
      for (let attempt = 0; ; attempt++) {
        try {
          await rename(staging, dir);
          const stored: CachedArtifact = { key, dir, hash: meta.hash, module: files.module, text: files.text, signature: JSON.parse(signatureText) as Signature };
          if (files.info !== undefined) stored.info = files.info;
          return stored;
        } catch (e) {
          if (!isErrno(e, "ENOTEMPTY", "EEXIST", "EPERM", "EACCES") || attempt >= 4) throw e;
          // Another writer's entry is in place: keep it if it verifies, otherwise get() removed it; retry.
          const existing = await this.get(key);
          if (existing) return existing;
        }
      }
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  /** Removes an artifact (no error if absent). */
  async remove(key: ArtifactKey): Promise<void> {
    await this.discard(this.pathOf(key));
  }
}
