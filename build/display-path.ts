// How a path appears in every message and event: relative to the current directory (where the
// user's shell and their editor's terminal links start), absolute only when it lies outside it.
// The daemon serves clients in other directories than its own: it runs each client's builds under
// that client's directory (withDisplayBase), so its paths read as the in-process CLI's would.

import { AsyncLocalStorage } from "node:async_hooks";
import { isAbsolute, relative } from "node:path";

const displayBase = new AsyncLocalStorage<string>();

/** Runs `f` (and everything it starts, sync or async) with paths shown relative to `dir` instead of the process's directory. */
export function withDisplayBase<T>(dir: string, f: () => T): T {
  return displayBase.run(dir, f);
}

export function displayPath(path: string): string {
  const rel = relative(displayBase.getStore() ?? process.cwd(), path);
  if (rel === "") return ".";
  return !rel.startsWith("..") && !isAbsolute(rel) ? rel : path;
}
