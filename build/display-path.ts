// How a path appears in every message and event: relative to the current directory (where the
// user's shell and their editor's terminal links start), absolute only when it lies outside it.

import { isAbsolute, relative } from "node:path";

export function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  if (rel === "") return ".";
  return !rel.startsWith("..") && !isAbsolute(rel) ? rel : path;
}
