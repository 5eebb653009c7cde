// What a build may read. The workspace is the manifest's directory: entry files and the files they
// `include` must be regular files inside it once symlinks are resolved, so a manifest or a source
// cannot make the build read (and echo in an error) `/proc/self/environ` or a symlink's target
// elsewhere. Every file a manifest names (sources, includes, .npy values) must be a regular file:
// a FIFO or a device would block the read forever. The check is made on the opened descriptor
// (opened non-blocking, which returns at once even for a FIFO without a writer), so a file swapped
// for a FIFO after a check is refused too.

import { closeSync, constants, fstatSync, openSync, readFileSync, realpathSync } from "node:fs";
import { open, realpath, type FileHandle } from "node:fs/promises";
import { isAbsolute, join, relative, resolve } from "node:path";

/** Why a file may not be read: absent, outside the workspace, or not a regular file. */
export interface FileRefusal {
  code: "not-found" | "unreadable" | "outside-workspace" | "not-regular-file";
  message: string;
}

const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK;

function kindOf(stat: { isDirectory(): boolean; isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean }): string {
  if (stat.isDirectory()) return "a directory";
  if (stat.isFIFO()) return "a FIFO (named pipe)";
  if (stat.isSocket()) return "a socket";
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return "a device";
  return "not a regular file";
}

const notRegular = (shown: string, kind: string): FileRefusal => ({ code: "not-regular-file", message: `${shown} is ${kind}; only regular files are read` });

/** A refusal for an error of resolving or opening a path (ENAMETOOLONG, ELOOP, EACCES, ...), never a throw. */
const refusalOf = (e: unknown, shown: string): FileRefusal => {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === "ENOENT" || code === "ENOTDIR") return { code: "not-found", message: `${shown} not found` };
  if (code === "EISDIR") return notRegular(shown, "a directory");
  return { code: "unreadable", message: `${shown} cannot be read (${code ?? (e as Error).message})` };
};

/** Whether `path` (absolute, symlinks resolved) lies inside `root` (likewise). */
export function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}

/** Opens a regular file for reading, or says why not; never blocks on a FIFO. `shown` names it in messages. */
export async function openRegularFile(path: string, shown = path): Promise<{ ok: true; handle: FileHandle; size: number } | ({ ok: false } & FileRefusal)> {
  let handle: FileHandle;
  try {
    handle = await open(path, OPEN_FLAGS);
  } catch (e) {
    return { ok: false, ...refusalOf(e, shown) };
  }
  const stat = await handle.stat();
  if (!stat.isFile()) {
    await handle.close();
    return { ok: false, ...notRegular(shown, kindOf(stat)) };
  }
  return { ok: true, handle, size: stat.size };
}

/**
 * A workspace file's real path, if it is a regular file inside the workspace `root` after
 * resolving symlinks (both sides). `path` is absolute or relative to `root`.
 */
export async function workspaceFile(root: string, path: string, shown = path): Promise<{ ok: true; path: string } | ({ ok: false } & FileRefusal)> {
  let real: string;
  try {
    real = await realpath(resolve(root, path));
  } catch (e) {
    return { ok: false, ...refusalOf(e, shown) };
  }
  const realRoot = await realpath(root).catch(() => root);
  if (!isInside(realRoot, real)) return { ok: false, code: "outside-workspace", message: outsideMessage(shown, real, realRoot) };
  const opened = await openRegularFile(real, shown);
  if (!opened.ok) return opened;
  await opened.handle.close();
  return { ok: true, path: real };
}

function outsideMessage(shown: string, real: string, root: string): string {
  return `${shown} is outside the workspace (it is ${real}; sources must be inside ${root})`;
}

/**
 * Where a source of the workspace `root` (`path` relative to it) really is, symlinks resolved, if
 * that is inside the workspace; synchronously. Whether it is a regular file is not checked.
 */
function workspaceSourcePath(root: string, path: string): { ok: true; path: string } | ({ ok: false } & FileRefusal) {
  let real: string;
  let realRoot: string;
  try {
    real = realpathSync.native(join(root, path));
  } catch (e) {
    return { ok: false, ...refusalOf(e, path) };
  }
  try {
    realRoot = realpathSync.native(root);
  } catch {
    realRoot = root;
  }
  if (!isInside(realRoot, real)) return { ok: false, code: "outside-workspace", message: outsideMessage(path, real, realRoot) };
  return { ok: true, path: real };
}

/**
 * Reads a source of the workspace `root` (`path` relative to it), synchronously: the text, or why
 * it may not be read. The compiler's `readSource` is synchronous.
 */
export function readWorkspaceSource(root: string, path: string): { ok: true; text: string } | ({ ok: false } & FileRefusal) {
  const located = workspaceSourcePath(root, path);
  if (!located.ok) return located;
  const real = located.path;
  let fd: number;
  try {
    fd = openSync(real, OPEN_FLAGS);
  } catch (e) {
    return { ok: false, ...refusalOf(e, path) };
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) return { ok: false, ...notRegular(path, kindOf(stat)) };
    return { ok: true, text: readFileSync(fd, "utf8") };
  } finally {
    closeSync(fd);
  }
}
