"""The data channel: tensor bytes over a plain stream socket beside gRPC (proto/runtime.proto has the
wire format).

gRPC stays the control: OpenTransferIn/OpenTransferOut issue a Ticket here, and the bytes then flow
over a connection that presents the ticket's token. Bytes are received straight into the tensor's
host array (recv_into, no intermediate objects) and sent straight from it (send of a memoryview),
so each byte is copied once by the kernel on each side and by nothing else.

Each tensor's SHA-256 travels with it: the ticket of a transfer in carries the client's, checked
after the last byte and before anything reaches the device; a transfer out's acceptance carries the
server's. A ticket with `digest_after` has the SHA-256 follow the bytes instead (32 bytes), so that
the sender hashes while it sends: the server hashes a transfer out on a second thread while this
one sends, and every transfer in as its bytes arrive. Under TLS (`tls` given: the gRPC endpoint's certificate) every connection is wrapped in
it before the token is read (TlsConnection).

What can go wrong, and what happens:
- an unknown, used or expired token, or a byte count other than the ticket's: an error reply, then
  the connection is closed; nothing was allocated;
- bytes whose SHA-256 differs from the ticket's: a DATA_LOSS reply; nothing was kept;
- a connection that closes early or stalls for `idle_timeout` seconds: the transfer ends, its host
  array is dropped (freed), no device buffer is created, and the server's log says so;
- a ticket never presented: it expires after `ticket_ttl` seconds and is forgotten.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import socket
import ssl
import struct
import threading
import time
import traceback
from concurrent import futures
from dataclasses import dataclass
from typing import Callable, Protocol

import numpy as np
import runtime_pb2 as pb

MAGIC = b"TPBD"
TOKEN_BYTES = 32
# magic, token, byte count (uint64 little-endian)
PREAMBLE = struct.Struct("<4s32sQ")
REPLY_LENGTH = struct.Struct("<I")
DIGEST_BYTES = 32  # a SHA-256
# The longest a reply frame may be (a BufferInfo or an error message): guards the client's reader.
MAX_REPLY_BYTES = 1 << 20
# Bytes per recv_into/send call: large enough that per-call costs vanish, small enough that an idle
# timeout means "no progress", not "a slow link".
IO_SLICE = 16 << 20
SEND_BUFFER_BYTES = 4 << 20
# A client has this long to present its token after connecting.
PREAMBLE_TIMEOUT = 10.0


@dataclass(frozen=True)
class Ticket:
    token: bytes
    direction: str  # "in" or "out"
    total_bytes: int
    expires: float  # time.monotonic()
    # "in": what to create; "out": the buffer to send, and whether to release it after.
    shape: object = None
    device: object = 0  # a device ordinal, or an xla_backend.Placement over several
    buffer: str = ""
    release: bool = False
    # The session the ticket was issued to (its handles and quota); "in": the bytes' SHA-256.
    session: object = None
    sha256: bytes = b""
    # The SHA-256 follows the bytes on the connection (in: from the client; out: from the server).
    digest_after: bool = False


class TlsConnection:
    """A server-side TLS connection over a plain socket, through memory BIOs.

    Bytes move between the socket and OpenSSL in slices of up to RAW_SLICE: one recv or send per
    slice, where an SSLSocket makes two recv calls per 16 KiB record (its header, then its body) and
    one send per record. Those system calls, not the cipher, were most of what TLS cost the data
    channel. Offers the few socket methods the data channel uses.
    """

    RAW_SLICE = 1 << 20

    def __init__(self, sock: socket.socket, context: ssl.SSLContext):
        self.sock = sock
        self.incoming = ssl.MemoryBIO()
        self.outgoing = ssl.MemoryBIO()
        self.tls = context.wrap_bio(self.incoming, self.outgoing, server_side=True)
        self.raw = memoryview(bytearray(self.RAW_SLICE))
        self._call(self.tls.do_handshake)

    def _flush(self) -> None:
        if self.outgoing.pending:
            self.sock.sendall(self.outgoing.read())

    def _call(self, operation, *args):
        """`operation` of the SSLObject, feeding it the socket's bytes until it has what it needs."""
        while True:
            try:
                result = operation(*args)
            except ssl.SSLWantReadError:
                self._flush()
                n = self.sock.recv_into(self.raw)
                if n == 0:
                    self.incoming.write_eof()  # the next attempt raises SSLEOFError or SSLZeroReturnError
                else:
                    self.incoming.write(self.raw[:n])
                continue
            self._flush()
            return result

    def recv_into(self, view, nbytes: int = 0) -> int:
        try:
            return self._call(self.tls.read, nbytes or len(view), view)
        except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
            return 0

    def recv(self, nbytes: int) -> bytes:
        buffer = bytearray(nbytes)
        return bytes(buffer[: self.recv_into(memoryview(buffer))])

    def send(self, data) -> int:
        view = memoryview(data)[: self.RAW_SLICE]
        self.tls.write(view)  # the whole slice, as records in the outgoing BIO
        self._flush()
        return len(view)

    def sendall(self, data) -> None:
        view = memoryview(data)
        sent = 0
        while sent < len(view):
            sent += self.send(view[sent:])

    def settimeout(self, seconds: float | None) -> None:
        self.sock.settimeout(seconds)

    def shutdown(self, how: int) -> None:
        self.sock.shutdown(how)

    def close(self) -> None:
        self.sock.close()


