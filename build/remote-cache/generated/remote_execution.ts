import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { Action as _build_bazel_remote_execution_v2_Action, Action__Output as _build_bazel_remote_execution_v2_Action__Output } from './build/bazel/remote/execution/v2/Action.js';
import type { ActionCacheClient as _build_bazel_remote_execution_v2_ActionCacheClient, ActionCacheDefinition as _build_bazel_remote_execution_v2_ActionCacheDefinition } from './build/bazel/remote/execution/v2/ActionCache.js';
import type { ActionCacheUpdateCapabilities as _build_bazel_remote_execution_v2_ActionCacheUpdateCapabilities, ActionCacheUpdateCapabilities__Output as _build_bazel_remote_execution_v2_ActionCacheUpdateCapabilities__Output } from './build/bazel/remote/execution/v2/ActionCacheUpdateCapabilities.js';
import type { ActionResult as _build_bazel_remote_execution_v2_ActionResult, ActionResult__Output as _build_bazel_remote_execution_v2_ActionResult__Output } from './build/bazel/remote/execution/v2/ActionResult.js';
import type { BatchReadBlobsRequest as _build_bazel_remote_execution_v2_BatchReadBlobsRequest, BatchReadBlobsRequest__Output as _build_bazel_remote_execution_v2_BatchReadBlobsRequest__Output } from './build/bazel/remote/execution/v2/BatchReadBlobsRequest.js';
import type { BatchReadBlobsResponse as _build_bazel_remote_execution_v2_BatchReadBlobsResponse, BatchReadBlobsResponse__Output as _build_bazel_remote_execution_v2_BatchReadBlobsResponse__Output } from './build/bazel/remote/execution/v2/BatchReadBlobsResponse.js';
import type { BatchUpdateBlobsRequest as _build_bazel_remote_execution_v2_BatchUpdateBlobsRequest, BatchUpdateBlobsRequest__Output as _build_bazel_remote_execution_v2_BatchUpdateBlobsRequest__Output } from './build/bazel/remote/execution/v2/BatchUpdateBlobsRequest.js';
import type { BatchUpdateBlobsResponse as _build_bazel_remote_execution_v2_BatchUpdateBlobsResponse, BatchUpdateBlobsResponse__Output as _build_bazel_remote_execution_v2_BatchUpdateBlobsResponse__Output } from './build/bazel/remote/execution/v2/BatchUpdateBlobsResponse.js';
import type { CacheCapabilities as _build_bazel_remote_execution_v2_CacheCapabilities, CacheCapabilities__Output as _build_bazel_remote_execution_v2_CacheCapabilities__Output } from './build/bazel/remote/execution/v2/CacheCapabilities.js';
import type { CapabilitiesClient as _build_bazel_remote_execution_v2_CapabilitiesClient, CapabilitiesDefinition as _build_bazel_remote_execution_v2_CapabilitiesDefinition } from './build/bazel/remote/execution/v2/Capabilities.js';
import type { Command as _build_bazel_remote_execution_v2_Command, Command__Output as _build_bazel_remote_execution_v2_Command__Output } from './build/bazel/remote/execution/v2/Command.js';
import type { Compressor as _build_bazel_remote_execution_v2_Compressor, Compressor__Output as _build_bazel_remote_execution_v2_Compressor__Output } from './build/bazel/remote/execution/v2/Compressor.js';
import type { ContentAddressableStorageClient as _build_bazel_remote_execution_v2_ContentAddressableStorageClient, ContentAddressableStorageDefinition as _build_bazel_remote_execution_v2_ContentAddressableStorageDefinition } from './build/bazel/remote/execution/v2/ContentAddressableStorage.js';
import type { Digest as _build_bazel_remote_execution_v2_Digest, Digest__Output as _build_bazel_remote_execution_v2_Digest__Output } from './build/bazel/remote/execution/v2/Digest.js';
import type { DigestFunction as _build_bazel_remote_execution_v2_DigestFunction, DigestFunction__Output as _build_bazel_remote_execution_v2_DigestFunction__Output } from './build/bazel/remote/execution/v2/DigestFunction.js';
import type { ExecutedActionMetadata as _build_bazel_remote_execution_v2_ExecutedActionMetadata, ExecutedActionMetadata__Output as _build_bazel_remote_execution_v2_ExecutedActionMetadata__Output } from './build/bazel/remote/execution/v2/ExecutedActionMetadata.js';
import type { FindMissingBlobsRequest as _build_bazel_remote_execution_v2_FindMissingBlobsRequest, FindMissingBlobsRequest__Output as _build_bazel_remote_execution_v2_FindMissingBlobsRequest__Output } from './build/bazel/remote/execution/v2/FindMissingBlobsRequest.js';
import type { FindMissingBlobsResponse as _build_bazel_remote_execution_v2_FindMissingBlobsResponse, FindMissingBlobsResponse__Output as _build_bazel_remote_execution_v2_FindMissingBlobsResponse__Output } from './build/bazel/remote/execution/v2/FindMissingBlobsResponse.js';
import type { GetActionResultRequest as _build_bazel_remote_execution_v2_GetActionResultRequest, GetActionResultRequest__Output as _build_bazel_remote_execution_v2_GetActionResultRequest__Output } from './build/bazel/remote/execution/v2/GetActionResultRequest.js';
import type { GetCapabilitiesRequest as _build_bazel_remote_execution_v2_GetCapabilitiesRequest, GetCapabilitiesRequest__Output as _build_bazel_remote_execution_v2_GetCapabilitiesRequest__Output } from './build/bazel/remote/execution/v2/GetCapabilitiesRequest.js';
import type { OutputFile as _build_bazel_remote_execution_v2_OutputFile, OutputFile__Output as _build_bazel_remote_execution_v2_OutputFile__Output } from './build/bazel/remote/execution/v2/OutputFile.js';
import type { ResultsCachePolicy as _build_bazel_remote_execution_v2_ResultsCachePolicy, ResultsCachePolicy__Output as _build_bazel_remote_execution_v2_ResultsCachePolicy__Output } from './build/bazel/remote/execution/v2/ResultsCachePolicy.js';
import type { ServerCapabilities as _build_bazel_remote_execution_v2_ServerCapabilities, ServerCapabilities__Output as _build_bazel_remote_execution_v2_ServerCapabilities__Output } from './build/bazel/remote/execution/v2/ServerCapabilities.js';
import type { UpdateActionResultRequest as _build_bazel_remote_execution_v2_UpdateActionResultRequest, UpdateActionResultRequest__Output as _build_bazel_remote_execution_v2_UpdateActionResultRequest__Output } from './build/bazel/remote/execution/v2/UpdateActionResultRequest.js';
import type { SemVer as _build_bazel_semver_SemVer, SemVer__Output as _build_bazel_semver_SemVer__Output } from './build/bazel/semver/SemVer.js';
import type { Any as _google_protobuf_Any, Any__Output as _google_protobuf_Any__Output } from './google/protobuf/Any.js';
import type { Duration as _google_protobuf_Duration, Duration__Output as _google_protobuf_Duration__Output } from './google/protobuf/Duration.js';
import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from './google/protobuf/Timestamp.js';
import type { Status as _google_rpc_Status, Status__Output as _google_rpc_Status__Output } from './google/rpc/Status.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  build: {
    bazel: {
      remote: {
        execution: {
          v2: {
            Action: MessageTypeDefinition<_build_bazel_remote_execution_v2_Action, _build_bazel_remote_execution_v2_Action__Output>
            ActionCache: SubtypeConstructor<typeof grpc.Client, _build_bazel_remote_execution_v2_ActionCacheClient> & { service: _build_bazel_remote_execution_v2_ActionCacheDefinition }
            ActionCacheUpdateCapabilities: MessageTypeDefinition<_build_bazel_remote_execution_v2_ActionCacheUpdateCapabilities, _build_bazel_remote_execution_v2_ActionCacheUpdateCapabilities__Output>
            ActionResult: MessageTypeDefinition<_build_bazel_remote_execution_v2_ActionResult, _build_bazel_remote_execution_v2_ActionResult__Output>
            BatchReadBlobsRequest: MessageTypeDefinition<_build_bazel_remote_execution_v2_BatchReadBlobsRequest, _build_bazel_remote_execution_v2_BatchReadBlobsRequest__Output>
            BatchReadBlobsResponse: MessageTypeDefinition<_build_bazel_remote_execution_v2_BatchReadBlobsResponse, _build_bazel_remote_execution_v2_BatchReadBlobsResponse__Output>
            BatchUpdateBlobsRequest: MessageTypeDefinition<_build_bazel_remote_execution_v2_BatchUpdateBlobsRequest, _build_bazel_remote_execution_v2_BatchUpdateBlobsRequest__Output>
            BatchUpdateBlobsResponse: MessageTypeDefinition<_build_bazel_remote_execution_v2_BatchUpdateBlobsResponse, _build_bazel_remote_execution_v2_BatchUpdateBlobsResponse__Output>
            CacheCapabilities: MessageTypeDefinition<_build_bazel_remote_execution_v2_CacheCapabilities, _build_bazel_remote_execution_v2_CacheCapabilities__Output>
            Capabilities: SubtypeConstructor<typeof grpc.Client, _build_bazel_remote_execution_v2_CapabilitiesClient> & { service: _build_bazel_remote_execution_v2_CapabilitiesDefinition }
            Command: MessageTypeDefinition<_build_bazel_remote_execution_v2_Command, _build_bazel_remote_execution_v2_Command__Output>
            Compressor: MessageTypeDefinition<_build_bazel_remote_execution_v2_Compressor, _build_bazel_remote_execution_v2_Compressor__Output>
            ContentAddressableStorage: SubtypeConstructor<typeof grpc.Client, _build_bazel_remote_execution_v2_ContentAddressableStorageClient> & { service: _build_bazel_remote_execution_v2_ContentAddressableStorageDefinition }
            Digest: MessageTypeDefinition<_build_bazel_remote_execution_v2_Digest, _build_bazel_remote_execution_v2_Digest__Output>
            DigestFunction: MessageTypeDefinition<_build_bazel_remote_execution_v2_DigestFunction, _build_bazel_remote_execution_v2_DigestFunction__Output>
            ExecutedActionMetadata: MessageTypeDefinition<_build_bazel_remote_execution_v2_ExecutedActionMetadata, _build_bazel_remote_execution_v2_ExecutedActionMetadata__Output>
            FindMissingBlobsRequest: MessageTypeDefinition<_build_bazel_remote_execution_v2_FindMissingBlobsRequest, _build_bazel_remote_execution_v2_FindMissingBlobsRequest__Output>
            FindMissingBlobsResponse: MessageTypeDefinition<_build_bazel_remote_execution_v2_FindMissingBlobsResponse, _build_bazel_remote_execution_v2_FindMissingBlobsResponse__Output>
            GetActionResultRequest: MessageTypeDefinition<_build_bazel_remote_execution_v2_GetActionResultRequest, _build_bazel_remote_execution_v2_GetActionResultRequest__Output>
            GetCapabilitiesRequest: MessageTypeDefinition<_build_bazel_remote_execution_v2_GetCapabilitiesRequest, _build_bazel_remote_execution_v2_GetCapabilitiesRequest__Output>
            OutputFile: MessageTypeDefinition<_build_bazel_remote_execution_v2_OutputFile, _build_bazel_remote_execution_v2_OutputFile__Output>
            ResultsCachePolicy: MessageTypeDefinition<_build_bazel_remote_execution_v2_ResultsCachePolicy, _build_bazel_remote_execution_v2_ResultsCachePolicy__Output>
            ServerCapabilities: MessageTypeDefinition<_build_bazel_remote_execution_v2_ServerCapabilities, _build_bazel_remote_execution_v2_ServerCapabilities__Output>
            UpdateActionResultRequest: MessageTypeDefinition<_build_bazel_remote_execution_v2_UpdateActionResultRequest, _build_bazel_remote_execution_v2_UpdateActionResultRequest__Output>
          }
        }
      }
      semver: {
        SemVer: MessageTypeDefinition<_build_bazel_semver_SemVer, _build_bazel_semver_SemVer__Output>
      }
    }
  }
  google: {
    protobuf: {
      Any: MessageTypeDefinition<_google_protobuf_Any, _google_protobuf_Any__Output>
      Duration: MessageTypeDefinition<_google_protobuf_Duration, _google_protobuf_Duration__Output>
      Timestamp: MessageTypeDefinition<_google_protobuf_Timestamp, _google_protobuf_Timestamp__Output>
    }
    rpc: {
      Status: MessageTypeDefinition<_google_rpc_Status, _google_rpc_Status__Output>
    }
  }
}

