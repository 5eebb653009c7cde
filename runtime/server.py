"""The tpu-build runtime server: proto/runtime.proto over jaxlib's PJRT client.

As a service (a TPU VM, a GPU host; `tpu-build-runtime serve …` or `tpu-build runtime serve …`):

    tpu-build-runtime serve --listen HOST:PORT --platform tpu|cuda|rocm|cpu
        --tls-cert F --tls-key F [--client-ca F] --token-file F
        [--max-session-bytes N] [--idle-timeout S] [--cpu-devices N] [--cache-dir DIR]

A non-loopback address needs TLS and a token; plaintext is allowed on loopback only (the SSH
tunnel case). As a local target's child (plugins/xla-local starts it; nobody needs to by hand):

    python runtime/server.py --socket /tmp/dir/runtime.sock --token-stdin --watch-stdin
                             --parent-pid PID --own-socket-dir --allow-shutdown [--cache-dir DIR]

Prints one JSON line on stdout once it serves ({"ready": true, "address": ..., ...}); logs go to
stderr. It exits on SIGTERM/SIGINT, on a Shutdown call (--allow-shutdown only), and when its
parent dies (--parent-pid is polled; --watch-stdin exits when stdin reaches end of file, which also
covers a parent killed with SIGKILL). Whatever ends it, even before it was ready, it removes what
it made (its sockets, and with --own-socket-dir their private directory).

Tensors travel over the data channel (runtime/data_channel.py) beside the gRPC endpoint: a Unix
socket next to --socket's, or another port on the same host, under TLS when gRPC is; gRPC's chunked
TransferIn/TransferOut remain for clients that cannot reach it.
"""

from __future__ import annotations

import signal
import threading

# Installed before the heavy imports below, so that a SIGINT or SIGTERM during startup (a Ctrl-C
# that reaches the whole process group) still ends in main()'s cleanup rather than a traceback.
STOPPING = threading.Event()


def _stop_signal(*_) -> None:
    STOPPING.set()


signal.signal(signal.SIGTERM, _stop_signal)
signal.signal(signal.SIGINT, _stop_signal)

import argparse  # noqa: E402
import contextlib  # noqa: E402
import hashlib  # noqa: E402
import hmac  # noqa: E402
import inspect  # noqa: E402
import ipaddress  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import ssl  # noqa: E402
import stat  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
from concurrent import futures  # noqa: E402
from dataclasses import dataclass  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
# The modules beside this one and the generated stubs (whose own imports are top-level) are found
# the same way from the repository and from the installed package.
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "_generated"))

# 0.7.0: the data channel takes a tensor's digest after its bytes (digest_after). 0.6.0: shared
# memory (memfds) for a client on the same host. 0.5.0: blocks of a sharded tensor
# (Placement.global_dims), a session's transfer counters in Health. 0.4.0: SPMD programs over
# several devices, sharded transfers. 0.3.0: sessions, tokens, TLS,
# per-tensor digests, memory checks. 0.2.0: the data channel.
SERVER_VERSION = "0.7.0"
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

# Stubs generated from an older proto/runtime.proto (a checkout updated without `npm install`)
# would fail the first call that uses a newer field; say so at startup instead.
if (
    "placement" not in pb.TransferInHeader.DESCRIPTOR.fields_by_name
    or "process_count" not in pb.DeviceInfoResponse.DESCRIPTOR.fields_by_name
    or "fast" not in pb.CompileRequest.DESCRIPTOR.fields_by_name
    or "global_dims" not in pb.Placement.DESCRIPTOR.fields_by_name
    or "executing" not in pb.HealthResponse.DESCRIPTOR.fields_by_name
    or "shared_memory" not in pb.HealthResponse.DESCRIPTOR.fields_by_name
    or "digest_after" not in pb.TransferOutRequest.DESCRIPTOR.fields_by_name
):
    print("tpu-build runtime: the generated stubs in runtime/_generated are older than proto/runtime.proto: run `npm install` (or `node runtime/install.mjs`) to regenerate them", file=sys.stderr)
    sys.exit(3)

from data_channel import DataChannel, Ticket, byte_view  # noqa: E402
import shared_memory  # noqa: E402
from shared_memory import SharedMemoryError, SharedMemoryTable  # noqa: E402
from executable_cache import CacheDirRefused, CachedExecutable, ExecutableCache, Untrusted, cache_digest, decode_entry, encode_entry  # noqa: E402
from sessions import SESSION_METADATA, Authenticator, RequestError, Session, SessionTable, metadata_value, new_handle  # noqa: E402
from xla_backend import DTYPES, ArrayShape, BackendError, Distributed, MemoryNeeds, Placement, PlatformUnavailable, XlaBackend  # noqa: E402


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
class SharedExecutable:
    """A loaded executable, shared by every session that compiled the same module (by digest)."""

    digest: str
    executable: object
    # The devices it runs on: one, or the partitions of an SPMD program in order.
    devices: tuple[int, ...]
    parameters: tuple[ArrayShape, ...]
    results: tuple[ArrayShape, ...]
    memory: MemoryNeeds | None
    holders: int = 0
    # A partitioned program's parameter and result shardings, as XLA compiled them.
    parameter_shardings: tuple = ()
    result_shardings: tuple = ()

    @property
    def partitioned(self) -> bool:
        return len(self.devices) > 1