class TransferFailed(Exception):
    """A transfer the client is told about: `code` is a gRPC status name."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


class Endpoint(Protocol):
    """What the data channel asks of the runtime service."""

    def host_array_for(self, ticket: Ticket) -> np.ndarray:
        """An empty host array of the ticket's shape, to receive into."""

    def finish_in(self, ticket: Ticket, array: np.ndarray) -> pb.BufferInfo:
        """Puts the received array on the device and keeps it; the new buffer."""

    def start_out(self, ticket: Ticket) -> tuple[pb.BufferInfo, np.ndarray]:
        """The buffer the ticket names and its bytes on the host."""

    def abandon_in(self, ticket: Ticket) -> None:
        """Called when a transfer in ends without a buffer (frees what the ticket reserved)."""

    def finish_out(self, ticket: Ticket) -> None:
        """Called once every byte was sent (releases the buffer if the ticket says so)."""

    def status_of(self, error: Exception) -> tuple[str, str] | None:
        """(gRPC status name, message) for a failure the client should be told about as gRPC would;
        None for an unexpected one (a bug)."""


def frame(reply: pb.DataChannelReply) -> bytes:
    message = reply.SerializeToString()
    return REPLY_LENGTH.pack(len(message)) + message


def byte_view(array: np.ndarray) -> memoryview:
    """The array's bytes, writable when the array is (for recv_into), without a copy."""
    return memoryview(array.reshape(-1).view(np.uint8))


