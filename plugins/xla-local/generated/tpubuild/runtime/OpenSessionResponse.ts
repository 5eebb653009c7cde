// Original file: proto/runtime.proto

import type { Long } from '@grpc/proto-loader';

export interface OpenSessionResponse {
  /**
   * The session id, sent as the `tpu-build-session` metadata; unguessable.
   */
  'session'?: (string);
  'maxSessionBytes'?: (number | string | Long);
  /**
   * The session is freed after this long without a call (0: never).
   */
  'idleTimeoutSeconds'?: (number | string);
}

export interface OpenSessionResponse__Output {
  /**
   * The session id, sent as the `tpu-build-session` metadata; unguessable.
   */
  'session': (string);
  'maxSessionBytes': (number);
  /**
   * The session is freed after this long without a call (0: never).
   */
  'idleTimeoutSeconds': (number);
}
