// Original file: proto/runtime.proto


export interface ReleaseResponse {
  'released'?: (number);
  /**
   * Handles that were not known (already released, or never issued); not an error.
   */
  'unknown'?: (string)[];
}

export interface ReleaseResponse__Output {
  'released': (number);
  /**
   * Handles that were not known (already released, or never issued); not an error.
   */
  'unknown': (string)[];
}
