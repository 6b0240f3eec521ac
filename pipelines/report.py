"""Build ``reports/index.md`` and ``reports/index.html`` from benchmark JSON files alone.

Quick results come from ``<bench_dir>/*.json``, full-profile results from
``<full_dir>/*.json`` (``<suite>-<machine>.json``); both are grouped by their
``suite`` key. Figures are the PNGs in ``<bench_dir>/<suite>/``,
``<full_dir>/<suite>/`` and ``<out_dir>/figures/<suite>/``, linked by relative path.
"""

from __future__ import annotations

import html
import json
import os
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipelines._atomic import atomic_write_text
from pipelines.bench import BenchFile, Record, machine_label, read_bench
from pipelines.registry import Stage, StageContext

MAX_ROWS = 200
_RECORD_COLUMNS = ("name", "value", "unit", "better", "profile", "seed", "reference", "source", "goal met")
_CSS = """body{font-family:system-ui,sans-serif;max-width:75em;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em;font-size:.9em}
th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left}
th{background:#f3f3f3}td.yes{background:#e3f6e3}td.no{background:#fbe3e3}img{max-width:100%;margin:.5em 0}
h2{border-bottom:2px solid #ddd;margin-top:2em}.note{color:#666;font-size:.9em}"""

# A block is ("h1"|"h2"|"h3"|"h4"|"p"|"note", text), ("table", headers, rows) or ("img", alt, src).
# A table cell is a string, or (string, css class) to colour it in HTML.
Block = tuple[Any, ...]


@dataclass(frozen=True)
class ReportConfig:
    """Where the report reads from and writes to (relative paths are under the repo root)."""

    bench_dir: str = "reports/bench"
    full_dir: str = "reports/full"
    out_dir: str = "reports"


def build_report(
    bench_dir: str | Path = "reports/bench", full_dir: str | Path = "reports/full", out_dir: str | Path = "reports"
) -> tuple[Path, Path]:
    """Write ``<out_dir>/index.md`` and ``<out_dir>/index.html``; return their paths."""
    bench_dir, full_dir, out_dir = Path(bench_dir), Path(full_dir), Path(out_dir)
    quick = [read_bench(p) for p in sorted(bench_dir.glob("*.json"))]
    full = [read_bench(p) for p in sorted(full_dir.glob("*.json"))]
    blocks = _blocks(quick, full, (bench_dir, full_dir, out_dir / "figures"), out_dir)
    md = atomic_write_text(out_dir / "index.md", render_markdown(blocks))
    page = atomic_write_text(out_dir / "index.html", render_html(blocks, title="Benchmark report"))
    return md, page


def run_report(cfg: ReportConfig, ctx: StageContext) -> None:
    """The ``report`` stage: build the report; ``--out`` replaces ``out_dir``."""
    root = ctx.repo_root
    out = ctx.out if ctx.out is not None else root / cfg.out_dir
    md, page = build_report(root / cfg.bench_dir, root / cfg.full_dir, out)
    print(f"report written: {md} and {page}")


REPORT_STAGE = Stage(
    name="report",
    help="gather reports/bench and reports/full JSON into reports/index.md and index.html",
    config_cls=ReportConfig,
    run=run_report,
)


def _blocks(
    quick: list[BenchFile], full: list[BenchFile], figure_roots: tuple[Path, ...], out_dir: Path
) -> list[Block]:
    by_suite: dict[str, list[BenchFile]] = defaultdict(list)
    for result in quick + sorted(full, key=lambda r: machine_label(r.machine)):
        by_suite[result.suite].append(result)
    blocks: list[Block] = [("h1", "Benchmark report")]
    if not by_suite:
        return blocks + [("p", "No benchmark results found; run a bench stage (e.g. `make bench-chaos`).")]
    summary = [[s, *_summary(rs)] for s, rs in sorted(by_suite.items())]
    blocks.append(("table", ["suite", "results", "records", "goals met"], summary))
    quick_paths = {r.path for r in quick}
    for suite, results in sorted(by_suite.items()):
        blocks.append(("h2", suite))
        if len(results) > 1 and any(r.path not in quick_paths for r in results):
            blocks += _comparison(results)
        for result in results:
            blocks += _result_blocks(result, result.path in quick_paths, out_dir)
        figures = [p for root in figure_roots for p in sorted((root / suite).glob("*.png"))]
        if figures:
            blocks.append(("h3", "Figures"))
            blocks += [("img", p.stem, _rel(p, out_dir)) for p in figures]
    return blocks


def _summary(results: list[BenchFile]) -> list[str]:
    records = [r for res in results for r in res.records]
    judged = [r.goal_met for r in records if r.goal_met is not None]
    labels = ", ".join(_label(res) for res in results)
    return [labels, str(len(records)), f"{sum(judged)}/{len(judged)}" if judged else ""]


def _label(result: BenchFile) -> str:
    profiles = sorted({r.profile for r in result.records}) or ["?"]
    return f"{'/'.join(profiles)} on {machine_label(result.machine)}"


