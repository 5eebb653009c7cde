// Original file: proto/runtime.proto


export interface CloseSessionResponse {
  /**
   * Buffers and executables freed.
   */
  'released'?: (number);
}

export interface CloseSessionResponse__Output {
  /**
   * Buffers and executables freed.
   */
  'released': (number);
}
