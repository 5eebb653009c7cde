// Original file: proto/reapi/build/bazel/remote/execution/v2/remote_execution.proto

import type { _build_bazel_remote_execution_v2_DigestFunction_Value, _build_bazel_remote_execution_v2_DigestFunction_Value__Output } from '../../../../../build/bazel/remote/execution/v2/DigestFunction.js';
import type { ActionCacheUpdateCapabilities as _build_bazel_remote_execution_v2_ActionCacheUpdateCapabilities, ActionCacheUpdateCapabilities__Output as _build_bazel_remote_execution_v2_ActionCacheUpdateCapabilities__Output } from '../../../../../build/bazel/remote/execution/v2/ActionCacheUpdateCapabilities.js';
import type { _build_bazel_remote_execution_v2_Compressor_Value, _build_bazel_remote_execution_v2_Compressor_Value__Output } from '../../../../../build/bazel/remote/execution/v2/Compressor.js';
import type { Long } from '@grpc/proto-loader';

export interface CacheCapabilities {
  'digestFunctions'?: (_build_bazel_remote_execution_v2_DigestFunction_Value)[];
  'actionCacheUpdateCapabilities'?: (_build_bazel_remote_execution_v2_ActionCacheUpdateCapabilities | null);
  'maxBatchTotalSizeBytes'?: (number | string | Long);
  'supportedCompressors'?: (_build_bazel_remote_execution_v2_Compressor_Value)[];
  'supportedBatchUpdateCompressors'?: (_build_bazel_remote_execution_v2_Compressor_Value)[];
  'maxCasBlobSizeBytes'?: (number | string | Long);
}

export interface CacheCapabilities__Output {
  'digestFunctions': (_build_bazel_remote_execution_v2_DigestFunction_Value__Output)[];
  'actionCacheUpdateCapabilities': (_build_bazel_remote_execution_v2_ActionCacheUpdateCapabilities__Output | null);
  'maxBatchTotalSizeBytes': (number);
  'supportedCompressors': (_build_bazel_remote_execution_v2_Compressor_Value__Output)[];
  'supportedBatchUpdateCompressors': (_build_bazel_remote_execution_v2_Compressor_Value__Output)[];
  'maxCasBlobSizeBytes': (number);
}
