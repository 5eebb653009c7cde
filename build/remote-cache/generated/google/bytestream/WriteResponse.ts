// Original file: proto/reapi/google/bytestream/bytestream.proto

import type { Long } from '@grpc/proto-loader';

export interface WriteResponse {
  'committedSize'?: (number | string | Long);
}

export interface WriteResponse__Output {
  'committedSize': (number);
}
