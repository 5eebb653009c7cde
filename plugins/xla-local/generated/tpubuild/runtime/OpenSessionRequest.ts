// Original file: proto/runtime.proto


export interface OpenSessionRequest {
  /**
   * Who is asking, for the server's log (e.g. "tpu-build 0.1.0 pid 1234").
   */
  'client'?: (string);
}

export interface OpenSessionRequest__Output {
  /**
   * Who is asking, for the server's log (e.g. "tpu-build 0.1.0 pid 1234").
   */
  'client': (string);
}