class RuntimeService(pb_grpc.RuntimeServicer):
    def __init__(self, backend: XlaBackend, cache: ExecutableCache, sessions_options: dict, auth: Authenticator, on_shutdown, allow_shutdown: bool):
        self.backend = backend
        self.cache = cache
        self.auth = auth
        self.on_shutdown = on_shutdown
        self.allow_shutdown = allow_shutdown
        self.started = time.monotonic()
        self.lock = threading.Lock()
        # Per executable digest: a lock and how many calls hold or wait for it.
        self.compiling: dict[str, list] = {}
        # Executables are written to the disk cache off the reply path: the client waits for the
        # compile, not for serialization and I/O. close() drains the queue before exit.
        self.cache_writer = futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="cache-writer")
        self.by_digest: dict[str, SharedExecutable] = {}
        # Entries taken in by ImportExecutable (verified), until a Compile of their digest loads them.
        self.imported: dict[str, CachedExecutable] = {}
        self.compilations = 0
        self.executing = 0  # Execute calls running now (Health)
        self.sessions = SessionTable(on_free=self._free, log=log, **sessions_options)
        # Set by main() once the data channel listens (None: gRPC streaming only).
        self.data_channel: DataChannel | None = None
        # Set by main() with --shared-memory (a local target's child: its client is on this host).
        self.shared_memory: SharedMemoryTable | None = None

    # --- helpers -------------------------------------------------------------------------------

    def _free(self, buffers: list, executables: list) -> None:
        for b in buffers:
            self.backend.delete(b)
        for handle_exe in executables:
            self._drop_executable(handle_exe)

    def _drop_executable(self, shared: SharedExecutable) -> None:
        with self.lock:
            shared.holders -= 1
            if shared.holders <= 0 and self.by_digest.get(shared.digest) is shared:
                del self.by_digest[shared.digest]

    def _buffer_info(self, handle: str, buffer) -> pb.BufferInfo:
        shape = self.backend.shape_of(buffer)
        return pb.BufferInfo(
            buffer=handle,
            shape=shape_to_pb(shape),
            total_bytes=shape.byte_size(),
            devices=self.backend.devices_of(buffer),
            shard_shape=shape_to_pb(self.backend.local_shard_shape(buffer)),
        )

    def _keep(self, session: Session, buffer, reserved: int = 0) -> pb.BufferInfo:
        handle = new_handle("buf")
        nbytes = self.backend.shape_of(buffer).byte_size()
        try:
            self.sessions.add_buffer(session, handle, buffer, nbytes, reserved)
        except RequestError:
            self.backend.delete(buffer)
            raise
        return self._buffer_info(handle, buffer)

    def _check_transfer_in(self, header, rpc: str, digest: bool = True) -> tuple[ArrayShape, int | Placement]:
        """The tensor's shape, and where it goes: a device ordinal or a placement over several."""
        shape = shape_from_pb(header.shape)
        expected = shape.byte_size()
        if header.total_bytes != expected:
            raise RequestError(grpc.StatusCode.INVALID_ARGUMENT, f"{rpc}: total_bytes {header.total_bytes} does not match {shape} ({expected} bytes)")
        if digest and len(header.sha256) != 32:
            raise RequestError(grpc.StatusCode.INVALID_ARGUMENT, f"{rpc}: the header must carry the SHA-256 of the tensor's bytes (32 bytes, got {len(header.sha256)})")
        if header.HasField("placement"):
            return shape, self._placement(header.placement, shape, rpc)
        self._check_devices([header.device], rpc)
        return shape, header.device

    def _check_devices(self, devices, rpc: str) -> None:
        for d in devices:
            if not 0 <= d < self.backend.device_count:
                raise RequestError(grpc.StatusCode.INVALID_ARGUMENT, f"{rpc}: device {d} does not exist (this server has {self.backend.device_count})")
        if len(set(devices)) != len(devices):
            raise RequestError(grpc.StatusCode.INVALID_ARGUMENT, f"{rpc}: devices {list(devices)} name a device twice")

    def _placement(self, p: pb.Placement, block: ArrayShape, rpc: str) -> Placement:
        """Checks a placement against the tensor, the whole one when the client sends a block of it."""
        self._check_devices(p.devices, rpc)
        shape = block
        start = None
        if p.global_dims or p.block_start:
            shape = ArrayShape(block.element_type, tuple(int(d) for d in p.global_dims))
            start = tuple(int(i) for i in p.block_start)
            if len(shape.dims) != len(block.dims) or len(start) != len(block.dims) or any(i < 0 or i + n > d for i, n, d in zip(start, block.dims, shape.dims)):
                raise RequestError(grpc.StatusCode.INVALID_ARGUMENT, f"{rpc}: a block of dims {list(block.dims)} from {list(start)} does not lie inside global_dims {list(shape.dims)}")
        mesh = tuple(int(n) for n in p.mesh_shape)
        axes = tuple(int(a) for a in p.dim_axes)
        count = 1
        for n in mesh:
            count *= n
        if any(n < 1 for n in mesh) or count != len(p.devices):
            raise RequestError(grpc.StatusCode.INVALID_ARGUMENT, f"{rpc}: a mesh of shape {list(mesh)} does not hold the {len(p.devices)} device(s) of the placement")
        if len(axes) != len(shape.dims) or any(not -1 <= a < len(mesh) for a in axes):
            raise RequestError(grpc.StatusCode.INVALID_ARGUMENT, f"{rpc}: dim_axes {list(axes)} must give, for each of the {len(shape.dims)} dimension(s) of {shape}, a mesh axis (0..{len(mesh) - 1}) or -1")
        for dim, a in zip(shape.dims, axes):
            if a >= 0 and dim % mesh[a] != 0:
                raise RequestError(grpc.StatusCode.INVALID_ARGUMENT, f"{rpc}: dimension {dim} of {shape} cannot be split evenly over mesh axis {a} of size {mesh[a]}")
        return Placement(tuple(int(d) for d in p.devices), mesh, axes, shape.dims if start is not None else None, start)

    def _data_channel(self, rpc: str) -> DataChannel:
        if self.data_channel is None:
            raise RequestError(grpc.StatusCode.FAILED_PRECONDITION, f"{rpc}: this server has no data channel (started with --no-data-channel); use the streaming RPCs")
        return self.data_channel

    def _ticket(self, ticket: Ticket, info: pb.BufferInfo) -> pb.DataTicket:
        return pb.DataTicket(token=ticket.token, buffer=info, expires_in_ms=int(self._data_channel("ticket").ticket_ttl * 1000))

    # --- RPCs ----------------------------------------------------------------------------------

    def Health(self, request, context, session: Session | None):
        with self.sessions.lock:
            buffers = len(session.buffers) if session else 0
            executables = len(session.executables) if session else 0
            held = session.resident_bytes if session else 0
        return pb.HealthResponse(
            serving=True,
            server_version=SERVER_VERSION,
            pid=os.getpid(),
            uptime_seconds=time.monotonic() - self.started,
            live_buffers=buffers,
            live_executables=executables,
            data_address=self.data_channel.address if self.data_channel else "",
            pending_transfers=(self.data_channel.pending if self.data_channel else 0) + (self.shared_memory.pending if self.shared_memory else 0),
            data_tls=bool(self.data_channel and self.data_channel.tls),
            session_bytes=held,
            max_session_bytes=self.sessions.max_bytes,
            received_bytes=session.received_bytes if session else 0,
            moved_arguments=session.moved_arguments if session else 0,
            moved_bytes=session.moved_bytes if session else 0,
            executing=self.executing,
            shared_memory=self.shared_memory is not None,
            digest_after=True,
        )

    def DeviceInfo(self, request, context, session: Session | None):
        b = self.backend
        devices = []
        for o, i, k in b.devices():
            limit, in_use = b.device_memory(o)
            devices.append(pb.Device(ordinal=o, id=i, kind=k, memory_bytes=limit, memory_in_use_bytes=in_use, process_index=b.process_of(o)))
        return pb.DeviceInfoResponse(
            platform=b.platform,
            platform_version=b.platform_version,
            devices=devices,
            jax_version=b.jax_version,
            jaxlib_version=b.jaxlib_version,
            server_version=SERVER_VERSION,
            libtpu_version=b.libtpu_version,
            process_index=b.process_index,
            process_count=b.distributed.num_processes if b.distributed else 1,
        )

    def OpenSession(self, request, context, session: Session | None):
        opened = self.sessions.open(request.client)
        return pb.OpenSessionResponse(session=opened.id, max_session_bytes=opened.max_bytes, idle_timeout_seconds=self.sessions.idle_timeout)

    def CloseSession(self, request, context, session: Session):
        return pb.CloseSessionResponse(released=self.sessions.close(session, "closed by its client"))

    def Compile(self, request, context, session: Session):
        if not request.hlo_module:
            raise RequestError(grpc.StatusCode.INVALID_ARGUMENT, "Compile: hlo_module is empty")
        devices, digest = self._executable_digest(request, hashlib.sha256(request.hlo_module).hexdigest(), "Compile", fast=request.fast)
        warning = ""
        # One compile per executable at a time; different modules compile side by side (a watch
        # build's fast compile of a new edit does not wait for the optimized one of the last).
        with self._compile_lock(digest):
            start = time.perf_counter()
            with self.lock:
                shared = self.by_digest.get(digest)
            if shared is not None:
                source = pb.CompileResponse.MEMORY
            else:
                shared, source, warning = self._load_or_compile(digest, request, devices)
                with self.lock:
                    self.by_digest[digest] = shared
            elapsed = (time.perf_counter() - start) * 1000
            with self.sessions.lock:
                if session.closed:
                    raise RequestError(grpc.StatusCode.NOT_FOUND, "the session was closed or expired while this call ran")
                # A session that compiles the same module again gets the handle it already holds.
                handle = next((h for h, held in session.executables.items() if held is shared), None)
                if handle is None:
                    handle = new_handle("exe")
                    session.executables[handle] = shared
                    with self.lock:
                        shared.holders += 1
        return pb.CompileResponse(
            executable=handle,
            source=source,
            parameters=[shape_to_pb(s) for s in shared.parameters],
            results=[shape_to_pb(s) for s in shared.results],
            elapsed_ms=elapsed,
            compilations=self.compilations,
            cache_warning=warning,
            device_memory_bytes=shared.memory.total if shared.memory else 0,
            partitions=len(shared.devices),
            partition_parameters=[shape_to_pb(s) for s in self._partition_shapes(shared.parameter_shardings, shared.parameters)],
            partition_results=[shape_to_pb(s) for s in self._partition_shapes(shared.result_shardings, shared.results)],
        )

    def _executable_digest(self, request, module_sha256: str, rpc: str, fast: bool = False) -> tuple[tuple[int, ...], str]:
        """The devices a Compile-like request names, and the digest its executable is cached and shared under."""
        devices = tuple(request.devices) if len(request.devices) > 1 else (request.device,)
        self._check_devices(devices, rpc)
        where = f"device{devices[0]}" if len(devices) == 1 else f"devices{','.join(map(str, devices))}"
        return devices, cache_digest(f"{request.key}@{where}{'/fast' if fast else ''}", module_sha256, self.backend.cache_fingerprint())

    @contextlib.contextmanager
    def _compile_lock(self, digest: str):
        with self.lock:
            held = self.compiling.setdefault(digest, [threading.Lock(), 0])
            held[1] += 1
        try:
            with held[0]:
                yield
        finally:
            with self.lock:
                held[1] -= 1
                if held[1] == 0:
                    del self.compiling[digest]

    def ExecutableKey(self, request, context, session: Session):
        if len(request.module_sha256) != 32:
            raise RequestError(grpc.StatusCode.INVALID_ARGUMENT, f"ExecutableKey: module_sha256 must be 32 bytes, got {len(request.module_sha256)}")
        _, digest = self._executable_digest(request, request.module_sha256.hex(), "ExecutableKey")
        with self.lock:
            cached = digest in self.by_digest or digest in self.imported
        return pb.ExecutableKeyResponse(digest=digest, cached=cached or self.cache.has(digest))

    def ExportExecutable(self, request, context, session: Session):
        with self.sessions.lock:
            shared = session.executables.get(request.executable)
        if shared is None:
            raise RequestError(grpc.StatusCode.NOT_FOUND, f"ExportExecutable: no executable {request.executable!r} in this session")
        try:
            blob = self.backend.serialize(shared.executable)
        except Exception as e:
            raise RequestError(grpc.StatusCode.INTERNAL, f"ExportExecutable: XLA could not serialize the executable: {e}") from e
        return pb.ExecutableEntry(digest=shared.digest, entry=encode_entry(shared.digest, CachedExecutable(blob, shared.parameters, shared.results)))

    def ImportExecutable(self, request, context, session: Session):
        # Checked here, before anything is kept; XLA only ever deserializes a checked entry.
        try:
            entry = decode_entry(request.entry, request.digest, f"the imported entry {request.digest[:12]}")
        except Untrusted as e:
            raise RequestError(grpc.StatusCode.INVALID_ARGUMENT, f"ImportExecutable: {e}") from e
        with self.lock:
            self.imported[request.digest] = entry
        self.cache_writer.submit(self._keep_imported, request.digest, entry)
        return pb.ImportExecutableResponse()

    def _keep_imported(self, digest: str, entry: CachedExecutable) -> None:
        try:
            self.cache.put(digest, entry)
        except Exception as e:  # the disk copy only saves a later import
            log(f"could not write the imported executable {digest[:12]} to the disk cache: {e}")

    def _partition_shapes(self, shardings, shapes) -> list[ArrayShape]:
        return [self.backend.shard_shape(s, shape) for s, shape in zip(shardings, shapes)] if shardings else list(shapes)

    def _shared(self, digest: str, executable, devices: tuple[int, ...], parameters, results) -> SharedExecutable:
        shared = SharedExecutable(digest, executable, devices, tuple(parameters), tuple(results), self.backend.memory_needs(executable))
        if shared.partitioned:
            params, outs = self.backend.partitioning(executable, devices)
            shared.parameter_shardings, shared.result_shardings = tuple(params), tuple(outs)
        return shared

    def _load_or_compile(self, digest: str, request, devices: tuple[int, ...]) -> tuple[SharedExecutable, int, str]:
        warning = ""
        with self.lock:
            cached = self.imported.pop(digest, None)
        source = pb.CompileResponse.IMPORTED
        if cached is None:
            source = pb.CompileResponse.DISK
            try:
                cached = self.cache.get(digest)
            except Untrusted as e:
                warning = f"executable cache: {e}; recompiled and replaced"
                log(warning)
        if cached is not None:
            try:
                executable = self.backend.deserialize(cached.blob, devices)
                return self._shared(digest, executable, devices, cached.parameters, cached.results), source, ""
            except BackendError as e:
                what = "imported executable" if source == pb.CompileResponse.IMPORTED else "executable cache entry"
                warning = f"{what} {digest[:12]} could not be loaded ({e}); recompiled and replaced"
                log(warning)
        try:
            lowered = self.backend.lower(request.hlo_module)
        except BackendError as e:
            raise RequestError(grpc.StatusCode.INVALID_ARGUMENT, f"Compile: the bytes are not a loadable HloModuleProto ({len(request.hlo_module)} bytes): {e}") from e
        try:
            executable = self.backend.compile(lowered, devices, fast=request.fast)
        except BackendError as e:
            raise RequestError(grpc.StatusCode.INVALID_ARGUMENT, f"Compile: XLA rejected the module: {e}") from e
        with self.lock:
            self.compilations += 1
        # A fast-compiled executable stands in only until the optimized one is compiled: not worth the disk.
        if not request.fast:
            self.cache_writer.submit(self._write_cache, digest, executable, lowered)
        return self._shared(digest, executable, devices, lowered.parameters, lowered.results), pb.CompileResponse.COMPILED, warning

    def _write_cache(self, digest: str, executable, lowered) -> None:
        try:
            self.cache.put(digest, CachedExecutable(self.backend.serialize(executable), lowered.parameters, lowered.results))
        except Exception as e:  # a cache that cannot be written costs a recompile later, nothing else
            log(f"could not write the executable cache entry {digest[:12]}: {e}")

    def close(self) -> None:
        self.sessions.stop()
        self.cache_writer.shutdown(wait=True)

    def TransferIn(self, request_iterator, context, session: Session):
        first = next(request_iterator, None)
        if first is None or first.WhichOneof("part") != "header":
            raise RequestError(grpc.StatusCode.INVALID_ARGUMENT, "TransferIn: the first message must carry the header")
        header = first.header
        shape, where = self._check_transfer_in(header, "TransferIn")
        expected = shape.byte_size()
        self.sessions.check_room(session, expected, f"TransferIn of {shape}")
        array = self.backend.host_array(shape)
        view = byte_view(array)
        digest = hashlib.sha256()  # of the chunks as they arrive
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
            digest.update(chunk.data)
            received += n
        if received != expected:
            raise RequestError(grpc.StatusCode.INVALID_ARGUMENT, f"TransferIn: received {received} of {expected} bytes for {shape}")
        if not hmac.compare_digest(digest.digest(), header.sha256):
            raise RequestError(grpc.StatusCode.DATA_LOSS, f"TransferIn: the {expected} bytes received do not have the SHA-256 the header announced; nothing was kept")
        info = self._keep(session, self._to_device(array, where, "TransferIn"))
        with self.sessions.lock:
            session.received_bytes += expected
        return pb.TransferInResponse(buffer=info)

    def OpenTransferIn(self, header, context, session: Session):
        channel = self._data_channel("OpenTransferIn")
        shape, where = self._check_transfer_in(header, "OpenTransferIn", digest=not header.digest_after)
        self.sessions.reserve(session, shape.byte_size(), f"OpenTransferIn of {shape}")
        ticket = channel.issue("in", shape.byte_size(), shape=shape, device=where, session=session, sha256=bytes(header.sha256), digest_after=header.digest_after)
        return self._ticket(ticket, pb.BufferInfo(shape=shape_to_pb(shape), total_bytes=shape.byte_size()))

    def OpenTransferOut(self, request, context, session: Session):
        channel = self._data_channel("OpenTransferOut")
        info = self._buffer_info(request.buffer, self.sessions.buffer(session, request.buffer))
        ticket = channel.issue("out", info.total_bytes, buffer=request.buffer, release=request.release, session=session, digest_after=request.digest_after)
        return self._ticket(ticket, info)

    # --- shared memory (runtime/shared_memory.py) ------------------------------------------------

    def _shared_memory(self, rpc: str) -> SharedMemoryTable:
        if self.shared_memory is None:
            raise RequestError(grpc.StatusCode.FAILED_PRECONDITION, f"{rpc}: this server offers no shared memory (started without --shared-memory); use the data channel")
        return self.shared_memory

    def _region(self, region, info: pb.BufferInfo) -> pb.SharedRegion:
        return pb.SharedRegion(pid=os.getpid(), fd=region.fd, name=region.name, buffer=info, expires_in_ms=int(self.shared_memory.ttl * 1000))

    def OpenSharedTransferIn(self, header, context, session: Session):
        table = self._shared_memory("OpenSharedTransferIn")
        shape, where = self._check_transfer_in(header, "OpenSharedTransferIn", digest=False)
        self.sessions.reserve(session, shape.byte_size(), f"OpenSharedTransferIn of {shape}")
        try:
            region = table.open_in(shape.byte_size(), session, shape, where)
        except OSError as e:
            self.sessions.unreserve(session, shape.byte_size())
            raise RequestError(grpc.StatusCode.RESOURCE_EXHAUSTED, f"OpenSharedTransferIn: no shared memory for {shape} ({e})") from None
        return self._region(region, pb.BufferInfo(shape=shape_to_pb(shape), total_bytes=shape.byte_size()))

    def FinishSharedTransferIn(self, request, context, session: Session):
        table = self._shared_memory("FinishSharedTransferIn")
        region = table.take(request.name, session, "in")
        try:
            raw = table.mapped(region)
            array = raw.view(DTYPES[region.shape.element_type]).reshape(region.shape.dims)
            buffer = self._to_device(array, region.device, "FinishSharedTransferIn")
        except BaseException:
            self.sessions.unreserve(session, region.total_bytes)
            raise
        info = self._keep(session, buffer, reserved=region.total_bytes)
        with self.sessions.lock:
            session.received_bytes += region.total_bytes
        return pb.TransferInResponse(buffer=info)

    def SharedTransferOut(self, request, context, session: Session):
        table = self._shared_memory("SharedTransferOut")
        buffer = self.sessions.buffer(session, request.buffer)
        info = self._buffer_info(request.buffer, buffer)
        try:
            region = table.open_out(byte_view(self.backend.to_host(buffer)), session, request.buffer, request.release)
        except OSError as e:
            raise RequestError(grpc.StatusCode.RESOURCE_EXHAUSTED, f"SharedTransferOut: no shared memory for the buffer's {info.total_bytes} bytes ({e})") from None
        return self._region(region, info)

    def CloseSharedRegion(self, request, context, session: Session):
        self._shared_memory("CloseSharedRegion").close(request.name, session, read=request.read)
        return pb.CloseSharedRegionResponse()

    # --- the data channel's endpoint (data_channel.Endpoint) -----------------------------------

    def host_array_for(self, ticket: Ticket) -> np.ndarray:
        return self.backend.host_array(ticket.shape)

    def finish_in(self, ticket: Ticket, array: np.ndarray) -> pb.BufferInfo:
        info = self._keep(ticket.session, self._to_device(array, ticket.device, "the data channel"), reserved=ticket.total_bytes)
        with self.sessions.lock:
            ticket.session.received_bytes += ticket.total_bytes
        return info

    def _to_device(self, array: np.ndarray, where, rpc: str):
        try:
            return self.backend.to_device(array, where)
        except ValueError as e:  # a block that misses a shard of this process
            raise RequestError(grpc.StatusCode.INVALID_ARGUMENT, f"{rpc}: {e}") from e

    def abandon_in(self, ticket: Ticket) -> None:
        self.sessions.unreserve(ticket.session, ticket.total_bytes)

    def start_out(self, ticket: Ticket) -> tuple[pb.BufferInfo, np.ndarray]:
        buffer = self.sessions.buffer(ticket.session, ticket.buffer)
        return self._buffer_info(ticket.buffer, buffer), self.backend.to_host(buffer)

    def finish_out(self, ticket: Ticket) -> None:
        if ticket.release:
            self._release_buffer(ticket.session, ticket.buffer)

    def status_of(self, error: Exception) -> tuple[str, str] | None:
        status = known_status(error)
        return (status[0].name, status[1]) if status else None

    def Execute(self, request, context, session: Session):
        with self.sessions.lock:
            loaded = session.executables.get(request.executable)
        if loaded is None:
            raise RequestError(grpc.StatusCode.NOT_FOUND, f"unknown executable handle {request.executable!r} (not issued to this session, or released)")
        if len(request.arguments) != len(loaded.parameters):
            raise RequestError(grpc.StatusCode.INVALID_ARGUMENT, f"Execute: the executable takes {len(loaded.parameters)} argument(s), got {len(request.arguments)}")
        arguments = []
        moved: list[int] = []  # arguments copied to where the executable wants them
        for i, (handle, expected) in enumerate(zip(request.arguments, loaded.parameters)):
            buffer = self.sessions.buffer(session, handle)
            actual = self.backend.shape_of(buffer)
            if actual != expected:
                raise RequestError(grpc.StatusCode.INVALID_ARGUMENT, f"Execute: argument {i} ({handle}) is {actual}, the executable's parameter {i} is {expected}")
            held = self.backend.devices_of(buffer)
            if not loaded.partitioned and len(held) > 1 and loaded.devices[0] in held:
                # A result of a program over several devices (whole on each, or split): gathered
                # onto this executable's device for this call.
                buffer = self.backend.to_device(buffer, loaded.devices[0])
                held = list(loaded.devices)
                moved.append(i)
            if not set(held) <= set(loaded.devices) or (not loaded.partitioned and held != list(loaded.devices)):
                where = f"device {held[0]}" if len(held) == 1 else f"devices {held}"
                runs = f"device {loaded.devices[0]}" if not loaded.partitioned else f"devices {list(loaded.devices)}"
                raise RequestError(grpc.StatusCode.INVALID_ARGUMENT, f"Execute: argument {i} ({handle}) is on {where}, the executable runs on {runs}")
            arguments.append(buffer)
        self._check_device_memory(loaded)
        result_bytes = sum(r.byte_size() for r in loaded.results)
        self.sessions.check_room(session, result_bytes, f"Execute's {len(loaded.results)} result(s)")
        start = time.perf_counter()
        with self.lock:
            self.executing += 1
        try:
            if loaded.partitioned:
                results = self.backend.execute_partitioned(loaded.executable, arguments, list(loaded.parameter_shardings), list(loaded.result_shardings), loaded.results, moved)
            else:
                results = self.backend.execute(loaded.executable, arguments)
        except BackendError as e:
            raise RequestError(grpc.StatusCode.INTERNAL, f"Execute: {e}") from e
        finally:
            with self.lock:
                self.executing -= 1
        with self.sessions.lock:
            session.moved_arguments += len(moved)
            session.moved_bytes += sum(loaded.parameters[i].byte_size() for i in moved)
        elapsed = (time.perf_counter() - start) * 1000
        infos = []
        try:
            for r in results:
                infos.append(self._keep(session, r))
        except RequestError:
            for info in infos:
                self._release_buffer(session, info.buffer)
            raise
        return pb.ExecuteResponse(results=infos, elapsed_ms=elapsed)

    def _check_device_memory(self, loaded: SharedExecutable) -> None:
        """Too large for the device is a clear error here, not an out-of-memory crash in XLA."""
        # Each partition holds a part of the program's memory; the first device speaks for all.
        limit, in_use = self.backend.device_memory(loaded.devices[0])
        if not limit or loaded.memory is None:
            return
        # Arguments are resident already (counted in in_use where PJRT reports it).
        needed = loaded.memory.total - loaded.memory.arguments if in_use else loaded.memory.total
        free = limit - in_use
        if needed > free:
            raise RequestError(
                grpc.StatusCode.RESOURCE_EXHAUSTED,
                f"Execute: the executable needs {loaded.memory.total} bytes of device memory ({loaded.memory}; XLA's compiled memory statistics), "
                f"device {loaded.devices[0]} has {limit} bytes ({in_use} in use)",
            )

    def TransferOut(self, request, context, session: Session):
        buffer = self.sessions.buffer(session, request.buffer)
        chunk = request.chunk_bytes or MAX_CHUNK
        if chunk > MAX_CHUNK:
            raise RequestError(grpc.StatusCode.INVALID_ARGUMENT, f"TransferOut: chunk_bytes {chunk} exceeds the 4 MiB limit")
        info = self._buffer_info(request.buffer, buffer)
        raw = byte_view(self.backend.to_host(buffer))
        digest = hashlib.sha256(raw).digest()
        total = len(raw)
        if total == 0:
            yield pb.TransferOutChunk(buffer=info, sha256=digest)
        for offset in range(0, total, chunk):
            piece = bytes(raw[offset : offset + chunk])
            yield pb.TransferOutChunk(buffer=info, data=piece, sha256=digest) if offset == 0 else pb.TransferOutChunk(data=piece)
        if request.release:
            self._release_buffer(session, request.buffer)

    def _release_buffer(self, session: Session, handle: str) -> bool:
        buffer = self.sessions.pop_buffer(session, handle)
        if buffer is None:
            return False
        self.backend.delete(buffer)
        return True

    def Release(self, request, context, session: Session):
        released = 0
        unknown = []
        for handle in request.buffers:
            if self._release_buffer(session, handle):
                released += 1
            else:
                unknown.append(handle)
        for handle in request.executables:
            with self.sessions.lock:
                shared = session.executables.pop(handle, None)
            if shared is None:
                unknown.append(handle)
            else:
                self._drop_executable(shared)
                released += 1
        return pb.ReleaseResponse(released=released, unknown=unknown)

    def Shutdown(self, request, context, session: Session | None):
        if not self.allow_shutdown:
            raise RequestError(grpc.StatusCode.PERMISSION_DENIED, "Shutdown: this server runs as a service; stop it where it was started (e.g. systemctl stop)")
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
    if isinstance(error, SharedMemoryError):
        return grpc.StatusCode[error.code], str(error)
    if isinstance(error, BackendError):
        return grpc.StatusCode.INTERNAL, str(error)
    if isinstance(error, ValueError):
        return grpc.StatusCode.INVALID_ARGUMENT, str(error)
    return None


# Which calls need a session ("optional": used when the call carries one).
SESSION_NEEDS = {
    "Health": "optional",
    "DeviceInfo": "optional",
    "OpenSession": "none",
    "Shutdown": "optional",
}


def rpc(method):
    """The one gate every call passes: the token, then the caller's session, then the method.

    A request error becomes its gRPC status, an unexpected exception INTERNAL, never a crash.
    """
    needs = SESSION_NEEDS.get(method.__name__, "required")

    def enter(self, context) -> Session | None:
        self.auth.check(context)
        session_id = metadata_value(context, SESSION_METADATA)
        if needs == "none" or (needs == "optional" and not session_id):
            return None
        session = self.sessions.get(session_id)
        self.sessions.begin(session)
        return session

    def fail(e: Exception, context) -> None:
        status = known_status(e)
        if status is None:
            internal_error(method.__name__, e, context)
        else:
            context.abort(*status)

    def wrapped(self, request, context):
        session = None
        try:
            session = enter(self, context)
            return method(self, request, context, session)
        except Exception as e:
            fail(e, context)
        finally:
            if session is not None:
                self.sessions.end(session)

    def wrapped_stream(self, request, context):
        session = None
        try:
            session = enter(self, context)
            yield from method(self, request, context, session)
        except Exception as e:
            fail(e, context)
        finally:
            if session is not None:
                self.sessions.end(session)

    return wrapped_stream if inspect.isgeneratorfunction(method) else wrapped


