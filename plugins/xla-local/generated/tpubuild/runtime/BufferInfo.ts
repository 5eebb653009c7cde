// Original file: proto/runtime.proto

import type { ArrayShape as _tpubuild_runtime_ArrayShape, ArrayShape__Output as _tpubuild_runtime_ArrayShape__Output } from '../../tpubuild/runtime/ArrayShape.js';
import type { Long } from '@grpc/proto-loader';

export interface BufferInfo {
  'buffer'?: (string);
  'shape'?: (_tpubuild_runtime_ArrayShape | null);
  'totalBytes'?: (number | string | Long);
}

export interface BufferInfo__Output {
  'buffer': (string);
  'shape': (_tpubuild_runtime_ArrayShape__Output | null);
  'totalBytes': (number);
}
