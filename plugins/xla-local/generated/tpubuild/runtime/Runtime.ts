// Original file: proto/runtime.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { CloseSessionRequest as _tpubuild_runtime_CloseSessionRequest, CloseSessionRequest__Output as _tpubuild_runtime_CloseSessionRequest__Output } from '../../tpubuild/runtime/CloseSessionRequest.js';
import type { CloseSessionResponse as _tpubuild_runtime_CloseSessionResponse, CloseSessionResponse__Output as _tpubuild_runtime_CloseSessionResponse__Output } from '../../tpubuild/runtime/CloseSessionResponse.js';
import type { CloseSharedRegionResponse as _tpubuild_runtime_CloseSharedRegionResponse, CloseSharedRegionResponse__Output as _tpubuild_runtime_CloseSharedRegionResponse__Output } from '../../tpubuild/runtime/CloseSharedRegionResponse.js';
import type { CompileRequest as _tpubuild_runtime_CompileRequest, CompileRequest__Output as _tpubuild_runtime_CompileRequest__Output } from '../../tpubuild/runtime/CompileRequest.js';
import type { CompileResponse as _tpubuild_runtime_CompileResponse, CompileResponse__Output as _tpubuild_runtime_CompileResponse__Output } from '../../tpubuild/runtime/CompileResponse.js';
import type { DataTicket as _tpubuild_runtime_DataTicket, DataTicket__Output as _tpubuild_runtime_DataTicket__Output } from '../../tpubuild/runtime/DataTicket.js';
import type { DeviceInfoRequest as _tpubuild_runtime_DeviceInfoRequest, DeviceInfoRequest__Output as _tpubuild_runtime_DeviceInfoRequest__Output } from '../../tpubuild/runtime/DeviceInfoRequest.js';
import type { DeviceInfoResponse as _tpubuild_runtime_DeviceInfoResponse, DeviceInfoResponse__Output as _tpubuild_runtime_DeviceInfoResponse__Output } from '../../tpubuild/runtime/DeviceInfoResponse.js';
import type { ExecutableEntry as _tpubuild_runtime_ExecutableEntry, ExecutableEntry__Output as _tpubuild_runtime_ExecutableEntry__Output } from '../../tpubuild/runtime/ExecutableEntry.js';
import type { ExecutableKeyRequest as _tpubuild_runtime_ExecutableKeyRequest, ExecutableKeyRequest__Output as _tpubuild_runtime_ExecutableKeyRequest__Output } from '../../tpubuild/runtime/ExecutableKeyRequest.js';
import type { ExecutableKeyResponse as _tpubuild_runtime_ExecutableKeyResponse, ExecutableKeyResponse__Output as _tpubuild_runtime_ExecutableKeyResponse__Output } from '../../tpubuild/runtime/ExecutableKeyResponse.js';
import type { ExecuteRequest as _tpubuild_runtime_ExecuteRequest, ExecuteRequest__Output as _tpubuild_runtime_ExecuteRequest__Output } from '../../tpubuild/runtime/ExecuteRequest.js';
import type { ExecuteResponse as _tpubuild_runtime_ExecuteResponse, ExecuteResponse__Output as _tpubuild_runtime_ExecuteResponse__Output } from '../../tpubuild/runtime/ExecuteResponse.js';
import type { ExportExecutableRequest as _tpubuild_runtime_ExportExecutableRequest, ExportExecutableRequest__Output as _tpubuild_runtime_ExportExecutableRequest__Output } from '../../tpubuild/runtime/ExportExecutableRequest.js';
import type { HealthRequest as _tpubuild_runtime_HealthRequest, HealthRequest__Output as _tpubuild_runtime_HealthRequest__Output } from '../../tpubuild/runtime/HealthRequest.js';
import type { HealthResponse as _tpubuild_runtime_HealthResponse, HealthResponse__Output as _tpubuild_runtime_HealthResponse__Output } from '../../tpubuild/runtime/HealthResponse.js';
import type { ImportExecutableResponse as _tpubuild_runtime_ImportExecutableResponse, ImportExecutableResponse__Output as _tpubuild_runtime_ImportExecutableResponse__Output } from '../../tpubuild/runtime/ImportExecutableResponse.js';
import type { OpenSessionRequest as _tpubuild_runtime_OpenSessionRequest, OpenSessionRequest__Output as _tpubuild_runtime_OpenSessionRequest__Output } from '../../tpubuild/runtime/OpenSessionRequest.js';
import type { OpenSessionResponse as _tpubuild_runtime_OpenSessionResponse, OpenSessionResponse__Output as _tpubuild_runtime_OpenSessionResponse__Output } from '../../tpubuild/runtime/OpenSessionResponse.js';
import type { ReleaseRequest as _tpubuild_runtime_ReleaseRequest, ReleaseRequest__Output as _tpubuild_runtime_ReleaseRequest__Output } from '../../tpubuild/runtime/ReleaseRequest.js';
import type { ReleaseResponse as _tpubuild_runtime_ReleaseResponse, ReleaseResponse__Output as _tpubuild_runtime_ReleaseResponse__Output } from '../../tpubuild/runtime/ReleaseResponse.js';
import type { SharedRegion as _tpubuild_runtime_SharedRegion, SharedRegion__Output as _tpubuild_runtime_SharedRegion__Output } from '../../tpubuild/runtime/SharedRegion.js';
import type { SharedRegionName as _tpubuild_runtime_SharedRegionName, SharedRegionName__Output as _tpubuild_runtime_SharedRegionName__Output } from '../../tpubuild/runtime/SharedRegionName.js';
import type { ShutdownRequest as _tpubuild_runtime_ShutdownRequest, ShutdownRequest__Output as _tpubuild_runtime_ShutdownRequest__Output } from '../../tpubuild/runtime/ShutdownRequest.js';
import type { ShutdownResponse as _tpubuild_runtime_ShutdownResponse, ShutdownResponse__Output as _tpubuild_runtime_ShutdownResponse__Output } from '../../tpubuild/runtime/ShutdownResponse.js';
import type { TransferInChunk as _tpubuild_runtime_TransferInChunk, TransferInChunk__Output as _tpubuild_runtime_TransferInChunk__Output } from '../../tpubuild/runtime/TransferInChunk.js';
import type { TransferInHeader as _tpubuild_runtime_TransferInHeader, TransferInHeader__Output as _tpubuild_runtime_TransferInHeader__Output } from '../../tpubuild/runtime/TransferInHeader.js';
import type { TransferInResponse as _tpubuild_runtime_TransferInResponse, TransferInResponse__Output as _tpubuild_runtime_TransferInResponse__Output } from '../../tpubuild/runtime/TransferInResponse.js';
import type { TransferOutChunk as _tpubuild_runtime_TransferOutChunk, TransferOutChunk__Output as _tpubuild_runtime_TransferOutChunk__Output } from '../../tpubuild/runtime/TransferOutChunk.js';
import type { TransferOutRequest as _tpubuild_runtime_TransferOutRequest, TransferOutRequest__Output as _tpubuild_runtime_TransferOutRequest__Output } from '../../tpubuild/runtime/TransferOutRequest.js';

