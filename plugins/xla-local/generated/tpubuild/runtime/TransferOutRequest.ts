// Original file: proto/runtime.proto


export interface TransferOutRequest {
  'buffer'?: (string);
  /**
   * Chunk size in bytes, at most 1 MiB; 0 means 1 MiB.
   */
  'chunkBytes'?: (number);
  /**
   * Release the buffer once it has been sent.
   */
  'release'?: (boolean);
}

export interface TransferOutRequest__Output {
  'buffer': (string);
  /**
   * Chunk size in bytes, at most 1 MiB; 0 means 1 MiB.
   */
  'chunkBytes': (number);
  /**
   * Release the buffer once it has been sent.
   */
  'release': (boolean);
}
