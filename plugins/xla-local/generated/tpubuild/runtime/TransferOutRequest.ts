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
}
