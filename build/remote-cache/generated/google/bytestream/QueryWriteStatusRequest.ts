// Original file: proto/reapi/google/bytestream/bytestream.proto


export interface QueryWriteStatusRequest {
  'resourceName'?: (string);
}

export interface QueryWriteStatusRequest__Output {
  'resourceName': (string);
}
