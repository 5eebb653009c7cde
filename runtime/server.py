"""The tpu-build runtime server: proto/runtime.proto over jaxlib's PJRT client.

    python runtime/server.py --socket /tmp/dir/runtime.sock [--parent-pid PID] [--watch-stdin]
                             [--cache-dir DIR] [--platform cpu]
    python runtime/server.py --port 0            # TCP on 127.0.0.1; 0 picks a free port
                             [--no-data-channel] [--data-ticket-ttl SECONDS]

Prints one JSON line on stdout once it serves ({"ready": true, "address": ..., ...}); logs go to
stderr. It exits on SIGTERM/SIGINT, on a Shutdown call, and when its parent dies (--parent-pid is
polled; --watch-stdin exits when stdin reaches end of file, which also covers a parent killed with
SIGKILL), so it never outlives the process that started it.

Tensors travel over the data channel (runtime/data_channel.py) beside the gRPC endpoint: a Unix
socket next to --socket's, or another port on the same host; gRPC's chunked TransferIn/TransferOut
remain for clients that cannot reach it.

Set XLA_FLAGS=--xla_force_host_platform_device_count=N for N CPU devices.
"""

from __future__ import annotations

import argparse
import inspect
import itertools
import json
import os
import signal
import sys
import threading
import time
import traceback
from concurrent import futures
from dataclasses import dataclass

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "_generated"))

# 0.2.0: the data channel (OpenTransferIn/OpenTransferOut, HealthResponse.data_address), 4 MiB chunks.
SERVER_VERSION = "0.2.0"
MAX_CHUNK = 4 << 20
# Compile requests carry whole modules, which may embed large constants; tensors stream or take the
# data channel.
MAX_MESSAGE = 1 << 30


