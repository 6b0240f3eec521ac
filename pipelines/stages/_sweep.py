"""Map a function over items, in this process or on a Dask distributed cluster.

``scheduler=None`` with ``executor="dask"`` starts a LocalCluster (process workers, one
thread each); an address connects to a running scheduler. Results come back as they finish,
with a progress bar; the function must be importable by the workers (a module-level name).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from pipelines.progress import progress


def sweep(
    fn: Callable[..., Any],
    items: list[Any],
    *args: Any,
    executor: str = "local",
    scheduler: str | None = None,
    workers: int = 2,
    desc: str = "",
    teardown: Callable[[], Any] | None = None,
) -> Iterator[Any]:
    """Yield ``fn(item, *args)`` for each item (in completion order for Dask).

    ``teardown`` (module-level, no arguments) runs on every Dask worker before the client
    closes, e.g. to stop helper processes the workers started."""
    if not items:
        return
    if executor == "local" and scheduler is None:
        for item in progress(items, total=len(items), desc=desc):
            yield fn(item, *args)
        return
    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler is None:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=":0")
        client = Client(cluster)
    else:
        client = Client(scheduler)
    try:
        futures = [client.submit(fn, item, *args, pure=False) for item in items]
        for future in progress(as_completed(futures), total=len(futures), desc=desc):
            yield future.result()
    finally:
        if teardown is not None:
            try:
                client.run(teardown)
            except Exception:  # noqa: BLE001  (workers may be gone already)
                pass
        client.close()
        if cluster is not None:
            cluster.close()
