// Original file: proto/daemon.proto


export interface BuildOutput {
  /**
   * one BuildEvent or WatchEvent as JSON
   */
  'eventJson'?: (string);
  /**
   * a human progress line
   */
  'log'?: (string);
  /**
   * a human error report (diagnostic with source line and caret)
   */
  'error'?: (string);
  /**
   * the build's exit code: the last message of a Build stream
   */
  'exitCode'?: (number);
  'kind'?: "eventJson"|"log"|"error"|"exitCode";
}

export interface BuildOutput__Output {
  /**
   * one BuildEvent or WatchEvent as JSON
   */
  'eventJson'?: (string);
  /**
   * a human progress line
   */
  'log'?: (string);
  /**
   * a human error report (diagnostic with source line and caret)
   */
  'error'?: (string);
  /**
   * the build's exit code: the last message of a Build stream
   */
  'exitCode'?: (number);
  'kind'?: "eventJson"|"log"|"error"|"exitCode";
}
