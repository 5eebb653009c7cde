"""The on-disk cache of compiled executables, so that a restarted server does not recompile.

One file per entry, named by its digest: a magic, the length of a JSON header, the header (the
flattened parameter and result shapes, which a deserialized executable does not report by itself),
then the serialized executable. Writes go to a temporary file that is renamed into place, so a
reader never sees half an entry and concurrent servers never corrupt one; an unreadable entry is
treated as a miss and overwritten.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import tempfile
from dataclasses import dataclass

from xla_backend import ArrayShape

_MAGIC = b"TPUBEXE1"


def cache_digest(key: str, hlo_module: bytes, fingerprint: dict[str, str]) -> str:
    """The entry's name: the client's key, the module bytes and the runtime that compiled them."""
    h = hashlib.sha256()
    h.update(json.dumps({"key": key, "module_sha256": hashlib.sha256(hlo_module).hexdigest(), **fingerprint}, sort_keys=True).encode())
    return h.hexdigest()


@dataclass(frozen=True)
class CachedExecutable:
    blob: bytes
    parameters: tuple[ArrayShape, ...]
    results: tuple[ArrayShape, ...]


def _shapes_to_json(shapes) -> list:
    return [{"element_type": s.element_type, "dims": list(s.dims)} for s in shapes]


def _shapes_from_json(items) -> tuple[ArrayShape, ...]:
    return tuple(ArrayShape(str(i["element_type"]), tuple(int(d) for d in i["dims"])) for i in items)


class ExecutableCache:
    def __init__(self, directory: str | None):
        self.directory = directory
        if directory:
            os.makedirs(directory, mode=0o700, exist_ok=True)

    def _path(self, digest: str) -> str:
        assert self.directory
        return os.path.join(self.directory, digest + ".exe")

    def get(self, digest: str) -> CachedExecutable | None:
        if not self.directory:
            return None
        try:
            with open(self._path(digest), "rb") as f:
                content = f.read()
        except FileNotFoundError:
            return None
        try:
            if content[: len(_MAGIC)] != _MAGIC:
                return None
            (n,) = struct.unpack_from("<I", content, len(_MAGIC))
            start = len(_MAGIC) + 4
            header = json.loads(content[start : start + n])
            return CachedExecutable(content[start + n :], _shapes_from_json(header["parameters"]), _shapes_from_json(header["results"]))
        except (ValueError, KeyError, struct.error):
            return None

    def put(self, digest: str, entry: CachedExecutable) -> None:
        if not self.directory:
            return
        header = json.dumps({"parameters": _shapes_to_json(entry.parameters), "results": _shapes_to_json(entry.results)}).encode()
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".exe")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(_MAGIC)
                f.write(struct.pack("<I", len(header)))
                f.write(header)
                f.write(entry.blob)
            os.replace(tmp, self._path(digest))
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise
