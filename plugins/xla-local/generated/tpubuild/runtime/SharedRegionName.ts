// Original file: proto/runtime.proto


export interface SharedRegionName {
  'name'?: (string);
  /**
   * CloseSharedRegion of a region out: the client has its bytes, so the buffer is released if
   * SharedTransferOut asked for it (false: the client could not read them; the buffer stays).
   */
  'read'?: (boolean);
}

export interface SharedRegionName__Output {
  'name': (string);
  /**
   * CloseSharedRegion of a region out: the client has its bytes, so the buffer is released if
   * SharedTransferOut asked for it (false: the client could not read them; the buffer stays).
   */
  'read': (boolean);
}