export interface RuntimeClient extends grpc.Client {
  /**
   * Frees everything the session holds and forgets it.
   */
  CloseSession(argument: _tpubuild_runtime_CloseSessionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_runtime_CloseSessionResponse__Output>): grpc.ClientUnaryCall;
  CloseSession(argument: _tpubuild_runtime_CloseSessionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tpubuild_runtime_CloseSessionResponse__Output>): grpc.ClientUnaryCall;
  CloseSession(argument: _tpubuild_runtime_CloseSessionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_runtime_CloseSessionResponse__Output>): grpc.ClientUnaryCall;
  CloseSession(argument: _tpubuild_runtime_CloseSessionRequest, callback: grpc.requestCallback<_tpubuild_runtime_CloseSessionResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Frees everything the session holds and forgets it.
   */
  closeSession(argument: _tpubuild_runtime_CloseSessionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_runtime_CloseSessionResponse__Output>): grpc.ClientUnaryCall;
  closeSession(argument: _tpubuild_runtime_CloseSessionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tpubuild_runtime_CloseSessionResponse__Output>): grpc.ClientUnaryCall;
  closeSession(argument: _tpubuild_runtime_CloseSessionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_runtime_CloseSessionResponse__Output>): grpc.ClientUnaryCall;
  closeSession(argument: _tpubuild_runtime_CloseSessionRequest, callback: grpc.requestCallback<_tpubuild_runtime_CloseSessionResponse__Output>): grpc.ClientUnaryCall;
  
  CloseSharedRegion(argument: _tpubuild_runtime_SharedRegionName, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_runtime_CloseSharedRegionResponse__Output>): grpc.ClientUnaryCall;
  CloseSharedRegion(argument: _tpubuild_runtime_SharedRegionName, metadata: grpc.Metadata, callback: grpc.requestCallback<_tpubuild_runtime_CloseSharedRegionResponse__Output>): grpc.ClientUnaryCall;
  CloseSharedRegion(argument: _tpubuild_runtime_SharedRegionName, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_runtime_CloseSharedRegionResponse__Output>): grpc.ClientUnaryCall;
  CloseSharedRegion(argument: _tpubuild_runtime_SharedRegionName, callback: grpc.requestCallback<_tpubuild_runtime_CloseSharedRegionResponse__Output>): grpc.ClientUnaryCall;
  closeSharedRegion(argument: _tpubuild_runtime_SharedRegionName, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_runtime_CloseSharedRegionResponse__Output>): grpc.ClientUnaryCall;
  closeSharedRegion(argument: _tpubuild_runtime_SharedRegionName, metadata: grpc.Metadata, callback: grpc.requestCallback<_tpubuild_runtime_CloseSharedRegionResponse__Output>): grpc.ClientUnaryCall;
  closeSharedRegion(argument: _tpubuild_runtime_SharedRegionName, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_runtime_CloseSharedRegionResponse__Output>): grpc.ClientUnaryCall;
  closeSharedRegion(argument: _tpubuild_runtime_SharedRegionName, callback: grpc.requestCallback<_tpubuild_runtime_CloseSharedRegionResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Compiles an HloModuleProto, or loads it from the server's executable caches (memory, then disk).
   */
  Compile(argument: _tpubuild_runtime_CompileRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_runtime_CompileResponse__Output>): grpc.ClientUnaryCall;
  Compile(argument: _tpubuild_runtime_CompileRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tpubuild_runtime_CompileResponse__Output>): grpc.ClientUnaryCall;
  Compile(argument: _tpubuild_runtime_CompileRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_runtime_CompileResponse__Output>): grpc.ClientUnaryCall;
  Compile(argument: _tpubuild_runtime_CompileRequest, callback: grpc.requestCallback<_tpubuild_runtime_CompileResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Compiles an HloModuleProto, or loads it from the server's executable caches (memory, then disk).
   */
  compile(argument: _tpubuild_runtime_CompileRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_runtime_CompileResponse__Output>): grpc.ClientUnaryCall;
  compile(argument: _tpubuild_runtime_CompileRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tpubuild_runtime_CompileResponse__Output>): grpc.ClientUnaryCall;
  compile(argument: _tpubuild_runtime_CompileRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_runtime_CompileResponse__Output>): grpc.ClientUnaryCall;
  compile(argument: _tpubuild_runtime_CompileRequest, callback: grpc.requestCallback<_tpubuild_runtime_CompileResponse__Output>): grpc.ClientUnaryCall;
  
  DeviceInfo(argument: _tpubuild_runtime_DeviceInfoRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_runtime_DeviceInfoResponse__Output>): grpc.ClientUnaryCall;
  DeviceInfo(argument: _tpubuild_runtime_DeviceInfoRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tpubuild_runtime_DeviceInfoResponse__Output>): grpc.ClientUnaryCall;
  DeviceInfo(argument: _tpubuild_runtime_DeviceInfoRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_runtime_DeviceInfoResponse__Output>): grpc.ClientUnaryCall;
  DeviceInfo(argument: _tpubuild_runtime_DeviceInfoRequest, callback: grpc.requestCallback<_tpubuild_runtime_DeviceInfoResponse__Output>): grpc.ClientUnaryCall;
  deviceInfo(argument: _tpubuild_runtime_DeviceInfoRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_runtime_DeviceInfoResponse__Output>): grpc.ClientUnaryCall;
  deviceInfo(argument: _tpubuild_runtime_DeviceInfoRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tpubuild_runtime_DeviceInfoResponse__Output>): grpc.ClientUnaryCall;
  deviceInfo(argument: _tpubuild_runtime_DeviceInfoRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_runtime_DeviceInfoResponse__Output>): grpc.ClientUnaryCall;
  deviceInfo(argument: _tpubuild_runtime_DeviceInfoRequest, callback: grpc.requestCallback<_tpubuild_runtime_DeviceInfoResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Sharing executables between servers (a remote cache the client holds): the name the server
   * gives the executable a CompileRequest would make, and whether its caches already hold it;
   * a compiled executable as a self-checking entry; and such an entry taken in, verified, for the
   * next Compile of that name to deserialize instead of compiling.
   */
  ExecutableKey(argument: _tpubuild_runtime_ExecutableKeyRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_runtime_ExecutableKeyResponse__Output>): grpc.ClientUnaryCall;
  ExecutableKey(argument: _tpubuild_runtime_ExecutableKeyRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tpubuild_runtime_ExecutableKeyResponse__Output>): grpc.ClientUnaryCall;
  ExecutableKey(argument: _tpubuild_runtime_ExecutableKeyRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_runtime_ExecutableKeyResponse__Output>): grpc.ClientUnaryCall;
  ExecutableKey(argument: _tpubuild_runtime_ExecutableKeyRequest, callback: grpc.requestCallback<_tpubuild_runtime_ExecutableKeyResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Sharing executables between servers (a remote cache the client holds): the name the server
   * gives the executable a CompileRequest would make, and whether its caches already hold it;
   * a compiled executable as a self-checking entry; and such an entry taken in, verified, for the
   * next Compile of that name to deserialize instead of compiling.
   */
  executableKey(argument: _tpubuild_runtime_ExecutableKeyRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_runtime_ExecutableKeyResponse__Output>): grpc.ClientUnaryCall;
  executableKey(argument: _tpubuild_runtime_ExecutableKeyRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tpubuild_runtime_ExecutableKeyResponse__Output>): grpc.ClientUnaryCall;
  executableKey(argument: _tpubuild_runtime_ExecutableKeyRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_runtime_ExecutableKeyResponse__Output>): grpc.ClientUnaryCall;
  executableKey(argument: _tpubuild_runtime_ExecutableKeyRequest, callback: grpc.requestCallback<_tpubuild_runtime_ExecutableKeyResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Runs an executable on device-resident arguments; the results stay on the device.
   */
  Execute(argument: _tpubuild_runtime_ExecuteRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_runtime_ExecuteResponse__Output>): grpc.ClientUnaryCall;
  Execute(argument: _tpubuild_runtime_ExecuteRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tpubuild_runtime_ExecuteResponse__Output>): grpc.ClientUnaryCall;
  Execute(argument: _tpubuild_runtime_ExecuteRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_runtime_ExecuteResponse__Output>): grpc.ClientUnaryCall;
  Execute(argument: _tpubuild_runtime_ExecuteRequest, callback: grpc.requestCallback<_tpubuild_runtime_ExecuteResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Runs an executable on device-resident arguments; the results stay on the device.
   */
  execute(argument: _tpubuild_runtime_ExecuteRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_runtime_ExecuteResponse__Output>): grpc.ClientUnaryCall;
  execute(argument: _tpubuild_runtime_ExecuteRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tpubuild_runtime_ExecuteResponse__Output>): grpc.ClientUnaryCall;
  execute(argument: _tpubuild_runtime_ExecuteRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_runtime_ExecuteResponse__Output>): grpc.ClientUnaryCall;
  execute(argument: _tpubuild_runtime_ExecuteRequest, callback: grpc.requestCallback<_tpubuild_runtime_ExecuteResponse__Output>): grpc.ClientUnaryCall;
  
  ExportExecutable(argument: _tpubuild_runtime_ExportExecutableRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_runtime_ExecutableEntry__Output>): grpc.ClientUnaryCall;
  ExportExecutable(argument: _tpubuild_runtime_ExportExecutableRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tpubuild_runtime_ExecutableEntry__Output>): grpc.ClientUnaryCall;
  ExportExecutable(argument: _tpubuild_runtime_ExportExecutableRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_runtime_ExecutableEntry__Output>): grpc.ClientUnaryCall;
  ExportExecutable(argument: _tpubuild_runtime_ExportExecutableRequest, callback: grpc.requestCallback<_tpubuild_runtime_ExecutableEntry__Output>): grpc.ClientUnaryCall;
  exportExecutable(argument: _tpubuild_runtime_ExportExecutableRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_runtime_ExecutableEntry__Output>): grpc.ClientUnaryCall;
  exportExecutable(argument: _tpubuild_runtime_ExportExecutableRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tpubuild_runtime_ExecutableEntry__Output>): grpc.ClientUnaryCall;
  exportExecutable(argument: _tpubuild_runtime_ExportExecutableRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_runtime_ExecutableEntry__Output>): grpc.ClientUnaryCall;
  exportExecutable(argument: _tpubuild_runtime_ExportExecutableRequest, callback: grpc.requestCallback<_tpubuild_runtime_ExecutableEntry__Output>): grpc.ClientUnaryCall;
  
  FinishSharedTransferIn(argument: _tpubuild_runtime_SharedRegionName, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_runtime_TransferInResponse__Output>): grpc.ClientUnaryCall;
  FinishSharedTransferIn(argument: _tpubuild_runtime_SharedRegionName, metadata: grpc.Metadata, callback: grpc.requestCallback<_tpubuild_runtime_TransferInResponse__Output>): grpc.ClientUnaryCall;
  FinishSharedTransferIn(argument: _tpubuild_runtime_SharedRegionName, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_runtime_TransferInResponse__Output>): grpc.ClientUnaryCall;
  FinishSharedTransferIn(argument: _tpubuild_runtime_SharedRegionName, callback: grpc.requestCallback<_tpubuild_runtime_TransferInResponse__Output>): grpc.ClientUnaryCall;
  finishSharedTransferIn(argument: _tpubuild_runtime_SharedRegionName, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_runtime_TransferInResponse__Output>): grpc.ClientUnaryCall;
  finishSharedTransferIn(argument: _tpubuild_runtime_SharedRegionName, metadata: grpc.Metadata, callback: grpc.requestCallback<_tpubuild_runtime_TransferInResponse__Output>): grpc.ClientUnaryCall;
  finishSharedTransferIn(argument: _tpubuild_runtime_SharedRegionName, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_runtime_TransferInResponse__Output>): grpc.ClientUnaryCall;
  finishSharedTransferIn(argument: _tpubuild_runtime_SharedRegionName, callback: grpc.requestCallback<_tpubuild_runtime_TransferInResponse__Output>): grpc.ClientUnaryCall;
  
  Health(argument: _tpubuild_runtime_HealthRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_runtime_HealthResponse__Output>): grpc.ClientUnaryCall;
  Health(argument: _tpubuild_runtime_HealthRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tpubuild_runtime_HealthResponse__Output>): grpc.ClientUnaryCall;
  Health(argument: _tpubuild_runtime_HealthRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_runtime_HealthResponse__Output>): grpc.ClientUnaryCall;
  Health(argument: _tpubuild_runtime_HealthRequest, callback: grpc.requestCallback<_tpubuild_runtime_HealthResponse__Output>): grpc.ClientUnaryCall;
  health(argument: _tpubuild_runtime_HealthRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_runtime_HealthResponse__Output>): grpc.ClientUnaryCall;
  health(argument: _tpubuild_runtime_HealthRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tpubuild_runtime_HealthResponse__Output>): grpc.ClientUnaryCall;
  health(argument: _tpubuild_runtime_HealthRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_runtime_HealthResponse__Output>): grpc.ClientUnaryCall;
  health(argument: _tpubuild_runtime_HealthRequest, callback: grpc.requestCallback<_tpubuild_runtime_HealthResponse__Output>): grpc.ClientUnaryCall;
  
  ImportExecutable(argument: _tpubuild_runtime_ExecutableEntry, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_runtime_ImportExecutableResponse__Output>): grpc.ClientUnaryCall;
  ImportExecutable(argument: _tpubuild_runtime_ExecutableEntry, metadata: grpc.Metadata, callback: grpc.requestCallback<_tpubuild_runtime_ImportExecutableResponse__Output>): grpc.ClientUnaryCall;
  ImportExecutable(argument: _tpubuild_runtime_ExecutableEntry, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_runtime_ImportExecutableResponse__Output>): grpc.ClientUnaryCall;
  ImportExecutable(argument: _tpubuild_runtime_ExecutableEntry, callback: grpc.requestCallback<_tpubuild_runtime_ImportExecutableResponse__Output>): grpc.ClientUnaryCall;
  importExecutable(argument: _tpubuild_runtime_ExecutableEntry, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_runtime_ImportExecutableResponse__Output>): grpc.ClientUnaryCall;
  importExecutable(argument: _tpubuild_runtime_ExecutableEntry, metadata: grpc.Metadata, callback: grpc.requestCallback<_tpubuild_runtime_ImportExecutableResponse__Output>): grpc.ClientUnaryCall;
  importExecutable(argument: _tpubuild_runtime_ExecutableEntry, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_runtime_ImportExecutableResponse__Output>): grpc.ClientUnaryCall;
  importExecutable(argument: _tpubuild_runtime_ExecutableEntry, callback: grpc.requestCallback<_tpubuild_runtime_ImportExecutableResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * A new session, with its own handles and quota (see the conventions above).
   */
  OpenSession(argument: _tpubuild_runtime_OpenSessionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_runtime_OpenSessionResponse__Output>): grpc.ClientUnaryCall;
  OpenSession(argument: _tpubuild_runtime_OpenSessionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tpubuild_runtime_OpenSessionResponse__Output>): grpc.ClientUnaryCall;
  OpenSession(argument: _tpubuild_runtime_OpenSessionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_runtime_OpenSessionResponse__Output>): grpc.ClientUnaryCall;
  OpenSession(argument: _tpubuild_runtime_OpenSessionRequest, callback: grpc.requestCallback<_tpubuild_runtime_OpenSessionResponse__Output>): grpc.ClientUnaryCall;
  /**
   * A new session, with its own handles and quota (see the conventions above).
   */
  openSession(argument: _tpubuild_runtime_OpenSessionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_runtime_OpenSessionResponse__Output>): grpc.ClientUnaryCall;
  openSession(argument: _tpubuild_runtime_OpenSessionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tpubuild_runtime_OpenSessionResponse__Output>): grpc.ClientUnaryCall;
  openSession(argument: _tpubuild_runtime_OpenSessionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_runtime_OpenSessionResponse__Output>): grpc.ClientUnaryCall;
  openSession(argument: _tpubuild_runtime_OpenSessionRequest, callback: grpc.requestCallback<_tpubuild_runtime_OpenSessionResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Shared memory (below): a tensor's bytes in a memfd of the server's, for a client on the same
   * host. In: a region to write into (the header's sha256 may be empty: no digest on this route),
   * then Finish makes the buffer of what was written. Out: a region holding the buffer's bytes,
   * closed by the client once read. FAILED_PRECONDITION: this server offers no shared memory.
   */
  OpenSharedTransferIn(argument: _tpubuild_runtime_TransferInHeader, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_runtime_SharedRegion__Output>): grpc.ClientUnaryCall;
  OpenSharedTransferIn(argument: _tpubuild_runtime_TransferInHeader, metadata: grpc.Metadata, callback: grpc.requestCallback<_tpubuild_runtime_SharedRegion__Output>): grpc.ClientUnaryCall;
  OpenSharedTransferIn(argument: _tpubuild_runtime_TransferInHeader, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_runtime_SharedRegion__Output>): grpc.ClientUnaryCall;
  OpenSharedTransferIn(argument: _tpubuild_runtime_TransferInHeader, callback: grpc.requestCallback<_tpubuild_runtime_SharedRegion__Output>): grpc.ClientUnaryCall;
  /**
   * Shared memory (below): a tensor's bytes in a memfd of the server's, for a client on the same
   * host. In: a region to write into (the header's sha256 may be empty: no digest on this route),
   * then Finish makes the buffer of what was written. Out: a region holding the buffer's bytes,
   * closed by the client once read. FAILED_PRECONDITION: this server offers no shared memory.
   */
  openSharedTransferIn(argument: _tpubuild_runtime_TransferInHeader, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_runtime_SharedRegion__Output>): grpc.ClientUnaryCall;
  openSharedTransferIn(argument: _tpubuild_runtime_TransferInHeader, metadata: grpc.Metadata, callback: grpc.requestCallback<_tpubuild_runtime_SharedRegion__Output>): grpc.ClientUnaryCall;
  openSharedTransferIn(argument: _tpubuild_runtime_TransferInHeader, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_runtime_SharedRegion__Output>): grpc.ClientUnaryCall;
  openSharedTransferIn(argument: _tpubuild_runtime_TransferInHeader, callback: grpc.requestCallback<_tpubuild_runtime_SharedRegion__Output>): grpc.ClientUnaryCall;
  
  /**
   * The data channel's control (see above): a ticket to send a tensor's bytes over it. The header
   * is checked as TransferIn checks it (FAILED_PRECONDITION: this server has no data channel).
   */
  OpenTransferIn(argument: _tpubuild_runtime_TransferInHeader, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_runtime_DataTicket__Output>): grpc.ClientUnaryCall;
  OpenTransferIn(argument: _tpubuild_runtime_TransferInHeader, metadata: grpc.Metadata, callback: grpc.requestCallback<_tpubuild_runtime_DataTicket__Output>): grpc.ClientUnaryCall;
  OpenTransferIn(argument: _tpubuild_runtime_TransferInHeader, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_runtime_DataTicket__Output>): grpc.ClientUnaryCall;
  OpenTransferIn(argument: _tpubuild_runtime_TransferInHeader, callback: grpc.requestCallback<_tpubuild_runtime_DataTicket__Output>): grpc.ClientUnaryCall;
  /**
   * The data channel's control (see above): a ticket to send a tensor's bytes over it. The header
   * is checked as TransferIn checks it (FAILED_PRECONDITION: this server has no data channel).
   */
  openTransferIn(argument: _tpubuild_runtime_TransferInHeader, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_runtime_DataTicket__Output>): grpc.ClientUnaryCall;
  openTransferIn(argument: _tpubuild_runtime_TransferInHeader, metadata: grpc.Metadata, callback: grpc.requestCallback<_tpubuild_runtime_DataTicket__Output>): grpc.ClientUnaryCall;
  openTransferIn(argument: _tpubuild_runtime_TransferInHeader, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_runtime_DataTicket__Output>): grpc.ClientUnaryCall;
  openTransferIn(argument: _tpubuild_runtime_TransferInHeader, callback: grpc.requestCallback<_tpubuild_runtime_DataTicket__Output>): grpc.ClientUnaryCall;
  
  /**
   * A ticket to receive a buffer's bytes over the data channel; chunk_bytes is ignored.
   */
  OpenTransferOut(argument: _tpubuild_runtime_TransferOutRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_runtime_DataTicket__Output>): grpc.ClientUnaryCall;
  OpenTransferOut(argument: _tpubuild_runtime_TransferOutRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tpubuild_runtime_DataTicket__Output>): grpc.ClientUnaryCall;
  OpenTransferOut(argument: _tpubuild_runtime_TransferOutRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_runtime_DataTicket__Output>): grpc.ClientUnaryCall;
  OpenTransferOut(argument: _tpubuild_runtime_TransferOutRequest, callback: grpc.requestCallback<_tpubuild_runtime_DataTicket__Output>): grpc.ClientUnaryCall;
  /**
   * A ticket to receive a buffer's bytes over the data channel; chunk_bytes is ignored.
   */
  openTransferOut(argument: _tpubuild_runtime_TransferOutRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_runtime_DataTicket__Output>): grpc.ClientUnaryCall;
  openTransferOut(argument: _tpubuild_runtime_TransferOutRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tpubuild_runtime_DataTicket__Output>): grpc.ClientUnaryCall;
  openTransferOut(argument: _tpubuild_runtime_TransferOutRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_runtime_DataTicket__Output>): grpc.ClientUnaryCall;
  openTransferOut(argument: _tpubuild_runtime_TransferOutRequest, callback: grpc.requestCallback<_tpubuild_runtime_DataTicket__Output>): grpc.ClientUnaryCall;
  
  Release(argument: _tpubuild_runtime_ReleaseRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_runtime_ReleaseResponse__Output>): grpc.ClientUnaryCall;
  Release(argument: _tpubuild_runtime_ReleaseRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tpubuild_runtime_ReleaseResponse__Output>): grpc.ClientUnaryCall;
  Release(argument: _tpubuild_runtime_ReleaseRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_runtime_ReleaseResponse__Output>): grpc.ClientUnaryCall;
  Release(argument: _tpubuild_runtime_ReleaseRequest, callback: grpc.requestCallback<_tpubuild_runtime_ReleaseResponse__Output>): grpc.ClientUnaryCall;
  release(argument: _tpubuild_runtime_ReleaseRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_runtime_ReleaseResponse__Output>): grpc.ClientUnaryCall;
  release(argument: _tpubuild_runtime_ReleaseRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tpubuild_runtime_ReleaseResponse__Output>): grpc.ClientUnaryCall;
  release(argument: _tpubuild_runtime_ReleaseRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_runtime_ReleaseResponse__Output>): grpc.ClientUnaryCall;
  release(argument: _tpubuild_runtime_ReleaseRequest, callback: grpc.requestCallback<_tpubuild_runtime_ReleaseResponse__Output>): grpc.ClientUnaryCall;
  
  SharedTransferOut(argument: _tpubuild_runtime_TransferOutRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_runtime_SharedRegion__Output>): grpc.ClientUnaryCall;
  SharedTransferOut(argument: _tpubuild_runtime_TransferOutRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tpubuild_runtime_SharedRegion__Output>): grpc.ClientUnaryCall;
  SharedTransferOut(argument: _tpubuild_runtime_TransferOutRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_runtime_SharedRegion__Output>): grpc.ClientUnaryCall;
  SharedTransferOut(argument: _tpubuild_runtime_TransferOutRequest, callback: grpc.requestCallback<_tpubuild_runtime_SharedRegion__Output>): grpc.ClientUnaryCall;
  sharedTransferOut(argument: _tpubuild_runtime_TransferOutRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_runtime_SharedRegion__Output>): grpc.ClientUnaryCall;
  sharedTransferOut(argument: _tpubuild_runtime_TransferOutRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tpubuild_runtime_SharedRegion__Output>): grpc.ClientUnaryCall;
  sharedTransferOut(argument: _tpubuild_runtime_TransferOutRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_runtime_SharedRegion__Output>): grpc.ClientUnaryCall;
  sharedTransferOut(argument: _tpubuild_runtime_TransferOutRequest, callback: grpc.requestCallback<_tpubuild_runtime_SharedRegion__Output>): grpc.ClientUnaryCall;
  
  /**
   * Asks the server to stop serving and exit (after replying). Only a server started with
   * --allow-shutdown (one a local target owns) obeys; a service answers PERMISSION_DENIED.
   */
  Shutdown(argument: _tpubuild_runtime_ShutdownRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_runtime_ShutdownResponse__Output>): grpc.ClientUnaryCall;
  Shutdown(argument: _tpubuild_runtime_ShutdownRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tpubuild_runtime_ShutdownResponse__Output>): grpc.ClientUnaryCall;
  Shutdown(argument: _tpubuild_runtime_ShutdownRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_runtime_ShutdownResponse__Output>): grpc.ClientUnaryCall;
  Shutdown(argument: _tpubuild_runtime_ShutdownRequest, callback: grpc.requestCallback<_tpubuild_runtime_ShutdownResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Asks the server to stop serving and exit (after replying). Only a server started with
   * --allow-shutdown (one a local target owns) obeys; a service answers PERMISSION_DENIED.
   */
  shutdown(argument: _tpubuild_runtime_ShutdownRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_runtime_ShutdownResponse__Output>): grpc.ClientUnaryCall;
  shutdown(argument: _tpubuild_runtime_ShutdownRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_tpubuild_runtime_ShutdownResponse__Output>): grpc.ClientUnaryCall;
  shutdown(argument: _tpubuild_runtime_ShutdownRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_runtime_ShutdownResponse__Output>): grpc.ClientUnaryCall;
  shutdown(argument: _tpubuild_runtime_ShutdownRequest, callback: grpc.requestCallback<_tpubuild_runtime_ShutdownResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Client streaming: one header, then the data chunks. The buffer stays on the device.
   */
  TransferIn(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_runtime_TransferInResponse__Output>): grpc.ClientWritableStream<_tpubuild_runtime_TransferInChunk>;
  TransferIn(metadata: grpc.Metadata, callback: grpc.requestCallback<_tpubuild_runtime_TransferInResponse__Output>): grpc.ClientWritableStream<_tpubuild_runtime_TransferInChunk>;
  TransferIn(options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_runtime_TransferInResponse__Output>): grpc.ClientWritableStream<_tpubuild_runtime_TransferInChunk>;
  TransferIn(callback: grpc.requestCallback<_tpubuild_runtime_TransferInResponse__Output>): grpc.ClientWritableStream<_tpubuild_runtime_TransferInChunk>;
  /**
   * Client streaming: one header, then the data chunks. The buffer stays on the device.
   */
  transferIn(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_runtime_TransferInResponse__Output>): grpc.ClientWritableStream<_tpubuild_runtime_TransferInChunk>;
  transferIn(metadata: grpc.Metadata, callback: grpc.requestCallback<_tpubuild_runtime_TransferInResponse__Output>): grpc.ClientWritableStream<_tpubuild_runtime_TransferInChunk>;
  transferIn(options: grpc.CallOptions, callback: grpc.requestCallback<_tpubuild_runtime_TransferInResponse__Output>): grpc.ClientWritableStream<_tpubuild_runtime_TransferInChunk>;
  transferIn(callback: grpc.requestCallback<_tpubuild_runtime_TransferInResponse__Output>): grpc.ClientWritableStream<_tpubuild_runtime_TransferInChunk>;
  
  /**
   * Server streaming: the buffer's bytes in chunks; the first chunk also carries its shape.
   */
  TransferOut(argument: _tpubuild_runtime_TransferOutRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_tpubuild_runtime_TransferOutChunk__Output>;
  TransferOut(argument: _tpubuild_runtime_TransferOutRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_tpubuild_runtime_TransferOutChunk__Output>;
  /**
   * Server streaming: the buffer's bytes in chunks; the first chunk also carries its shape.
   */
  transferOut(argument: _tpubuild_runtime_TransferOutRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_tpubuild_runtime_TransferOutChunk__Output>;
  transferOut(argument: _tpubuild_runtime_TransferOutRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_tpubuild_runtime_TransferOutChunk__Output>;
  
}

export interface RuntimeHandlers extends grpc.UntypedServiceImplementation {
  /**
   * Frees everything the session holds and forgets it.
   */
  CloseSession: grpc.handleUnaryCall<_tpubuild_runtime_CloseSessionRequest__Output, _tpubuild_runtime_CloseSessionResponse>;
  
  CloseSharedRegion: grpc.handleUnaryCall<_tpubuild_runtime_SharedRegionName__Output, _tpubuild_runtime_CloseSharedRegionResponse>;
  
  /**
   * Compiles an HloModuleProto, or loads it from the server's executable caches (memory, then disk).
   */
  Compile: grpc.handleUnaryCall<_tpubuild_runtime_CompileRequest__Output, _tpubuild_runtime_CompileResponse>;
  
  DeviceInfo: grpc.handleUnaryCall<_tpubuild_runtime_DeviceInfoRequest__Output, _tpubuild_runtime_DeviceInfoResponse>;
  
  /**
   * Sharing executables between servers (a remote cache the client holds): the name the server
   * gives the executable a CompileRequest would make, and whether its caches already hold it;
   * a compiled executable as a self-checking entry; and such an entry taken in, verified, for the
   * next Compile of that name to deserialize instead of compiling.
   */
  ExecutableKey: grpc.handleUnaryCall<_tpubuild_runtime_ExecutableKeyRequest__Output, _tpubuild_runtime_ExecutableKeyResponse>;
  
  /**
   * Runs an executable on device-resident arguments; the results stay on the device.
   */
  Execute: grpc.handleUnaryCall<_tpubuild_runtime_ExecuteRequest__Output, _tpubuild_runtime_ExecuteResponse>;
  
  ExportExecutable: grpc.handleUnaryCall<_tpubuild_runtime_ExportExecutableRequest__Output, _tpubuild_runtime_ExecutableEntry>;
  
  FinishSharedTransferIn: grpc.handleUnaryCall<_tpubuild_runtime_SharedRegionName__Output, _tpubuild_runtime_TransferInResponse>;
  
  Health: grpc.handleUnaryCall<_tpubuild_runtime_HealthRequest__Output, _tpubuild_runtime_HealthResponse>;
  
  ImportExecutable: grpc.handleUnaryCall<_tpubuild_runtime_ExecutableEntry__Output, _tpubuild_runtime_ImportExecutableResponse>;
  
  /**
   * A new session, with its own handles and quota (see the conventions above).
   */
  OpenSession: grpc.handleUnaryCall<_tpubuild_runtime_OpenSessionRequest__Output, _tpubuild_runtime_OpenSessionResponse>;
  
  /**
   * Shared memory (below): a tensor's bytes in a memfd of the server's, for a client on the same
   * host. In: a region to write into (the header's sha256 may be empty: no digest on this route),
   * then Finish makes the buffer of what was written. Out: a region holding the buffer's bytes,
   * closed by the client once read. FAILED_PRECONDITION: this server offers no shared memory.
   */
  OpenSharedTransferIn: grpc.handleUnaryCall<_tpubuild_runtime_TransferInHeader__Output, _tpubuild_runtime_SharedRegion>;
  
  /**
   * The data channel's control (see above): a ticket to send a tensor's bytes over it. The header
   * is checked as TransferIn checks it (FAILED_PRECONDITION: this server has no data channel).
   */
  OpenTransferIn: grpc.handleUnaryCall<_tpubuild_runtime_TransferInHeader__Output, _tpubuild_runtime_DataTicket>;
  
  /**
   * A ticket to receive a buffer's bytes over the data channel; chunk_bytes is ignored.
   */
  OpenTransferOut: grpc.handleUnaryCall<_tpubuild_runtime_TransferOutRequest__Output, _tpubuild_runtime_DataTicket>;
  
  Release: grpc.handleUnaryCall<_tpubuild_runtime_ReleaseRequest__Output, _tpubuild_runtime_ReleaseResponse>;
  
  SharedTransferOut: grpc.handleUnaryCall<_tpubuild_runtime_TransferOutRequest__Output, _tpubuild_runtime_SharedRegion>;
  
  /**
   * Asks the server to stop serving and exit (after replying). Only a server started with
   * --allow-shutdown (one a local target owns) obeys; a service answers PERMISSION_DENIED.
   */
  Shutdown: grpc.handleUnaryCall<_tpubuild_runtime_ShutdownRequest__Output, _tpubuild_runtime_ShutdownResponse>;
  
  /**
   * Client streaming: one header, then the data chunks. The buffer stays on the device.
   */
  TransferIn: grpc.handleClientStreamingCall<_tpubuild_runtime_TransferInChunk__Output, _tpubuild_runtime_TransferInResponse>;
  
  /**
   * Server streaming: the buffer's bytes in chunks; the first chunk also carries its shape.
   */
  TransferOut: grpc.handleServerStreamingCall<_tpubuild_runtime_TransferOutRequest__Output, _tpubuild_runtime_TransferOutChunk>;
  
}

export interface RuntimeDefinition extends grpc.ServiceDefinition {
  CloseSession: MethodDefinition<_tpubuild_runtime_CloseSessionRequest, _tpubuild_runtime_CloseSessionResponse, _tpubuild_runtime_CloseSessionRequest__Output, _tpubuild_runtime_CloseSessionResponse__Output>
  CloseSharedRegion: MethodDefinition<_tpubuild_runtime_SharedRegionName, _tpubuild_runtime_CloseSharedRegionResponse, _tpubuild_runtime_SharedRegionName__Output, _tpubuild_runtime_CloseSharedRegionResponse__Output>
  Compile: MethodDefinition<_tpubuild_runtime_CompileRequest, _tpubuild_runtime_CompileResponse, _tpubuild_runtime_CompileRequest__Output, _tpubuild_runtime_CompileResponse__Output>
  DeviceInfo: MethodDefinition<_tpubuild_runtime_DeviceInfoRequest, _tpubuild_runtime_DeviceInfoResponse, _tpubuild_runtime_DeviceInfoRequest__Output, _tpubuild_runtime_DeviceInfoResponse__Output>
  ExecutableKey: MethodDefinition<_tpubuild_runtime_ExecutableKeyRequest, _tpubuild_runtime_ExecutableKeyResponse, _tpubuild_runtime_ExecutableKeyRequest__Output, _tpubuild_runtime_ExecutableKeyResponse__Output>
  Execute: MethodDefinition<_tpubuild_runtime_ExecuteRequest, _tpubuild_runtime_ExecuteResponse, _tpubuild_runtime_ExecuteRequest__Output, _tpubuild_runtime_ExecuteResponse__Output>
  ExportExecutable: MethodDefinition<_tpubuild_runtime_ExportExecutableRequest, _tpubuild_runtime_ExecutableEntry, _tpubuild_runtime_ExportExecutableRequest__Output, _tpubuild_runtime_ExecutableEntry__Output>
  FinishSharedTransferIn: MethodDefinition<_tpubuild_runtime_SharedRegionName, _tpubuild_runtime_TransferInResponse, _tpubuild_runtime_SharedRegionName__Output, _tpubuild_runtime_TransferInResponse__Output>
  Health: MethodDefinition<_tpubuild_runtime_HealthRequest, _tpubuild_runtime_HealthResponse, _tpubuild_runtime_HealthRequest__Output, _tpubuild_runtime_HealthResponse__Output>
  ImportExecutable: MethodDefinition<_tpubuild_runtime_ExecutableEntry, _tpubuild_runtime_ImportExecutableResponse, _tpubuild_runtime_ExecutableEntry__Output, _tpubuild_runtime_ImportExecutableResponse__Output>
  OpenSession: MethodDefinition<_tpubuild_runtime_OpenSessionRequest, _tpubuild_runtime_OpenSessionResponse, _tpubuild_runtime_OpenSessionRequest__Output, _tpubuild_runtime_OpenSessionResponse__Output>
  OpenSharedTransferIn: MethodDefinition<_tpubuild_runtime_TransferInHeader, _tpubuild_runtime_SharedRegion, _tpubuild_runtime_TransferInHeader__Output, _tpubuild_runtime_SharedRegion__Output>
  OpenTransferIn: MethodDefinition<_tpubuild_runtime_TransferInHeader, _tpubuild_runtime_DataTicket, _tpubuild_runtime_TransferInHeader__Output, _tpubuild_runtime_DataTicket__Output>
  OpenTransferOut: MethodDefinition<_tpubuild_runtime_TransferOutRequest, _tpubuild_runtime_DataTicket, _tpubuild_runtime_TransferOutRequest__Output, _tpubuild_runtime_DataTicket__Output>
  Release: MethodDefinition<_tpubuild_runtime_ReleaseRequest, _tpubuild_runtime_ReleaseResponse, _tpubuild_runtime_ReleaseRequest__Output, _tpubuild_runtime_ReleaseResponse__Output>
  SharedTransferOut: MethodDefinition<_tpubuild_runtime_TransferOutRequest, _tpubuild_runtime_SharedRegion, _tpubuild_runtime_TransferOutRequest__Output, _tpubuild_runtime_SharedRegion__Output>
  Shutdown: MethodDefinition<_tpubuild_runtime_ShutdownRequest, _tpubuild_runtime_ShutdownResponse, _tpubuild_runtime_ShutdownRequest__Output, _tpubuild_runtime_ShutdownResponse__Output>
  TransferIn: MethodDefinition<_tpubuild_runtime_TransferInChunk, _tpubuild_runtime_TransferInResponse, _tpubuild_runtime_TransferInChunk__Output, _tpubuild_runtime_TransferInResponse__Output>
  TransferOut: MethodDefinition<_tpubuild_runtime_TransferOutRequest, _tpubuild_runtime_TransferOutChunk, _tpubuild_runtime_TransferOutRequest__Output, _tpubuild_runtime_TransferOutChunk__Output>
}
