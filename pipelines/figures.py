"""Figures written by the benchmark stages: matplotlib without a display, PNGs saved in one place.

>>> plt, figures = figure_writer(folder)
>>> fig, ax = plt.subplots(); ...; figures.save(fig, "cost")      # folder/cost.png
>>> figures.written                                               # [Path(...)]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class FigureWriter:
    """Saves figures as ``folder/<name>.png`` (tight layout, 110 dpi), closes them and lists the files."""

    folder: Path
    plt: Any
    written: list[Path] = field(default_factory=list)

    def save(self, fig, name: str) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{name}.png"
        fig.tight_layout()
        fig.savefig(path, dpi=110)
        self.plt.close(fig)
        self.written.append(path)
        return path


def figure_writer(folder: str | Path) -> tuple[Any, FigureWriter]:
    """``(pyplot, writer)`` with matplotlib's non-interactive Agg backend selected."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt, FigureWriter(Path(folder), plt)
