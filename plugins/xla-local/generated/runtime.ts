import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { ArrayShape as _tpubuild_runtime_ArrayShape, ArrayShape__Output as _tpubuild_runtime_ArrayShape__Output } from './tpubuild/runtime/ArrayShape.js';
import type { BufferInfo as _tpubuild_runtime_BufferInfo, BufferInfo__Output as _tpubuild_runtime_BufferInfo__Output } from './tpubuild/runtime/BufferInfo.js';
import type { CloseSessionRequest as _tpubuild_runtime_CloseSessionRequest, CloseSessionRequest__Output as _tpubuild_runtime_CloseSessionRequest__Output } from './tpubuild/runtime/CloseSessionRequest.js';
import type { CloseSessionResponse as _tpubuild_runtime_CloseSessionResponse, CloseSessionResponse__Output as _tpubuild_runtime_CloseSessionResponse__Output } from './tpubuild/runtime/CloseSessionResponse.js';
import type { CloseSharedRegionResponse as _tpubuild_runtime_CloseSharedRegionResponse, CloseSharedRegionResponse__Output as _tpubuild_runtime_CloseSharedRegionResponse__Output } from './tpubuild/runtime/CloseSharedRegionResponse.js';
import type { CompileRequest as _tpubuild_runtime_CompileRequest, CompileRequest__Output as _tpubuild_runtime_CompileRequest__Output } from './tpubuild/runtime/CompileRequest.js';
import type { CompileResponse as _tpubuild_runtime_CompileResponse, CompileResponse__Output as _tpubuild_runtime_CompileResponse__Output } from './tpubuild/runtime/CompileResponse.js';
import type { DataChannelReply as _tpubuild_runtime_DataChannelReply, DataChannelReply__Output as _tpubuild_runtime_DataChannelReply__Output } from './tpubuild/runtime/DataChannelReply.js';
import type { DataTicket as _tpubuild_runtime_DataTicket, DataTicket__Output as _tpubuild_runtime_DataTicket__Output } from './tpubuild/runtime/DataTicket.js';
import type { Device as _tpubuild_runtime_Device, Device__Output as _tpubuild_runtime_Device__Output } from './tpubuild/runtime/Device.js';
import type { DeviceInfoRequest as _tpubuild_runtime_DeviceInfoRequest, DeviceInfoRequest__Output as _tpubuild_runtime_DeviceInfoRequest__Output } from './tpubuild/runtime/DeviceInfoRequest.js';
import type { DeviceInfoResponse as _tpubuild_runtime_DeviceInfoResponse, DeviceInfoResponse__Output as _tpubuild_runtime_DeviceInfoResponse__Output } from './tpubuild/runtime/DeviceInfoResponse.js';
import type { ExecutableEntry as _tpubuild_runtime_ExecutableEntry, ExecutableEntry__Output as _tpubuild_runtime_ExecutableEntry__Output } from './tpubuild/runtime/ExecutableEntry.js';
import type { ExecutableKeyRequest as _tpubuild_runtime_ExecutableKeyRequest, ExecutableKeyRequest__Output as _tpubuild_runtime_ExecutableKeyRequest__Output } from './tpubuild/runtime/ExecutableKeyRequest.js';
import type { ExecutableKeyResponse as _tpubuild_runtime_ExecutableKeyResponse, ExecutableKeyResponse__Output as _tpubuild_runtime_ExecutableKeyResponse__Output } from './tpubuild/runtime/ExecutableKeyResponse.js';
import type { ExecuteRequest as _tpubuild_runtime_ExecuteRequest, ExecuteRequest__Output as _tpubuild_runtime_ExecuteRequest__Output } from './tpubuild/runtime/ExecuteRequest.js';
import type { ExecuteResponse as _tpubuild_runtime_ExecuteResponse, ExecuteResponse__Output as _tpubuild_runtime_ExecuteResponse__Output } from './tpubuild/runtime/ExecuteResponse.js';
import type { ExportExecutableRequest as _tpubuild_runtime_ExportExecutableRequest, ExportExecutableRequest__Output as _tpubuild_runtime_ExportExecutableRequest__Output } from './tpubuild/runtime/ExportExecutableRequest.js';
import type { HealthRequest as _tpubuild_runtime_HealthRequest, HealthRequest__Output as _tpubuild_runtime_HealthRequest__Output } from './tpubuild/runtime/HealthRequest.js';
import type { HealthResponse as _tpubuild_runtime_HealthResponse, HealthResponse__Output as _tpubuild_runtime_HealthResponse__Output } from './tpubuild/runtime/HealthResponse.js';
import type { ImportExecutableResponse as _tpubuild_runtime_ImportExecutableResponse, ImportExecutableResponse__Output as _tpubuild_runtime_ImportExecutableResponse__Output } from './tpubuild/runtime/ImportExecutableResponse.js';
import type { OpenSessionRequest as _tpubuild_runtime_OpenSessionRequest, OpenSessionRequest__Output as _tpubuild_runtime_OpenSessionRequest__Output } from './tpubuild/runtime/OpenSessionRequest.js';
import type { OpenSessionResponse as _tpubuild_runtime_OpenSessionResponse, OpenSessionResponse__Output as _tpubuild_runtime_OpenSessionResponse__Output } from './tpubuild/runtime/OpenSessionResponse.js';
import type { Placement as _tpubuild_runtime_Placement, Placement__Output as _tpubuild_runtime_Placement__Output } from './tpubuild/runtime/Placement.js';
import type { ReleaseRequest as _tpubuild_runtime_ReleaseRequest, ReleaseRequest__Output as _tpubuild_runtime_ReleaseRequest__Output } from './tpubuild/runtime/ReleaseRequest.js';
import type { ReleaseResponse as _tpubuild_runtime_ReleaseResponse, ReleaseResponse__Output as _tpubuild_runtime_ReleaseResponse__Output } from './tpubuild/runtime/ReleaseResponse.js';
import type { RuntimeClient as _tpubuild_runtime_RuntimeClient, RuntimeDefinition as _tpubuild_runtime_RuntimeDefinition } from './tpubuild/runtime/Runtime.js';
import type { SharedRegion as _tpubuild_runtime_SharedRegion, SharedRegion__Output as _tpubuild_runtime_SharedRegion__Output } from './tpubuild/runtime/SharedRegion.js';
import type { SharedRegionName as _tpubuild_runtime_SharedRegionName, SharedRegionName__Output as _tpubuild_runtime_SharedRegionName__Output } from './tpubuild/runtime/SharedRegionName.js';
import type { ShutdownRequest as _tpubuild_runtime_ShutdownRequest, ShutdownRequest__Output as _tpubuild_runtime_ShutdownRequest__Output } from './tpubuild/runtime/ShutdownRequest.js';
import type { ShutdownResponse as _tpubuild_runtime_ShutdownResponse, ShutdownResponse__Output as _tpubuild_runtime_ShutdownResponse__Output } from './tpubuild/runtime/ShutdownResponse.js';
import type { TransferInChunk as _tpubuild_runtime_TransferInChunk, TransferInChunk__Output as _tpubuild_runtime_TransferInChunk__Output } from './tpubuild/runtime/TransferInChunk.js';
import type { TransferInHeader as _tpubuild_runtime_TransferInHeader, TransferInHeader__Output as _tpubuild_runtime_TransferInHeader__Output } from './tpubuild/runtime/TransferInHeader.js';
import type { TransferInResponse as _tpubuild_runtime_TransferInResponse, TransferInResponse__Output as _tpubuild_runtime_TransferInResponse__Output } from './tpubuild/runtime/TransferInResponse.js';
import type { TransferOutChunk as _tpubuild_runtime_TransferOutChunk, TransferOutChunk__Output as _tpubuild_runtime_TransferOutChunk__Output } from './tpubuild/runtime/TransferOutChunk.js';
import type { TransferOutRequest as _tpubuild_runtime_TransferOutRequest, TransferOutRequest__Output as _tpubuild_runtime_TransferOutRequest__Output } from './tpubuild/runtime/TransferOutRequest.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  tpubuild: {
    runtime: {
      ArrayShape: MessageTypeDefinition<_tpubuild_runtime_ArrayShape, _tpubuild_runtime_ArrayShape__Output>
      BufferInfo: MessageTypeDefinition<_tpubuild_runtime_BufferInfo, _tpubuild_runtime_BufferInfo__Output>
      CloseSessionRequest: MessageTypeDefinition<_tpubuild_runtime_CloseSessionRequest, _tpubuild_runtime_CloseSessionRequest__Output>
      CloseSessionResponse: MessageTypeDefinition<_tpubuild_runtime_CloseSessionResponse, _tpubuild_runtime_CloseSessionResponse__Output>
      CloseSharedRegionResponse: MessageTypeDefinition<_tpubuild_runtime_CloseSharedRegionResponse, _tpubuild_runtime_CloseSharedRegionResponse__Output>
      CompileRequest: MessageTypeDefinition<_tpubuild_runtime_CompileRequest, _tpubuild_runtime_CompileRequest__Output>
      CompileResponse: MessageTypeDefinition<_tpubuild_runtime_CompileResponse, _tpubuild_runtime_CompileResponse__Output>
      DataChannelReply: MessageTypeDefinition<_tpubuild_runtime_DataChannelReply, _tpubuild_runtime_DataChannelReply__Output>
      DataTicket: MessageTypeDefinition<_tpubuild_runtime_DataTicket, _tpubuild_runtime_DataTicket__Output>
      Device: MessageTypeDefinition<_tpubuild_runtime_Device, _tpubuild_runtime_Device__Output>
      DeviceInfoRequest: MessageTypeDefinition<_tpubuild_runtime_DeviceInfoRequest, _tpubuild_runtime_DeviceInfoRequest__Output>
      DeviceInfoResponse: MessageTypeDefinition<_tpubuild_runtime_DeviceInfoResponse, _tpubuild_runtime_DeviceInfoResponse__Output>
      ExecutableEntry: MessageTypeDefinition<_tpubuild_runtime_ExecutableEntry, _tpubuild_runtime_ExecutableEntry__Output>
      ExecutableKeyRequest: MessageTypeDefinition<_tpubuild_runtime_ExecutableKeyRequest, _tpubuild_runtime_ExecutableKeyRequest__Output>
      ExecutableKeyResponse: MessageTypeDefinition<_tpubuild_runtime_ExecutableKeyResponse, _tpubuild_runtime_ExecutableKeyResponse__Output>
      ExecuteRequest: MessageTypeDefinition<_tpubuild_runtime_ExecuteRequest, _tpubuild_runtime_ExecuteRequest__Output>
      ExecuteResponse: MessageTypeDefinition<_tpubuild_runtime_ExecuteResponse, _tpubuild_runtime_ExecuteResponse__Output>
      ExportExecutableRequest: MessageTypeDefinition<_tpubuild_runtime_ExportExecutableRequest, _tpubuild_runtime_ExportExecutableRequest__Output>
      HealthRequest: MessageTypeDefinition<_tpubuild_runtime_HealthRequest, _tpubuild_runtime_HealthRequest__Output>
      HealthResponse: MessageTypeDefinition<_tpubuild_runtime_HealthResponse, _tpubuild_runtime_HealthResponse__Output>
      ImportExecutableResponse: MessageTypeDefinition<_tpubuild_runtime_ImportExecutableResponse, _tpubuild_runtime_ImportExecutableResponse__Output>
      OpenSessionRequest: MessageTypeDefinition<_tpubuild_runtime_OpenSessionRequest, _tpubuild_runtime_OpenSessionRequest__Output>
      OpenSessionResponse: MessageTypeDefinition<_tpubuild_runtime_OpenSessionResponse, _tpubuild_runtime_OpenSessionResponse__Output>
      Placement: MessageTypeDefinition<_tpubuild_runtime_Placement, _tpubuild_runtime_Placement__Output>
      PrimitiveType: EnumTypeDefinition
      ReleaseRequest: MessageTypeDefinition<_tpubuild_runtime_ReleaseRequest, _tpubuild_runtime_ReleaseRequest__Output>
      ReleaseResponse: MessageTypeDefinition<_tpubuild_runtime_ReleaseResponse, _tpubuild_runtime_ReleaseResponse__Output>
      Runtime: SubtypeConstructor<typeof grpc.Client, _tpubuild_runtime_RuntimeClient> & { service: _tpubuild_runtime_RuntimeDefinition }
      SharedRegion: MessageTypeDefinition<_tpubuild_runtime_SharedRegion, _tpubuild_runtime_SharedRegion__Output>
      SharedRegionName: MessageTypeDefinition<_tpubuild_runtime_SharedRegionName, _tpubuild_runtime_SharedRegionName__Output>
      ShutdownRequest: MessageTypeDefinition<_tpubuild_runtime_ShutdownRequest, _tpubuild_runtime_ShutdownRequest__Output>
      ShutdownResponse: MessageTypeDefinition<_tpubuild_runtime_ShutdownResponse, _tpubuild_runtime_ShutdownResponse__Output>
      TransferInChunk: MessageTypeDefinition<_tpubuild_runtime_TransferInChunk, _tpubuild_runtime_TransferInChunk__Output>
      TransferInHeader: MessageTypeDefinition<_tpubuild_runtime_TransferInHeader, _tpubuild_runtime_TransferInHeader__Output>
      TransferInResponse: MessageTypeDefinition<_tpubuild_runtime_TransferInResponse, _tpubuild_runtime_TransferInResponse__Output>
      TransferOutChunk: MessageTypeDefinition<_tpubuild_runtime_TransferOutChunk, _tpubuild_runtime_TransferOutChunk__Output>
      TransferOutRequest: MessageTypeDefinition<_tpubuild_runtime_TransferOutRequest, _tpubuild_runtime_TransferOutRequest__Output>
    }
  }
}

