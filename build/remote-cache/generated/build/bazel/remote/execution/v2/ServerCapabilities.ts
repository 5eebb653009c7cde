// Original file: proto/reapi/build/bazel/remote/execution/v2/remote_execution.proto

import type { CacheCapabilities as _build_bazel_remote_execution_v2_CacheCapabilities, CacheCapabilities__Output as _build_bazel_remote_execution_v2_CacheCapabilities__Output } from '../../../../../build/bazel/remote/execution/v2/CacheCapabilities.js';
import type { SemVer as _build_bazel_semver_SemVer, SemVer__Output as _build_bazel_semver_SemVer__Output } from '../../../../../build/bazel/semver/SemVer.js';

export interface ServerCapabilities {
  'cacheCapabilities'?: (_build_bazel_remote_execution_v2_CacheCapabilities | null);
  'deprecatedApiVersion'?: (_build_bazel_semver_SemVer | null);
  'lowApiVersion'?: (_build_bazel_semver_SemVer | null);
  'highApiVersion'?: (_build_bazel_semver_SemVer | null);
}

export interface ServerCapabilities__Output {
  'cacheCapabilities': (_build_bazel_remote_execution_v2_CacheCapabilities__Output | null);
  'deprecatedApiVersion': (_build_bazel_semver_SemVer__Output | null);
  'lowApiVersion': (_build_bazel_semver_SemVer__Output | null);
  'highApiVersion': (_build_bazel_semver_SemVer__Output | null);
}
