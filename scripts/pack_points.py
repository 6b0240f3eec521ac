"""Pack a FEniCS point-cloud data set into one gzipped tar of slim per-sample files, to carry
to another machine (a GPU machine without DOLFINx, or with a transfer limit).

    .venv/bin/python scripts/pack_points.py elasticity data/pdes-full .carry/elasticity.tgz [--samples 1200]
    tar xzf .carry/elasticity.tgz -C data/carry        # there: data/carry/elasticity/sample_*.nc

Each sample keeps what the point-cloud models read (``sciml.operators.data.point_reads``) and
its attributes, so a run there trains on the same numbers and has the same data key
(``train-operator --set data_dir=data/carry``).
"""

from __future__ import annotations

import argparse
import sys
import tarfile
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines import contract  # noqa: E402
from pipelines._atomic import atomic_path  # noqa: E402
from sciml.operators.data import POINT_VARIABLES, point_reads  # noqa: E402


def pack(name: str, src: Path, tarball: Path, samples: int = 0) -> int:
    """Write ``tarball`` holding ``<name>/sample_*.nc`` (the first ``samples``; 0: all); returns the count."""
    files = sorted((src / name).glob("sample_*.nc"))[: samples or None]
    if not files:
        raise SystemExit(f"no samples of {name!r} in {src / name}")
    if samples and len(files) < samples:
        raise SystemExit(f"{name!r} has {len(files)} samples in {src / name}, {samples} asked for")
    with tempfile.TemporaryDirectory() as tmp, atomic_path(tarball) as out, tarfile.open(out, "w:gz") as tar:
        for path in files:
            slim = Path(tmp) / path.name
            contract.write_netcdf(point_reads(name, contract.open_dataset(path)), slim)
            tar.add(slim, arcname=f"{name}/{path.name}")
            slim.unlink()
    return len(files)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", choices=sorted(POINT_VARIABLES))
    parser.add_argument("src", type=Path, help="the data-pdes out_dir holding <name>/sample_*.nc")
    parser.add_argument("tarball", type=Path)
    parser.add_argument("--samples", type=int, default=0, help="the first N samples (0: all)")
    args = parser.parse_args(argv)
    n = pack(args.name, args.src, args.tarball, args.samples)
    print(f"{n} samples of {args.name} -> {args.tarball} ({args.tarball.stat().st_size / 2**20:.1f} MiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
