"""Checks the jaxlib internals that runtime/xla_backend.py relies on (rerun after any jax upgrade).

    runtime/.venv/bin/python -m unittest discover -s runtime -p 'test_*.py'

test/runtime.test.ts runs this too. Modules are made with jax.jit(...).lower(...), independent of
tpu-build's compiler; expected values come from NumPy.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# Four CPU devices for the partitioned (SPMD) cases; the others use device 0.
os.environ["XLA_FLAGS"] = " ".join([*os.environ.get("XLA_FLAGS", "").split(), "--xla_force_host_platform_device_count=4"])

import numpy as np  # noqa: E402

from executable_cache import CachedExecutable, ExecutableCache, Untrusted, cache_digest  # noqa: E402
from xla_backend import ArrayShape, BackendError, Placement, XlaBackend  # noqa: E402

backend = XlaBackend("cpu")

import jax  # noqa: E402  (after XlaBackend, which enables x64)
import jax.numpy as jnp  # noqa: E402


def hlo_of(f, *args) -> bytes:
    return jax.jit(f).lower(*args).compiler_ir("hlo").as_serialized_hlo_module_proto()


class XlaBackendTest(unittest.TestCase):
    def setUp(self):
        rng = np.random.default_rng(0)
        self.x = rng.standard_normal((2, 3))
        self.y = rng.standard_normal((3, 4)).astype(np.float32)
        self.module = hlo_of(lambda x, y: (jnp.tanh(x.astype(jnp.float32) @ y), jnp.sum(x)), self.x, self.y)

    def test_lower_reports_flattened_parameters_and_tuple_results_in_xla_order(self):
        lowered = backend.lower(self.module)
        self.assertEqual(lowered.parameters, (ArrayShape("F64", (2, 3)), ArrayShape("F32", (3, 4))))
        self.assertEqual(lowered.results, (ArrayShape("F32", (2, 4)), ArrayShape("F64", ())))

    def test_compile_execute_matches_numpy_and_keeps_float64(self):
        exe = backend.compile(backend.lower(self.module), (0,))
        out = backend.execute(exe, [backend.to_device(self.x, 0), backend.to_device(self.y, 0)])
        self.assertEqual(len(out), 2)
        np.testing.assert_allclose(backend.to_host(out[0]), np.tanh(self.x.astype(np.float32) @ self.y), rtol=1e-5)
        self.assertEqual(backend.shape_of(out[1]), ArrayShape("F64", ()))
        np.testing.assert_allclose(backend.to_host(out[1]), self.x.sum(), rtol=1e-12)

    def test_a_fast_compile_computes_the_same_with_other_machine_code(self):
        fast = backend.compile(backend.lower(self.module), (0,), fast=True)
        out = backend.execute(fast, [backend.to_device(self.x, 0), backend.to_device(self.y, 0)])
        np.testing.assert_allclose(backend.to_host(out[0]), np.tanh(self.x.astype(np.float32) @ self.y), rtol=1e-5)
        np.testing.assert_allclose(backend.to_host(out[1]), self.x.sum(), rtol=1e-12)
        # The optimization level reached XLA's code generator: the executables differ.
        optimized = backend.compile(backend.lower(self.module), (0,))
        self.assertNotEqual(backend.serialize(fast), backend.serialize(optimized))

    def test_serialized_executable_runs_after_deserialization(self):
        exe = backend.compile(backend.lower(self.module), (0,))
        again = backend.deserialize(backend.serialize(exe), (0,))
        out = backend.execute(again, [backend.to_device(self.x, 0), backend.to_device(self.y, 0)])
        np.testing.assert_allclose(backend.to_host(out[1]), self.x.sum(), rtol=1e-12)

    def test_a_partitioned_program_runs_on_its_devices_and_survives_serialization(self):
        # An SPMD module as JAX writes one with GSPMD shardings (OpSharding on parameters and
        # results): w replicated, x's columns split over 4 devices, the result replicated.
        from jax.sharding import Mesh, NamedSharding, PartitionSpec as P

        jax.config.update("jax_use_shardy_partitioner", False)
        try:
            mesh = Mesh(np.array(jax.devices()[:4]), ("data",))
            w, x = self.y.T.copy(), np.arange(3 * 8, dtype=np.float32).reshape(3, 8) / 24
            lowered_jax = jax.jit(lambda w, x: jnp.tanh(w @ x), in_shardings=(NamedSharding(mesh, P()), NamedSharding(mesh, P(None, "data"))), out_shardings=NamedSharding(mesh, P()))
            module = lowered_jax.lower(w, x).compiler_ir("hlo").as_serialized_hlo_module_proto()
        finally:
            jax.config.update("jax_use_shardy_partitioner", True)
        devices = (0, 1, 2, 3)
        lowered = backend.lower(module)
        for exe in (backend.compile(lowered, devices), backend.deserialize(backend.serialize(backend.compile(lowered, devices)), devices)):
            params, outs = backend.partitioning(exe, devices)
            self.assertEqual([backend.shard_shape(s, p).dims for s, p in zip(params, lowered.parameters)], [(4, 3), (3, 2)])
            args = [backend.to_device(w, Placement(devices, (4,), (-1, -1))), backend.to_device(x, Placement(devices, (4,), (-1, 0)))]
            self.assertEqual(backend.local_shard_shape(args[1]).dims, (3, 2))
            (out,) = backend.execute_partitioned(exe, args, params, outs, lowered.results)
            self.assertEqual(backend.devices_of(out), [0, 1, 2, 3])
            np.testing.assert_allclose(backend.to_host(out), np.tanh(w @ x), rtol=1e-5)
            # An argument on one device is moved to the sharding the program wants.
            (again,) = backend.execute_partitioned(exe, [backend.to_device(w, 0), backend.to_device(x, 2)], params, outs, lowered.results)
            np.testing.assert_allclose(backend.to_host(again), np.tanh(w @ x), rtol=1e-5)

    def test_garbage_bytes_raise_a_clean_backend_error(self):
        with self.assertRaises(BackendError) as caught:
            backend.lower(b"not an HloModuleProto")
        self.assertNotIn("stack trace", str(caught.exception))
        self.assertNotIn("\n", str(caught.exception))

    def test_every_element_type_round_trips_through_a_device(self):
        from xla_backend import DTYPES

        for name, dtype in DTYPES.items():
            host = (np.arange(6) % 2).astype(dtype).reshape(3, 2)
            device = backend.to_device(host, 0)
            self.assertEqual(backend.shape_of(device), ArrayShape(name, (3, 2)), name)
            self.assertEqual(backend.to_host(device).tobytes(), host.tobytes(), name)

    def test_host_arrays_are_aligned_and_alias_into_cpu_device_buffers(self):
        from xla_backend import DTYPES, HOST_ALIGNMENT

        for name, dims in [("F32", (3, 5)), ("BF16", (7,)), ("PRED", (2, 3)), ("F64", ()), ("S8", (0, 4)), ("C128", (1, 2))]:
            shape = ArrayShape(name, dims)
            host = backend.host_array(shape)
            self.assertEqual((host.dtype, host.shape, host.nbytes), (DTYPES[name], dims, shape.byte_size()), name)
            self.assertTrue(host.flags.c_contiguous and host.flags.writeable, name)
            if host.nbytes:  # an empty array has no memory to align
                self.assertEqual(host.ctypes.data % HOST_ALIGNMENT, 0, name)
            host.reshape(-1).view(np.uint8)[:] = np.arange(host.nbytes, dtype=np.uint8) % 2 if name == "PRED" else np.arange(host.nbytes, dtype=np.uint8)
            expected = host.tobytes()
            device = backend.to_device(host, 0)
            self.assertEqual(backend.shape_of(device), shape, name)
            self.assertEqual(backend.to_host(device).tobytes(), expected, name)
        # What host_array is for: on CPU, a large aligned array becomes the device buffer without a copy.
        for n in (1 << 10, 1 << 20):  # below and above HUGE_PAGE_BYTES (allocated differently)
            big = backend.host_array(ArrayShape("F32", (n,)))
            self.assertEqual(big.ctypes.data % HOST_ALIGNMENT, 0)
            big[:] = np.arange(n, dtype=np.float32)
            device = backend.to_device(big, 0)
            self.assertTrue(np.shares_memory(backend.to_host(device), big), n)
            del big
            np.testing.assert_array_equal(backend.to_host(device), np.arange(n, dtype=np.float32))

    def test_executable_cache_round_trip_and_digest_covers_module_and_runtime(self):
        with tempfile.TemporaryDirectory() as d:
            cache = ExecutableCache(d)
            fp = backend.cache_fingerprint()
            module_sha256 = hashlib.sha256(self.module).hexdigest()
            digest = cache_digest("k", module_sha256, fp)
            self.assertNotEqual(digest, cache_digest("k", hashlib.sha256(self.module + b"\0").hexdigest(), fp))
            for field in ("jax", "jaxlib", "libtpu", "platform_version", "devices"):
                self.assertNotEqual(digest, cache_digest("k", module_sha256, {**fp, field: "other"}), field)
            self.assertIsNone(cache.get(digest))
            entry = CachedExecutable(b"blob", (ArrayShape("F32", (2,)),), (ArrayShape("S64", ()),))
            cache.put(digest, entry)
            self.assertEqual(cache.get(digest), entry)
            with open(os.path.join(d, digest + ".exe"), "wb") as f:
                f.write(b"truncated")
            with self.assertRaises(Untrusted):
                cache.get(digest)

    def test_executable_cache_hit_records_its_use_in_the_mtime(self):
        # tpu-build's size cap removes the least recently used entries by this mtime (build/cache-upkeep.ts).
        with tempfile.TemporaryDirectory() as d:
            cache = ExecutableCache(d)
            entry = CachedExecutable(b"blob", (), ())
            cache.put("a" * 64, entry)
            path = os.path.join(d, "a" * 64 + ".exe")
            os.utime(path, (1_000_000, 1_000_000))
            self.assertEqual(cache.get("a" * 64), entry)
            self.assertGreater(os.stat(path).st_mtime, 1_000_000 + 3600)

    def test_executable_cache_entries_are_bound_to_their_digest_and_blob(self):
        with tempfile.TemporaryDirectory() as d:
            cache = ExecutableCache(d)
            a, b = "a" * 64, "b" * 64
            cache.put(a, CachedExecutable(b"blob of a", (), ()))
            cache.put(b, CachedExecutable(b"blob of b", (), ()))
            path_a, path_b = os.path.join(d, a + ".exe"), os.path.join(d, b + ".exe")
            # A file moved over another entry's name is not that entry.
            os.replace(path_a, path_b + ".tmp")
            os.replace(path_b, path_a)
            os.replace(path_b + ".tmp", path_b)
            for digest in (a, b):
                with self.assertRaisesRegex(Untrusted, "moved or copied over another"):
                    cache.get(digest)
            # A flipped byte in the blob fails its SHA-256.
            cache.put(a, CachedExecutable(b"blob of a", (), ()))
            with open(path_a, "r+b") as f:
                f.seek(-1, os.SEEK_END)
                last = f.read(1)
                f.seek(-1, os.SEEK_END)
                f.write(bytes([last[0] ^ 1]))
            with self.assertRaisesRegex(Untrusted, "do not match the SHA-256"):
                cache.get(a)
            # A directory where the entry goes is a miss that put() replaces.
            os.unlink(path_a)
            os.mkdir(path_a)
            with self.assertRaisesRegex(Untrusted, "is a directory"):
                cache.get(a)
            cache.put(a, CachedExecutable(b"blob of a", (), ()))
            self.assertEqual(cache.get(a).blob, b"blob of a")


if __name__ == "__main__":
    unittest.main()
