"""Every call into jax/jaxlib that the runtime server makes, in one place.

Several of these are jaxlib internals (XlaComputation, the HLO -> MLIR conversion, compile_and_load,
executable (de)serialization) whose names move between releases, which is why requirements.txt pins
jax and jaxlib exactly (0.10.2). When upgrading, this module and runtime/test_xla_backend.py are the
only things to change and rerun. Known moves: 0.7 renamed `compile` to `compile_and_load`; 0.10
removed `buffer_from_pyval` (hence jax.device_put); 0.11 moves XlaComputation to `jaxlib._hlo`.

The rest of the server sees only numpy arrays, opaque executables and device arrays, and shapes as
(PrimitiveType name, dims) pairs in XLA order.
"""

from __future__ import annotations

import mmap
import os
import re
from dataclasses import dataclass

import ml_dtypes
import numpy as np

# XLA PrimitiveType name -> numpy dtype. PRED is numpy's bool (one byte per element).
DTYPES: dict[str, np.dtype] = {
    "PRED": np.dtype(np.bool_),
    "S8": np.dtype(np.int8),
    "S16": np.dtype(np.int16),
    "S32": np.dtype(np.int32),
    "S64": np.dtype(np.int64),
    "U8": np.dtype(np.uint8),
    "U16": np.dtype(np.uint16),
    "U32": np.dtype(np.uint32),
    "U64": np.dtype(np.uint64),
    "F16": np.dtype(np.float16),
    "BF16": np.dtype(ml_dtypes.bfloat16),
    "F32": np.dtype(np.float32),
    "F64": np.dtype(np.float64),
    "C64": np.dtype(np.complex64),
    "C128": np.dtype(np.complex128),
}
_NAMES_BY_DTYPE = {dtype: name for name, dtype in DTYPES.items()}
# XLA's CPU client aliases host memory with this alignment instead of copying it (see host_array).
HOST_ALIGNMENT = 64
HUGE_PAGE_BYTES = 2 << 20


def element_type_of(dtype: np.dtype) -> str:
    try:
        return _NAMES_BY_DTYPE[np.dtype(dtype)]
    except KeyError:
        raise ValueError(f"unsupported element type {dtype}") from None


@dataclass(frozen=True)
class ArrayShape:
    element_type: str  # XLA PrimitiveType name
    dims: tuple[int, ...]  # XLA order

    def __str__(self) -> str:
        return f"{self.element_type.lower()}[{','.join(str(d) for d in self.dims)}]"

    def byte_size(self) -> int:
        return int(np.prod(self.dims, dtype=np.int64)) * DTYPES[self.element_type].itemsize


@dataclass(frozen=True)
class Placement:
    """A tensor split over several devices, as JAX's NamedSharding says it: a mesh of device ordinals
    (row-major over mesh_shape) and, per XLA dimension, the mesh axis it is split over (-1: not split).
    Mesh axes that split no dimension hold copies (replicated)."""

    devices: tuple[int, ...]
    mesh_shape: tuple[int, ...]
    dim_axes: tuple[int, ...]
    # Set: the host array is only a block of the whole tensor (global_dims), starting at block_start:
    # the part the shards of this process's devices lie in (a run over several hosts).
    global_dims: tuple[int, ...] | None = None
    block_start: tuple[int, ...] | None = None


@dataclass(frozen=True)
class LoweredModule:
    """An HLO module converted for compilation, with its flattened parameters and results."""

    mlir: str
    parameters: tuple[ArrayShape, ...]
    results: tuple[ArrayShape, ...]


class BackendError(Exception):
    """A failure reported by XLA (bad module, failed compile or execute); the message is XLA's."""

    def __init__(self, cause: BaseException):
        super().__init__(_xla_message(cause))


def _xla_message(cause: BaseException) -> str:
    # XLA's RET_CHECK failures append a copy of the log line and a C++ stack trace; keep the status.
    text = str(cause).split("*** Begin stack trace ***")[0]
    text = re.split(r"\s[EWF]\d{4} \d\d:\d\d:\d\d\.\d+\s", text)[0]
    return " ".join(text.split()) or type(cause).__name__


