// Original file: proto/runtime.proto

import type { TransferInHeader as _tpubuild_runtime_TransferInHeader, TransferInHeader__Output as _tpubuild_runtime_TransferInHeader__Output } from '../../tpubuild/runtime/TransferInHeader.js';

export interface TransferInChunk {
  /**
   * The first message of the stream, and only the first.
   */
  'header'?: (_tpubuild_runtime_TransferInHeader | null);
  /**
   * Every following message: at most 4 MiB of the tensor's bytes, in order.
   */
  'data'?: (Buffer | Uint8Array | string);
  'part'?: "header"|"data";
}

export interface TransferInChunk__Output {
  /**
   * The first message of the stream, and only the first.
   */
  'header'?: (_tpubuild_runtime_TransferInHeader__Output | null);
  /**
   * Every following message: at most 4 MiB of the tensor's bytes, in order.
   */
  'data'?: (Buffer);
  'part'?: "header"|"data";
}