for _name in ("Health", "DeviceInfo", "OpenSession", "CloseSession", "Compile", "ExecutableKey", "ExportExecutable", "ImportExecutable", "TransferIn", "Execute", "TransferOut", "OpenTransferIn", "OpenTransferOut", "OpenSharedTransferIn", "FinishSharedTransferIn", "SharedTransferOut", "CloseSharedRegion", "Release", "Shutdown"):
    setattr(RuntimeService, _name, rpc(getattr(RuntimeService, _name)))


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


# --- command line --------------------------------------------------------------------------------


class UsageError(Exception):
    """A refused command line: the message says why and what to do instead."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def split_listen(listen: str) -> tuple[str, int]:
    host, sep, port = listen.rpartition(":")
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise UsageError(f"--listen {listen!r}: expected HOST:PORT (e.g. 0.0.0.0:8470, 127.0.0.1:0, [::]:8470)")
    return host, int(port)


def read_token_file(path: str) -> str:
    try:
        st = os.stat(path)
        with open(path, encoding="utf-8") as f:
            token = f.read().strip()
    except OSError as e:
        raise UsageError(f"--token-file {path}: {e.strerror}") from None
    if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise UsageError(f"--token-file {path} can be read by other users (mode {stat.S_IMODE(st.st_mode):o}); make it owner-only: chmod 600 {path}")
    if len(token) < 16:
        raise UsageError(f"--token-file {path}: the token must be at least 16 characters (e.g. `openssl rand -hex 32 > {path}`)")
    return token


def read_file(flag: str, path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise UsageError(f"{flag} {path}: {e.strerror}") from None


def parse_args(argv: list[str]) -> argparse.Namespace:
    if argv[:1] == ["serve"]:
        argv = argv[1:]
    parser = argparse.ArgumentParser(
        prog="tpu-build-runtime",
        description="The tpu-build runtime server (proto/runtime.proto over jaxlib's PJRT client). "
        "`tpu-build-runtime serve --listen HOST:PORT ...` runs it as a service on a TPU VM or GPU host.",
    )
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--listen", metavar="HOST:PORT", help="serve gRPC on this address (port 0: any free port)")
    where.add_argument("--socket", help="serve on this Unix socket path (a local target's child)")
    parser.add_argument("--platform", default="cpu", help="PJRT platform: tpu, cuda, rocm or cpu (default cpu)")
    parser.add_argument("--tls-cert", metavar="F", help="the server's certificate chain (PEM)")
    parser.add_argument("--tls-key", metavar="F", help="the certificate's private key (PEM)")
    parser.add_argument("--client-ca", metavar="F", help="require client certificates signed by this CA (mutual TLS)")
    parser.add_argument("--token-file", metavar="F", help="the bearer token every call must carry (an owner-only file)")
    parser.add_argument("--token-stdin", action="store_true", help="read the token from the first line of stdin (a local target's child)")
    parser.add_argument("--max-session-bytes", type=int, default=0, metavar="N", help="device bytes one session may hold (0: no limit)")
    parser.add_argument("--idle-timeout", type=float, default=None, metavar="S", help="free sessions unused for S seconds (0: never; default 900 with --listen, never with --socket)")
    parser.add_argument("--cpu-devices", type=int, metavar="N", help="pretend the CPU platform has N devices")
    parser.add_argument("--coordinator", metavar="HOST:PORT", help="join JAX's distributed runtime, whose coordination service process 0 serves at HOST:PORT (several hosts acting as one)")
    parser.add_argument("--num-processes", type=int, metavar="N", help="with --coordinator: how many servers act as one")
    parser.add_argument("--process-id", type=int, metavar="K", help="with --coordinator: this server's place among them, 0..N-1")
    parser.add_argument(
        "--heartbeat-timeout",
        type=int,
        default=100,
        metavar="SECONDS",
        help="with --coordinator: a server not heard from for this long is dead, and the others exit (JAX's distributed runtime; the group is restarted together); default 100",
    )
    parser.add_argument("--device-memory", type=int, default=0, metavar="BYTES", help="device memory to assume where PJRT reports none (XLA's CPU client)")
    parser.add_argument("--cache-dir", help="directory of the on-disk executable cache (none: no disk cache)")
    parser.add_argument("--parent-pid", type=int, help="exit when this process is gone")
    parser.add_argument("--watch-stdin", action="store_true", help="exit when stdin reaches end of file")
    parser.add_argument("--own-socket-dir", action="store_true", help="remove the socket's directory on exit (a private one made for this server)")
    parser.add_argument("--allow-shutdown", action="store_true", help="obey the Shutdown call (a local target's child)")
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--no-data-channel", action="store_true", help="no data channel: tensors stream over gRPC only")
    parser.add_argument("--data-ticket-ttl", type=float, default=60.0, help="seconds a data-channel ticket or a shared-memory region stays good unused (default 60)")
    parser.add_argument("--shared-memory", action="store_true", help="offer tensors through memfds to clients of this user on this host (a local target's child)")
    args = parser.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        raise UsageError("--tls-cert and --tls-key go together")
    if args.client_ca and not args.tls_cert:
        raise UsageError("--client-ca needs TLS (--tls-cert and --tls-key)")
    if args.token_file and args.token_stdin:
        raise UsageError("give the token by --token-file or --token-stdin, not both")
    if args.socket and args.tls_cert:
        raise UsageError("TLS is for --listen; a Unix socket is guarded by its owner-only directory and the token")
    if args.listen:
        host, _ = split_listen(args.listen)
        if not is_loopback(host) and not (args.tls_cert and (args.token_file or args.token_stdin)):
            missing = " and ".join(x for x, given in (("TLS (--tls-cert, --tls-key)", args.tls_cert), ("a token (--token-file)", args.token_file or args.token_stdin)) if not given)
            raise UsageError(
                f"refusing to listen on {args.listen} without {missing}: anyone who can reach that address could read "
                "every tensor and run code on the device. Give both, or listen on 127.0.0.1 and reach it through an SSH tunnel"
            )
    if args.max_session_bytes < 0:
        raise UsageError("--max-session-bytes must be 0 (no limit) or positive")
    if args.cpu_devices is not None and not 1 <= args.cpu_devices <= 4096:
        raise UsageError("--cpu-devices must be between 1 and 4096")
    if (args.coordinator is None) != (args.num_processes is None) or (args.coordinator is None) != (args.process_id is None):
        raise UsageError("--coordinator, --num-processes and --process-id go together")
    if args.coordinator is not None:
        split_listen(args.coordinator)
        if args.num_processes < 1 or not 0 <= args.process_id < args.num_processes:
            raise UsageError(f"--process-id must be between 0 and --num-processes - 1 ({args.num_processes - 1}), got {args.process_id}")
    if args.heartbeat_timeout < 1:
        raise UsageError(f"--heartbeat-timeout must be at least 1 second, got {args.heartbeat_timeout}")
    if args.idle_timeout is None:
        args.idle_timeout = 900.0 if args.listen else 0.0
    return args


class Leftovers:
    """What this process made on disk, removed however it ends (even before it was ready)."""

    def __init__(self, args: argparse.Namespace):
        self.paths: list[str] = []
        self.directory = os.path.dirname(os.path.abspath(args.socket)) if args.socket and args.own_socket_dir else None

    def remove(self) -> None:
        for path in self.paths:
            try:
                os.unlink(path)
            except OSError:
                pass
        if self.directory:
            try:
                for name in os.listdir(self.directory):
                    if name.endswith(".sock"):  # only our sockets live in the private directory
                        os.unlink(os.path.join(self.directory, name))
                os.rmdir(self.directory)
            except OSError:
                pass


def tls_contexts(args) -> tuple[object | None, ssl.SSLContext | None]:
    """gRPC server credentials and the data channel's TLS context, from the same files."""
    if not args.tls_cert:
        return None, None
    cert, key = read_file("--tls-cert", args.tls_cert), read_file("--tls-key", args.tls_key)
    client_ca = read_file("--client-ca", args.client_ca) if args.client_ca else None
    credentials = grpc.ssl_server_credentials([(key, cert)], root_certificates=client_ca, require_client_auth=client_ca is not None)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    # One session ticket per connection: the client offers it on its next data connection, which
    # then resumes the session instead of a full handshake (no certificate signed or checked again).
    context.num_tickets = 1
    try:
        context.load_cert_chain(args.tls_cert, args.tls_key)
        if client_ca is not None:
            context.load_verify_locations(cafile=args.client_ca)
            context.verify_mode = ssl.CERT_REQUIRED
    except (ssl.SSLError, OSError) as e:
        raise UsageError(f"cannot use the TLS files ({e})") from None
    return credentials, context


