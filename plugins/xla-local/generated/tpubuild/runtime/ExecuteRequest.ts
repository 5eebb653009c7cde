// Original file: proto/runtime.proto


export interface ExecuteRequest {
  'executable'?: (string);
  /**
   * Argument buffer handles in parameter order; each must be on the executable's device (a
   * partitioned executable takes buffers anywhere on its devices and moves those split otherwise
   * than it wants; one split the same way, such as another run's result, is used where it is).
   */
  'arguments'?: (string)[];
}

export interface ExecuteRequest__Output {
  'executable': (string);
  /**
   * Argument buffer handles in parameter order; each must be on the executable's device (a
   * partitioned executable takes buffers anywhere on its devices and moves those split otherwise
   * than it wants; one split the same way, such as another run's result, is used where it is).
   */
  'arguments': (string)[];
}
