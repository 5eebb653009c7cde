"""The on-disk cache of compiled executables, so that a restarted server does not recompile.

One file per entry, named by its digest: a magic, the length of a JSON header, the header, then
the serialized executable. The header binds the entry to the digest it was stored under and to
the SHA-256 of the serialized executable, and both are checked before the blob is handed to
XLA's deserializer: a file copied over another entry's name, a flipped byte or a truncated write
is a miss (the caller recompiles and replaces it), never someone else's program or a crash inside
XLA. The header also keeps the flattened parameter and result shapes, which a deserialized
executable does not report by itself. Writes go to a temporary file that is renamed into place, so
a reader never sees half an entry and concurrent servers never corrupt one.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import struct
import tempfile
from dataclasses import dataclass

from xla_backend import ArrayShape

# v2: the header carries the entry's digest and the blob's SHA-256 (v1 entries are misses).
_MAGIC = b"TPUBEXE2"
_LENGTH = struct.Struct("<I")


def cache_digest(key: str, module_sha256: str, fingerprint: dict[str, str]) -> str:
    """The entry's name: the client's key, the module's SHA-256 (hex) and the runtime that compiled it.
    It is also the name under which servers share executables (ExecutableKey in proto/runtime.proto)."""
    h = hashlib.sha256()
    h.update(json.dumps({"key": key, "module_sha256": module_sha256, **fingerprint}, sort_keys=True).encode())
    return h.hexdigest()


@dataclass(frozen=True)
class CachedExecutable:
    blob: bytes
    parameters: tuple[ArrayShape, ...]
    results: tuple[ArrayShape, ...]


class Untrusted(Exception):
    """An entry that exists but is not the one asked for, or is damaged: the message says how."""


def _shapes_to_json(shapes) -> list:
    return [{"element_type": s.element_type, "dims": list(s.dims)} for s in shapes]


def _shapes_from_json(items) -> tuple[ArrayShape, ...]:
    return tuple(ArrayShape(str(i["element_type"]), tuple(int(d) for d in i["dims"])) for i in items)


class CacheDirRefused(Exception):
    """The cache directory is not ours to keep private (another user's, or not a directory)."""


class ExecutableCache:
    def __init__(self, directory: str | None):
        self.directory = directory
        # Set when a directory an earlier version left open to others was made owner-only.
        self.tightened_from: int | None = None
        if directory:
            os.makedirs(directory, mode=0o700, exist_ok=True)
            self._keep_private(directory)

    def _keep_private(self, directory: str) -> None:
        """makedirs never changes an existing directory: one an earlier version created under the
        umask (0755) is tightened to 0700; another user's, or a non-directory, is refused."""
        st = os.lstat(directory)
        if not stat.S_ISDIR(st.st_mode):
            raise CacheDirRefused(f"--cache-dir {directory} is not a directory")
        if st.st_uid != os.getuid():
            raise CacheDirRefused(f"--cache-dir {directory} belongs to another user (uid {st.st_uid}), who could replace the executables in it; refusing to use it")
        mode = stat.S_IMODE(st.st_mode)
        if mode & 0o077:
            os.chmod(directory, 0o700)
            self.tightened_from = mode

    def _path(self, digest: str) -> str:
        assert self.directory
        return os.path.join(self.directory, digest + ".exe")

    def has(self, digest: str) -> bool:
        return bool(self.directory) and os.path.isfile(self._path(digest))

    def get(self, digest: str) -> CachedExecutable | None:
        """The verified entry; None when there is none; Untrusted when there is one that fails a check."""
        if not self.directory:
            return None
        path = self._path(digest)
        try:
            with open(path, "rb") as f:
                content = f.read()
        except FileNotFoundError:
            return None
        except IsADirectoryError:
            raise Untrusted(f"{path} is a directory, not a cache entry") from None
        except OSError as e:
            raise Untrusted(f"{path} cannot be read ({e.strerror})") from None
        entry = decode_entry(content, digest, path)
        # The file's mtime is its last use: tpu-build's size cap removes the least recently used
        # entries (build/cache-upkeep.ts). A gc may have removed the file meanwhile: no error.
        try:
            os.utime(path)
        except OSError:
            pass
        return entry

    def put(self, digest: str, entry: CachedExecutable) -> None:
        if not self.directory:
            return
        path = self._path(digest)
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".exe")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(encode_entry(digest, entry))
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path)  # something made a directory where the entry goes: replace it
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise


def encode_entry(digest: str, entry: CachedExecutable) -> bytes:
    """An entry's bytes, as a cache file holds them and as ExportExecutable sends them."""
    header = json.dumps(
        {
            "digest": digest,
            "blob_sha256": hashlib.sha256(entry.blob).hexdigest(),
            "parameters": _shapes_to_json(entry.parameters),
            "results": _shapes_to_json(entry.results),
        }
    ).encode()
    return b"".join((_MAGIC, _LENGTH.pack(len(header)), header, entry.blob))


def decode_entry(content: bytes, digest: str, path: str) -> CachedExecutable:
    """The entry stored under `digest`, checked (Untrusted otherwise); `path` names where it came from."""
    if content[: len(_MAGIC)] != _MAGIC:
        raise Untrusted(f"{path} is not a tpu-build executable cache entry of this version")
    try:
        (n,) = _LENGTH.unpack_from(content, len(_MAGIC))
        start = len(_MAGIC) + _LENGTH.size
        header = json.loads(content[start : start + n])
        blob = content[start + n :]
        stored_under, blob_sha256 = header["digest"], header["blob_sha256"]
        parameters, results = _shapes_from_json(header["parameters"]), _shapes_from_json(header["results"])
    except (ValueError, KeyError, TypeError, struct.error) as e:
        raise Untrusted(f"{path} has a damaged header ({type(e).__name__})") from None
    if stored_under != digest:
        raise Untrusted(f"{path} holds the entry stored under {str(stored_under)[:12]}, not {digest[:12]} (a file moved or copied over another)")
    if hashlib.sha256(blob).hexdigest() != blob_sha256:
        raise Untrusted(f"{path}: the executable's bytes do not match the SHA-256 in its header (damaged or altered)")
    return CachedExecutable(blob, parameters, results)