def log(message: str) -> None:
    # Never let logging fail a caller: when the parent dies, stderr's reader is gone with it.
    try:
        print(f"[runtime] {message}", file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass


try:
    import grpc
    import numpy as np
    import runtime_pb2 as pb
    import runtime_pb2_grpc as pb_grpc
except ImportError as e:  # the stubs are made by runtime/install.mjs
    print(f"tpu-build runtime: cannot import {e.name}: run `npm install` (or `node runtime/install.mjs`) to set up runtime/.venv and the generated stubs", file=sys.stderr)
    sys.exit(3)

from data_channel import DataChannel, Ticket, byte_view  # noqa: E402
from executable_cache import CachedExecutable, ExecutableCache, cache_digest  # noqa: E402
from xla_backend import DTYPES, ArrayShape, BackendError, XlaBackend  # noqa: E402


class RequestError(Exception):
    def __init__(self, code: grpc.StatusCode, message: str):
        super().__init__(message)
        self.code = code


def shape_to_pb(shape: ArrayShape) -> pb.ArrayShape:
    return pb.ArrayShape(element_type=pb.PrimitiveType.Value(shape.element_type), dims=list(shape.dims))


def shape_from_pb(shape: pb.ArrayShape) -> ArrayShape:
    name = pb.PrimitiveType.Name(shape.element_type) if shape.element_type in pb.PrimitiveType.values() else str(shape.element_type)
    if name not in DTYPES:
        raise RequestError(grpc.StatusCode.INVALID_ARGUMENT, f"unsupported element type {name}")
    if any(d < 0 for d in shape.dims):
        raise RequestError(grpc.StatusCode.INVALID_ARGUMENT, f"negative dimension in {list(shape.dims)}")
    return ArrayShape(name, tuple(int(d) for d in shape.dims))


@dataclass
class LoadedExecutable:
    handle: str
    digest: str
    executable: object
    device: int
    parameters: tuple[ArrayShape, ...]
    results: tuple[ArrayShape, ...]


class RuntimeService(pb_grpc.RuntimeServicer):
    def __init__(self, backend: XlaBackend, cache: ExecutableCache, on_shutdown):
        self.backend = backend
        self.cache = cache
        self.on_shutdown = on_shutdown
        self.started = time.monotonic()
        self.lock = threading.Lock()
        self.compile_lock = threading.Lock()
        # Executables are written to the disk cache off the reply path: the client waits for the
        # compile, not for serialization and I/O. close() drains the queue before exit.
        self.cache_writer = futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="cache-writer")
        self.ids = itertools.count(1)
        self.buffers: dict[str, object] = {}
        self.executables: dict[str, LoadedExecutable] = {}
        self.by_digest: dict[str, LoadedExecutable] = {}
        self.compilations = 0
        # Set by main() once the data channel listens (None: gRPC streaming only).
        self.data_channel: DataChannel | None = None

    # --- helpers -------------------------------------------------------------------------------

    def _buffer(self, handle: str):
        with self.lock:
            buffer = self.buffers.get(handle)
        if buffer is None:
            raise RequestError(grpc.StatusCode.NOT_FOUND, f"unknown buffer handle {handle!r} (never issued by this server, or released)")
        return buffer

    def _buffer_info(self, handle: str, buffer) -> pb.BufferInfo:
        shape = self.backend.shape_of(buffer)
        return pb.BufferInfo(buffer=handle, shape=shape_to_pb(shape), total_bytes=shape.byte_size())

    def _new_handle(self, prefix: str) -> str:
        return f"{prefix}-{next(self.ids)}"

    def _keep(self, buffer) -> pb.BufferInfo:
        handle = self._new_handle("buf")
        with self.lock:
            self.buffers[handle] = buffer
        return self._buffer_info(handle, buffer)

    def _check_transfer_in(self, header, rpc: str) -> ArrayShape:
        shape = shape_from_pb(header.shape)
        expected = shape.byte_size()
        if header.total_bytes != expected:
            raise RequestError(grpc.StatusCode.INVALID_ARGUMENT, f"{rpc}: total_bytes {header.total_bytes} does not match {shape} ({expected} bytes)")
        if not 0 <= header.device < self.backend.device_count:
            raise RequestError(grpc.StatusCode.INVALID_ARGUMENT, f"{rpc}: device {header.device} does not exist (this server has {self.backend.device_count})")
        return shape

    def _data_channel(self, rpc: str) -> DataChannel:
        if self.data_channel is None:
            raise RequestError(grpc.StatusCode.FAILED_PRECONDITION, f"{rpc}: this server has no data channel (started with --no-data-channel); use the streaming RPCs")
        return self.data_channel

    def _ticket(self, ticket: Ticket, info: pb.BufferInfo) -> pb.DataTicket:
        return pb.DataTicket(token=ticket.token, buffer=info, expires_in_ms=int(self._data_channel("ticket").ticket_ttl * 1000))

    # --- RPCs ----------------------------------------------------------------------------------

    def Health(self, request, context):
        with self.lock:
            return pb.HealthResponse(
                serving=True,
                server_version=SERVER_VERSION,
                pid=os.getpid(),
                uptime_seconds=time.monotonic() - self.started,
                live_buffers=len(self.buffers),
                live_executables=len(self.executables),
                data_address=self.data_channel.address if self.data_channel else "",
                pending_transfers=self.data_channel.pending if self.data_channel else 0,
            )

    def DeviceInfo(self, request, context):
        b = self.backend
        return pb.DeviceInfoResponse(
            platform=b.platform,
            platform_version=b.platform_version,
            devices=[pb.Device(ordinal=o, id=i, kind=k) for o, i, k in b.devices()],
            jax_version=b.jax_version,
            jaxlib_version=b.jaxlib_version,
            server_version=SERVER_VERSION,
        )

    def Compile(self, request, context):
        if not request.hlo_module:
            raise RequestError(grpc.StatusCode.INVALID_ARGUMENT, "Compile: hlo_module is empty")
        if not 0 <= request.device < self.backend.device_count:
            raise RequestError(grpc.StatusCode.INVALID_ARGUMENT, f"Compile: device {request.device} does not exist (this server has {self.backend.device_count})")
        digest = cache_digest(f"{request.key}@device{request.device}", request.hlo_module, self.backend.cache_fingerprint())
        with self.compile_lock:
            start = time.perf_counter()
            with self.lock:
                loaded = self.by_digest.get(digest)
            if loaded is not None:
                source = pb.CompileResponse.MEMORY
            else:
                loaded, source = self._load_or_compile(digest, request)
                with self.lock:
                    self.executables[loaded.handle] = loaded
                    self.by_digest[digest] = loaded
            elapsed = (time.perf_counter() - start) * 1000
        return pb.CompileResponse(
            executable=loaded.handle,
            source=source,
            parameters=[shape_to_pb(s) for s in loaded.parameters],
            results=[shape_to_pb(s) for s in loaded.results],
            elapsed_ms=elapsed,
            compilations=self.compilations,
        )

    def _load_or_compile(self, digest: str, request) -> tuple[LoadedExecutable, int]:
        cached = self.cache.get(digest)
        if cached is not None:
            try:
                executable = self.backend.deserialize(cached.blob, request.device)
                loaded = LoadedExecutable(self._new_handle("exe"), digest, executable, request.device, cached.parameters, cached.results)
                return loaded, pb.CompileResponse.DISK
            except BackendError as e:
                log(f"executable cache entry {digest[:12]} could not be loaded ({e}); recompiling")
        try:
            lowered = self.backend.lower(request.hlo_module)
        except BackendError as e:
            raise RequestError(grpc.StatusCode.INVALID_ARGUMENT, f"Compile: the bytes are not a loadable HloModuleProto ({len(request.hlo_module)} bytes): {e}") from e
        try:
            executable = self.backend.compile(lowered, request.device)
        except BackendError as e:
            raise RequestError(grpc.StatusCode.INVALID_ARGUMENT, f"Compile: XLA rejected the module: {e}") from e
        self.compilations += 1
        self.cache_writer.submit(self._write_cache, digest, executable, lowered)
        return LoadedExecutable(self._new_handle("exe"), digest, executable, request.device, lowered.parameters, lowered.results), pb.CompileResponse.COMPILED

    def _write_cache(self, digest: str, executable, lowered) -> None:
        try:
            self.cache.put(digest, CachedExecutable(self.backend.serialize(executable), lowered.parameters, lowered.results))
        except Exception as e:  # a cache that cannot be written costs a recompile later, nothing else
            log(f"could not write the executable cache entry {digest[:12]}: {e}")

    def close(self) -> None:
        self.cache_writer.shutdown(wait=True)

    def TransferIn(self, request_iterator, context):
        first = next(request_iterator, None)
        if first is None or first.WhichOneof("part") != "header":
            raise RequestError(grpc.StatusCode.INVALID_ARGUMENT, "TransferIn: the first message must carry the header")
        header = first.header
        shape = self._check_transfer_in(header, "TransferIn")
        expected = shape.byte_size()
        array = self.backend.host_array(shape)
        view = byte_view(array)
        received = 0
        for chunk in request_iterator:
            if chunk.WhichOneof("part") != "data":
                raise RequestError(grpc.StatusCode.INVALID_ARGUMENT, "TransferIn: a second header in one stream")
            n = len(chunk.data)
            if n > MAX_CHUNK:
                raise RequestError(grpc.StatusCode.INVALID_ARGUMENT, f"TransferIn: chunk of {n} bytes exceeds the 4 MiB limit")
            if received + n > expected:
                raise RequestError(grpc.StatusCode.INVALID_ARGUMENT, f"TransferIn: more than the announced {expected} bytes")
            view[received : received + n] = chunk.data
            received += n
        if received != expected:
            raise RequestError(grpc.StatusCode.INVALID_ARGUMENT, f"TransferIn: received {received} of {expected} bytes for {shape}")
        return pb.TransferInResponse(buffer=self._keep(self.backend.to_device(array, header.device)))

    def OpenTransferIn(self, header, context):
        channel = self._data_channel("OpenTransferIn")
        shape = self._check_transfer_in(header, "OpenTransferIn")
        ticket = channel.issue("in", shape.byte_size(), shape=shape, device=header.device)
        return self._ticket(ticket, pb.BufferInfo(shape=shape_to_pb(shape), total_bytes=shape.byte_size()))

    def OpenTransferOut(self, request, context):
        channel = self._data_channel("OpenTransferOut")
        info = self._buffer_info(request.buffer, self._buffer(request.buffer))
        ticket = channel.issue("out", info.total_bytes, buffer=request.buffer, release=request.release)
        return self._ticket(ticket, info)

    # --- the data channel's endpoint (data_channel.Endpoint) -----------------------------------

    def host_array_for(self, ticket: Ticket) -> np.ndarray:
        return self.backend.host_array(ticket.shape)

    def finish_in(self, ticket: Ticket, array: np.ndarray) -> pb.BufferInfo:
        return self._keep(self.backend.to_device(array, ticket.device))

    def start_out(self, ticket: Ticket) -> tuple[pb.BufferInfo, np.ndarray]:
        buffer = self._buffer(ticket.buffer)
        return self._buffer_info(ticket.buffer, buffer), self.backend.to_host(buffer)

    def finish_out(self, ticket: Ticket) -> None:
        if ticket.release:
            self._release_buffer(ticket.buffer)

    def status_of(self, error: Exception) -> tuple[str, str] | None:
        status = known_status(error)
        return (status[0].name, status[1]) if status else None

    def Execute(self, request, context):
        with self.lock:
            loaded = self.executables.get(request.executable)
        if loaded is None:
            raise RequestError(grpc.StatusCode.NOT_FOUND, f"unknown executable handle {request.executable!r} (never issued by this server, or released)")
        if len(request.arguments) != len(loaded.parameters):
            raise RequestError(grpc.StatusCode.INVALID_ARGUMENT, f"Execute: the executable takes {len(loaded.parameters)} argument(s), got {len(request.arguments)}")
        arguments = []
        for i, (handle, expected) in enumerate(zip(request.arguments, loaded.parameters)):
            buffer = self._buffer(handle)
            actual = self.backend.shape_of(buffer)
            if actual != expected:
                raise RequestError(grpc.StatusCode.INVALID_ARGUMENT, f"Execute: argument {i} ({handle}) is {actual}, the executable's parameter {i} is {expected}")
            if self.backend.device_of(buffer) != loaded.device:
                raise RequestError(grpc.StatusCode.INVALID_ARGUMENT, f"Execute: argument {i} ({handle}) is on device {self.backend.device_of(buffer)}, the executable on device {loaded.device}")
            arguments.append(buffer)
        start = time.perf_counter()
        try:
            results = self.backend.execute(loaded.executable, arguments)
        except BackendError as e:
            raise RequestError(grpc.StatusCode.INTERNAL, f"Execute: {e}") from e
        elapsed = (time.perf_counter() - start) * 1000
        infos = []
        with self.lock:
            for r in results:
                handle = self._new_handle("buf")
                self.buffers[handle] = r
                infos.append((handle, r))
        return pb.ExecuteResponse(results=[self._buffer_info(h, r) for h, r in infos], elapsed_ms=elapsed)

    def TransferOut(self, request, context):
        buffer = self._buffer(request.buffer)
        chunk = request.chunk_bytes or MAX_CHUNK
        if chunk > MAX_CHUNK:
            raise RequestError(grpc.StatusCode.INVALID_ARGUMENT, f"TransferOut: chunk_bytes {chunk} exceeds the 4 MiB limit")
        info = self._buffer_info(request.buffer, buffer)
        raw = byte_view(self.backend.to_host(buffer))
        total = len(raw)
        if total == 0:
            yield pb.TransferOutChunk(buffer=info)
        for offset in range(0, total, chunk):
            piece = bytes(raw[offset : offset + chunk])
            yield pb.TransferOutChunk(buffer=info, data=piece) if offset == 0 else pb.TransferOutChunk(data=piece)
        if request.release:
            self._release_buffer(request.buffer)

    def _release_buffer(self, handle: str) -> bool:
        with self.lock:
            buffer = self.buffers.pop(handle, None)
        if buffer is None:
            return False
        self.backend.delete(buffer)
        return True

    def Release(self, request, context):
        released = 0
        unknown = []
        for handle in request.buffers:
            if self._release_buffer(handle):
                released += 1
            else:
                unknown.append(handle)
        for handle in request.executables:
            with self.lock:
                loaded = self.executables.pop(handle, None)
                if loaded is not None and self.by_digest.get(loaded.digest) is loaded:
                    del self.by_digest[loaded.digest]
            if loaded is None:
                unknown.append(handle)
            else:
                released += 1
        return pb.ReleaseResponse(released=released, unknown=unknown)

    def Shutdown(self, request, context):
        log("shutdown requested")
        threading.Timer(0.05, self.on_shutdown).start()
        return pb.ShutdownResponse()


