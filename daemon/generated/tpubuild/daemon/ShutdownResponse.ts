// Original file: proto/daemon.proto


export interface ShutdownResponse {
  'pid'?: (number);
}

export interface ShutdownResponse__Output {
  'pid': (number);
}
