// Original file: proto/runtime.proto


export interface ExecutableKeyResponse {
  /**
   * SHA-256 (hex) over the key, the module's hash, the devices compiled for, and everything of this
   * runtime that decides whether a serialized executable is valid: jax, jaxlib and libtpu versions,
   * platform and its version, every device's kind, XLA_FLAGS. Equal on two servers exactly when one's
   * executable may run on the other.
   */
  'digest'?: (string);
  /**
   * The server already holds it (loaded, on disk, or imported): no import is needed.
   */
  'cached'?: (boolean);
}

export interface ExecutableKeyResponse__Output {
  /**
   * SHA-256 (hex) over the key, the module's hash, the devices compiled for, and everything of this
   * runtime that decides whether a serialized executable is valid: jax, jaxlib and libtpu versions,
   * platform and its version, every device's kind, XLA_FLAGS. Equal on two servers exactly when one's
   * executable may run on the other.
   */
  'digest': (string);
  /**
   * The server already holds it (loaded, on disk, or imported): no import is needed.
   */
  'cached': (boolean);
}
