"""Tests for pipelines.report: index.md and index.html built from benchmark JSON files."""

import html.parser

import pytest

from pipelines.bench import Record, write_bench
from pipelines.report import MAX_ROWS, build_report

pytestmark = pytest.mark.filterwarnings("error")

CPU = {"cpu": "Test CPU", "cores": 2, "gpu": None, "platform": "Linux-test"}
GPU = {"cpu": "Big CPU", "cores": 16, "gpu": "1 x NVIDIA H100 80GB HBM3", "platform": "Linux-gpu"}


def records(profile, error, speed):
    return [
        Record(
            "lorenz.rel_error", error, "1", "lower", profile, seed=0, reference={"value": 0.05, "source": "issue goal"}
        ),
        Record("throughput", speed, "steps/s", "higher", profile, reference={"value": 1000, "source": "issue goal"}),
        Record("a|b <odd>", 1.0, "s", "lower", profile),
    ]


@pytest.fixture
def reports(tmp_path):
    root = tmp_path / "reports"
    rows = [{"system": f"S{i}", "lyapunov": i / 3} for i in range(MAX_ROWS + 5)]
    write_bench(
        "chaos", records("quick", 0.01, 10.0), directory=root / "bench", machine=CPU, tables={"per_system": rows}
    )
    write_bench(
        "chaos", records("full", 0.2, 5000.0), directory=root / "full", stem="chaos-nvidia-h100-80gb-hbm3", machine=GPU
    )
    (root / "bench" / "chaos").mkdir()
    (root / "bench" / "chaos" / "attractor.png").write_bytes(b"\x89PNG fake")
    (root / "figures" / "chaos").mkdir(parents=True)
    (root / "figures" / "chaos" / "spectrum.png").write_bytes(b"\x89PNG fake")
    return root


def build(root):
    md, page = build_report(root / "bench", root / "full", root)
    return md.read_text(), page.read_text()


def test_markdown_sections_and_tables(reports):
    md, _ = build(reports)
    assert md.startswith("# Benchmark report\n")
    assert "## chaos" in md
    assert "### Quick results on cpu-2core" in md
    assert "### Full results on nvidia-h100-80gb-hbm3" in md
    assert "### Quick and full results side by side" in md
    assert "| lorenz.rel_error | 1 | 0.01 | 0.2 |" in md
    assert "| lorenz.rel_error | 0.01 | 1 | lower | quick | 0 | 0.05 | issue goal | yes |" in md
    assert "| throughput | 10 | steps/s | higher | quick |  | 1000 | issue goal | no |" in md
    assert "| lorenz.rel_error | 0.2 | 1 | lower | full | 0 | 0.05 | issue goal | no |" in md
    assert "| throughput | 5000 | steps/s | higher | full |  | 1000 | issue goal | yes |" in md
    assert "a\\|b &lt;odd&gt;" in md
    assert "GPU: 1 x NVIDIA H100 80GB HBM3" in md and "Test CPU, 2 cores" in md
    assert "#### Table: per_system" in md and "| S199 | 66.3333 |" in md and "| S200 |" not in md
    assert "5 more rows omitted (of 205)." in md
    assert "![attractor](bench/chaos/attractor.png)" in md
    assert "![spectrum](figures/chaos/spectrum.png)" in md
    assert "file bench/chaos.json; commit " in md and "file full/chaos-nvidia-h100-80gb-hbm3.json" in md
    assert "| chaos | quick on cpu-2core, full on nvidia-h100-80gb-hbm3 | 6 | 2/4 |" in md


class _Collector(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.imgs, self.cells = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "img":
            self.imgs.append(dict(attrs)["src"])
        if tag == "td":
            self.cells.append(dict(attrs).get("class"))


def test_html_is_self_contained(reports):
    _, page = build(reports)
    parser = _Collector()
    parser.feed(page)
    assert "script" not in parser.tags and "link" not in parser.tags and "style" in parser.tags
    assert parser.imgs == ["bench/chaos/attractor.png", "figures/chaos/spectrum.png"]
    assert parser.cells.count("yes") == 2 and parser.cells.count("no") == 2
    assert "a|b &lt;odd&gt;" in page and "<odd>" not in page
    assert "5 more rows omitted (of 205)." in page


def test_rebuilt_from_json_alone(reports):
    first = build(reports)
    (reports / "index.md").unlink()
    (reports / "index.html").unlink()
    assert build(reports) == first


def test_quick_only_has_no_comparison(tmp_path):
    write_bench("other", records("quick", 0.01, 10.0), directory=tmp_path / "bench", machine=CPU)
    md, _ = build_report(tmp_path / "bench", tmp_path / "full", tmp_path)
    assert "## other" in md.read_text() and "side by side" not in md.read_text()


def test_empty_report(tmp_path):
    md, page = build_report(tmp_path / "bench", tmp_path / "full", tmp_path / "out")
    assert "No benchmark results found" in md.read_text()
    assert "No benchmark results found" in page.read_text()