def _comparison(results: list[BenchFile]) -> list[Block]:
    """One row per record name, one value column per result file, quick first."""
    names: dict[str, str] = {}
    for res in results:
        for r in res.records:
            names.setdefault(r.name, r.unit)
    headers = ["name", "unit"] + [_label(res) for res in results]
    rows = []
    for name, unit in names.items():
        cells = [", ".join(_fmt(r.value) for r in res.records if r.name == name) for res in results]
        rows.append([name, unit, *cells])
    return [("h3", "Quick and full results side by side"), *_table(headers, rows)]


def _result_blocks(result: BenchFile, is_quick: bool, out_dir: Path) -> list[Block]:
    kind = "Quick results" if is_quick else "Full results"
    rows = [_record_row(r) for r in result.records]
    m = result.machine
    machine = (
        f"{m.get('cpu', '?')}, {m.get('cores', '?')} cores, GPU: {m.get('gpu') or 'none'}, {m.get('platform', '')}"
    )
    versions = ", ".join(f"{k} {v}" for k, v in sorted(result.versions.items()))
    blocks: list[Block] = [
        ("h3", f"{kind} on {machine_label(m)}"),
        ("note", f"file {_rel(result.path, out_dir)}; commit {result.commit}; created {result.created}"),
        ("note", f"machine: {machine}"),
        ("note", f"versions: {versions}"),
        *_table(list(_RECORD_COLUMNS), rows),
    ]
    for name, table in (result.tables or {}).items():
        columns = list(dict.fromkeys(k for row in table for k in row))
        blocks.append(("h4", f"Table: {name}"))
        blocks += _table(columns, [[_fmt(row.get(c)) for c in columns] for row in table])
    return blocks


def _record_row(r: Record) -> list[Any]:
    ref = r.reference or {}
    met = r.goal_met
    goal = "" if met is None else ("yes", "yes") if met else ("no", "no")
    return [
        r.name,
        _fmt(r.value),
        r.unit,
        r.better,
        r.profile,
        _fmt(r.seed),
        _fmt(ref.get("value")),
        _fmt(ref.get("source")),
        goal,
    ]


def _table(headers: list[str], rows: list[list[Any]]) -> list[Block]:
    blocks: list[Block] = [("table", headers, rows[:MAX_ROWS])]
    if len(rows) > MAX_ROWS:
        blocks.append(("note", f"{len(rows) - MAX_ROWS} more rows omitted (of {len(rows)})."))
    return blocks


def _fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    return str(value)


def _rel(path: Path, out_dir: Path) -> str:
    return Path(os.path.relpath(path.resolve(), out_dir.resolve())).as_posix()


def render_markdown(blocks: list[Block]) -> str:
    """Render blocks as GitHub-flavoured Markdown."""
    out = []
    for kind, *rest in blocks:
        if kind in ("h1", "h2", "h3", "h4"):
            out.append(f"{'#' * int(kind[1])} {rest[0]}\n")
        elif kind in ("p", "note"):
            out.append(f"{rest[0]}\n")
        elif kind == "img":
            out.append(f"![{rest[0]}]({rest[1]})\n")
        elif kind == "table":
            headers, rows = rest
            lines = ["| " + " | ".join(map(_md_cell, headers)) + " |", "|" + "---|" * len(headers)]
            lines += ["| " + " | ".join(map(_md_cell, row)) + " |" for row in rows]
            out.append("\n".join(lines) + "\n")
    return "\n".join(out)


def render_html(blocks: list[Block], *, title: str) -> str:
    """Render blocks as one self-contained HTML page (inline CSS, no scripts)."""
    e = html.escape
    body = []
    for kind, *rest in blocks:
        if kind in ("h1", "h2", "h3", "h4"):
            body.append(f"<{kind}>{e(rest[0])}</{kind}>")
        elif kind == "p":
            body.append(f"<p>{e(rest[0])}</p>")
        elif kind == "note":
            body.append(f'<p class="note">{e(rest[0])}</p>')
        elif kind == "img":
            body.append(
                f'<figure><a href="{e(rest[1])}"><img src="{e(rest[1])}" alt="{e(rest[0])}"></a>'
                f"<figcaption>{e(rest[0])}</figcaption></figure>"
            )
        elif kind == "table":
            headers, rows = rest
            head = "".join(f"<th>{e(h)}</th>" for h in headers)
            body_rows = "".join("<tr>" + "".join(_html_cell(c) for c in row) + "</tr>" for row in rows)
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body_rows}</tbody></table>")
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{e(title)}</title>'
        f"<style>{_CSS}</style></head>\n<body>\n" + "\n".join(body) + "\n</body></html>\n"
    )


def _md_cell(cell: Any) -> str:
    return html.escape(_text(cell), quote=False).replace("|", "\\|").replace("\n", " ")


def _html_cell(cell: Any) -> str:
    if isinstance(cell, tuple):
        return f'<td class="{html.escape(cell[1])}">{html.escape(cell[0])}</td>'
    return f"<td>{html.escape(_text(cell))}</td>"


def _text(cell: Any) -> str:
    return cell[0] if isinstance(cell, tuple) else str(cell)
