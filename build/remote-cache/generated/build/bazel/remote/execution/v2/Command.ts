// Original file: proto/reapi/build/bazel/remote/execution/v2/remote_execution.proto


export interface _build_bazel_remote_execution_v2_Command_EnvironmentVariable {
  'name'?: (string);
  'value'?: (string);
}

export interface _build_bazel_remote_execution_v2_Command_EnvironmentVariable__Output {
  'name': (string);
  'value': (string);
}

export interface Command {
  'arguments'?: (string)[];
  'environmentVariables'?: (_build_bazel_remote_execution_v2_Command_EnvironmentVariable)[];
  'workingDirectory'?: (string);
  'outputPaths'?: (string)[];
}

export interface Command__Output {
  'arguments': (string)[];
  'environmentVariables': (_build_bazel_remote_execution_v2_Command_EnvironmentVariable__Output)[];
  'workingDirectory': (string);
  'outputPaths': (string)[];
}
