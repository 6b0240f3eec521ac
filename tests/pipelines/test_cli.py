"""Tests for the command line ``python -m pipelines``."""

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field

import pytest

from pipelines import cli, registry
from pipelines._paths import REPO_ROOT
from pipelines.contract import MissingDataError
from pipelines.registry import Stage

pytestmark = pytest.mark.filterwarnings("error")


def run_module(*args):
    env = {**os.environ, "JAX_PLATFORMS": "cpu", "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "pipelines", *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_help_lists_every_stage():
    result = run_module("--help")
    assert result.returncode == 0, result.stderr
    cli._register_stages()
    assert "report" in registry.names()
    for name in registry.names():
        assert f"    {name} " in result.stdout or f"    {name}\n" in result.stdout
    assert "list" in result.stdout


def test_bad_set_key_exits_2_with_one_line():
    result = run_module("report", "--set", "bench_dri=x")
    assert result.returncode == 2
    assert result.stderr.endswith("\n") and result.stderr.count("\n") == 1
    assert result.stderr.startswith(
        "error: unknown config key 'bench_dri' for report (allowed: bench_dir, full_dir, out_dir)"
    )
    assert "did you mean 'bench_dir'?" in result.stderr


@dataclass(frozen=True)
class FakeConfig:
    n: int = field(default=1, metadata={"min": 1})
    names: tuple[str, ...] = ()


@pytest.fixture
def fake(tmp_path, monkeypatch):
    calls = []

    def run(cfg, ctx):
        calls.append((cfg, ctx))
        if cfg.n == 99:
            raise MissingDataError("data file 'data/x.nc' does not exist")

    monkeypatch.setitem(registry._STAGES, "fake", Stage("fake", "a fake stage", FakeConfig, run, uses_scheduler=True))
    monkeypatch.setitem(registry._STAGES, "fake-local", Stage("fake-local", "computes in process", FakeConfig, run))
    for name in ("fake", "fake-local"):
        (tmp_path / f"{name}.toml").write_text("[quick]\nn = 2\n\n[full]\nn = 20\n")
    return calls, tmp_path


def test_stage_gets_config_and_context(fake, tmp_path):
    calls, cdir = fake
    argv = [
        "fake",
        "--profile",
        "full",
        "--set",
        "names=a,b",
        "--set",
        "n=3",
        "--scheduler",
        "tcp://h:8786",
        "--out",
        "o.nc",
    ]
    assert cli.main(argv, config_dir=cdir) == 0
    cfg, ctx = calls[-1]
    assert cfg == FakeConfig(n=3, names=("a", "b"))
    assert (ctx.profile, ctx.scheduler, str(ctx.out), ctx.repo_root) == ("full", "tcp://h:8786", "o.nc", REPO_ROOT)
    assert cli.main(["fake", "--set", "n=4", "names=[c]"], config_dir=cdir) == 0
    assert calls[-1][0] == FakeConfig(n=4, names=("c",)) and calls[-1][1].scheduler is None
    assert cli.main(["fake"], config_dir=cdir) == 0
    assert calls[-1][0].n == 2


def test_errors_are_one_line(fake, capsys):
    _, cdir = fake
    assert cli.main(["fake", "--set", "n=0"], config_dir=cdir) == 2
    assert capsys.readouterr().err == "error: config key 'n' must be >= 1, got 0\n"
    assert cli.main(["fake", "--profile", "fast"], config_dir=cdir) == 2
    assert capsys.readouterr().err == "error: profile 'fast' is not one of: quick, full\n"
    assert cli.main(["fake", "--set", "n=99"], config_dir=cdir) == 1
    assert capsys.readouterr().err == "error: data file 'data/x.nc' does not exist\n"
    calls, _ = fake
    before = len(calls)
    assert cli.main(["fake-local", "--scheduler", "tcp://h:8786"], config_dir=cdir) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: fake-local computes in its own process and takes no --scheduler (got 'tcp://h:8786');")
    assert "data-chaos" in err and "fake-local" not in err.split(";")[1] and err.count("\n") == 1
    assert len(calls) == before  # refused before the stage ran


def test_unknown_stage_exits_2(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["no-such-stage"])
    assert info.value.code == 2
    assert "invalid choice: 'no-such-stage'" in capsys.readouterr().err


def test_list(fake, capsys):
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    assert any(line.startswith("fake ") and line.endswith("a fake stage") for line in out.splitlines())
    assert any(line.startswith("report ") for line in out.splitlines())


def test_report_stage(tmp_path, capsys):
    args = [
        "report",
        "--set",
        f"bench_dir={tmp_path}/bench",
        f"full_dir={tmp_path}/full",
        "--out",
        str(tmp_path / "out"),
    ]
    assert cli.main(args) == 0
    assert (tmp_path / "out" / "index.md").is_file() and (tmp_path / "out" / "index.html").is_file()
    assert "report written" in capsys.readouterr().out


@pytest.mark.skipif(not shutil.which("make"), reason="no make")
def test_make_passes_the_variables_given_on_the_command_line_and_args_last():
    """The issue's interfaces ``make train-pinn PROBLEM=... METHOD=...`` and ``make train-operator
    MODEL=... DATA=...`` (dry runs: nothing is built); variables not given leave the config's values
    alone, and ARGS come last, so that their ``--set`` overrides a target's own (the later wins)."""

    def sets(target, *variables):
        env = {k: v for k, v in os.environ.items() if k not in ("PROBLEM", "VARIANT", "METHOD", "MODEL", "DATA")}
        out = subprocess.run(["make", "-n", target, *variables], cwd=REPO_ROOT, env=env, capture_output=True,
                             text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        line = [line for line in out.stdout.splitlines() if f"pipelines {target}" in line][-1].split()
        return line[line.index("--profile") + 1], [line[i + 1] for i, word in enumerate(line) if word == "--set"]

    assert sets("train-pinn", "PROBLEM=burgers", "VARIANT=travelling", "METHOD=lpinn", "PROFILE=full") == (
        "full", ["problem=burgers", "variant=travelling", "method=lpinn"])
    assert sets("train-pinn") == ("quick", [])
    assert sets("train-operator", "MODEL=nuno", "DATA=elasticity", "ARGS=--set data=darcy") == (
        "quick", ["model=nuno", "data=elasticity", "data=darcy"])
    assert sets("train-operator") == ("quick", ["model=fno", "data=burgers"])
    for target, passed in (("data-chaos", True), ("data-pdes", True), ("bench-pdes", False)):
        out = subprocess.run(["make", "-n", target, "SCHEDULER=tcp://h:8786"], cwd=REPO_ROOT, capture_output=True,
                             text=True, timeout=60).stdout
        line = [line for line in out.splitlines() if f"pipelines {target} " in line][-1]
        assert ("--scheduler tcp://h:8786" in line) == passed, line
