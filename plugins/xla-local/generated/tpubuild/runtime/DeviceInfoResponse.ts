// Original file: proto/runtime.proto

import type { Device as _tpubuild_runtime_Device, Device__Output as _tpubuild_runtime_Device__Output } from '../../tpubuild/runtime/Device.js';

export interface DeviceInfoResponse {
  /**
   * PJRT platform name: "cpu", "tpu", "cuda", ...
   */
  'platform'?: (string);
  'platformVersion'?: (string);
  'devices'?: (_tpubuild_runtime_Device)[];
  'jaxVersion'?: (string);
  'jaxlibVersion'?: (string);
  'serverVersion'?: (string);
  /**
   * The libtpu package's version; empty where it is not installed.
   */
  'libtpuVersion'?: (string);
  /**
   * Servers started with --coordinator act as one (JAX's distributed runtime): `devices` are then
   * the global devices of all of them, and this is this server's place among the process_count.
   */
  'processIndex'?: (number);
  'processCount'?: (number);
}

export interface DeviceInfoResponse__Output {
  /**
   * PJRT platform name: "cpu", "tpu", "cuda", ...
   */
  'platform': (string);
  'platformVersion': (string);
  'devices': (_tpubuild_runtime_Device__Output)[];
  'jaxVersion': (string);
  'jaxlibVersion': (string);
  'serverVersion': (string);
  /**
   * The libtpu package's version; empty where it is not installed.
   */
  'libtpuVersion': (string);
  /**
   * Servers started with --coordinator act as one (JAX's distributed runtime): `devices` are then
   * the global devices of all of them, and this is this server's place among the process_count.
   */
  'processIndex': (number);
  'processCount': (number);
}
