// Original file: proto/reapi/build/bazel/remote/execution/v2/remote_execution.proto


export interface ActionCacheUpdateCapabilities {
  'updateEnabled'?: (boolean);
}

export interface ActionCacheUpdateCapabilities__Output {
  'updateEnabled': (boolean);
}
