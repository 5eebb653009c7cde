// Original file: proto/daemon.proto


export interface HandshakeResponse {
  'compatible'?: (boolean);
  'version'?: (string);
  'buildId'?: (string);
  'pid'?: (number);
  'workspace'?: (string);
}

export interface HandshakeResponse__Output {
  'compatible': (boolean);
  'version': (string);
  'buildId': (string);
  'pid': (number);
  'workspace': (string);
}
