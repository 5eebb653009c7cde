// Original file: proto/runtime.proto


export interface ReleaseRequest {
  'buffers'?: (string)[];
  'executables'?: (string)[];
}

export interface ReleaseRequest__Output {
  'buffers': (string)[];
  'executables': (string)[];
}
