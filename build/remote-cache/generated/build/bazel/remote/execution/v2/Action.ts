// Original file: proto/reapi/build/bazel/remote/execution/v2/remote_execution.proto

import type { Digest as _build_bazel_remote_execution_v2_Digest, Digest__Output as _build_bazel_remote_execution_v2_Digest__Output } from '../../../../../build/bazel/remote/execution/v2/Digest.js';
import type { Duration as _google_protobuf_Duration, Duration__Output as _google_protobuf_Duration__Output } from '../../../../../google/protobuf/Duration.js';

export interface Action {
  'commandDigest'?: (_build_bazel_remote_execution_v2_Digest | null);
  'inputRootDigest'?: (_build_bazel_remote_execution_v2_Digest | null);
  'timeout'?: (_google_protobuf_Duration | null);
  'doNotCache'?: (boolean);
  'salt'?: (Buffer | Uint8Array | string);
}

export interface Action__Output {
  'commandDigest': (_build_bazel_remote_execution_v2_Digest__Output | null);
  'inputRootDigest': (_build_bazel_remote_execution_v2_Digest__Output | null);
  'timeout': (_google_protobuf_Duration__Output | null);
  'doNotCache': (boolean);
  'salt': (Buffer);
}
