// Original file: proto/runtime.proto


/**
 * A serialized executable as the on-disk cache keeps it (runtime/executable_cache.py): a header
 * naming the digest and the SHA-256 of the serialized bytes, then those bytes. ImportExecutable
 * checks both (INVALID_ARGUMENT otherwise) before anything is deserialized; the client checks the
 * entry's integrity and signature in its own cache before sending it.
 */
export interface ExecutableEntry {
  'digest'?: (string);
  'entry'?: (Buffer | Uint8Array | string);
}

/**
 * A serialized executable as the on-disk cache keeps it (runtime/executable_cache.py): a header
 * naming the digest and the SHA-256 of the serialized bytes, then those bytes. ImportExecutable
 * checks both (INVALID_ARGUMENT otherwise) before anything is deserialized; the client checks the
 * entry's integrity and signature in its own cache before sending it.
 */
export interface ExecutableEntry__Output {
  'digest': (string);
  'entry': (Buffer);
}