def internal_error(rpc: str, error: Exception, context) -> None:
    log(f"internal error in {rpc}:\n{traceback.format_exc()}")
    context.abort(grpc.StatusCode.INTERNAL, f"internal error in the runtime server's {rpc}: {type(error).__name__}: {error} (a bug; please report it with the module and inputs)")


def known_status(error: Exception) -> tuple[grpc.StatusCode, str] | None:
    """The status for a failure the caller should hear about; None for an unexpected one (a bug)."""
    if isinstance(error, RequestError):
        return error.code, str(error)
    if isinstance(error, BackendError):
        return grpc.StatusCode.INTERNAL, str(error)
    if isinstance(error, ValueError):
        return grpc.StatusCode.INVALID_ARGUMENT, str(error)
    return None


def with_status(method):
    """Turns a request error into a gRPC status, and an unexpected exception into INTERNAL, never a crash."""

    def wrapped(self, request, context):
        try:
            return method(self, request, context)
        except Exception as e:
            status = known_status(e)
            if status is None:
                internal_error(method.__name__, e, context)
            else:
                context.abort(*status)

    def wrapped_stream(self, request, context):
        try:
            yield from method(self, request, context)
        except Exception as e:
            status = known_status(e)
            if status is None:
                internal_error(method.__name__, e, context)
            else:
                context.abort(*status)

    return wrapped_stream if inspect.isgeneratorfunction(method) else wrapped


