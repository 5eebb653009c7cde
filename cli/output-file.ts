// A file a command was asked to write (--junit, --report, --svg): its directory is made if need be
// (reports/ need not exist in a fresh checkout), and a failure is said, not thrown.

import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { displayPath } from "../build/display-path.js";

/** Writes `text` to `path`; false after saying on stderr why it could not. */
export function writeOutputFile(path: string, text: string, what: string): boolean {
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    return true;
  } catch (e) {
    process.stderr.write(`tpu-build: cannot write ${what} ${displayPath(path)}: ${(e as Error).message}\n`);
    return false;
  }
}
