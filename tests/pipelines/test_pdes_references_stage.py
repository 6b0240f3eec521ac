"""Stage data-pdes-references: contract-valid files per problem and variant, resume, bad names."""

import pytest

from pipelines import contract
from pipelines.cli import main


def test_writes_valid_references_and_resumes(tmp_path, capsys):
    args = ["data-pdes-references", "--set", "problems=convection,ks", "--set", "grid_scale=0.1",
            "--out", str(tmp_path)]
    assert main(args) == 0
    assert sorted(p.name for p in tmp_path.glob("*.nc")) == ["convection.nc", "ks-chaotic.nc", "ks.nc"]
    ds = contract.open_dataset(tmp_path / "convection.nc", dims={"u": ("t", "x")})
    assert ds.sizes["x"] == 26 and ds.attrs["generator"] == "pipelines data-pdes-references"
    capsys.readouterr()
    assert main(args) == 0
    assert capsys.readouterr().out.count("(kept)") == 3
    # a file of an earlier definition of its problem (KS regular is at revision 2; files from
    # before revisions were kept have none) is solved again
    with contract.open_dataset(tmp_path / "ks.nc") as ks:
        ks = ks.load()
    assert ks.attrs.pop("revision") == 2
    contract.write_netcdf(ks, tmp_path / "ks.nc")
    assert main(args) == 0
    out = capsys.readouterr().out
    assert out.count("(kept)") == 2 and "ks.nc (kept)" not in out


def test_unknown_problem_is_one_line(capsys, tmp_path):
    assert main(["data-pdes-references", "--set", "problems=burger", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert "burger" in err and "burgers" in err and "\n" not in err