# Imported lazily so that importing this module (for DTYPES, in tests) does not start XLA.
_jax = None
_xc = None


def _modules():
    global _jax, _xc
    if _jax is None:
        import jax
        from jax._src.lib import xla_client

        # Float64 and Int64 tensors must keep their width; jax truncates them to 32 bits otherwise.
        jax.config.update("jax_enable_x64", True)
        _jax, _xc = jax, xla_client
    return _jax, _xc


def _flatten(shape) -> list[ArrayShape]:
    # HLO -> StableHLO conversion flattens tuple parameters and a tuple root into separate arrays,
    # depth-first, and so does PJRT's execute; describe them the same way.
    if shape.is_tuple():
        return [leaf for element in shape.tuple_shapes() for leaf in _flatten(element)]
    return [ArrayShape(shape.xla_element_type().name, tuple(int(d) for d in shape.dimensions()))]


# What to install for each platform's PJRT client (the extras of runtime/pyproject.toml).
PLATFORM_EXTRAS = {"tpu": "tpu-build-runtime[tpu]", "cuda": "tpu-build-runtime[cuda12]", "rocm": "jax's ROCm plugin (jax-rocm*-plugin)"}


class PlatformUnavailable(Exception):
    """The PJRT client for the asked platform cannot be created here; the message says what to install."""


