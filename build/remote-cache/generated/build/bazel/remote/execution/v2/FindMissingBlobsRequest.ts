// Original file: proto/reapi/build/bazel/remote/execution/v2/remote_execution.proto

import type { Digest as _build_bazel_remote_execution_v2_Digest, Digest__Output as _build_bazel_remote_execution_v2_Digest__Output } from '../../../../../build/bazel/remote/execution/v2/Digest.js';
import type { _build_bazel_remote_execution_v2_DigestFunction_Value, _build_bazel_remote_execution_v2_DigestFunction_Value__Output } from '../../../../../build/bazel/remote/execution/v2/DigestFunction.js';

export interface FindMissingBlobsRequest {
  'instanceName'?: (string);
  'blobDigests'?: (_build_bazel_remote_execution_v2_Digest)[];
  'digestFunction'?: (_build_bazel_remote_execution_v2_DigestFunction_Value);
}

export interface FindMissingBlobsRequest__Output {
  'instanceName': (string);
  'blobDigests': (_build_bazel_remote_execution_v2_Digest__Output)[];
  'digestFunction': (_build_bazel_remote_execution_v2_DigestFunction_Value__Output);
}
