"""Benchmark records: one JSON file per suite, written by bench stages and read by the report.

A file ``<directory>/<stem>.json`` holds::

    {"suite": ..., "machine": {...}, "versions": {...}, "commit": ..., "created": ...,
     "records": [{"name", "value", "unit", "better", "profile", "seed", "reference", "extra"}, ...],
     "tables": {"<table name>": [{column: value, ...}, ...]}}      # optional

Quick-profile results go to ``reports/bench/<suite>.json``; full-profile results
(GPU) to ``reports/full/<suite>-<machine_label()>.json``.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import platform
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipelines._atomic import atomic_write_json
from pipelines._hints import missing
from pipelines._provenance import git_commit, utc_now, versions

BETTER = ("higher", "lower")
FILE_KEYS = ("suite", "machine", "versions", "commit", "created", "records")
RECORD_KEYS = ("name", "value", "unit", "better", "profile")


class BenchFormatError(ValueError):
    """A benchmark JSON file lacks a key or has a value of the wrong kind; the message names the file."""


@dataclass(frozen=True)
class Record:
    """One measured number.

    Attributes:
        name: what was measured, e.g. ``"lorenz.max_lyapunov.rel_error"``.
        value: the measurement (finite).
        unit: its unit, e.g. ``"s"``, ``"1"``, ``"steps/s"``.
        better: ``"higher"`` or ``"lower"``: which direction is an improvement.
        profile: the config profile that produced it (``"quick"`` or ``"full"``).
        seed: PRNG seed, if any.
        reference: a target to compare with, ``{"value": number, "source": str}``.
        extra: free-form JSON-serialisable details.
    """

    name: str
    value: float
    unit: str
    better: str
    profile: str
    seed: int | None = None
    reference: dict[str, Any] | None = None
    extra: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"record name must be a non-empty string, got {self.name!r}")
        if isinstance(self.value, bool) or not isinstance(self.value, (int, float)) or not math.isfinite(self.value):
            raise ValueError(f"record {self.name!r} value must be a finite number, got {self.value!r}")
        if self.better not in BETTER:
            raise ValueError(f"record {self.name!r} better must be one of: {', '.join(BETTER)}; got {self.better!r}")
        if self.reference is not None:
            ref = self.reference.get("value") if isinstance(self.reference, dict) else None
            if isinstance(ref, bool) or not isinstance(ref, (int, float)) or "source" not in self.reference:
                raise ValueError(
                    f"record {self.name!r} reference must be {{'value': number, 'source': str}}, got {self.reference!r}"
                )

    @property
    def goal_met(self) -> bool | None:
        """Whether ``value`` reaches ``reference["value"]`` in the ``better`` direction, or, if the
        reference has a ``tolerance``, lies within it of the value (e.g. a convergence order);
        None without a reference."""
        if self.reference is None:
            return None
        ref = self.reference["value"]
        if self.reference.get("tolerance") is not None:
            return abs(self.value - ref) <= self.reference["tolerance"]
        return self.value >= ref if self.better == "higher" else self.value <= ref


@dataclass(frozen=True)
class BenchFile:
    """A benchmark file as read back by :func:`read_bench`."""

    path: Path
    suite: str
    machine: dict[str, Any]
    versions: dict[str, str]
    commit: str
    created: str
    records: tuple[Record, ...]
    tables: dict[str, list[dict[str, Any]]] | None = None


def machine_info() -> dict[str, Any]:
    """Describe this machine: ``{"cpu", "cores", "gpu", "platform", "jax_backend"}``.

    ``gpu`` is e.g. ``"1 x NVIDIA H100 80GB HBM3"`` when JAX's default backend is a
    GPU, else None. Imports jax.
    """
    import jax

    devices = jax.devices()
    gpu = None
    if devices and devices[0].platform in ("gpu", "cuda", "rocm"):
        gpu = f"{len(devices)} x {devices[0].device_kind}"
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "gpu": gpu,
        "platform": platform.platform(),
        "jax_backend": jax.default_backend(),
    }


def machine_label(machine: dict[str, Any] | None = None) -> str:
    """A short file-name-safe label: the GPU model (``nvidia-h100-80gb-hbm3``) or ``cpu-<cores>core``."""
    machine = machine_info() if machine is None else machine
    if machine.get("gpu"):
        return _slug(str(machine["gpu"]).split(" x ", 1)[-1])
    return f"cpu-{machine.get('cores', 0)}core"


def write_bench(
    suite: str,
    records: list[Record],
    *,
    directory: str | Path = "reports/bench",
    tables: dict[str, list[dict[str, Any]]] | None = None,
    stem: str | None = None,
    machine: dict[str, Any] | None = None,
) -> Path:
    """Write ``<directory>/<stem or suite>.json`` atomically and return its path.

    Args:
        suite: benchmark suite name, e.g. ``"chaos"``.
        records: the measurements.
        directory: ``reports/bench`` for quick results, ``reports/full`` for full ones.
        tables: optional named tables (each a list of row dicts), shown by the report.
        stem: file name without ``.json``; for full results use
            ``f"{suite}-{machine_label()}"``.
        machine: machine description; defaults to :func:`machine_info`.
    """
    for r in records:
        if not isinstance(r, Record):
            raise TypeError(f"write_bench takes Record instances, got {type(r).__name__}")
    doc: dict[str, Any] = {
        "suite": suite,
        "machine": machine_info() if machine is None else machine,
        "versions": versions(),
        "commit": git_commit(),
        "created": utc_now(),
        "records": [dataclasses.asdict(r) for r in records],
    }
    if tables is not None:
        doc["tables"] = tables
    return atomic_write_json(Path(directory) / f"{stem or suite}.json", doc)


def write_stage_bench(suite: str, records: list[Record], ctx: Any, *, out: Path | None = None,
                      tables: dict[str, list[dict[str, Any]]] | None = None) -> Path:
    """Write a stage's results where the report looks for them: ``reports/bench/<suite>.json``
    for the quick profile, ``reports/full/<suite>-<machine>.json`` for the full one, or into
    ``out`` (a stage's ``--out``) when given. ``ctx`` is the stage's ``StageContext``."""
    full = ctx.profile == "full"
    directory = Path(out) if out is not None else Path(ctx.repo_root) / ("reports/full" if full else "reports/bench")
    return write_bench(suite, records, directory=directory, tables=tables,
                       stem=f"{suite}-{machine_label()}" if full else None)


def read_bench(path: str | Path) -> BenchFile:
    """Read and check a file written by :func:`write_bench`.

    Raises:
        MissingDataError: the file does not exist.
        BenchFormatError: naming the file and the missing key or bad value.
    """
    path = Path(path)
    if not path.exists():
        raise missing(path, "benchmark file")
    try:
        doc = json.loads(path.read_text())
    except ValueError as err:
        raise BenchFormatError(f"{path}: not valid JSON ({err})") from None
    if not isinstance(doc, dict):
        raise BenchFormatError(f"{path}: expected a JSON object, got {type(doc).__name__}")
    for key in FILE_KEYS:
        if key not in doc:
            raise BenchFormatError(f"{path}: missing key {key!r}")
    if not isinstance(doc["records"], list):
        raise BenchFormatError(f"{path}: 'records' must be a list")
    tables = doc.get("tables")
    if tables is not None and not (
        isinstance(tables, dict)
        and all(isinstance(t, list) and all(isinstance(r, dict) for r in t) for t in tables.values())
    ):
        raise BenchFormatError(f"{path}: 'tables' must map names to lists of row objects")
    return BenchFile(
        path=path,
        suite=str(doc["suite"]),
        machine=dict(doc["machine"]),
        versions=dict(doc["versions"]),
        commit=str(doc["commit"]),
        created=str(doc["created"]),
        records=tuple(_record(path, i, r) for i, r in enumerate(doc["records"])),
        tables=tables,
    )


def _record(path: Path, index: int, raw: Any) -> Record:
    if not isinstance(raw, dict):
        raise BenchFormatError(f"{path}: record {index} is not an object")
    for key in RECORD_KEYS:
        if key not in raw:
            raise BenchFormatError(f"{path}: record {index} missing key {key!r}")
    allowed = {f.name for f in dataclasses.fields(Record)}
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise BenchFormatError(f"{path}: record {index} has unknown key {unknown[0]!r}")
    try:
        return Record(**raw)
    except ValueError as err:
        raise BenchFormatError(f"{path}: record {index}: {err}") from None


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "unknown"
