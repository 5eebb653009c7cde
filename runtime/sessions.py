"""Who may call the runtime server, and what each caller owns.

- `Authenticator`: every call carries the server's secret as `authorization: Bearer <token>`; it is
  compared in constant time (digests of equal length, so not even the token's length leaks).
- `Session`: what one client made on this server. Buffer and executable handles are random and
  live in the session's own tables, so a handle from another session is simply unknown. A session
  holds at most `max_bytes` of device buffers (resident ones plus data-channel transfers under
  way) and is freed when unused for `idle_timeout` seconds.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass, field

import grpc

SESSION_METADATA = "tpu-build-session"


class RequestError(Exception):
    def __init__(self, code: grpc.StatusCode, message: str):
        super().__init__(message)
        self.code = code


def new_handle(prefix: str) -> str:
    """An unguessable handle (128 random bits)."""
    return f"{prefix}-{secrets.token_hex(16)}"


def metadata_value(context, key: str) -> str | None:
    for k, v in context.invocation_metadata() or ():
        if k == key:
            return v
    return None


class Authenticator:
    def __init__(self, token: str | None):
        self._digest = hashlib.sha256(token.encode()).digest() if token else None

    @property
    def required(self) -> bool:
        return self._digest is not None

    def check(self, context) -> None:
        if self._digest is None:
            return
        presented = metadata_value(context, "authorization") or ""
        scheme, _, token = presented.partition(" ")
        ok = scheme.lower() == "bearer" and hmac.compare_digest(hashlib.sha256(token.encode()).digest(), self._digest)
        if not ok:
            raise RequestError(
                grpc.StatusCode.UNAUTHENTICATED,
                "this runtime server needs its token (call metadata `authorization: Bearer <token>`); the call carried "
                + ("a wrong one" if presented else "none"),
            )


@dataclass
class Session:
    id: str
    client: str
    max_bytes: int  # 0: no limit
    buffers: dict[str, object] = field(default_factory=dict)
    buffer_bytes: dict[str, int] = field(default_factory=dict)
    executables: dict[str, object] = field(default_factory=dict)
    resident_bytes: int = 0
    # Bytes promised to data-channel transfers in that have not arrived yet.
    reserved_bytes: int = 0
    last_used: float = field(default_factory=time.monotonic)
    # What this session moved (Health reports it): tensor bytes received from the client, and
    # Execute arguments copied to where the executable wants them first, with their bytes.
    received_bytes: int = 0
    moved_arguments: int = 0
    moved_bytes: int = 0
    active_calls: int = 0
    closed: bool = False


class SessionTable:
    """Sessions by id, with their byte accounting; `lock` guards every session's tables too."""

    def __init__(self, max_bytes: int, idle_timeout: float, log, on_free):
        self.max_bytes = max_bytes
        self.idle_timeout = idle_timeout
        self.log = log
        # Called with a freed session's buffers and executables, outside the lock.
        self.on_free = on_free
        self.lock = threading.RLock()
        self.sessions: dict[str, Session] = {}
        self.stopped = threading.Event()
        if idle_timeout > 0:
            threading.Thread(target=self._reap_loop, name="session-reaper", daemon=True).start()

    def open(self, client: str) -> Session:
        session = Session(new_handle("ses"), client, self.max_bytes)
        with self.lock:
            self.sessions[session.id] = session
        self.log(f"session {session.id[:12]}… opened by {client or 'an unnamed client'}")
        return session

    def get(self, session_id: str | None) -> Session:
        if not session_id:
            raise RequestError(grpc.StatusCode.FAILED_PRECONDITION, f"this call needs a session: call OpenSession and send its id as the `{SESSION_METADATA}` metadata")
        with self.lock:
            session = self.sessions.get(session_id)
        if session is None:
            idle = f" (sessions are freed after {self.idle_timeout:g} s without a call)" if self.idle_timeout > 0 else ""
            raise RequestError(grpc.StatusCode.NOT_FOUND, f"unknown or expired session{idle}; its buffers and executables are gone")
        return session

    def begin(self, session: Session) -> None:
        with self.lock:
            session.active_calls += 1
            session.last_used = time.monotonic()

    def end(self, session: Session) -> None:
        with self.lock:
            session.active_calls -= 1
            session.last_used = time.monotonic()

    # --- byte accounting -------------------------------------------------------------------------

    def _check(self, session: Session, more: int, what: str) -> None:
        if session.closed:
            raise RequestError(grpc.StatusCode.NOT_FOUND, "the session was closed or expired while this call ran")
        held = session.resident_bytes + session.reserved_bytes
        if session.max_bytes and held + more > session.max_bytes:
            raise RequestError(
                grpc.StatusCode.RESOURCE_EXHAUSTED,
                f"{what} needs {more} bytes on the device; this session holds {held} of its {session.max_bytes} bytes "
                f"(--max-session-bytes), so it would reach {held + more}. Release buffers or ask for a larger quota",
            )

    def reserve(self, session: Session, nbytes: int, what: str) -> None:
        with self.lock:
            self._check(session, nbytes, what)
            session.reserved_bytes += nbytes

    def unreserve(self, session: Session, nbytes: int) -> None:
        with self.lock:
            session.reserved_bytes = max(0, session.reserved_bytes - nbytes)

    def check_room(self, session: Session, nbytes: int, what: str) -> None:
        with self.lock:
            self._check(session, nbytes, what)

    def add_buffer(self, session: Session, handle: str, buffer, nbytes: int, reserved: int = 0) -> None:
        """Keeps a buffer in the session (`reserved`: bytes reserved for it earlier, now used)."""
        with self.lock:
            if session.closed:
                raise RequestError(grpc.StatusCode.NOT_FOUND, "the session was closed or expired while this call ran")
            session.reserved_bytes = max(0, session.reserved_bytes - reserved)
            session.buffers[handle] = buffer
            session.buffer_bytes[handle] = nbytes
            session.resident_bytes += nbytes

    def buffer(self, session: Session, handle: str):
        with self.lock:
            buffer = session.buffers.get(handle)
        if buffer is None:
            raise RequestError(grpc.StatusCode.NOT_FOUND, f"unknown buffer handle {handle!r} (not issued to this session, or released)")
        return buffer

    def pop_buffer(self, session: Session, handle: str):
        with self.lock:
            buffer = session.buffers.pop(handle, None)
            if buffer is not None:
                session.resident_bytes -= session.buffer_bytes.pop(handle, 0)
        return buffer

    # --- ending sessions -------------------------------------------------------------------------

    def close(self, session: Session, why: str) -> int:
        with self.lock:
            if session.closed:
                return 0
            session.closed = True
            self.sessions.pop(session.id, None)
            buffers = list(session.buffers.values())
            executables = list(session.executables.values())
            session.buffers.clear()
            session.buffer_bytes.clear()
            session.executables.clear()
            session.resident_bytes = 0
        self.on_free(buffers, executables)
        self.log(f"session {session.id[:12]}… {why}: freed {len(buffers)} buffer(s), {len(executables)} executable(s)")
        return len(buffers) + len(executables)

    def _reap_loop(self) -> None:
        period = min(max(self.idle_timeout / 4, 0.05), 5.0)
        while not self.stopped.wait(period):
            now = time.monotonic()
            with self.lock:
                idle = [s for s in self.sessions.values() if s.active_calls == 0 and now - s.last_used > self.idle_timeout]
            for s in idle:
                self.close(s, f"idle for over {self.idle_timeout:g} s")

    def stop(self) -> None:
        self.stopped.set()
