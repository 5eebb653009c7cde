// Original file: proto/reapi/build/bazel/remote/execution/v2/remote_execution.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { BatchReadBlobsRequest as _build_bazel_remote_execution_v2_BatchReadBlobsRequest, BatchReadBlobsRequest__Output as _build_bazel_remote_execution_v2_BatchReadBlobsRequest__Output } from '../../../../../build/bazel/remote/execution/v2/BatchReadBlobsRequest.js';
import type { BatchReadBlobsResponse as _build_bazel_remote_execution_v2_BatchReadBlobsResponse, BatchReadBlobsResponse__Output as _build_bazel_remote_execution_v2_BatchReadBlobsResponse__Output } from '../../../../../build/bazel/remote/execution/v2/BatchReadBlobsResponse.js';
import type { BatchUpdateBlobsRequest as _build_bazel_remote_execution_v2_BatchUpdateBlobsRequest, BatchUpdateBlobsRequest__Output as _build_bazel_remote_execution_v2_BatchUpdateBlobsRequest__Output } from '../../../../../build/bazel/remote/execution/v2/BatchUpdateBlobsRequest.js';
import type { BatchUpdateBlobsResponse as _build_bazel_remote_execution_v2_BatchUpdateBlobsResponse, BatchUpdateBlobsResponse__Output as _build_bazel_remote_execution_v2_BatchUpdateBlobsResponse__Output } from '../../../../../build/bazel/remote/execution/v2/BatchUpdateBlobsResponse.js';
import type { FindMissingBlobsRequest as _build_bazel_remote_execution_v2_FindMissingBlobsRequest, FindMissingBlobsRequest__Output as _build_bazel_remote_execution_v2_FindMissingBlobsRequest__Output } from '../../../../../build/bazel/remote/execution/v2/FindMissingBlobsRequest.js';
import type { FindMissingBlobsResponse as _build_bazel_remote_execution_v2_FindMissingBlobsResponse, FindMissingBlobsResponse__Output as _build_bazel_remote_execution_v2_FindMissingBlobsResponse__Output } from '../../../../../build/bazel/remote/execution/v2/FindMissingBlobsResponse.js';

export interface ContentAddressableStorageClient extends grpc.Client {
  BatchReadBlobs(argument: _build_bazel_remote_execution_v2_BatchReadBlobsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_build_bazel_remote_execution_v2_BatchReadBlobsResponse__Output>): grpc.ClientUnaryCall;
  BatchReadBlobs(argument: _build_bazel_remote_execution_v2_BatchReadBlobsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_build_bazel_remote_execution_v2_BatchReadBlobsResponse__Output>): grpc.ClientUnaryCall;
  BatchReadBlobs(argument: _build_bazel_remote_execution_v2_BatchReadBlobsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_build_bazel_remote_execution_v2_BatchReadBlobsResponse__Output>): grpc.ClientUnaryCall;
  BatchReadBlobs(argument: _build_bazel_remote_execution_v2_BatchReadBlobsRequest, callback: grpc.requestCallback<_build_bazel_remote_execution_v2_BatchReadBlobsResponse__Output>): grpc.ClientUnaryCall;
  batchReadBlobs(argument: _build_bazel_remote_execution_v2_BatchReadBlobsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_build_bazel_remote_execution_v2_BatchReadBlobsResponse__Output>): grpc.ClientUnaryCall;
  batchReadBlobs(argument: _build_bazel_remote_execution_v2_BatchReadBlobsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_build_bazel_remote_execution_v2_BatchReadBlobsResponse__Output>): grpc.ClientUnaryCall;
  batchReadBlobs(argument: _build_bazel_remote_execution_v2_BatchReadBlobsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_build_bazel_remote_execution_v2_BatchReadBlobsResponse__Output>): grpc.ClientUnaryCall;
  batchReadBlobs(argument: _build_bazel_remote_execution_v2_BatchReadBlobsRequest, callback: grpc.requestCallback<_build_bazel_remote_execution_v2_BatchReadBlobsResponse__Output>): grpc.ClientUnaryCall;
  
