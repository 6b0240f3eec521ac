"""Tests for pipelines.bench: records, writing and reading benchmark files."""

import json

import pytest

from pipelines.bench import BenchFormatError, Record, machine_info, machine_label, read_bench, write_bench
from pipelines.contract import MissingDataError

pytestmark = pytest.mark.filterwarnings("error")

RECORDS = [
    Record(
        "lorenz.lyapunov.rel_error",
        0.01,
        "1",
        "lower",
        "quick",
        seed=0,
        reference={"value": 0.05, "source": "issue goal"},
    ),
    Record("integrate.throughput", 1234, "steps/s", "higher", "quick", extra={"n_ics": 8}),
]


def test_write_read_round_trip(tmp_path):
    tables = {"per_system": [{"system": "Lorenz", "lyapunov": 0.9}, {"system": "Rossler", "lyapunov": 0.07}]}
    path = write_bench("chaos", RECORDS, directory=tmp_path / "bench", tables=tables)
    assert path == tmp_path / "bench" / "chaos.json"
    doc = json.loads(path.read_text())
    assert set(doc) == {"suite", "machine", "versions", "commit", "created", "records", "tables"}
    assert doc["records"][0]["reference"] == {"value": 0.05, "source": "issue goal"}
    back = read_bench(path)
    assert back.suite == "chaos" and back.records == tuple(RECORDS) and back.tables == tables
    assert "jax" in back.versions and back.created.endswith("Z")
    assert list(path.parent.iterdir()) == [path]


def test_stem_and_machine(tmp_path):
    machine = {"cpu": "x", "cores": 16, "gpu": "1 x NVIDIA H100 80GB HBM3", "platform": "Linux"}
    label = machine_label(machine)
    assert label == "nvidia-h100-80gb-hbm3"
    path = write_bench("chaos", RECORDS, directory=tmp_path, stem=f"chaos-{label}", machine=machine)
    assert path.name == "chaos-nvidia-h100-80gb-hbm3.json"
    assert read_bench(path).machine == machine


def test_machine_info_on_cpu():
    info = machine_info()
    assert set(info) == {"cpu", "cores", "gpu", "platform", "jax_backend"}
    assert info["cores"] >= 1 and isinstance(info["cpu"], str)
    if info["jax_backend"] == "cpu":
        assert info["gpu"] is None and machine_label(info) == f"cpu-{info['cores']}core"


def test_goal_met():
    assert RECORDS[0].goal_met is True
    assert Record("a", 0.1, "1", "lower", "quick", reference={"value": 0.05, "source": "s"}).goal_met is False
    assert Record("a", 20, "x", "higher", "quick", reference={"value": 20, "source": "s"}).goal_met is True
    assert Record("a", 19.9, "x", "higher", "quick", reference={"value": 20, "source": "s"}).goal_met is False
    order = {"value": 2, "source": "s", "tolerance": 0.1}
    assert Record("p", 1.95, "1", "higher", "quick", reference=order).goal_met is True
    assert Record("p", 2.2, "1", "higher", "quick", reference=order).goal_met is False
    assert RECORDS[1].goal_met is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"better": "bigger"}, "better must be one of: higher, lower; got 'bigger'"),
        ({"value": float("nan")}, "value must be a finite number, got nan"),
        ({"value": "1"}, "value must be a finite number, got '1'"),
        ({"reference": {"value": 1}}, "reference must be {'value': number, 'source': str}"),
        ({"name": ""}, "record name must be a non-empty string"),
    ],
)
def test_record_validation(kwargs, message):
    args = {"name": "a", "value": 1.0, "unit": "s", "better": "lower", "profile": "quick", **kwargs}
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace("{", r"\{").replace("}", r"\}")):
        Record(**args)


def test_write_refuses_non_records(tmp_path):
    with pytest.raises(TypeError, match="takes Record instances, got dict"):
        write_bench("chaos", [{"name": "a"}], directory=tmp_path)


def _write(tmp_path, doc):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    return path


def test_read_errors_name_file_and_key(tmp_path):
    good = json.loads(write_bench("chaos", RECORDS, directory=tmp_path).read_text())
    for key in ("suite", "machine", "versions", "commit", "created", "records"):
        doc = {k: v for k, v in good.items() if k != key}
        with pytest.raises(BenchFormatError, match=rf"bad\.json: missing key '{key}'$"):
            read_bench(_write(tmp_path, doc))
    doc = {**good, "records": [{k: v for k, v in good["records"][0].items() if k != "unit"}]}
    with pytest.raises(BenchFormatError, match=r"bad\.json: record 0 missing key 'unit'$"):
        read_bench(_write(tmp_path, doc))
    doc = {**good, "records": [{**good["records"][0], "colour": "red"}]}
    with pytest.raises(BenchFormatError, match=r"record 0 has unknown key 'colour'$"):
        read_bench(_write(tmp_path, doc))
    doc = {**good, "records": [{**good["records"][0], "better": "up"}]}
    with pytest.raises(BenchFormatError, match=r"record 0: record .* better must be one of"):
        read_bench(_write(tmp_path, doc))
    with pytest.raises(BenchFormatError, match=r"'tables' must map names to lists of row objects"):
        read_bench(_write(tmp_path, {**good, "tables": {"t": [1, 2]}}))
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(BenchFormatError, match=r"bad\.json: not valid JSON"):
        read_bench(tmp_path / "bad.json")


def test_missing_bench_file_suggests_target(tmp_path):
    with pytest.raises(MissingDataError, match=r"chaos\.json' does not exist; create it with `make bench-chaos`$"):
        read_bench(tmp_path / "reports" / "bench" / "chaos.json")
