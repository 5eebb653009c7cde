// Original file: proto/runtime.proto


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
}
