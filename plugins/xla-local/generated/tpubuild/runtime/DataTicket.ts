// Original file: proto/runtime.proto

import type { BufferInfo as _tpubuild_runtime_BufferInfo, BufferInfo__Output as _tpubuild_runtime_BufferInfo__Output } from '../../tpubuild/runtime/BufferInfo.js';

export interface DataTicket {
  /**
   * 32 random bytes, presented once on the data channel.
   */
  'token'?: (Buffer | Uint8Array | string);
  /**
   * OpenTransferIn: the buffer to be (shape and total_bytes; no handle yet).
   * OpenTransferOut: the buffer whose bytes will come.
   */
  'buffer'?: (_tpubuild_runtime_BufferInfo | null);
  /**
   * The ticket is void if not presented within this time.
   */
  'expiresInMs'?: (number);
}

export interface DataTicket__Output {
  /**
   * 32 random bytes, presented once on the data channel.
   */
  'token': (Buffer);
  /**
   * OpenTransferIn: the buffer to be (shape and total_bytes; no handle yet).
   * OpenTransferOut: the buffer whose bytes will come.
   */
  'buffer': (_tpubuild_runtime_BufferInfo__Output | null);
  /**
   * The ticket is void if not presented within this time.
   */
  'expiresInMs': (number);
}
