// Original file: proto/daemon.proto

import type { ClientIdentity as _tpubuild_daemon_ClientIdentity, ClientIdentity__Output as _tpubuild_daemon_ClientIdentity__Output } from '../../tpubuild/daemon/ClientIdentity.js';

export interface BuildRequest {
  'client'?: (_tpubuild_daemon_ClientIdentity | null);
  /**
   * absolute path of tpu.config.json
   */
  'config'?: (string);
  /**
   * absolute output directory; empty: the manifest's
   */
  'outDir'?: (string);
  /**
   * the entries to build (with those whose results they take); empty: every entry
   */
  'entries'?: (string)[];
  /**
   * rerun every run, up to date or not
   */
  'force'?: (boolean);
  /**
   * the client's current directory: paths in the build's events and messages are relative to it
   */
  'cwd'?: (string);
}

export interface BuildRequest__Output {
  'client': (_tpubuild_daemon_ClientIdentity__Output | null);
  /**
   * absolute path of tpu.config.json
   */
  'config': (string);
  /**
   * absolute output directory; empty: the manifest's
   */
  'outDir': (string);
  /**
   * the entries to build (with those whose results they take); empty: every entry
   */
  'entries': (string)[];
  /**
   * rerun every run, up to date or not
   */
  'force': (boolean);
  /**
   * the client's current directory: paths in the build's events and messages are relative to it
   */
  'cwd': (string);
}
