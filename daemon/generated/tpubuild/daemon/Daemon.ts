// Original file: proto/daemon.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { BuildOutputs as _tpubuild_daemon_BuildOutputs, BuildOutputs__Output as _tpubuild_daemon_BuildOutputs__Output } from '../../tpubuild/daemon/BuildOutputs.js';
import type { BuildRequest as _tpubuild_daemon_BuildRequest, BuildRequest__Output as _tpubuild_daemon_BuildRequest__Output } from '../../tpubuild/daemon/BuildRequest.js';
import type { HandshakeRequest as _tpubuild_daemon_HandshakeRequest, HandshakeRequest__Output as _tpubuild_daemon_HandshakeRequest__Output } from '../../tpubuild/daemon/HandshakeRequest.js';
import type { HandshakeResponse as _tpubuild_daemon_HandshakeResponse, HandshakeResponse__Output as _tpubuild_daemon_HandshakeResponse__Output } from '../../tpubuild/daemon/HandshakeResponse.js';
import type { ShutdownRequest as _tpubuild_daemon_ShutdownRequest, ShutdownRequest__Output as _tpubuild_daemon_ShutdownRequest__Output } from '../../tpubuild/daemon/ShutdownRequest.js';
import type { ShutdownResponse as _tpubuild_daemon_ShutdownResponse, ShutdownResponse__Output as _tpubuild_daemon_ShutdownResponse__Output } from '../../tpubuild/daemon/ShutdownResponse.js';
import type { StatusRequest as _tpubuild_daemon_StatusRequest, StatusRequest__Output as _tpubuild_daemon_StatusRequest__Output } from '../../tpubuild/daemon/StatusRequest.js';
import type { StatusResponse as _tpubuild_daemon_StatusResponse, StatusResponse__Output as _tpubuild_daemon_StatusResponse__Output } from '../../tpubuild/daemon/StatusResponse.js';
import type { WatchRequest as _tpubuild_daemon_WatchRequest, WatchRequest__Output as _tpubuild_daemon_WatchRequest__Output } from '../../tpubuild/daemon/WatchRequest.js';

