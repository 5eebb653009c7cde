// Parsed sources kept for the life of the process. Parsing is pure and syntax trees are never
// mutated, so a warm process (the daemon, a build of many entries) parses the prelude and
// unchanged sources once, and each known value's text (`relu`, `Int64(1)` in a signature) once.

import { SourceFile } from "../diagnostics.js";
import { parseJulia } from "./parser.js";
import type { ParseResult } from "./parser.js";

export interface ParsedSource {
  parsed: ParseResult;
  /** The text with its line index, for diagnostics. */
  source: SourceFile;
}

const PARSE_CACHE_PATHS = 512;
const TEXTS_PER_PATH = 4;
/**
 * By path first, then the text compared as a whole: a key joining the two would rehash the
 * whole text on every lookup. A few texts per path, newest first (an edited file, and back).
 */
const parsedFiles = new Map<string, (ParsedSource & { text: string })[]>();

/** The file `path` with content `text`, parsed. */
export function parsedFile(path: string, text: string): ParsedSource {
  let versions = parsedFiles.get(path);
  const hit = versions?.find((v) => v.text === text);
  if (hit) return hit;
  const entry = { text, parsed: parseJulia(path, text), source: new SourceFile(path, text) };
  if (!versions) {
    if (parsedFiles.size >= PARSE_CACHE_PATHS) parsedFiles.delete(parsedFiles.keys().next().value!);
    versions = [];
    parsedFiles.set(path, versions);
  }
  versions.unshift(entry);
  if (versions.length > TEXTS_PER_PATH) versions.pop();
  return entry;
}

/** Known values' texts are short and many per program: keyed by the text itself. */
const parsedKnownValues = new Map<string, ParsedSource>();

/** A known value's Julia text from a signature, parsed as the file `<signature>`. */
export function parsedKnownValue(text: string): ParsedSource {
  let entry = parsedKnownValues.get(text);
  if (!entry) {
    const path = "<signature>";
    entry = { parsed: parseJulia(path, text), source: new SourceFile(path, text) };
    if (parsedKnownValues.size >= PARSE_CACHE_PATHS) parsedKnownValues.delete(parsedKnownValues.keys().next().value!);
    parsedKnownValues.set(text, entry);
  }
  return entry;
}
