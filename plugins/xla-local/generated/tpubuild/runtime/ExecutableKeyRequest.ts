// Original file: proto/runtime.proto


export interface ExecutableKeyRequest {
  /**
   * As in CompileRequest, with the module's SHA-256 (32 bytes) in place of its bytes.
   */
  'key'?: (string);
  'moduleSha256'?: (Buffer | Uint8Array | string);
  'device'?: (number);
  'devices'?: (number)[];
}

export interface ExecutableKeyRequest__Output {
  /**
   * As in CompileRequest, with the module's SHA-256 (32 bytes) in place of its bytes.
   */
  'key': (string);
  'moduleSha256': (Buffer);
  'device': (number);
  'devices': (number)[];
}
