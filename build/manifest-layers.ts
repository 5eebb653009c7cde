// A manifest made of layers: `"extends": "base.json"` (a base manifest, relative to the file that
// names it, which may extend another) and a named profile (`"profiles": {"ci": {…}}`, applied by
// `--profile ci`). Layers merge in order — the deepest base first, each extending file over it, the
// profile last: objects merge key by key, anything else (a string, a number, an array) replaces.
//
// The merged value is checked like a single manifest, but every error must point into the file
// (and at the place) the offending value came from. So the merge records, for every pointer it
// writes, its origin: the file and the pointer there (`/profiles/ci/targets/local` for a value the
// profile gave). A pointer's origin is that of its nearest recorded ancestor.

import { readFile, realpath, stat } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { SourceFile } from "../compiler/diagnostics.js";
import { escapePointerToken, parseJsonWithLocations, type JsonDocument, type JsonLocation } from "./json-locations.js";

/** One file of a layered manifest. */
export interface ManifestFile {
  path: string;
  source: SourceFile;
  document: JsonDocument;
}

/** Where a value of the merged manifest was written: a file and the pointer there. */
export interface Origin {
  file: ManifestFile;
  pointer: string;
}

/** A problem found while layering, at a place in one of the files. */
export interface LayerProblem {
  file: ManifestFile | { path: string; source: SourceFile };
  pointer: string;
  code: string;
  message: string;
  range?: { start: number; end: number };
  suggestion?: string;
  notes?: string[];
}

