// Original file: proto/runtime.proto


export interface HealthResponse {
  'serving'?: (boolean);
  /**
   * Version of this protocol's server implementation (runtime/server.py).
   */
  'serverVersion'?: (string);
  'pid'?: (number);
  'uptimeSeconds'?: (number | string);
  'liveBuffers'?: (number);
  'liveExecutables'?: (number);
  /**
   * Where the data channel listens: "unix:/abs/path" or "HOST:PORT"; empty when the server has none
   * (started with --no-data-channel, or a server older than 0.2.0).
   */
  'dataAddress'?: (string);
  /**
   * Data-channel tickets issued and not yet finished, failed or expired.
   */
  'pendingTransfers'?: (number);
}

export interface HealthResponse__Output {
  'serving': (boolean);
  /**
   * Version of this protocol's server implementation (runtime/server.py).
   */
  'serverVersion': (string);
  'pid': (number);
  'uptimeSeconds': (number);
  'liveBuffers': (number);
  'liveExecutables': (number);
  /**
   * Where the data channel listens: "unix:/abs/path" or "HOST:PORT"; empty when the server has none
   * (started with --no-data-channel, or a server older than 0.2.0).
   */
  'dataAddress': (string);
  /**
   * Data-channel tickets issued and not yet finished, failed or expired.
   */
  'pendingTransfers': (number);
}
