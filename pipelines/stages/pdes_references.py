"""Stage ``data-pdes-references``: the reference solutions of every PDE problem (and each of
its variants) from :mod:`pdes.problems`, one file each, ``data/pdes/references/<name>[-<variant>].nc``.

Each file is written atomically as soon as it is solved; an existing file made with the same
problem, variant and grid is kept (resume).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import xarray as xr

from pipelines import contract
from pipelines.config import config_to_dict
from pipelines.registry import Stage, StageContext

from ._sweep import sweep


@dataclass(frozen=True)
class PdesReferencesConfig:
    problems: tuple[str, ...] = ()  # empty: every registered problem, every variant
    grid_scale: float = field(default=1.0, metadata={"min": 0.05, "max": 8.0})
    out_dir: str = "data/pdes/references"
    resume: bool = True

    def __post_init__(self):
        from pdes import problems

        for name in self.problems:
            try:
                problems.get(name)
            except problems.UnknownProblemError as err:
                raise ValueError(str(err)) from None


def _jobs(cfg: PdesReferencesConfig) -> list[tuple[str, str]]:
    from pdes import problems

    jobs = []
    for name in cfg.problems or problems.names():
        problem = problems.get(name)
        jobs += [(name, "default")] + [(name, v) for v in sorted(problem.variants)]
    return jobs


def solve_one(job: tuple[str, str], cfg: PdesReferencesConfig, out_dir: str, config: dict) -> str:
    from pdes import problems

    name, variant = job
    problem = problems.get(name, variant=variant)
    nx = max(2 * int(round(problem.grid[0] * cfg.grid_scale / 2)), 4)  # even: Fourier grids
    nt = max(int(round(problem.grid[1] * cfg.grid_scale)), 4)
    path = Path(out_dir) / (name if variant == "default" else f"{name}-{variant}")
    path = path.with_suffix(".nc")
    if cfg.resume and path.exists():
        with xr.open_dataset(path, engine="h5netcdf") as old:
            same_revision = int(old.attrs.get("revision", 1)) == problem.revision  # files before it: 1
            if old.sizes.get("x") == nx and old.sizes.get("t") == nt and same_revision:
                return f"{path} (kept)"
    ds = problem.reference(nx, nt)
    contract.write_netcdf(contract.with_provenance(ds, generator="pipelines data-pdes-references",
                                                   config=config, seed=None), path)
    return str(path)


def run(cfg: PdesReferencesConfig, ctx: StageContext) -> None:
    out_dir = Path(ctx.out) if ctx.out else ctx.repo_root / cfg.out_dir
    config = config_to_dict(cfg)
    for written in sweep(solve_one, _jobs(cfg), cfg, str(out_dir), config, desc="data-pdes-references"):
        print(f"wrote {written}")


STAGE = Stage(
    name="data-pdes-references",
    help="reference solutions of the PDE problems (spectral/analytic) -> data/pdes/references/",
    config_cls=PdesReferencesConfig,
    run=run,
)
