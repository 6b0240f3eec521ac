"""The repository root: the parent of the ``pipelines`` package (an editable install)."""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
