"""Configure JAX once per process: float64 and the persistent compilation cache.

Call :func:`configure_jax` before importing modules that build JAX arrays or
jit functions (the CLI and ``tests/conftest.py`` do this first thing).
"""

from __future__ import annotations

import os
from pathlib import Path

from pipelines._paths import REPO_ROOT

DEFAULT_CACHE_DIR = REPO_ROOT / ".cache" / "jax"


def configure_jax(cache_dir: str | Path | None = DEFAULT_CACHE_DIR, *, x64: bool = True) -> None:
    """Enable float64 and JAX's on-disk compilation cache.

    Args:
        cache_dir: directory of the persistent compilation cache; ``None``
            leaves the cache off. The environment variable
            ``JAX_COMPILATION_CACHE_DIR``, when set, takes precedence.
        x64: enable 64-bit floats and ints (the chaos database needs float64).

    Every compiled computation is cached, however small or quick to compile,
    so that a second process reuses the first one's compilations.
    """
    import jax

    jax.config.update("jax_enable_x64", x64)
    cache_dir = os.environ.get("JAX_COMPILATION_CACHE_DIR") or cache_dir
    if cache_dir is None:
        return
    Path(cache_dir).mkdir(parents=True, exist_ok=True)
    jax.config.update("jax_compilation_cache_dir", str(cache_dir))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    # -1: cache entries of any size and let no backend raise the threshold.
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", -1)
