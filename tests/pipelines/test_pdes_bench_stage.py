"""Stage bench-pdes: the records the issue names, with their references, in a valid bench file."""

import pytest

from pdes.fenics import runner
from pipelines.bench import read_bench
from pipelines.cli import main


@pytest.mark.skipif(not runner.available(), reason="DOLFINx not installed (make setup installs it)")
def test_bench_writes_verification_and_throughput_records(tmp_path):
    assert main(["bench-pdes", "--set", "datasets=darcy,burgers", "--set", "samples=1", "--set", "workers=[1]",
                 "--set", "mms_meshes=[8,16]", "--out", str(tmp_path)]) == 0
    bench = read_bench(tmp_path / "pdes.json")
    records = {r.name: r for r in bench.records}
    for name in ("order/mms_p1_l2", "order/mms_p2_l2", "kirsch_scf", "poiseuille_rel_err", "dfg_2d1_drag",
                 "heat_flux_balance_rel_err", "samples_per_s/darcy/workers=1", "samples_per_s/burgers/workers=1"):
        assert name in records, name
    assert records["order/mms_p1_l2"].goal_met and records["order/mms_p2_l2"].goal_met
    assert records["kirsch_scf"].goal_met and records["dfg_2d1_drag"].goal_met
    assert records["poiseuille_rel_err"].value < 1e-6
    assert records["samples_per_s/darcy/workers=1"].value > 0


def test_unknown_dataset_is_one_line(tmp_path, capsys):
    assert main(["bench-pdes", "--set", "datasets=elastic", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert "elastic" in err and "elasticity" in err and "\n" not in err
