// Original file: proto/reapi/build/bazel/remote/execution/v2/remote_execution.proto


// Original file: proto/reapi/build/bazel/remote/execution/v2/remote_execution.proto

export const _build_bazel_remote_execution_v2_DigestFunction_Value = {
  UNKNOWN: 'UNKNOWN',
  SHA256: 'SHA256',
  SHA1: 'SHA1',
  MD5: 'MD5',
  VSO: 'VSO',
  SHA384: 'SHA384',
  SHA512: 'SHA512',
  MURMUR3: 'MURMUR3',
  SHA256TREE: 'SHA256TREE',
  BLAKE3: 'BLAKE3',
  GITSHA1: 'GITSHA1',
} as const;

export type _build_bazel_remote_execution_v2_DigestFunction_Value =
  | 'UNKNOWN'
  | 0
  | 'SHA256'
  | 1
  | 'SHA1'
  | 2
  | 'MD5'
  | 3
  | 'VSO'
  | 4
  | 'SHA384'
  | 5
  | 'SHA512'
  | 6
  | 'MURMUR3'
  | 7
  | 'SHA256TREE'
  | 8
  | 'BLAKE3'
  | 9
  | 'GITSHA1'
  | 10

export type _build_bazel_remote_execution_v2_DigestFunction_Value__Output = typeof _build_bazel_remote_execution_v2_DigestFunction_Value[keyof typeof _build_bazel_remote_execution_v2_DigestFunction_Value]

export interface DigestFunction {
}

export interface DigestFunction__Output {
}
