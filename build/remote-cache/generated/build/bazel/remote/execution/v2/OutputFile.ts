// Original file: proto/reapi/build/bazel/remote/execution/v2/remote_execution.proto

import type { Digest as _build_bazel_remote_execution_v2_Digest, Digest__Output as _build_bazel_remote_execution_v2_Digest__Output } from '../../../../../build/bazel/remote/execution/v2/Digest.js';

export interface OutputFile {
  'path'?: (string);
  'digest'?: (_build_bazel_remote_execution_v2_Digest | null);
  'isExecutable'?: (boolean);
  'contents'?: (Buffer | Uint8Array | string);
}

export interface OutputFile__Output {
  'path': (string);
  'digest': (_build_bazel_remote_execution_v2_Digest__Output | null);
  'isExecutable': (boolean);
  'contents': (Buffer);
}
