// Original file: proto/runtime.proto

import type { PrimitiveType as _tpubuild_runtime_PrimitiveType, PrimitiveType__Output as _tpubuild_runtime_PrimitiveType__Output } from '../../tpubuild/runtime/PrimitiveType.js';
import type { Long } from '@grpc/proto-loader';

/**
 * An array shape in XLA order (see the conventions above). Empty dims: a scalar.
 */
export interface ArrayShape {
  'elementType'?: (_tpubuild_runtime_PrimitiveType);
  'dims'?: (number | string | Long)[];
}

/**
 * An array shape in XLA order (see the conventions above). Empty dims: a scalar.
 */
export interface ArrayShape__Output {
  'elementType': (_tpubuild_runtime_PrimitiveType__Output);
  'dims': (number)[];
}
