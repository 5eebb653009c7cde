import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { EntrySignature as _tpubuild_remotecache_EntrySignature, EntrySignature__Output as _tpubuild_remotecache_EntrySignature__Output } from './tpubuild/remotecache/EntrySignature.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  tpubuild: {
    remotecache: {
      EntrySignature: MessageTypeDefinition<_tpubuild_remotecache_EntrySignature, _tpubuild_remotecache_EntrySignature__Output>
    }
  }
}