def _package_version(name: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return ""


@dataclass(frozen=True)
class MemoryNeeds:
    """XLA's compiled memory statistics of an executable, in bytes."""

    arguments: int
    outputs: int
    temporaries: int
    generated_code: int
    aliased: int

    @property
    def total(self) -> int:
        return max(0, self.arguments + self.outputs + self.temporaries + self.generated_code - self.aliased)

    def __str__(self) -> str:
        return f"arguments {self.arguments}, outputs {self.outputs}, temporaries {self.temporaries}, code {self.generated_code}, aliased {self.aliased}"


@dataclass(frozen=True)
class Distributed:
    """This process's place among several that act as one (JAX's distributed runtime, multi-controller)."""

    coordinator: str  # HOST:PORT of process 0's coordination service
    num_processes: int
    process_id: int
    # Seconds without a heartbeat after which a process counts as dead: the coordination service
    # then fails every other one, and XLA ends them (a multi-controller group fails as a whole).
    heartbeat_timeout: int = 100


class XlaBackend:
    def __init__(self, platform: str = "cpu", device_memory: int = 0, distributed: Distributed | None = None):
        """The PJRT client of `platform` (cpu, tpu, cuda, rocm), chosen by name: one code path for all.

        device_memory: bytes to report for devices whose PJRT client reports none (the CPU's).
        distributed: join JAX's distributed runtime first (every process of it must); devices are
        then the global ones, in JAX's order (process by process), of which this process holds its own.
        """
        jax, _ = _modules()
        jax.config.update("jax_platforms", platform)
        from jax._src import xla_bridge

        self.distributed = distributed
        if distributed is not None:
            if platform == "cpu":
                # The CPU client's cross-process collectives (TPUs and GPUs have their own).
                jax.config.update("jax_cpu_collectives_implementation", "gloo")
            try:
                jax.distributed.initialize(distributed.coordinator, num_processes=distributed.num_processes, process_id=distributed.process_id, heartbeat_timeout_seconds=distributed.heartbeat_timeout)
            except Exception as e:
                raise PlatformUnavailable(f"cannot join the distributed runtime at {distributed.coordinator} as process {distributed.process_id} of {distributed.num_processes} ({_xla_message(e)})") from e

        try:
            self._backend = xla_bridge.get_backend(platform)
        except Exception as e:  # jax raises RuntimeError with its own explanation
            extra = PLATFORM_EXTRAS.get(platform)
            hint = f"; on this host install {extra}" if extra else ""
            raise PlatformUnavailable(f"no PJRT client for platform {platform!r} ({_xla_message(e)}){hint}") from e
        self._devices = list(self._backend.devices() if distributed else self._backend.local_devices())
        import jaxlib

        self.jax_version: str = jax.__version__
        self.jaxlib_version: str = jaxlib.__version__
        self.libtpu_version: str = _package_version("libtpu") or _package_version("libtpu-nightly")
        self.platform: str = self._backend.platform
        self.platform_version: str = self._backend.platform_version
        self._assumed_memory = device_memory

    def device_memory(self, ordinal: int) -> tuple[int, int]:
        """(bytes the device has, bytes in use) as PJRT's memory_stats reports them; (0, 0) when unknown."""
        stats = None
        try:
            stats = self._device(ordinal).memory_stats()
        except Exception:  # some clients raise instead of returning None
            stats = None
        if stats and stats.get("bytes_limit"):
            return int(stats["bytes_limit"]), int(stats.get("bytes_in_use", 0))
        return self._assumed_memory, 0

    def memory_needs(self, executable) -> MemoryNeeds | None:
        try:
            s = executable.get_compiled_memory_stats()
        except Exception:  # a client that does not report them
            return None
        return MemoryNeeds(
            int(s.argument_size_in_bytes), int(s.output_size_in_bytes), int(s.temp_size_in_bytes), int(s.generated_code_size_in_bytes), int(s.alias_size_in_bytes)
        )

    @property
    def device_count(self) -> int:
        return len(self._devices)

    def devices(self) -> list[tuple[int, int, str]]:
        """(ordinal, PJRT id, kind) of each local device."""
        return [(i, int(d.id), str(d.device_kind)) for i, d in enumerate(self._devices)]

    def cache_fingerprint(self) -> dict[str, str]:
        """What, besides the module, decides whether a serialized executable may be reused."""
        fingerprint = {
            "jax": self.jax_version,
            "jaxlib": self.jaxlib_version,
            "libtpu": self.libtpu_version,
            "platform": self.platform,
            "platform_version": self.platform_version,
            "xla_flags": os.environ.get("XLA_FLAGS", ""),
            "devices": ",".join(f"{d[1]}:{d[2]}" for d in self.devices()),
        }
        # Every process of a multi-host program compiles it for the same global devices, but each
        # executable is its own process's part (its addressable devices): it is shared only with the
        # same process of another run of the same topology, never with the other processes.
        if self.distributed is not None:
            fingerprint["process"] = f"{self.distributed.process_id}/{self.distributed.num_processes}"
        return fingerprint

    def _device(self, ordinal: int):
        if not 0 <= ordinal < len(self._devices):
            raise ValueError(f"device {ordinal} does not exist; this server has {len(self._devices)} device(s) (ordinals 0..{len(self._devices) - 1})")
        return self._devices[ordinal]

    def lower(self, hlo_module: bytes) -> LoweredModule:
        _, xc = _modules()
        try:
            computation = xc.XlaComputation(hlo_module)
            program_shape = computation.program_shape()
            mlir = xc._xla.mlir.xla_computation_to_mlir_module(computation)
        except Exception as e:  # jaxlib raises its own runtime errors and plain ones
            raise BackendError(e) from e
        parameters = [leaf for p in program_shape.parameter_shapes() for leaf in _flatten(p)]
        results = _flatten(program_shape.result_shape())
        return LoweredModule(mlir, tuple(parameters), tuple(results))

    def _options(self, targets: list):
        # One replica and one partition per device, on `targets` in this order: without an explicit
        # device assignment PJRT assigns the replica to device 0, whatever the DeviceList says.
        # Several devices: an SPMD program, partitioned by XLA's (GSPMD) partitioner from the
        # OpShardings the module carries on its parameters, results and Sharding custom calls.
        _, xc = _modules()
        options = xc.CompileOptions()
        build = options.executable_build_options
        build.device_assignment = xc.DeviceAssignment.create(np.array([[t.id for t in targets]]))
        if len(targets) > 1:
            build.num_replicas = 1
            build.num_partitions = len(targets)
            build.use_spmd_partitioning = True
            # The module speaks OpSharding (GSPMD), not Shardy's dialect.
            build.use_shardy_partitioner = False
        return options

    def compile(self, lowered: LoweredModule, devices: tuple[int, ...], fast: bool = False):
        """fast: XLA's backend optimization level 0 for this compile only (XLA_FLAGS stay as they are)."""
        _, xc = _modules()
        targets = [self._device(d) for d in devices]
        options = self._options(targets)
        if fast:
            options.executable_build_options.debug_options.xla_backend_optimization_level = 0
        try:
            return self._backend.compile_and_load(lowered.mlir, xc.DeviceList(tuple(targets)), options)
        except Exception as e:
            raise BackendError(e) from e

    def serialize(self, executable) -> bytes:
        return bytes(self._backend.serialize_executable(executable))

    def deserialize(self, blob: bytes, devices: tuple[int, ...]):
        _, xc = _modules()
        targets = [self._device(d) for d in devices]
        try:
            return self._backend.deserialize_executable(blob, xc.DeviceList(tuple(targets)), self._options(targets))
        except Exception as e:
            raise BackendError(e) from e

    def partitioning(self, executable, devices: tuple[int, ...]) -> tuple[list, list]:
        """The shardings XLA compiled a partitioned executable's parameters and results with (jax Shardings)."""
        from jax._src.sharding_impls import GSPMDSharding

        targets = tuple(self._device(d) for d in devices)
        return (
            [GSPMDSharding(targets, s) for s in executable.get_parameter_shardings()],
            [GSPMDSharding(targets, s) for s in executable.get_output_shardings()],
        )

    def shard_shape(self, sharding, shape: ArrayShape) -> ArrayShape:
        return ArrayShape(shape.element_type, tuple(int(d) for d in sharding.shard_shape(shape.dims)))

    def host_array(self, shape: ArrayShape) -> np.ndarray:
        """An uninitialized, C-contiguous host array of `shape`, aligned so that to_device can alias it.

        XLA's CPU client takes a host array aligned to 64 bytes as the device buffer itself (jax's
        device_put defaults to may_alias); anything else is copied, which for a 575 MB parameter set
        costs about as much as receiving it. Do not write to the array after to_device.
        """
        size = shape.byte_size()
        if size >= HUGE_PAGE_BYTES:
            # Fresh memory costs a page fault per 4 KiB page, which on a VM adds up to about as much
            # as receiving the bytes; transparent huge pages (where the kernel offers them only on
            # request) make that one per 2 MiB. mmap is page-aligned, so the alias still holds.
            memory = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
            if hasattr(mmap, "MADV_HUGEPAGE"):
                try:
                    memory.madvise(mmap.MADV_HUGEPAGE)
                except OSError:
                    pass
            raw = np.frombuffer(memory, dtype=np.uint8)
        else:
            padded = np.empty(size + HOST_ALIGNMENT, dtype=np.uint8)
            start = -padded.ctypes.data % HOST_ALIGNMENT
            raw = padded[start : start + size]
        return raw.view(DTYPES[shape.element_type]).reshape(shape.dims)

    def _sharding(self, placement: Placement, rank: int):
        jax, _ = _modules()
        from jax.sharding import Mesh, NamedSharding, PartitionSpec

        if len(placement.dim_axes) != rank:
            raise ValueError(f"the placement names {len(placement.dim_axes)} dimension(s), the array has {rank}")
        if int(np.prod(placement.mesh_shape, dtype=np.int64)) != len(placement.devices):
            raise ValueError(f"a mesh of shape {list(placement.mesh_shape)} needs {int(np.prod(placement.mesh_shape))} devices, the placement lists {len(placement.devices)}")
        if any(not -1 <= a < len(placement.mesh_shape) for a in placement.dim_axes):
            raise ValueError(f"dimension axes {list(placement.dim_axes)} name an axis outside the mesh of shape {list(placement.mesh_shape)}")
        names = tuple(f"axis{k}" for k in range(len(placement.mesh_shape)))
        grid = np.array([self._device(d) for d in placement.devices], dtype=object).reshape(placement.mesh_shape)
        return NamedSharding(Mesh(grid, names), PartitionSpec(*(names[a] if a >= 0 else None for a in placement.dim_axes)))

    def to_device(self, array: np.ndarray, where: int | Placement):
        """The host array on one device (an ordinal), or split over a placement's devices: each device
        receives only its own shard (and every device of a replicated axis a copy)."""
        jax, _ = _modules()
        if isinstance(where, Placement):
            sharding = self._sharding(where, array.ndim)
            if where.global_dims is None:
                if sharding.is_fully_addressable:
                    return jax.device_put(array, sharding)
                # Several hosts: each puts only the shards of its own devices.
                return jax.make_array_from_callback(array.shape, sharding, lambda index: array[index])
            # A block of the whole: each of this process's shards is cut from it, shifted by its start.
            start = where.block_start

            def shard(index: tuple) -> np.ndarray:
                local = []
                for k, (s, whole) in enumerate(zip(index, where.global_dims)):
                    lo, hi, _ = s.indices(whole)
                    if lo < start[k] or hi - start[k] > array.shape[k]:
                        raise ValueError(f"the block sent (dims {list(array.shape)} from {list(start)}) does not hold this process's shard at {[(i.indices(w)[:2]) for i, w in zip(index, where.global_dims)]}")
                    local.append(slice(lo - start[k], hi - start[k]))
                return array[tuple(local)]

            return jax.make_array_from_callback(tuple(where.global_dims), sharding, shard)
        return jax.device_put(array, self._device(where))

    def shape_of(self, device_array) -> ArrayShape:
        return ArrayShape(element_type_of(device_array.dtype), tuple(int(d) for d in device_array.shape))

    def devices_of(self, device_array) -> list[int]:
        """Ordinals of the devices holding the array's shards (one for an array on one device)."""
        return sorted(self._devices.index(s.device) for s in device_array.addressable_shards)

    def local_shard_shape(self, device_array) -> ArrayShape:
        return self.shape_of(device_array.addressable_shards[0].data)

    def execute(self, executable, arguments: list) -> list:
        """Runs and waits for the results, so that failures surface here and not at transfer out."""
        try:
            results = executable.execute(arguments)
            for r in results:
                r.block_until_ready()
            return list(results)
        except Exception as e:
            raise BackendError(e) from e

    def execute_partitioned(self, executable, arguments: list, parameter_shardings: list, result_shardings: list, results: tuple[ArrayShape, ...], moved: list | None = None) -> list:
        """Runs an SPMD executable: an argument split otherwise than the executable wants is moved
        to that sharding first (one split the same way is used where it is; the indices of those
        moved are appended to `moved`); each result comes back as one array over the executable's devices."""
        jax, _ = _modules()
        try:
            placed = []
            for i, (a, s) in enumerate(zip(arguments, parameter_shardings)):
                if a.sharding.is_equivalent_to(s, a.ndim):
                    placed.append(a)
                else:
                    placed.append(jax.device_put(a, s))
                    if moved is not None:
                        moved.append(i)
            shards = executable.execute_sharded(placed).disassemble_into_single_device_arrays()
            out = [jax.make_array_from_single_device_arrays(shape.dims, s, parts) for shape, s, parts in zip(results, result_shardings, shards)]
            for r in out:
                r.block_until_ready()
            return out
        except Exception as e:
            raise BackendError(e) from e

    def to_host(self, device_array) -> np.ndarray:
        if not device_array.is_fully_addressable:
            # Another host holds part of it; a replicated array is whole here too.
            if not device_array.sharding.is_fully_replicated:
                raise BackendError(ValueError("the array is split across hosts; only arrays copied whole to every host can be read from one"))
            return np.ascontiguousarray(np.asarray(device_array.addressable_shards[0].data))
        return np.ascontiguousarray(np.asarray(device_array))

    def process_of(self, ordinal: int) -> int:
        return int(self._device(ordinal).process_index)

    @property
    def process_index(self) -> int:
        return self.distributed.process_id if self.distributed else 0

    def shutdown(self, timeout: float = 5.0) -> None:
        """Leaves the distributed runtime; a peer that is gone (killed) may keep its barrier from
        ending, so this waits at most `timeout` seconds."""
        if self.distributed is None:
            return
        import threading

        jax, _ = _modules()

        def leave() -> None:
            try:
                jax.distributed.shutdown()
            except Exception:  # the other processes may be gone already
                pass

        leaving = threading.Thread(target=leave, daemon=True)
        leaving.start()
        leaving.join(timeout)

    def delete(self, device_array) -> None:
        device_array.delete()
