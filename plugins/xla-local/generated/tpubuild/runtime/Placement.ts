// Original file: proto/runtime.proto

import type { Long } from '@grpc/proto-loader';

/**
 * A tensor split over several devices, as JAX's NamedSharding says it: a mesh of devices and, per
 * XLA dimension, the mesh axis it is split over. Mesh axes that split no dimension hold copies.
 */
export interface Placement {
  /**
   * Device ordinals, row-major over mesh_shape.
   */
  'devices'?: (number)[];
  'meshShape'?: (number | string | Long)[];
  /**
   * Per XLA dimension (as many as the shape has): the index of the mesh axis that splits it, or -1.
   */
  'dimAxes'?: (number)[];
  /**
   * Set when the client sends only a block of the tensor (in a run over several hosts, the part
   * that this server's devices hold): the whole tensor's dims (XLA order) and the block's first
   * index in it. The header's shape, total_bytes and sha256 are then the block's; the buffer made
   * is the whole tensor's, of which this server holds its devices' shards.
   */
  'globalDims'?: (number | string | Long)[];
  'blockStart'?: (number | string | Long)[];
}

/**
 * A tensor split over several devices, as JAX's NamedSharding says it: a mesh of devices and, per
 * XLA dimension, the mesh axis it is split over. Mesh axes that split no dimension hold copies.
 */
export interface Placement__Output {
  /**
   * Device ordinals, row-major over mesh_shape.
   */
  'devices': (number)[];
  'meshShape': (number)[];
  /**
   * Per XLA dimension (as many as the shape has): the index of the mesh axis that splits it, or -1.
   */
  'dimAxes': (number)[];
  /**
   * Set when the client sends only a block of the tensor (in a run over several hosts, the part
   * that this server's devices hold): the whole tensor's dims (XLA order) and the block's first
   * index in it. The header's shape, total_bytes and sha256 are then the block's; the buffer made
   * is the whole tensor's, of which this server holds its devices' shards.
   */
  'globalDims': (number)[];
  'blockStart': (number)[];
}
