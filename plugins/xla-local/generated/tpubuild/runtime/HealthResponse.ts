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
}
