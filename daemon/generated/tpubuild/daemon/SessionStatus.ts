// Original file: proto/daemon.proto


export interface SessionStatus {
  'config'?: (string);
  'outDir'?: (string);
  'watchedFiles'?: (number);
  'polling'?: (boolean);
  'builds'?: (number);
  /**
   * exit code of the last complete build; -1 before the first
   */
  'lastExitCode'?: (number);
  'lastFinishedAt'?: (string);
  'runtimePids'?: (number)[];
}

export interface SessionStatus__Output {
  'config': (string);
  'outDir': (string);
  'watchedFiles': (number);
  'polling': (boolean);
  'builds': (number);
  /**
   * exit code of the last complete build; -1 before the first
   */
  'lastExitCode': (number);
  'lastFinishedAt': (string);
  'runtimePids': (number)[];
}