export interface LayeredManifest {
  /** The merged value, with locations that read through the origins (for a number's raw text). */
  document: JsonDocument;
  originOf(pointer: string): Origin;
  /** Every manifest file, the root first. */
  files: ManifestFile[];
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/**
 * The root manifest with its bases and the profile merged. Undefined when there is nothing to layer
 * (no `extends`, no profile asked for): the root is used as it is.
 */
export async function layerManifest(root: ManifestFile, profile: string | undefined, nearest: (word: string, candidates: string[]) => string | undefined): Promise<{ ok: true; layered: LayeredManifest } | { ok: false; problems: LayerProblem[] } | undefined> {
  if (profile === undefined && !(isObject(root.document.value) && "extends" in root.document.value)) return undefined;
  const chain = await baseChain(root);
  if ("problems" in chain) return { ok: false, problems: chain.problems };
  const origins = new Map<string, Origin>();
  let merged: Record<string, unknown> = {};
  for (const file of [...chain.files].reverse()) merged = overlay(merged, file.document.value, "", origins, (p) => ({ file, pointer: p }));
  const originOf = (pointer: string): Origin => {
    for (let p = pointer; ; p = p.slice(0, p.lastIndexOf("/"))) {
      const o = origins.get(p);
      if (o) return { file: o.file, pointer: o.pointer + pointer.slice(p.length) };
      if (p === "") return { file: root, pointer };
    }
  };
  if (profile !== undefined) {
    const profiles = isObject(merged.profiles) ? merged.profiles : {};
    const chosen = profiles[profile];
    if (!isObject(chosen)) {
      const names = Object.keys(profiles);
      const where = originOf(names.length ? "/profiles" : "");
      return {
        ok: false,
        problems: [
          {
            file: where.file,
            pointer: where.pointer,
            code: "unknown-profile",
            message: `unknown profile ${JSON.stringify(profile.slice(0, 80))}`,
            ...(nearest(profile, names) !== undefined ? { suggestion: nearest(profile, names)! } : {}),
            notes: [names.length ? `profiles: ${names.join(", ")}` : `the manifest declares no "profiles"`],
          },
        ],
      };
    }
    const base = `/profiles/${escapePointerToken(profile)}`;
    const profileOrigin = (p: string) => originOf(base + p);
    merged = overlay(merged, chosen, "", origins, profileOrigin);
  }
  return { ok: true, layered: { document: mergedDocument(merged, originOf), originOf, files: chain.files } };
}

/** The root and its bases, root first; a missing or unreadable base or a cycle is a problem at the `extends` that names it. */
async function baseChain(root: ManifestFile): Promise<{ files: ManifestFile[] } | { problems: LayerProblem[] }> {
  const files = [root];
  const seen = [await realpath(root.path).catch(() => root.path)];
  for (let file = root; ; ) {
    const value = file.document.value;
    const ext = isObject(value) ? value.extends : undefined;
    if (ext === undefined) return { files };
    // A wrong type is the schema check's to report (at the merged value's origin).
    if (typeof ext !== "string" || ext === "") return { files };
    const path = resolve(dirname(file.path), ext);
    const at = { file, pointer: "/extends" };
    const real = await realpath(path).catch(() => undefined);
    if (real !== undefined && seen.includes(real)) {
      const cycle = [...files.slice(seen.indexOf(real)).map((f) => f.path), path];
      return { problems: [{ ...at, code: "extends-cycle", message: `extends cycle: ${cycle.map((p) => JSON.stringify(p)).join(" → ")}` }] };
    }
    let text: string;
    try {
      // Only a regular .json file, after symlinks: a FIFO or a device would block or never end, and
      // an error quotes a line of the file (which must not be, say, /proc/self/environ).
      const info = await stat(path);
      if (!info.isFile() || !(real ?? path).endsWith(".json"))
        return { problems: [{ ...at, code: "base-not-manifest", message: `base manifest ${JSON.stringify(ext)} must be a regular .json file (${real ?? path} is ${info.isFile() ? "not named .json" : "not a regular file"})` }] };
      text = await readFile(path, "utf8");
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      return { problems: [{ ...at, code: "base-not-found", message: code === "ENOENT" ? `base manifest ${JSON.stringify(ext)} not found (looked for ${path})` : `cannot read the base manifest ${JSON.stringify(ext)}: ${(e as Error).message}` }] };
    }
    const source = new SourceFile(path, text);
    const parsed = parseJsonWithLocations(text);
    if (!parsed.ok) return { problems: [{ file: { path, source }, pointer: "", code: "invalid-json", message: `invalid JSON: ${parsed.error.message}`, range: { start: parsed.error.offset, end: parsed.error.offset + 1 } }] };
    const base: ManifestFile = { path, source, document: parsed.document };
    const duplicates = parsed.document.duplicateKeys.map((dup): LayerProblem => {
      const first = source.position(dup.first.start);
      return { file: base, pointer: dup.pointer, code: "duplicate-key", message: `duplicate key (first defined at line ${first.line}, column ${first.col})`, range: dup.key };
    });
    if (duplicates.length) return { problems: duplicates };
    files.push(base);
    seen.push(real ?? path);
    file = base;
  }
}

/** `over` merged over `under` (objects key by key, anything else replaces), recording each written pointer's origin. */
function overlay(under: Record<string, unknown>, over: unknown, pointer: string, origins: Map<string, Origin>, originFor: (p: string) => Origin): Record<string, unknown> {
  if (!isObject(over)) return under;
  const out: Record<string, unknown> = { ...under };
  for (const [key, value] of Object.entries(over)) {
    const p = `${pointer}/${escapePointerToken(key)}`;
    if (isObject(value) && isObject(out[key])) {
      out[key] = overlay(out[key] as Record<string, unknown>, value, p, origins, originFor);
    } else {
      // Replaced whole: what earlier layers recorded below it no longer applies.
      for (const k of [...origins.keys()]) if (k.startsWith(`${p}/`)) origins.delete(k);
      out[key] = value;
      origins.set(p, originFor(p));
    }
  }
  return out;
}

/** The merged value as a JsonDocument whose locations are read from each value's origin file. */
function mergedDocument(value: unknown, originOf: (pointer: string) => Origin): JsonDocument {
  class OriginLocations extends Map<string, JsonLocation> {
    override get(pointer: string): JsonLocation | undefined {
      const o = originOf(pointer);
      return o.file.document.locations.get(o.pointer);
    }
    override has(pointer: string): boolean {
      return this.get(pointer) !== undefined;
    }
  }
  return { value, locations: new OriginLocations(), duplicateKeys: [] };
}
