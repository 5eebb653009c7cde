// Original file: proto/runtime.proto

import type { ArrayShape as _tpubuild_runtime_ArrayShape, ArrayShape__Output as _tpubuild_runtime_ArrayShape__Output } from '../../tpubuild/runtime/ArrayShape.js';
import type { Placement as _tpubuild_runtime_Placement, Placement__Output as _tpubuild_runtime_Placement__Output } from '../../tpubuild/runtime/Placement.js';
import type { Long } from '@grpc/proto-loader';

export interface TransferInHeader {
  'shape'?: (_tpubuild_runtime_ArrayShape | null);
  /**
   * Must equal product(dims) * element size.
   */
  'totalBytes'?: (number | string | Long);
  /**
   * Ordinal of the destination device; 0 by default.
   */
  'device'?: (number);
  /**
   * SHA-256 of the tensor's bytes (32 bytes); the server checks it before keeping the buffer.
   */
  'sha256'?: (Buffer | Uint8Array | string);
  /**
   * Set: the tensor is split over the placement's devices, each receiving only its shard (and
   * `device` is ignored). The client sends the whole tensor, or the block this server's devices
   * need (Placement.global_dims); the server cuts it.
   */
  'placement'?: (_tpubuild_runtime_Placement | null);
  /**
   * OpenTransferIn only: sha256 is empty and the SHA-256 follows the bytes on the data connection
   * (see the data channel above).
   */
  'digestAfter'?: (boolean);
}

export interface TransferInHeader__Output {
  'shape': (_tpubuild_runtime_ArrayShape__Output | null);
  /**
   * Must equal product(dims) * element size.
   */
  'totalBytes': (number);
  /**
   * Ordinal of the destination device; 0 by default.
   */
  'device': (number);
  /**
   * SHA-256 of the tensor's bytes (32 bytes); the server checks it before keeping the buffer.
   */
  'sha256': (Buffer);
  /**
   * Set: the tensor is split over the placement's devices, each receiving only its shard (and
   * `device` is ignored). The client sends the whole tensor, or the block this server's devices
   * need (Placement.global_dims); the server cuts it.
   */
  'placement': (_tpubuild_runtime_Placement__Output | null);
  /**
   * OpenTransferIn only: sha256 is empty and the SHA-256 follows the bytes on the data connection
   * (see the data channel above).
   */
  'digestAfter': (boolean);
}
