"""The key a run's checkpoints belong to, kept beside them as ``run_key.json``.

train-pinn and train-operator write the settings a checkpoint depends on next to it and compare
them before resuming, so that a rerun with other settings trains from scratch (saying which
settings differ) instead of resuming another run's network and optimiser state.
"""

from __future__ import annotations

import json
from pathlib import Path

from pipelines._atomic import atomic_write_json

RUN_KEY_FILE = "run_key.json"


def write(folder: Path, key: dict) -> Path:
    """Store ``key`` as ``folder/run_key.json`` (atomically; the file :func:`read` reads)."""
    return atomic_write_json(Path(folder) / RUN_KEY_FILE, key)


def read(path: Path) -> dict | None:
    """The key stored at ``path``: None when there is no file, ``{}`` when it cannot be read
    (a key that matches no run)."""
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text())
    except ValueError:
        return {}


def resume_unless_changed(where: Path, changed: list[str], log=print) -> bool:
    """True (resume) when ``changed`` is empty; otherwise logs ``where``, the changed settings
    (each as ``"name (was a, now b)"``) and that the run trains from scratch, and returns False."""
    if not changed:
        return True
    log(f"{where}: its checkpoints were made with different {', '.join(changed)}; training from scratch")
    return False
