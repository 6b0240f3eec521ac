"""Tests for pipelines.jaxsetup (tests/conftest.py has already called configure_jax)."""

import os
import subprocess
import sys

import jax
import jax.numpy as jnp
import pytest

from pipelines._paths import REPO_ROOT
from pipelines.jaxsetup import DEFAULT_CACHE_DIR

pytestmark = pytest.mark.filterwarnings("error")


def test_float64_is_on():
    assert jnp.zeros(2).dtype == jnp.float64
    assert jax.jit(lambda x: x * 2)(jnp.ones(2)).dtype == jnp.float64


def test_cache_settings():
    assert jax.config.jax_compilation_cache_dir in (str(DEFAULT_CACHE_DIR), os.environ.get("JAX_COMPILATION_CACHE_DIR"))
    assert jax.config.jax_persistent_cache_min_compile_time_secs == 0
    assert jax.config.jax_persistent_cache_min_entry_size_bytes == -1


def test_a_fresh_process_writes_the_cache(tmp_path):
    code = (
        "from pipelines.jaxsetup import configure_jax; import sys; configure_jax(sys.argv[1]);"
        "import jax, jax.numpy as jnp; jax.jit(lambda x: jnp.sin(x) + 1)(jnp.ones(3)).block_until_ready()"
    )
    env = {"JAX_PLATFORMS": "cpu", "PYTHONPATH": str(REPO_ROOT), "PATH": "/usr/bin:/bin"}
    subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=True, env=env, timeout=120)
    assert any(p.name.startswith("jit_") for p in tmp_path.iterdir())
