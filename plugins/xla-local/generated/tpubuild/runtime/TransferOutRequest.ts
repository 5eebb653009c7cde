// Original file: proto/runtime.proto


export interface TransferOutRequest {
  'buffer'?: (string);
  /**
   * Chunk size in bytes, at most 4 MiB; 0 means 4 MiB.
   */
  'chunkBytes'?: (number);
  /**
   * Release the buffer once it has been sent.
   */
  'release'?: (boolean);
  /**
   * OpenTransferOut only: the SHA-256 follows the bytes on the data connection instead of coming
   * in the first reply frame (see the data channel above).
   */
  'digestAfter'?: (boolean);
}

export interface TransferOutRequest__Output {
  'buffer': (string);
  /**
   * Chunk size in bytes, at most 4 MiB; 0 means 4 MiB.
   */
  'chunkBytes': (number);
  /**
   * Release the buffer once it has been sent.
   */
  'release': (boolean);
  /**
   * OpenTransferOut only: the SHA-256 follows the bytes on the data connection instead of coming
   * in the first reply frame (see the data channel above).
   */
  'digestAfter': (boolean);
}
