// Original file: proto/runtime.proto

import type { Long } from '@grpc/proto-loader';

export interface Device {
  /**
   * The device's ordinal in this server (what TransferInHeader.device and CompileRequest.device name).
   */
  'ordinal'?: (number);
  /**
   * PJRT's device id.
   */
  'id'?: (number);
  /**
   * e.g. "cpu", "TPU v4".
   */
  'kind'?: (string);
  /**
   * The device's memory as PJRT reports it (memory_stats: bytes_limit, bytes_in_use); 0 when it
   * reports none (XLA's CPU client) and the server was not told (--device-memory).
   */
  'memoryBytes'?: (number | string | Long);
  'memoryInUseBytes'?: (number | string | Long);
  /**
   * Which of the servers acting as one holds the device (JAX's process index; 0 on one host).
   */
  'processIndex'?: (number);
}

export interface Device__Output {
  /**
   * The device's ordinal in this server (what TransferInHeader.device and CompileRequest.device name).
   */
  'ordinal': (number);
  /**
   * PJRT's device id.
   */
  'id': (number);
  /**
   * e.g. "cpu", "TPU v4".
   */
  'kind': (string);
  /**
   * The device's memory as PJRT reports it (memory_stats: bytes_limit, bytes_in_use); 0 when it
   * reports none (XLA's CPU client) and the server was not told (--device-memory).
   */
  'memoryBytes': (number);
  'memoryInUseBytes': (number);
  /**
   * Which of the servers acting as one holds the device (JAX's process index; 0 on one host).
   */
  'processIndex': (number);
}
