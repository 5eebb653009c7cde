// The client side of shared memory (runtime/shared_memory.py has the why): a tensor's bytes written
// into, or read from, a memfd of a runtime server on this host, opened as /proc/<pid>/fd/<fd>.
//
// What is opened is checked before a byte moves: the pid must be the server this client was told
// to trust (a local target's own child), and the descriptor must be the memfd the reply names (a
// random name), a regular file of the tensor's size. O_NONBLOCK keeps a wrong path (a FIFO) from
// blocking the open. The bytes move on libuv's threads, so a daemon's event loop stays free.

import { constants } from "node:fs";
import { open, readlink, type FileHandle } from "node:fs/promises";
import type { SharedRegion__Output } from "./generated/tpubuild/runtime/SharedRegion.js";

const NAME = /^tpu-build-[0-9a-f]{32}$/;
/** Bytes per read or write call: large enough that per-call costs vanish. */
const IO_SLICE_BYTES = 64 << 20;

/** A region that cannot be used: `code` is a gRPC status name, as RuntimeError's. */
export class SharedMemoryError extends Error {
  constructor(
    readonly code: string,
    readonly details: string,
  ) {
    super(details);
    this.name = "SharedMemoryError";
  }
}

/** Opens the server's memfd for `region` and checks it is that memfd; the descriptor. */
export async function openRegion(region: SharedRegion__Output, serverPid: number, mode: "read" | "write", totalBytes: number): Promise<FileHandle> {
  if (region.pid !== serverPid) throw new SharedMemoryError("INTERNAL", `the region is in process ${region.pid}, not the runtime server's (${serverPid}); refused`);
  if (!NAME.test(region.name) || !Number.isInteger(region.fd) || region.fd < 0) throw new SharedMemoryError("INTERNAL", `the server named an invalid shared-memory region (${JSON.stringify(region.name)}, fd ${region.fd})`);
  let file: FileHandle;
  try {
    file = await open(`/proc/${region.pid}/fd/${region.fd}`, (mode === "read" ? constants.O_RDONLY : constants.O_WRONLY) | constants.O_NONBLOCK);
  } catch (e) {
    throw new SharedMemoryError("UNAVAILABLE", `cannot open the server's shared memory (/proc/${region.pid}/fd/${region.fd}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    const link = await readlink(`/proc/self/fd/${file.fd}`);
    if (link !== `/memfd:${region.name} (deleted)`) throw new SharedMemoryError("INTERNAL", `/proc/${region.pid}/fd/${region.fd} is ${JSON.stringify(link)}, not the memfd ${region.name}; refused`);
    const stat = await file.stat();
    if (!stat.isFile() || stat.size !== totalBytes) throw new SharedMemoryError("INTERNAL", `the memfd ${region.name} holds ${stat.size} bytes, the tensor ${totalBytes}`);
    return file;
  } catch (e) {
    await file.close();
    throw e;
  }
}

/** Writes all of `data` at the start of `file`, then closes it. */
export async function writeRegion(file: FileHandle, data: Uint8Array): Promise<void> {
  try {
    for (let offset = 0; offset < data.byteLength; ) {
      offset += (await file.write(data, offset, Math.min(IO_SLICE_BYTES, data.byteLength - offset), offset)).bytesWritten;
    }
  } finally {
    await file.close();
  }
}

/** Reads `file` whole into `target` (its size), then closes it. */
export async function readRegion(file: FileHandle, target: Uint8Array): Promise<void> {
  try {
    for (let offset = 0; offset < target.byteLength; ) {
      const n = (await file.read(target, offset, Math.min(IO_SLICE_BYTES, target.byteLength - offset), offset)).bytesRead;
      if (n === 0) throw new SharedMemoryError("DATA_LOSS", `the shared-memory region ended after ${offset} of ${target.byteLength} bytes`);
      offset += n;
    }
  } finally {
    await file.close();
  }
}
