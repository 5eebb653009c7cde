// Original file: proto/runtime.proto

import type { BufferInfo as _tpubuild_runtime_BufferInfo, BufferInfo__Output as _tpubuild_runtime_BufferInfo__Output } from '../../tpubuild/runtime/BufferInfo.js';

/**
 * Shared memory (runtime/shared_memory.py): a memfd the server holds, which a client of the same
 * user on the same host opens as /proc/<pid>/fd/<fd>; only that user can. The client checks that
 * what it opened is the memfd called `name` (its /proc/self/fd link reads "/memfd:NAME (deleted)")
 * before it writes or reads a byte. A region is the caller's session's, good once, and closed by
 * the server after expires_in_ms if not finished (in) or closed (out).
 */
export interface SharedRegion {
  'pid'?: (number);
  'fd'?: (number);
  /**
   * "tpu-build-" and 32 random hex digits.
   */
  'name'?: (string);
  /**
   * In: the buffer to be (shape and total_bytes; no handle yet). Out: the buffer whose bytes it holds.
   */
  'buffer'?: (_tpubuild_runtime_BufferInfo | null);
  'expiresInMs'?: (number);
}

/**
 * Shared memory (runtime/shared_memory.py): a memfd the server holds, which a client of the same
 * user on the same host opens as /proc/<pid>/fd/<fd>; only that user can. The client checks that
 * what it opened is the memfd called `name` (its /proc/self/fd link reads "/memfd:NAME (deleted)")
 * before it writes or reads a byte. A region is the caller's session's, good once, and closed by
 * the server after expires_in_ms if not finished (in) or closed (out).
 */
export interface SharedRegion__Output {
  'pid': (number);
  'fd': (number);
  /**
   * "tpu-build-" and 32 random hex digits.
   */
  'name': (string);
  /**
   * In: the buffer to be (shape and total_bytes; no handle yet). Out: the buffer whose bytes it holds.
   */
  'buffer': (_tpubuild_runtime_BufferInfo__Output | null);
  'expiresInMs': (number);
}
