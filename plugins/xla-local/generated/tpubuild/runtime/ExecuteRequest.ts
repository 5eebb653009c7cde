// Original file: proto/runtime.proto


export interface ExecuteRequest {
  'executable'?: (string);
  /**
   * Argument buffer handles in parameter order; each must be on the executable's device.
   */
  'arguments'?: (string)[];
}

export interface ExecuteRequest__Output {
  'executable': (string);
  /**
   * Argument buffer handles in parameter order; each must be on the executable's device.
   */
  'arguments': (string)[];
}
