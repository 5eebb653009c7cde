// Original file: proto/runtime.proto

import type { BufferInfo as _tpubuild_runtime_BufferInfo, BufferInfo__Output as _tpubuild_runtime_BufferInfo__Output } from '../../tpubuild/runtime/BufferInfo.js';

export interface TransferOutChunk {
  /**
   * Set on the first chunk only.
   */
  'buffer'?: (_tpubuild_runtime_BufferInfo | null);
  'data'?: (Buffer | Uint8Array | string);
  /**
   * Set on the first chunk only: SHA-256 of all the bytes, for the client to check.
   */
  'sha256'?: (Buffer | Uint8Array | string);
}

export interface TransferOutChunk__Output {
  /**
   * Set on the first chunk only.
   */
  'buffer': (_tpubuild_runtime_BufferInfo__Output | null);
  'data': (Buffer);
  /**
   * Set on the first chunk only: SHA-256 of all the bytes, for the client to check.
   */
  'sha256': (Buffer);
}
