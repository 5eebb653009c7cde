// Original file: proto/daemon.proto

import type { SessionStatus as _tpubuild_daemon_SessionStatus, SessionStatus__Output as _tpubuild_daemon_SessionStatus__Output } from '../../tpubuild/daemon/SessionStatus.js';
import type { Long } from '@grpc/proto-loader';

export interface StatusResponse {
  'pid'?: (number);
  'version'?: (string);
  'buildId'?: (string);
  'workspace'?: (string);
  'socket'?: (string);
  'startedAt'?: (string);
  'uptimeSeconds'?: (number | string);
  'rssBytes'?: (number | string | Long);
  'clients'?: (number);
  'idleTimeoutSeconds'?: (number | string);
  'sessions'?: (_tpubuild_daemon_SessionStatus)[];
}

export interface StatusResponse__Output {
  'pid': (number);
  'version': (string);
  'buildId': (string);
  'workspace': (string);
  'socket': (string);
  'startedAt': (string);
  'uptimeSeconds': (number);
  'rssBytes': (number);
  'clients': (number);
  'idleTimeoutSeconds': (number);
  'sessions': (_tpubuild_daemon_SessionStatus__Output)[];
}