def serve(args: argparse.Namespace, leftovers: Leftovers) -> int:
    t0 = time.perf_counter()
    token = None
    if args.token_stdin:
        token = sys.stdin.readline().strip()
        if not token:
            log("--token-stdin: no token on stdin (the parent is gone?); exiting")
            return 2
    elif args.token_file:
        token = read_token_file(args.token_file)
    credentials, data_tls = tls_contexts(args)
    if args.watch_stdin:
        threading.Thread(target=watch_stdin, args=(STOPPING.set,), daemon=True).start()
    if args.cpu_devices:
        flags = [f for f in os.environ.get("XLA_FLAGS", "").split() if not f.startswith("--xla_force_host_platform_device_count")]
        os.environ["XLA_FLAGS"] = " ".join([*flags, f"--xla_force_host_platform_device_count={args.cpu_devices}"])

    try:
        distributed = Distributed(args.coordinator, args.num_processes, args.process_id, args.heartbeat_timeout) if args.coordinator else None
        backend = XlaBackend(args.platform, device_memory=args.device_memory, distributed=distributed)
    except PlatformUnavailable as e:
        log(str(e))
        return 5
    if distributed is not None:
        # JAX's distributed runtime installs XLA's preemption notifier, which takes SIGTERM for
        # itself; the server's own handlers must stop it (and leave the runtime) as before.
        signal.signal(signal.SIGTERM, _stop_signal)
        signal.signal(signal.SIGINT, _stop_signal)
    if STOPPING.is_set():
        return 0
    try:
        cache = ExecutableCache(args.cache_dir)
    except CacheDirRefused as e:
        raise UsageError(str(e)) from None
    if cache.tightened_from is not None:
        log(f"warning: the executable cache {args.cache_dir} was open to other users (mode {cache.tightened_from:o}); it is owner-only (700) now")
    options = [
        ("grpc.max_receive_message_length", MAX_MESSAGE),
        ("grpc.max_send_message_length", MAX_MESSAGE),
        # Clients ping idle connections to notice a dead server (RuntimeClient's keepalive).
        ("grpc.keepalive_permit_without_calls", 1),
        ("grpc.http2.min_recv_ping_interval_without_data_ms", 5000),
        ("grpc.http2.max_ping_strikes", 0),
    ]
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=args.workers), options=options)
    service = RuntimeService(
        backend,
        cache,
        {"max_bytes": args.max_session_bytes, "idle_timeout": args.idle_timeout},
        Authenticator(token),
        STOPPING.set,
        allow_shutdown=args.allow_shutdown,
    )
    pb_grpc.add_RuntimeServicer_to_server(service, server)
    if args.socket:
        if os.path.exists(args.socket):
            os.unlink(args.socket)
        leftovers.paths.append(args.socket)
        server.add_insecure_port(f"unix:{args.socket}")
        address = f"unix:{args.socket}"
    else:
        host, port = split_listen(args.listen)
        bound = server.add_secure_port(args.listen, credentials) if credentials else server.add_insecure_port(args.listen)
        if bound == 0:
            log(f"cannot listen on {args.listen}")
            return 2
        address = f"{host}:{bound}"
    server.start()
    try:
        if args.socket:
            os.chmod(args.socket, 0o600)
        if not args.no_data_channel:
            try:
                listener, data_address = DataChannel.listen(address)
                if data_address.startswith("unix:"):
                    leftovers.paths.append(data_address[len("unix:") :])
                service.data_channel = DataChannel(listener, data_address, service, log, ticket_ttl=args.data_ticket_ttl, tls=data_tls)
            except OSError as e:  # e.g. a socket path too long for AF_UNIX: serve anyway, over gRPC only
                log(f"no data channel ({e}); tensors will stream over gRPC")
        if args.shared_memory:
            if shared_memory.available():
                service.shared_memory = SharedMemoryTable(
                    args.data_ticket_ttl,
                    on_abandoned_in=lambda r: service.sessions.unreserve(r.session, r.total_bytes),
                    # The buffer is released once the client has its bytes (it closes the region after reading).
                    on_closed_out=lambda r: r.release and service._release_buffer(r.session, r.buffer),
                    log=log,
                )
            else:
                log("no shared memory here (memfd_create or /proc missing); tensors take the data channel")
        ready = {
            "ready": True,
            "address": address,
            "data_address": service.data_channel.address if service.data_channel else "",
            "shared_memory": service.shared_memory is not None,
            "tls": credentials is not None,
            "pid": os.getpid(),
            "platform": backend.platform,
            "devices": backend.device_count,
            "jaxlib": backend.jaxlib_version,
            "startup_ms": round((time.perf_counter() - t0) * 1000, 1),
        }
        try:
            print(json.dumps(ready), flush=True)
        except (OSError, ValueError):  # nobody reads the ready line: the parent is gone
            log("cannot write the ready line (the parent is gone?); exiting")
            STOPPING.set()
        if not args.socket and token is None:
            log(f"warning: no token (--token-file): every local user of this host can call {address}; give one unless this host has no other users")
        if not args.socket:
            log(f"serving {backend.platform} ({backend.device_count} device(s)) on {address}{' over TLS' if credentials else ''}; data channel {ready['data_address'] or 'off'}")
        while not STOPPING.wait(0.2):
            pass
    finally:
        if service.data_channel:
            service.data_channel.close()
        if service.shared_memory:
            service.shared_memory.shutdown()
        server.stop(grace=1).wait(2)
        service.close()
        backend.shutdown()
    return 0


def main(argv: list[str]) -> int:
    try:
        args = parse_args(argv)
    except UsageError as e:
        print(f"tpu-build-runtime: {e}", file=sys.stderr)
        return 2
    leftovers = Leftovers(args)
    code = 1
    try:
        if args.parent_pid:
            threading.Thread(target=watch_parent, args=(args.parent_pid, STOPPING.set), daemon=True).start()
        code = serve(args, leftovers)
    except UsageError as e:
        log(str(e))
        code = 2
    except BaseException:
        log(f"the runtime server failed:\n{traceback.format_exc()}")
    finally:
        leftovers.remove()
    # Skip interpreter teardown: XLA's static destructors are slow and sometimes noisy.
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


def cli() -> None:
    """The `tpu-build-runtime` console script."""
    sys.exit(main(sys.argv[1:]))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
