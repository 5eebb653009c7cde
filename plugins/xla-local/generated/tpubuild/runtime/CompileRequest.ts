// Original file: proto/runtime.proto


export interface CompileRequest {
  /**
   * HloModuleProto bytes.
   */
  'hloModule'?: (Buffer | Uint8Array | string);
  /**
   * The client's content hash of the module (e.g. the artifact hash). The server's cache key also
   * covers the module bytes themselves, the jaxlib version, the platform and its version and
   * XLA_FLAGS, so a key reused for different bytes or a different runtime never hits a stale entry.
   */
  'key'?: (string);
  /**
   * Ordinal of the device to compile for (see Device.ordinal); 0 by default.
   */
  'device'?: (number);
  /**
   * Two or more: an SPMD program over these devices (ordinals; partition k runs on devices[k]),
   * partitioned by XLA from the OpShardings in the module (num_partitions = their number);
   * `device` is then ignored. Part of the executable's cache key.
   */
  'devices'?: (number)[];
  /**
   * Compile fast rather than well: XLA's backend optimization level 0 (about half the compile time
   * of a small module; the executable runs element-wise code up to ~3x slower). Watch builds run
   * such an executable first while the optimized one compiles. A separate executable under its own
   * digest, kept in memory only (never written to the disk cache).
   */
  'fast'?: (boolean);
}

export interface CompileRequest__Output {
  /**
   * HloModuleProto bytes.
   */
  'hloModule': (Buffer);
  /**
   * The client's content hash of the module (e.g. the artifact hash). The server's cache key also
   * covers the module bytes themselves, the jaxlib version, the platform and its version and
   * XLA_FLAGS, so a key reused for different bytes or a different runtime never hits a stale entry.
   */
  'key': (string);
  /**
   * Ordinal of the device to compile for (see Device.ordinal); 0 by default.
   */
  'device': (number);
  /**
   * Two or more: an SPMD program over these devices (ordinals; partition k runs on devices[k]),
   * partitioned by XLA from the OpShardings in the module (num_partitions = their number);
   * `device` is then ignored. Part of the executable's cache key.
   */
  'devices': (number)[];
  /**
   * Compile fast rather than well: XLA's backend optimization level 0 (about half the compile time
   * of a small module; the executable runs element-wise code up to ~3x slower). Watch builds run
   * such an executable first while the optimized one compiles. A separate executable under its own
   * digest, kept in memory only (never written to the disk cache).
   */
  'fast': (boolean);
}
