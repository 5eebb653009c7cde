// What a startup snapshot was made from (cli/snapshot.ts, scripts/build-snapshot.mjs): the files
// it holds (the bundle's inputs under dist/ and the prelude), each by size and modification time,
// and where dist/ was. Any rebuild of dist/ (tsc rewrites every file) or edit of the prelude
// changes it. Sizes and times, not contents: each start checks it, and 150 stat calls cost a
// fraction of reading and hashing the 1.4 MB they hold.

import { readFileSync, statSync } from "node:fs";

/** The snapshot's files, relative to dist/. */
export const SNAPSHOT = { bundle: "cli/snapshot.bundle.cjs", blob: "cli/snapshot.blob", inputs: "cli/snapshot.inputs.json", node: "cli/snapshot.node" } as const;

/** The stamp of dist/ as it is now ("" when the snapshot's list of inputs is missing or a file is). */
export function snapshotStamp(dist: string): string {
  try {
    const { inputs } = JSON.parse(readFileSync(`${dist}/${SNAPSHOT.inputs}`, "utf8")) as { inputs: string[] };
    let stamp = dist;
    for (const file of inputs) {
      const s = statSync(`${dist}/${file}`);
      stamp += `\n${file} ${s.size} ${s.mtimeMs}`;
    }
    return stamp;
  } catch {
    return "";
  }
}
