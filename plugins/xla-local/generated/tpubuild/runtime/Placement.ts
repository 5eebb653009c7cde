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
}
