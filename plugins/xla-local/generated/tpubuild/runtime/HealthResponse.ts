// Original file: proto/runtime.proto

import type { Long } from '@grpc/proto-loader';

export interface HealthResponse {
  'serving'?: (boolean);
  /**
   * Version of this protocol's server implementation (runtime/server.py).
   */
  'serverVersion'?: (string);
  'pid'?: (number);
  'uptimeSeconds'?: (number | string);
  /**
   * Buffers and executables of the caller's session (0 when the call carries none).
   */
  'liveBuffers'?: (number);
  'liveExecutables'?: (number);
  /**
   * Where the data channel listens: "unix:/abs/path" or "HOST:PORT"; empty when the server has none
   * (started with --no-data-channel, or a server older than 0.2.0).
   */
  'dataAddress'?: (string);
  /**
   * Data-channel tickets and shared-memory regions issued and not yet finished, failed or expired
   * (all sessions).
   */
  'pendingTransfers'?: (number);
  /**
   * The data channel speaks TLS (the server serves gRPC over TLS).
   */
  'dataTls'?: (boolean);
  /**
   * The caller's session's resident device bytes, and its limit (0: none).
   */
  'sessionBytes'?: (number | string | Long);
  'maxSessionBytes'?: (number | string | Long);
  /**
   * What the caller's session has moved so far: tensor bytes received from the client (TransferIn
   * and the data channel), and Execute arguments that were not where the executable wants them
   * (split otherwise, or on other devices) and were copied there first, with their bytes.
   */
  'receivedBytes'?: (number | string | Long);
  'movedArguments'?: (number);
  'movedBytes'?: (number | string | Long);
  /**
   * Execute calls running now (all sessions).
   */
  'executing'?: (number);
  /**
   * The server offers shared memory (started with --shared-memory: a local target's child).
   */
  'sharedMemory'?: (boolean);
  /**
   * The data channel takes a tensor's SHA-256 after its bytes (TransferInHeader.digest_after,
   * TransferOutRequest.digest_after); servers from 0.7.0.
   */
  'digestAfter'?: (boolean);
}

export interface HealthResponse__Output {
  'serving': (boolean);
  /**
   * Version of this protocol's server implementation (runtime/server.py).
   */
  'serverVersion': (string);
  'pid': (number);
  'uptimeSeconds': (number);
  /**
   * Buffers and executables of the caller's session (0 when the call carries none).
   */
  'liveBuffers': (number);
  'liveExecutables': (number);
  /**
   * Where the data channel listens: "unix:/abs/path" or "HOST:PORT"; empty when the server has none
   * (started with --no-data-channel, or a server older than 0.2.0).
   */
  'dataAddress': (string);
  /**
   * Data-channel tickets and shared-memory regions issued and not yet finished, failed or expired
   * (all sessions).
   */
  'pendingTransfers': (number);
  /**
   * The data channel speaks TLS (the server serves gRPC over TLS).
   */
  'dataTls': (boolean);
  /**
   * The caller's session's resident device bytes, and its limit (0: none).
   */
  'sessionBytes': (number);
  'maxSessionBytes': (number);
  /**
   * What the caller's session has moved so far: tensor bytes received from the client (TransferIn
   * and the data channel), and Execute arguments that were not where the executable wants them
   * (split otherwise, or on other devices) and were copied there first, with their bytes.
   */
  'receivedBytes': (number);
  'movedArguments': (number);
  'movedBytes': (number);
  /**
   * Execute calls running now (all sessions).
   */
  'executing': (number);
  /**
   * The server offers shared memory (started with --shared-memory: a local target's child).
   */
  'sharedMemory': (boolean);
  /**
   * The data channel takes a tensor's SHA-256 after its bytes (TransferInHeader.digest_after,
   * TransferOutRequest.digest_after); servers from 0.7.0.
   */
  'digestAfter': (boolean);
}
