// Original file: proto/reapi/build/bazel/remote/execution/v2/remote_execution.proto


export interface GetCapabilitiesRequest {
  'instanceName'?: (string);
}

export interface GetCapabilitiesRequest__Output {
  'instanceName': (string);
}
