"""Shared memory: tensor bytes handed to a client on the same host through a memfd, not a socket.

A socket costs each byte a copy into the kernel and one out of it, on each side's CPU; a memfd
(anonymous memory with a file descriptor, `memfd_create`) costs one copy in each direction that
Node can make: the client writes a tensor's bytes into the memfd, the server maps it and gives the
mapping to XLA as the device buffer itself (XLA's CPU client aliases aligned host memory), and on
the way back the server writes a buffer's bytes into a fresh memfd that the client reads.

How the client reaches it: the server names the memfd by its own pid and descriptor number, and
the client opens /proc/PID/fd/FD. The kernel lets only a process of the server's own user (with
ptrace read access to it) open that path, so no other local user can read or replace the bytes;
there is no file name in any directory to guess, swap or leave behind. The client checks that the
descriptor it opened is the memfd named in the reply (a random name: `/memfd:NAME (deleted)`), so
a reply naming another process's descriptor is refused before a byte is written or read.

Every region is also named in the caller's session: only that session can finish or close it.
A region that is not finished or closed within the ticket time (the client died, say) is closed
by the sweeper, and every region dies with the server process; the memory is the kernel's to free
once no process holds the descriptor or a mapping. No digest is computed on this route: the bytes
cross no wire, and hashing 575 MB costs more than moving it.
"""

from __future__ import annotations

import ctypes
import mmap
import os
import secrets
import stat
import threading
import time
import weakref
from dataclasses import dataclass

import numpy as np

# A memfd's name as the client sees it through /proc: "/memfd:" + NAME_PREFIX + 32 hex digits.
NAME_PREFIX = "tpu-build-"
WRITE_SLICE = 64 << 20


_libc = ctypes.CDLL(None, use_errno=True)
_libc.mmap.restype = ctypes.c_void_p
_libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
_libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
MAP_FAILED = ctypes.c_void_p(-1).value


def _private_mapping(fd: int, size: int) -> np.ndarray:
    """The memfd's bytes as a copy-on-write mapping (nothing its other holders could still do reaches
    the array), unmapped when the array is collected.

    Not Python's mmap.mmap: it keeps a duplicate of the descriptor for as long as the mapping lives,
    which for a resident device buffer is a descriptor per tensor, and a process has only so many.
    """
    address = _libc.mmap(None, size, mmap.PROT_READ | mmap.PROT_WRITE, mmap.MAP_PRIVATE, fd, 0)
    if address in (None, MAP_FAILED):
        error = ctypes.get_errno()
        raise OSError(error, f"mmap of a shared-memory region: {os.strerror(error)}")
    memory = (ctypes.c_uint8 * size).from_address(address)
    weakref.finalize(memory, _libc.munmap, address, size)
    return np.frombuffer(memory, dtype=np.uint8)


def available() -> bool:
    return hasattr(os, "memfd_create") and os.path.isdir(f"/proc/{os.getpid()}/fd")


class SharedMemoryError(Exception):
    """A request the client is told about: `code` is a gRPC status name."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


@dataclass
class Region:
    name: str
    fd: int
    direction: str  # "in" or "out"
    total_bytes: int
    session: object
    expires: float  # time.monotonic()
    # "in": the shape to make of the bytes and where they go.
    shape: object = None
    device: object = 0
    # "out": the buffer whose bytes it holds, released when the region is closed if `release`.
    buffer: str = ""
    release: bool = False


class SharedMemoryTable:
    def __init__(self, ttl: float, on_abandoned_in, on_closed_out, log):
        self.ttl = ttl
        self.on_abandoned_in = on_abandoned_in  # called with a Region "in" that will never be finished
        self.on_closed_out = on_closed_out  # called with a Region "out" the client has read, once closed
        self.log = log
        self.lock = threading.Lock()
        self.regions: dict[str, Region] = {}
        self.closed = threading.Event()
        threading.Thread(target=self._expire_loop, name="shm-expire", daemon=True).start()

    def _create(self, direction: str, total_bytes: int, session, **fields) -> Region:
        name = NAME_PREFIX + secrets.token_hex(16)
        fd = os.memfd_create(name, os.MFD_CLOEXEC)
        try:
            os.ftruncate(fd, total_bytes)
        except OSError:
            os.close(fd)
            raise
        region = Region(name, fd, direction, total_bytes, session, time.monotonic() + self.ttl, **fields)
        with self.lock:
            self.regions[name] = region
        return region

    def open_in(self, total_bytes: int, session, shape, device) -> Region:
        """A memfd of `total_bytes` for the client to write a tensor's bytes into."""
        return self._create("in", total_bytes, session, shape=shape, device=device)

    def take(self, name: str, session, direction: str | None = None) -> Region:
        """The session's region `name`, removed from the table (the caller now owns its fd)."""
        with self.lock:
            region = self.regions.get(name)
            if region is None or region.session is not session or direction not in (None, region.direction):
                raise SharedMemoryError("NOT_FOUND", f"no shared-memory region {name!r}{f' ({direction})' if direction else ''} in this session: unknown, finished or expired")
            del self.regions[name]
        return region

    def mapped(self, region: Region) -> np.ndarray:
        """The bytes the client wrote, as a private mapping (written to by nobody after this), and
        the region's descriptor closed. A memfd whose size changed is refused."""
        try:
            info = os.fstat(region.fd)
            if not stat.S_ISREG(info.st_mode) or info.st_size != region.total_bytes:
                raise SharedMemoryError("INVALID_ARGUMENT", f"the shared-memory region holds {info.st_size} bytes, the tensor {region.total_bytes}")
            if region.total_bytes == 0:
                return np.empty(0, dtype=np.uint8)
            return _private_mapping(region.fd, region.total_bytes)
        finally:
            os.close(region.fd)

    def open_out(self, data: memoryview, session, buffer: str, release: bool) -> Region:
        """A memfd holding `data` (the bytes of `buffer`), for the client to read."""
        region = self._create("out", len(data), session, buffer=buffer, release=release)
        try:
            written = 0
            while written < len(data):
                written += os.pwrite(region.fd, data[written : written + WRITE_SLICE], written)
        except BaseException:
            self.close(region.name, session)
            raise
        return region

    def close(self, name: str, session, read: bool = False) -> bool:
        """Closes a region the client has read (releasing its buffer if asked), or abandons one it
        will not finish; False when it was not known."""
        try:
            region = self.take(name, session)
        except SharedMemoryError:
            return False
        self._free(region, read)
        return True

    def _free(self, region: Region, read: bool = False) -> None:
        os.close(region.fd)
        if region.direction == "in":
            self.on_abandoned_in(region)
        elif read:
            self.on_closed_out(region)

    @property
    def pending(self) -> int:
        with self.lock:
            return len(self.regions)

    def _expire_loop(self) -> None:
        while not self.closed.wait(1.0):
            self.expire(time.monotonic())

    def expire(self, now: float) -> None:
        with self.lock:
            expired = [r for r in self.regions.values() if r.expires < now]
            for r in expired:
                del self.regions[r.name]
        for r in expired:
            self._free(r)
            self.log(f"shared memory: a region {r.direction} of {r.total_bytes} bytes was not {'finished' if r.direction == 'in' else 'closed'} in time; freed")

    def shutdown(self) -> None:
        self.closed.set()
        with self.lock:
            regions = list(self.regions.values())
            self.regions.clear()
        for r in regions:
            self._free(r)
