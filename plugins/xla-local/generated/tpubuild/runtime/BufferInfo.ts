// Original file: proto/runtime.proto

import type { ArrayShape as _tpubuild_runtime_ArrayShape, ArrayShape__Output as _tpubuild_runtime_ArrayShape__Output } from '../../tpubuild/runtime/ArrayShape.js';
import type { Long } from '@grpc/proto-loader';

export interface BufferInfo {
  'buffer'?: (string);
  'shape'?: (_tpubuild_runtime_ArrayShape | null);
  'totalBytes'?: (number | string | Long);
  /**
   * The devices (ordinals) holding the buffer's shards, and the shape of the shard on each: one
   * device and the whole shape unless the buffer is split (or copied) over several.
   */
  'devices'?: (number)[];
  'shardShape'?: (_tpubuild_runtime_ArrayShape | null);
}

export interface BufferInfo__Output {
  'buffer': (string);
  'shape': (_tpubuild_runtime_ArrayShape__Output | null);
  'totalBytes': (number);
  /**
   * The devices (ordinals) holding the buffer's shards, and the shape of the shard on each: one
   * device and the whole shape unless the buffer is split (or copied) over several.
   */
  'devices': (number)[];
  'shardShape': (_tpubuild_runtime_ArrayShape__Output | null);
}
