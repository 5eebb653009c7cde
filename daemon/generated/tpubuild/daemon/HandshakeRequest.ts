// Original file: proto/daemon.proto

import type { ClientIdentity as _tpubuild_daemon_ClientIdentity, ClientIdentity__Output as _tpubuild_daemon_ClientIdentity__Output } from '../../tpubuild/daemon/ClientIdentity.js';

export interface HandshakeRequest {
  'client'?: (_tpubuild_daemon_ClientIdentity | null);
  /**
   * absolute workspace directory the client expects this daemon to serve
   */
  'workspace'?: (string);
}

export interface HandshakeRequest__Output {
  'client': (_tpubuild_daemon_ClientIdentity__Output | null);
  /**
   * absolute workspace directory the client expects this daemon to serve
   */
  'workspace': (string);
}
