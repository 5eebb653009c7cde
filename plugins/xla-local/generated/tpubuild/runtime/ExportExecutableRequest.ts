// Original file: proto/runtime.proto


export interface ExportExecutableRequest {
  /**
   * A handle from Compile, in the caller's session.
   */
  'executable'?: (string);
}

export interface ExportExecutableRequest__Output {
  /**
   * A handle from Compile, in the caller's session.
   */
  'executable': (string);
}
