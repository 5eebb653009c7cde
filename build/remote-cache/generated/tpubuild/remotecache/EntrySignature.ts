// Original file: proto/reapi/tpubuild/remote_cache.proto


export interface EntrySignature {
  'algorithm'?: (string);
  'mac'?: (Buffer | Uint8Array | string);
}

export interface EntrySignature__Output {
  'algorithm': (string);
  'mac': (Buffer);
}
