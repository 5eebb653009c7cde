import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { BuildOutput as _tpubuild_daemon_BuildOutput, BuildOutput__Output as _tpubuild_daemon_BuildOutput__Output } from './tpubuild/daemon/BuildOutput.js';
import type { BuildOutputs as _tpubuild_daemon_BuildOutputs, BuildOutputs__Output as _tpubuild_daemon_BuildOutputs__Output } from './tpubuild/daemon/BuildOutputs.js';
import type { BuildRequest as _tpubuild_daemon_BuildRequest, BuildRequest__Output as _tpubuild_daemon_BuildRequest__Output } from './tpubuild/daemon/BuildRequest.js';
import type { ClientIdentity as _tpubuild_daemon_ClientIdentity, ClientIdentity__Output as _tpubuild_daemon_ClientIdentity__Output } from './tpubuild/daemon/ClientIdentity.js';
import type { DaemonClient as _tpubuild_daemon_DaemonClient, DaemonDefinition as _tpubuild_daemon_DaemonDefinition } from './tpubuild/daemon/Daemon.js';
import type { HandshakeRequest as _tpubuild_daemon_HandshakeRequest, HandshakeRequest__Output as _tpubuild_daemon_HandshakeRequest__Output } from './tpubuild/daemon/HandshakeRequest.js';
import type { HandshakeResponse as _tpubuild_daemon_HandshakeResponse, HandshakeResponse__Output as _tpubuild_daemon_HandshakeResponse__Output } from './tpubuild/daemon/HandshakeResponse.js';
import type { SessionStatus as _tpubuild_daemon_SessionStatus, SessionStatus__Output as _tpubuild_daemon_SessionStatus__Output } from './tpubuild/daemon/SessionStatus.js';
import type { ShutdownRequest as _tpubuild_daemon_ShutdownRequest, ShutdownRequest__Output as _tpubuild_daemon_ShutdownRequest__Output } from './tpubuild/daemon/ShutdownRequest.js';
import type { ShutdownResponse as _tpubuild_daemon_ShutdownResponse, ShutdownResponse__Output as _tpubuild_daemon_ShutdownResponse__Output } from './tpubuild/daemon/ShutdownResponse.js';
import type { StatusRequest as _tpubuild_daemon_StatusRequest, StatusRequest__Output as _tpubuild_daemon_StatusRequest__Output } from './tpubuild/daemon/StatusRequest.js';
import type { StatusResponse as _tpubuild_daemon_StatusResponse, StatusResponse__Output as _tpubuild_daemon_StatusResponse__Output } from './tpubuild/daemon/StatusResponse.js';
import type { WatchRequest as _tpubuild_daemon_WatchRequest, WatchRequest__Output as _tpubuild_daemon_WatchRequest__Output } from './tpubuild/daemon/WatchRequest.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  tpubuild: {
    daemon: {
      BuildOutput: MessageTypeDefinition<_tpubuild_daemon_BuildOutput, _tpubuild_daemon_BuildOutput__Output>
      BuildOutputs: MessageTypeDefinition<_tpubuild_daemon_BuildOutputs, _tpubuild_daemon_BuildOutputs__Output>
      BuildRequest: MessageTypeDefinition<_tpubuild_daemon_BuildRequest, _tpubuild_daemon_BuildRequest__Output>
      ClientIdentity: MessageTypeDefinition<_tpubuild_daemon_ClientIdentity, _tpubuild_daemon_ClientIdentity__Output>
      Daemon: SubtypeConstructor<typeof grpc.Client, _tpubuild_daemon_DaemonClient> & { service: _tpubuild_daemon_DaemonDefinition }
      HandshakeRequest: MessageTypeDefinition<_tpubuild_daemon_HandshakeRequest, _tpubuild_daemon_HandshakeRequest__Output>
      HandshakeResponse: MessageTypeDefinition<_tpubuild_daemon_HandshakeResponse, _tpubuild_daemon_HandshakeResponse__Output>
      SessionStatus: MessageTypeDefinition<_tpubuild_daemon_SessionStatus, _tpubuild_daemon_SessionStatus__Output>
      ShutdownRequest: MessageTypeDefinition<_tpubuild_daemon_ShutdownRequest, _tpubuild_daemon_ShutdownRequest__Output>
      ShutdownResponse: MessageTypeDefinition<_tpubuild_daemon_ShutdownResponse, _tpubuild_daemon_ShutdownResponse__Output>
      StatusRequest: MessageTypeDefinition<_tpubuild_daemon_StatusRequest, _tpubuild_daemon_StatusRequest__Output>
      StatusResponse: MessageTypeDefinition<_tpubuild_daemon_StatusResponse, _tpubuild_daemon_StatusResponse__Output>
      WatchRequest: MessageTypeDefinition<_tpubuild_daemon_WatchRequest, _tpubuild_daemon_WatchRequest__Output>
    }
  }
}

