// Original file: proto/daemon.proto


export interface ShutdownRequest {
  'reason'?: (string);
}

export interface ShutdownRequest__Output {
  'reason': (string);
}
