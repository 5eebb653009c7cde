// Original file: proto/runtime.proto

import type { BufferInfo as _tpubuild_runtime_BufferInfo, BufferInfo__Output as _tpubuild_runtime_BufferInfo__Output } from '../../tpubuild/runtime/BufferInfo.js';

export interface TransferInResponse {
  'buffer'?: (_tpubuild_runtime_BufferInfo | null);
}

export interface TransferInResponse__Output {
  'buffer': (_tpubuild_runtime_BufferInfo__Output | null);
}