for _name in ("Health", "DeviceInfo", "Compile", "TransferIn", "Execute", "TransferOut", "OpenTransferIn", "OpenTransferOut", "Release", "Shutdown"):
    setattr(RuntimeService, _name, with_status(getattr(RuntimeService, _name)))


def watch_parent(parent_pid: int, stop) -> None:
    # When the parent is our real parent, a change of getppid() means it died (we were reparented);
    # that cannot be fooled by pid reuse. Otherwise fall back to probing the pid.
    direct = os.getppid() == parent_pid
    while True:
        time.sleep(0.25)
        if direct:
            alive = os.getppid() == parent_pid
        else:
            try:
                os.kill(parent_pid, 0)
                alive = True
            except ProcessLookupError:
                alive = False
            except PermissionError:
                alive = True
        if not alive:
            stop()
            log(f"parent {parent_pid} is gone; exiting")
            return


def watch_stdin(stop) -> None:
    try:
        while sys.stdin.buffer.read(65536):
            pass
    except (OSError, ValueError):
        pass
    stop()
    log("stdin closed; exiting")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="tpu-build runtime server (proto/runtime.proto over jaxlib PJRT)")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--socket", help="serve on this Unix socket path")
    where.add_argument("--port", type=int, help="serve on 127.0.0.1:PORT (0: any free port)")
    parser.add_argument("--parent-pid", type=int, help="exit when this process is gone")
    parser.add_argument("--watch-stdin", action="store_true", help="exit when stdin reaches end of file")
    parser.add_argument("--own-socket-dir", action="store_true", help="remove the socket's directory on exit (a private one made for this server)")
    parser.add_argument("--cache-dir", help="directory of the on-disk executable cache (none: no disk cache)")
    parser.add_argument("--platform", default="cpu", help="PJRT platform (cpu, tpu, cuda); default cpu")
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--no-data-channel", action="store_true", help="no data channel: tensors stream over gRPC only")
    parser.add_argument("--data-ticket-ttl", type=float, default=60.0, help="seconds a data-channel ticket stays good unused (default 60)")
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    stopping = threading.Event()

    def stop(*_):
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if args.parent_pid:
        threading.Thread(target=watch_parent, args=(args.parent_pid, stop), daemon=True).start()
    if args.watch_stdin:
        threading.Thread(target=watch_stdin, args=(stop,), daemon=True).start()

    backend = XlaBackend(args.platform)
    cache = ExecutableCache(args.cache_dir)
    options = [("grpc.max_receive_message_length", MAX_MESSAGE), ("grpc.max_send_message_length", MAX_MESSAGE)]
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=args.workers), options=options)
    service = RuntimeService(backend, cache, stop)
    pb_grpc.add_RuntimeServicer_to_server(service, server)
    if args.socket:
        if os.path.exists(args.socket):
            os.unlink(args.socket)
        server.add_insecure_port(f"unix:{args.socket}")
        address = f"unix:{args.socket}"
    else:
        port = server.add_insecure_port(f"127.0.0.1:{args.port}")
        if port == 0:
            log(f"cannot listen on 127.0.0.1:{args.port}")
            return 2
        address = f"127.0.0.1:{port}"
    server.start()
    if args.socket:
        os.chmod(args.socket, 0o600)
    if not args.no_data_channel:
        try:
            listener, data_address = DataChannel.listen(address)
            service.data_channel = DataChannel(listener, data_address, service, log, ticket_ttl=args.data_ticket_ttl)
        except OSError as e:  # e.g. a socket path too long for AF_UNIX: serve anyway, over gRPC only
            log(f"no data channel ({e}); tensors will stream over gRPC")
    ready = {
        "ready": True,
        "address": address,
        "data_address": service.data_channel.address if service.data_channel else "",
        "pid": os.getpid(),
        "platform": backend.platform,
        "devices": backend.device_count,
        "jaxlib": backend.jaxlib_version,
        "startup_ms": round((time.perf_counter() - t0) * 1000, 1),
    }
    print(json.dumps(ready), flush=True)

    while not stopping.wait(0.2):
        pass
    if service.data_channel:
        service.data_channel.close()
    server.stop(grace=1).wait(2)
    service.close()
    if args.socket:
        try:
            os.unlink(args.socket)  # usually gone already: gRPC removes it on stop
        except OSError:
            pass
        if args.own_socket_dir:
            try:
                os.rmdir(os.path.dirname(os.path.abspath(args.socket)))
            except OSError:
                pass
    # Skip interpreter teardown: XLA's static destructors are slow and sometimes noisy.
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
