"""Progress bars for long loops: tqdm on stderr, at most one refresh a second."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from typing import TypeVar

from tqdm import tqdm

T = TypeVar("T")


def progress(iterable: Iterable[T], total: int | None = None, desc: str | None = None) -> tqdm:
    """Iterate over ``iterable`` showing a progress bar on stderr.

    The bar is hidden when stderr is not a terminal (logs stay clean), unless the
    environment sets ``FORCE_PROGRESS=1``. Returns the tqdm bar: iterate over it
    (``set_postfix`` works on it).
    """
    disable = None if os.environ.get("FORCE_PROGRESS") != "1" else False
    return tqdm(iterable, total=total, desc=desc, mininterval=1.0, file=sys.stderr, disable=disable)
