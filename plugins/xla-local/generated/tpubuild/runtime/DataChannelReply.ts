// Original file: proto/runtime.proto

import type { BufferInfo as _tpubuild_runtime_BufferInfo, BufferInfo__Output as _tpubuild_runtime_BufferInfo__Output } from '../../tpubuild/runtime/BufferInfo.js';

/**
 * A reply frame on the data channel.
 */
export interface DataChannelReply {
  /**
   * Empty: accepted (after the token) or done (after a transfer in's bytes). Otherwise the gRPC
   * status name the failure would have had (INVALID_ARGUMENT, NOT_FOUND, PERMISSION_DENIED, ...).
   */
  'errorCode'?: (string);
  'errorMessage'?: (string);
  /**
   * In the answer to a transfer in's bytes: the new device buffer.
   */
  'buffer'?: (_tpubuild_runtime_BufferInfo | null);
  /**
   * In the acceptance of a transfer out: SHA-256 of the bytes that follow.
   */
  'sha256'?: (Buffer | Uint8Array | string);
}

/**
 * A reply frame on the data channel.
 */
export interface DataChannelReply__Output {
  /**
   * Empty: accepted (after the token) or done (after a transfer in's bytes). Otherwise the gRPC
   * status name the failure would have had (INVALID_ARGUMENT, NOT_FOUND, PERMISSION_DENIED, ...).
   */
  'errorCode': (string);
  'errorMessage': (string);
  /**
   * In the answer to a transfer in's bytes: the new device buffer.
   */
  'buffer': (_tpubuild_runtime_BufferInfo__Output | null);
  /**
   * In the acceptance of a transfer out: SHA-256 of the bytes that follow.
   */
  'sha256': (Buffer);
}
