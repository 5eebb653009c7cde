// Original file: proto/daemon.proto


export interface ClientIdentity {
  /**
   * package.json version
   */
  'version'?: (string);
  /**
   * hash of the installed dist/ files (or TPU_BUILD_BUILD_ID)
   */
  'buildId'?: (string);
}

export interface ClientIdentity__Output {
  /**
   * package.json version
   */
  'version': (string);
  /**
   * hash of the installed dist/ files (or TPU_BUILD_BUILD_ID)
   */
  'buildId': (string);
}