class DataChannel:
    def __init__(
        self,
        listener: socket.socket,
        address: str,
        endpoint: Endpoint,
        log: Callable[[str], None],
        ticket_ttl: float = 60.0,
        idle_timeout: float = 60.0,
        max_connections: int = 32,
        tls: ssl.SSLContext | None = None,
    ):
        self.listener = listener
        self.address = address
        self.endpoint = endpoint
        self.log = log
        self.ticket_ttl = ticket_ttl
        self.idle_timeout = idle_timeout
        self.tls = tls
        self.lock = threading.Lock()
        # Keyed by a hash of the token, so that finding a ticket reveals nothing through timing about
        # the token's bytes; the token itself is then compared in constant time.
        self.tickets: dict[bytes, Ticket] = {}
        self.in_flight = 0
        self.closed = threading.Event()
        self.unix_path = address[len("unix:") :] if address.startswith("unix:") else None
        # Connections are served by reused threads: starting a thread per transfer costs more than a
        # small tensor's bytes. A connection beyond max_workers waits for one to finish.
        self.workers = futures.ThreadPoolExecutor(max_workers=max_connections, thread_name_prefix="data-conn")
        # Transfers out with digest_after hash here while their connection's thread sends.
        self.hashers = futures.ThreadPoolExecutor(max_workers=max_connections, thread_name_prefix="data-hash")
        threading.Thread(target=self._accept_loop, name="data-accept", daemon=True).start()
        threading.Thread(target=self._expire_loop, name="data-expire", daemon=True).start()

    @staticmethod
    def listen(grpc_address: str) -> tuple[socket.socket, str]:
        """A listening socket beside the gRPC endpoint ("unix:/dir/x.sock" or "HOST:PORT") and its address."""
        if grpc_address.startswith("unix:"):
            root, ext = os.path.splitext(grpc_address[len("unix:") :])
            path = f"{root}.data{ext or '.sock'}"
            if os.path.exists(path):
                os.unlink(path)
            listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            listener.bind(path)
            os.chmod(path, 0o600)  # the directory is the real guard (0700); the token the second
            listener.listen(64)
            return listener, f"unix:{path}"
        host = grpc_address.rsplit(":", 1)[0].strip("[]")
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        listener = socket.socket(family, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, 0))
        listener.listen(64)
        port = listener.getsockname()[1]
        return listener, f"[{host}]:{port}" if family == socket.AF_INET6 else f"{host}:{port}"

    # --- tickets -------------------------------------------------------------------------------

    def issue(self, direction: str, total_bytes: int, **fields) -> Ticket:
        token = secrets.token_bytes(TOKEN_BYTES)
        ticket = Ticket(token, direction, total_bytes, time.monotonic() + self.ticket_ttl, **fields)
        with self.lock:
            self.tickets[hashlib.sha256(token).digest()] = ticket
        return ticket

    def _take(self, token: bytes) -> Ticket | None:
        """The ticket for `token`, removed so that it is good once; None if unknown, used or expired."""
        with self.lock:
            ticket = self.tickets.pop(hashlib.sha256(token).digest(), None)
        if ticket is None or not hmac.compare_digest(ticket.token, token):
            return None
        if ticket.expires < time.monotonic():
            if ticket.direction == "in":
                self.endpoint.abandon_in(ticket)
            return None
        return ticket

    @property
    def pending(self) -> int:
        with self.lock:
            return len(self.tickets) + self.in_flight

    def _expire_loop(self) -> None:
        while not self.closed.wait(1.0):
            now = time.monotonic()
            with self.lock:
                expired = [k for k, t in self.tickets.items() if t.expires < now]
                tickets = [self.tickets.pop(k) for k in expired]
            for t in tickets:
                if t.direction == "in":
                    self.endpoint.abandon_in(t)

    # --- connections ---------------------------------------------------------------------------

    def _accept_loop(self) -> None:
        while not self.closed.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                if self.closed.is_set():
                    return
                continue
            self.workers.submit(self._serve, conn)

    def _serve(self, conn: socket.socket) -> None:
        ticket = None
        done = False
        try:
            if conn.family != socket.AF_UNIX:
                # Reply frames are small and each one is waited for: no Nagle delay on them.
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            # A deeper send queue than the default ~200 KiB lets the reader take more per read (the
            # kernel caps it at net.core.wmem_max).
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER_BYTES)
            conn.settimeout(PREAMBLE_TIMEOUT)
            if self.tls is not None:
                conn = TlsConnection(conn, self.tls)
            preamble = self._recv_exact(conn, PREAMBLE.size)
            if preamble is None:
                return  # connected and left: nothing to answer
            magic, token, count = PREAMBLE.unpack(preamble)
            if magic != MAGIC:
                raise TransferFailed("INVALID_ARGUMENT", "not a tpu-build data-channel client (the connection did not start with the magic bytes)")
            ticket = self._take(token)
            if ticket is None:
                raise TransferFailed("PERMISSION_DENIED", "unknown, used or expired data-channel token")
            with self.lock:
                self.in_flight += 1
            if count != ticket.total_bytes:
                raise TransferFailed("INVALID_ARGUMENT", f"the ticket is for {ticket.total_bytes} bytes, the connection announced {count}")
            conn.settimeout(self.idle_timeout)
            if ticket.direction == "in":
                self._receive(conn, ticket)
            else:
                self._send(conn, ticket)
            done = True
        except ssl.SSLError as e:
            self.log(f"data channel: {self._what(ticket)}: TLS failed ({e.reason or e}); closed")
        except TransferFailed as e:
            self.log(f"data channel: {self._what(ticket)}: {e.code}: {e}")
            self._refuse(conn, e.code, str(e))
        except (socket.timeout, TimeoutError):
            self.log(f"data channel: {self._what(ticket)} stalled for {self.idle_timeout:.0f} s; abandoned, nothing kept")
        except OSError as e:
            self.log(f"data channel: {self._what(ticket)} failed ({e}); abandoned, nothing kept")
        except Exception as e:
            status = self.endpoint.status_of(e)
            if status is None:  # a bug: say so in the reply and the log, and keep serving
                status = ("INTERNAL", f"internal error in the runtime's data channel: {type(e).__name__}: {e} (a bug; please report it)")
                self.log(f"{status[1]}\n{traceback.format_exc()}")
            self._refuse(conn, *status)
        finally:
            if ticket is not None:
                if not done and ticket.direction == "in":
                    self.endpoint.abandon_in(ticket)
                with self.lock:
                    self.in_flight -= 1
            try:
                conn.close()
            except OSError:
                pass

    @staticmethod
    def _what(ticket: Ticket | None) -> str:
        if ticket is None:
            return "a connection"
        return f"a transfer {ticket.direction} of {ticket.total_bytes} bytes"

    def _receive(self, conn: socket.socket, ticket: Ticket) -> None:
        array = self.endpoint.host_array_for(ticket)
        conn.sendall(frame(pb.DataChannelReply()))
        view = byte_view(array)
        total = ticket.total_bytes
        # Hashed as the bytes arrive (hashlib lets go of the GIL), while the client goes on sending
        # into the socket: checking the digest then costs no time after the last byte.
        digest = hashlib.sha256()
        received = 0
        while received < total:
            n = conn.recv_into(view[received:], min(total - received, IO_SLICE))
            if n == 0:
                raise TransferFailed("DATA_LOSS", f"the connection closed after {received} of {total} bytes")
            digest.update(view[received : received + n])
            received += n
        expected = ticket.sha256
        if ticket.digest_after:
            expected = self._recv_exact(conn, DIGEST_BYTES)
            if expected is None:
                raise TransferFailed("DATA_LOSS", f"the connection closed after all {total} bytes, before their SHA-256; nothing was kept")
        if not hmac.compare_digest(digest.digest(), expected):
            raise TransferFailed("DATA_LOSS", f"the {total} bytes received do not have the SHA-256 the ticket announced; nothing was kept")
        info = self.endpoint.finish_in(ticket, array)
        conn.sendall(frame(pb.DataChannelReply(buffer=info)))

    def _send(self, conn: socket.socket, ticket: Ticket) -> None:
        info, array = self.endpoint.start_out(ticket)
        view = byte_view(array)
        if len(view) != ticket.total_bytes:
            raise TransferFailed("INTERNAL", f"the buffer has {len(view)} bytes, its ticket says {ticket.total_bytes}")
        if ticket.digest_after:
            hashing = self.hashers.submit(lambda: hashlib.sha256(view).digest())  # lets go of the GIL
            conn.sendall(frame(pb.DataChannelReply(buffer=info)))
        else:
            conn.sendall(frame(pb.DataChannelReply(buffer=info, sha256=hashlib.sha256(view).digest())))
        sent = 0
        while sent < len(view):
            sent += conn.send(view[sent : sent + IO_SLICE])
        if ticket.digest_after:
            conn.sendall(hashing.result())
        self.endpoint.finish_out(ticket)

    @staticmethod
    def _recv_exact(conn: socket.socket, n: int) -> bytes | None:
        data = bytearray(n)
        view = memoryview(data)
        got = 0
        while got < n:
            k = conn.recv_into(view[got:])
            if k == 0:
                return None
            got += k
        return bytes(data)

    def _refuse(self, conn: socket.socket, code: str, message: str) -> None:
        try:
            conn.sendall(frame(pb.DataChannelReply(error_code=code, error_message=message)))
            # Let the client read the reply before the close: stop sending, then wait briefly for it
            # to hang up (anything it still sends is discarded), so that a TCP reset cannot beat
            # the reply to the client.
            conn.shutdown(socket.SHUT_WR)
            conn.settimeout(2.0)
            deadline = time.monotonic() + 2.0
            while time.monotonic() < deadline and conn.recv(1 << 16):
                pass
        except OSError:
            pass

    def close(self) -> None:
        self.closed.set()
        try:
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accept loop; close() alone does not
        except OSError:
            pass
        try:
            self.listener.close()
        except OSError:
            pass
        self.workers.shutdown(wait=False, cancel_futures=True)
        self.hashers.shutdown(wait=False, cancel_futures=True)
        if self.unix_path:
            try:
                os.unlink(self.unix_path)
            except OSError:
                pass
