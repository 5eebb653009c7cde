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
}
