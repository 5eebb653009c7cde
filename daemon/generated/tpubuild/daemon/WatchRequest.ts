// Original file: proto/daemon.proto

import type { ClientIdentity as _tpubuild_daemon_ClientIdentity, ClientIdentity__Output as _tpubuild_daemon_ClientIdentity__Output } from '../../tpubuild/daemon/ClientIdentity.js';

export interface WatchRequest {
  'client'?: (_tpubuild_daemon_ClientIdentity | null);
  'config'?: (string);
  'outDir'?: (string);
  /**
   * the entries to keep built; empty: every entry
   */
  'entries'?: (string)[];
  /**
   * `tpu-build events`: listen to the session's builds (started by `watch` or `build`), start nothing
   */
  'passive'?: (boolean);
  /**
   * the client's current directory: paths in the session's events and messages are relative to it
   * (a session has one: that of the last client that started watching it)
   */
  'cwd'?: (string);
}

export interface WatchRequest__Output {
  'client': (_tpubuild_daemon_ClientIdentity__Output | null);
  'config': (string);
  'outDir': (string);
  /**
   * the entries to keep built; empty: every entry
   */
  'entries': (string)[];
  /**
   * `tpu-build events`: listen to the session's builds (started by `watch` or `build`), start nothing
   */
  'passive': (boolean);
  /**
   * the client's current directory: paths in the session's events and messages are relative to it
   * (a session has one: that of the last client that started watching it)
   */
  'cwd': (string);
}
