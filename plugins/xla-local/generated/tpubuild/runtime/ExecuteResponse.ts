// Original file: proto/runtime.proto

import type { BufferInfo as _tpubuild_runtime_BufferInfo, BufferInfo__Output as _tpubuild_runtime_BufferInfo__Output } from '../../tpubuild/runtime/BufferInfo.js';

export interface ExecuteResponse {
  /**
   * One buffer per result leaf, in order.
   */
  'results'?: (_tpubuild_runtime_BufferInfo)[];
  'elapsedMs'?: (number | string);
}

export interface ExecuteResponse__Output {
  /**
   * One buffer per result leaf, in order.
   */
  'results': (_tpubuild_runtime_BufferInfo__Output)[];
  'elapsedMs': (number);
}
