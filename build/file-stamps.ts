// What a warm engine (the daemon's) remembers about files it has read, so that a later build can
// tell an unchanged file by one stat instead of reading and hashing it again.
//
// A file's stamp is its device, inode, size, mode and its modification and change times in
// nanoseconds. Every write changes the change time (ctime), which no tool can set back (`touch -d`,
// `cp -p`, tar and rsync set only the modification time), and an atomic save gives a new inode; so
// a stamp is never a modification time alone (DESIGN.md §5.4). What the filesystem's timestamp
// granularity could hide, a second write within the same tick as the stat that was remembered, is
// ruled out as git rules out its "racy" index entries: a file whose ctime is less than RACY_MS old
// when it is read is not remembered, and is read again by the next build.

import { statSync } from "node:fs";

/** A file's identity as stat sees it; equal stamps, same bytes (see above). */
export type FileStamp = string;

/** How long a file must have been left alone before a stamp taken of it stands for its content. */
export const RACY_MS = 2000;

/** The file's stamp (following symlinks), or undefined when it cannot be stat'ed. */
export function fileStamp(path: string): FileStamp | undefined {
  const s = statSync(path, { bigint: true, throwIfNoEntry: false });
  return s && `${s.dev}:${s.ino}:${s.size}:${s.mode}:${s.mtimeNs}:${s.ctimeNs}`;
}

/** When the file whose stamp this is last changed (its ctime), in ms since the epoch. */
export const changedAtMs = (stamp: FileStamp) => Number(BigInt(stamp.slice(stamp.lastIndexOf(":") + 1)) / 1_000_000n);

/** What was derived from files (a record, a digest), each kept with the stamp the file had when it was read. */
export class FileMemo<T> {
  private readonly known = new Map<string, { stamp: FileStamp; value: T }>();

  /** The value remembered for `path` when `stamp` (taken now) is the stamp it was remembered with. */
  get(path: string, stamp: FileStamp | undefined): T | undefined {
    const k = this.known.get(path);
    return k && stamp !== undefined && k.stamp === stamp ? k.value : undefined;
  }

  /**
   * Remembers `value`, derived from the file's content read after `stamp` was taken (a change in
   * between gives a later stamp: the next build reads it again), unless the file changed too
   * recently for its timestamps to tell a next write apart. `replacedWhole`: every writer of the
   * file replaces it by a rename, so a next write is a new inode however soon it comes.
   */
  set(path: string, stamp: FileStamp | undefined, value: T, options: { replacedWhole?: boolean } = {}): void {
    if (stamp === undefined || (!options.replacedWhole && Date.now() - changedAtMs(stamp) < RACY_MS)) this.known.delete(path);
    else this.known.set(path, { stamp, value });
  }

  delete(path: string): void {
    this.known.delete(path);
  }
}