export interface DaemonClient extends grpc.Client {
  /**
   * One complete build of a manifest; streams its events and output, then the exit code.
   */
  Build(argument: _tpubuild_daemon_BuildRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_tpubuild_daemon_BuildOutputs__Output>;
  Build(argument: _tpubuild_daemon_BuildRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_tpubuild_daemon_BuildOutputs__Output>;
  /**
   * One complete build of a manifest; streams its events and output, then the exit code.
   */
  build(argument: _tpubuild_daemon_BuildRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_tpubuild_daemon_BuildOutputs__Output>;
  build(argument: _tpubuild_daemon_BuildRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_tpubuild_daemon_BuildOutputs__Output>;
  
  Handshake(argument: _tpubuild_daemon_HandshakeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_daemon_HandshakeResponse__Output>): grpc.ClientUnaryCall;
  Handshake(argument: _tpubuild_daemon_HandshakeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tpubuild_daemon_HandshakeResponse__Output>): grpc.ClientUnaryCall;
  Handshake(argument: _tpubuild_daemon_HandshakeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_daemon_HandshakeResponse__Output>): grpc.ClientUnaryCall;
  Handshake(argument: _tpubuild_daemon_HandshakeRequest, callback: grpc.requestCallback<_tpubuild_daemon_HandshakeResponse__Output>): grpc.ClientUnaryCall;
  handshake(argument: _tpubuild_daemon_HandshakeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_daemon_HandshakeResponse__Output>): grpc.ClientUnaryCall;
  handshake(argument: _tpubuild_daemon_HandshakeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tpubuild_daemon_HandshakeResponse__Output>): grpc.ClientUnaryCall;
  handshake(argument: _tpubuild_daemon_HandshakeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_daemon_HandshakeResponse__Output>): grpc.ClientUnaryCall;
  handshake(argument: _tpubuild_daemon_HandshakeRequest, callback: grpc.requestCallback<_tpubuild_daemon_HandshakeResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Stops the daemon (and its runtime servers). Accepted whatever the client's version, so that
   * a newer client can replace an older daemon cleanly.
   */
  Shutdown(argument: _tpubuild_daemon_ShutdownRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_daemon_ShutdownResponse__Output>): grpc.ClientUnaryCall;
  Shutdown(argument: _tpubuild_daemon_ShutdownRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tpubuild_daemon_ShutdownResponse__Output>): grpc.ClientUnaryCall;
  Shutdown(argument: _tpubuild_daemon_ShutdownRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_daemon_ShutdownResponse__Output>): grpc.ClientUnaryCall;
  Shutdown(argument: _tpubuild_daemon_ShutdownRequest, callback: grpc.requestCallback<_tpubuild_daemon_ShutdownResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Stops the daemon (and its runtime servers). Accepted whatever the client's version, so that
   * a newer client can replace an older daemon cleanly.
   */
  shutdown(argument: _tpubuild_daemon_ShutdownRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_daemon_ShutdownResponse__Output>): grpc.ClientUnaryCall;
  shutdown(argument: _tpubuild_daemon_ShutdownRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tpubuild_daemon_ShutdownResponse__Output>): grpc.ClientUnaryCall;
  shutdown(argument: _tpubuild_daemon_ShutdownRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_daemon_ShutdownResponse__Output>): grpc.ClientUnaryCall;
  shutdown(argument: _tpubuild_daemon_ShutdownRequest, callback: grpc.requestCallback<_tpubuild_daemon_ShutdownResponse__Output>): grpc.ClientUnaryCall;
  
  Status(argument: _tpubuild_daemon_StatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_daemon_StatusResponse__Output>): grpc.ClientUnaryCall;
  Status(argument: _tpubuild_daemon_StatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tpubuild_daemon_StatusResponse__Output>): grpc.ClientUnaryCall;
  Status(argument: _tpubuild_daemon_StatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_daemon_StatusResponse__Output>): grpc.ClientUnaryCall;
  Status(argument: _tpubuild_daemon_StatusRequest, callback: grpc.requestCallback<_tpubuild_daemon_StatusResponse__Output>): grpc.ClientUnaryCall;
  status(argument: _tpubuild_daemon_StatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_daemon_StatusResponse__Output>): grpc.ClientUnaryCall;
  status(argument: _tpubuild_daemon_StatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tpubuild_daemon_StatusResponse__Output>): grpc.ClientUnaryCall;
  status(argument: _tpubuild_daemon_StatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_daemon_StatusResponse__Output>): grpc.ClientUnaryCall;
  status(argument: _tpubuild_daemon_StatusRequest, callback: grpc.requestCallback<_tpubuild_daemon_StatusResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Watches a manifest (starting its session if needed) and streams every event from then on;
   * `passive` only listens: no session is started and no build is made.
   */
  Watch(argument: _tpubuild_daemon_WatchRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_tpubuild_daemon_BuildOutputs__Output>;
  Watch(argument: _tpubuild_daemon_WatchRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_tpubuild_daemon_BuildOutputs__Output>;
  /**
   * Watches a manifest (starting its session if needed) and streams every event from then on;
   * `passive` only listens: no session is started and no build is made.
   */
  watch(argument: _tpubuild_daemon_WatchRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_tpubuild_daemon_BuildOutputs__Output>;
  watch(argument: _tpubuild_daemon_WatchRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_tpubuild_daemon_BuildOutputs__Output>;
  
}

export interface DaemonHandlers extends grpc.UntypedServiceImplementation {
  /**
   * One complete build of a manifest; streams its events and output, then the exit code.
   */
  Build: grpc.handleServerStreamingCall<_tpubuild_daemon_BuildRequest__Output, _tpubuild_daemon_BuildOutputs>;
  
  Handshake: grpc.handleUnaryCall<_tpubuild_daemon_HandshakeRequest__Output, _tpubuild_daemon_HandshakeResponse>;
  
  /**
   * Stops the daemon (and its runtime servers). Accepted whatever the client's version, so that
   * a newer client can replace an older daemon cleanly.
   */
  Shutdown: grpc.handleUnaryCall<_tpubuild_daemon_ShutdownRequest__Output, _tpubuild_daemon_ShutdownResponse>;
  
  Status: grpc.handleUnaryCall<_tpubuild_daemon_StatusRequest__Output, _tpubuild_daemon_StatusResponse>;
  
  /**
   * Watches a manifest (starting its session if needed) and streams every event from then on;
   * `passive` only listens: no session is started and no build is made.
   */
  Watch: grpc.handleServerStreamingCall<_tpubuild_daemon_WatchRequest__Output, _tpubuild_daemon_BuildOutputs>;
  
}

export interface DaemonDefinition extends grpc.ServiceDefinition {
  Build: MethodDefinition<_tpubuild_daemon_BuildRequest, _tpubuild_daemon_BuildOutputs, _tpubuild_daemon_BuildRequest__Output, _tpubuild_daemon_BuildOutputs__Output>
  Handshake: MethodDefinition<_tpubuild_daemon_HandshakeRequest, _tpubuild_daemon_HandshakeResponse, _tpubuild_daemon_HandshakeRequest__Output, _tpubuild_daemon_HandshakeResponse__Output>
  Shutdown: MethodDefinition<_tpubuild_daemon_ShutdownRequest, _tpubuild_daemon_ShutdownResponse, _tpubuild_daemon_ShutdownRequest__Output, _tpubuild_daemon_ShutdownResponse__Output>
  Status: MethodDefinition<_tpubuild_daemon_StatusRequest, _tpubuild_daemon_StatusResponse, _tpubuild_daemon_StatusRequest__Output, _tpubuild_daemon_StatusResponse__Output>
  Watch: MethodDefinition<_tpubuild_daemon_WatchRequest, _tpubuild_daemon_BuildOutputs, _tpubuild_daemon_WatchRequest__Output, _tpubuild_daemon_BuildOutputs__Output>
}