  BatchUpdateBlobs(argument: _build_bazel_remote_execution_v2_BatchUpdateBlobsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_build_bazel_remote_execution_v2_BatchUpdateBlobsResponse__Output>): grpc.ClientUnaryCall;
  BatchUpdateBlobs(argument: _build_bazel_remote_execution_v2_BatchUpdateBlobsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_build_bazel_remote_execution_v2_BatchUpdateBlobsResponse__Output>): grpc.ClientUnaryCall;
  BatchUpdateBlobs(argument: _build_bazel_remote_execution_v2_BatchUpdateBlobsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_build_bazel_remote_execution_v2_BatchUpdateBlobsResponse__Output>): grpc.ClientUnaryCall;
  BatchUpdateBlobs(argument: _build_bazel_remote_execution_v2_BatchUpdateBlobsRequest, callback: grpc.requestCallback<_build_bazel_remote_execution_v2_BatchUpdateBlobsResponse__Output>): grpc.ClientUnaryCall;
  batchUpdateBlobs(argument: _build_bazel_remote_execution_v2_BatchUpdateBlobsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_build_bazel_remote_execution_v2_BatchUpdateBlobsResponse__Output>): grpc.ClientUnaryCall;
  batchUpdateBlobs(argument: _build_bazel_remote_execution_v2_BatchUpdateBlobsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_build_bazel_remote_execution_v2_BatchUpdateBlobsResponse__Output>): grpc.ClientUnaryCall;
  batchUpdateBlobs(argument: _build_bazel_remote_execution_v2_BatchUpdateBlobsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_build_bazel_remote_execution_v2_BatchUpdateBlobsResponse__Output>): grpc.ClientUnaryCall;
  batchUpdateBlobs(argument: _build_bazel_remote_execution_v2_BatchUpdateBlobsRequest, callback: grpc.requestCallback<_build_bazel_remote_execution_v2_BatchUpdateBlobsResponse__Output>): grpc.ClientUnaryCall;
  
  FindMissingBlobs(argument: _build_bazel_remote_execution_v2_FindMissingBlobsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_build_bazel_remote_execution_v2_FindMissingBlobsResponse__Output>): grpc.ClientUnaryCall;
  FindMissingBlobs(argument: _build_bazel_remote_execution_v2_FindMissingBlobsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_build_bazel_remote_execution_v2_FindMissingBlobsResponse__Output>): grpc.ClientUnaryCall;
  FindMissingBlobs(argument: _build_bazel_remote_execution_v2_FindMissingBlobsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_build_bazel_remote_execution_v2_FindMissingBlobsResponse__Output>): grpc.ClientUnaryCall;
  FindMissingBlobs(argument: _build_bazel_remote_execution_v2_FindMissingBlobsRequest, callback: grpc.requestCallback<_build_bazel_remote_execution_v2_FindMissingBlobsResponse__Output>): grpc.ClientUnaryCall;
  findMissingBlobs(argument: _build_bazel_remote_execution_v2_FindMissingBlobsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_build_bazel_remote_execution_v2_FindMissingBlobsResponse__Output>): grpc.ClientUnaryCall;
  findMissingBlobs(argument: _build_bazel_remote_execution_v2_FindMissingBlobsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_build_bazel_remote_execution_v2_FindMissingBlobsResponse__Output>): grpc.ClientUnaryCall;
  findMissingBlobs(argument: _build_bazel_remote_execution_v2_FindMissingBlobsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_build_bazel_remote_execution_v2_FindMissingBlobsResponse__Output>): grpc.ClientUnaryCall;
  findMissingBlobs(argument: _build_bazel_remote_execution_v2_FindMissingBlobsRequest, callback: grpc.requestCallback<_build_bazel_remote_execution_v2_FindMissingBlobsResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface ContentAddressableStorageHandlers extends grpc.UntypedServiceImplementation {
  BatchReadBlobs: grpc.handleUnaryCall<_build_bazel_remote_execution_v2_BatchReadBlobsRequest__Output, _build_bazel_remote_execution_v2_BatchReadBlobsResponse>;
  
  BatchUpdateBlobs: grpc.handleUnaryCall<_build_bazel_remote_execution_v2_BatchUpdateBlobsRequest__Output, _build_bazel_remote_execution_v2_BatchUpdateBlobsResponse>;
  
  FindMissingBlobs: grpc.handleUnaryCall<_build_bazel_remote_execution_v2_FindMissingBlobsRequest__Output, _build_bazel_remote_execution_v2_FindMissingBlobsResponse>;
  
}

export interface ContentAddressableStorageDefinition extends grpc.ServiceDefinition {
  BatchReadBlobs: MethodDefinition<_build_bazel_remote_execution_v2_BatchReadBlobsRequest, _build_bazel_remote_execution_v2_BatchReadBlobsResponse, _build_bazel_remote_execution_v2_BatchReadBlobsRequest__Output, _build_bazel_remote_execution_v2_BatchReadBlobsResponse__Output>
  BatchUpdateBlobs: MethodDefinition<_build_bazel_remote_execution_v2_BatchUpdateBlobsRequest, _build_bazel_remote_execution_v2_BatchUpdateBlobsResponse, _build_bazel_remote_execution_v2_BatchUpdateBlobsRequest__Output, _build_bazel_remote_execution_v2_BatchUpdateBlobsResponse__Output>
  FindMissingBlobs: MethodDefinition<_build_bazel_remote_execution_v2_FindMissingBlobsRequest, _build_bazel_remote_execution_v2_FindMissingBlobsResponse, _build_bazel_remote_execution_v2_FindMissingBlobsRequest__Output, _build_bazel_remote_execution_v2_FindMissingBlobsResponse__Output>
}
