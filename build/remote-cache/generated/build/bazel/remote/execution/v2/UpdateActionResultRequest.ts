// Original file: proto/reapi/build/bazel/remote/execution/v2/remote_execution.proto

import type { Digest as _build_bazel_remote_execution_v2_Digest, Digest__Output as _build_bazel_remote_execution_v2_Digest__Output } from '../../../../../build/bazel/remote/execution/v2/Digest.js';
import type { ActionResult as _build_bazel_remote_execution_v2_ActionResult, ActionResult__Output as _build_bazel_remote_execution_v2_ActionResult__Output } from '../../../../../build/bazel/remote/execution/v2/ActionResult.js';
import type { ResultsCachePolicy as _build_bazel_remote_execution_v2_ResultsCachePolicy, ResultsCachePolicy__Output as _build_bazel_remote_execution_v2_ResultsCachePolicy__Output } from '../../../../../build/bazel/remote/execution/v2/ResultsCachePolicy.js';
import type { _build_bazel_remote_execution_v2_DigestFunction_Value, _build_bazel_remote_execution_v2_DigestFunction_Value__Output } from '../../../../../build/bazel/remote/execution/v2/DigestFunction.js';

export interface UpdateActionResultRequest {
  'instanceName'?: (string);
  'actionDigest'?: (_build_bazel_remote_execution_v2_Digest | null);
  'actionResult'?: (_build_bazel_remote_execution_v2_ActionResult | null);
  'resultsCachePolicy'?: (_build_bazel_remote_execution_v2_ResultsCachePolicy | null);
  'digestFunction'?: (_build_bazel_remote_execution_v2_DigestFunction_Value);
}

export interface UpdateActionResultRequest__Output {
  'instanceName': (string);
  'actionDigest': (_build_bazel_remote_execution_v2_Digest__Output | null);
  'actionResult': (_build_bazel_remote_execution_v2_ActionResult__Output | null);
  'resultsCachePolicy': (_build_bazel_remote_execution_v2_ResultsCachePolicy__Output | null);
  'digestFunction': (_build_bazel_remote_execution_v2_DigestFunction_Value__Output);
}
