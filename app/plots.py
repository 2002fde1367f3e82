"""Success and precision plots of a tracker evaluation as PNG, drawn with pyqtgraph's ImageExporter.

No window is shown: without a running QApplication the offscreen Qt platform is used, so this works on
a headless machine. The files are written atomically. Like the OTB papers, the legend lists the trackers
best first with their score in brackets: AUC for the success plot, precision at 20 px for the precision plot.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import numpy as np

from tracker.atomic import atomic_write_bytes

__all__ = ["Curve", "plot_bars", "plot_curves", "write_effort_plot", "write_evaluation_plots"]

# Distinct on white, and told apart again by dash style after the first eight.
_COLORS = ["#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]


class Curve:
    """One tracker's curve: its name, the y values over the plot's x values, and the legend score."""

    def __init__(self, name: str, values: np.ndarray, score: float, color: str | None = None):
        self.name = name
        self.values = np.asarray(values, dtype=float)
        self.score = float(score)
        self.color = color  # None: picked by rank


def _qapp():
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        # No GUI in this process: draw offscreen rather than on a display that may not exist.
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        app = QApplication([])
    return app


def plot_curves(
    path: str | Path,
    x: np.ndarray,
    curves: Sequence[Curve],
    title: str,
    x_label: str,
    y_label: str,
    legend_corner: str = "bottom-left",
    width: int = 800,
    height: int = 600,
) -> Path:
    """Draw ``curves`` over ``x`` (y axis 0..1) into a PNG at ``path``; legend best score first."""
    app = _qapp()
    import pyqtgraph as pg
    from pyqtgraph.exporters import ImageExporter
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QFont

    widget = pg.PlotWidget(background="w")
    # Lay the widget out at its final size without it ever appearing on a screen: the exporter
    # renders the plot item's geometry, which only a shown widget computes.
    widget.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
    widget.resize(width, height)
    widget.show()
    plot = widget.getPlotItem()
    plot.setTitle(title, color="k", size="14pt")
    plot.layout.setRowFixedHeight(0, 40)  # room for the 14 pt title (pyqtgraph reserves 30 px)
    plot.layout.setContentsMargins(10, 6, 24, 10)
    tick_font = QFont()  # the default sans face, a little larger than pyqtgraph's
    tick_font.setPointSize(10)
    for side, label in (("bottom", x_label), ("left", y_label)):
        axis = plot.getAxis(side)
        axis.setLabel(label, color="k", **{"font-size": "12pt"})
        axis.setPen(pg.mkPen("k"))
        axis.setTextPen(pg.mkPen("k"))
        axis.setStyle(tickFont=tick_font)
    # Fixed room for tick values plus the 12 pt axis titles, which pyqtgraph underestimates.
    plot.getAxis("bottom").setHeight(58)
    plot.getAxis("left").setWidth(66)
    plot.showGrid(x=True, y=True, alpha=0.25)
    plot.setXRange(float(x[0]), float(x[-1]), padding=0.02)
    plot.setYRange(0.0, 1.0, padding=0.02)
    plot.setMouseEnabled(False, False)
    plot.hideButtons()
    offset = {"bottom-left": (10, -10), "bottom-right": (-10, -10), "top-right": (-10, 10)}[legend_corner]
    legend = plot.addLegend(offset=offset, labelTextColor="k", labelTextSize="11pt",
                            brush=pg.mkBrush(255, 255, 255, 220), pen=pg.mkPen("#888"))
    styles = [Qt.PenStyle.SolidLine, Qt.PenStyle.DashLine, Qt.PenStyle.DotLine]
    for i, curve in enumerate(sorted(curves, key=lambda c: -c.score)):
        color = curve.color or _COLORS[i % len(_COLORS)]
        pen = pg.mkPen(color, width=3, style=styles[(i // len(_COLORS)) % len(styles)])
        plot.plot(x, curve.values, pen=pen, name=f"{curve.name} [{curve.score:.3f}]")
    legend.setZValue(10)
    app.processEvents()  # let the layout settle at the final size before rendering

    exporter = ImageExporter(plot)
    exporter.parameters()["width"] = width
    exporter.parameters()["height"] = height
    image = exporter.export(toBytes=True)
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise OSError(f"{path}: could not encode the plot as PNG")
    buffer.close()
    widget.close()
    widget.deleteLater()
    target = Path(path)
    atomic_write_bytes(target, bytes(data.data()))
    return target


def write_evaluation_plots(out_dir: str | Path, evaluation) -> list[Path]:
    """``out_dir/success.png`` and ``out_dir/precision.png`` for a ``tracker.evaluation.Evaluation``:
    the mean curves over its sequences. Returns the written paths (none when nothing was scored)."""
    from tracker.evaluation.metrics import PRECISION_AT, PRECISION_THRESHOLDS, SUCCESS_THRESHOLDS

    means = {t: evaluation.mean(t) for t in evaluation.trackers}
    means = {t: m for t, m in means.items() if m is not None}
    if not means:
        return []
    mode = "restart on failure" if evaluation.restart else "OPE"
    count = len(evaluation.results)
    where = f"{count} sequence{'s' if count != 1 else ''}"
    # One colour per tracker in both plots, by its place in the run's tracker list.
    color = {t: _COLORS[i % len(_COLORS)] for i, t in enumerate(evaluation.trackers)}
    out = Path(out_dir)
    success = plot_curves(
        out / "success.png",
        SUCCESS_THRESHOLDS,
        [Curve(t, m.success_curve, m.auc, color[t]) for t, m in means.items()],
        f"Success plots of {mode} ({where})",
        "Overlap threshold",
        "Success rate",
        legend_corner="bottom-left",
    )
    precision = plot_curves(
        out / "precision.png",
        PRECISION_THRESHOLDS,
        [Curve(t, m.precision_curve, m.precision, color[t]) for t, m in means.items()],
        f"Precision plots of {mode} ({where}), score at {PRECISION_AT:g} px",
        "Location error threshold (pixels)",
        "Precision",
        legend_corner="bottom-right",
    )
    return [success, precision]


def plot_bars(path: str | Path, labels: Sequence[str], groups: dict[str, Sequence[float]], title: str,
              x_label: str, width: int = 900, height: int | None = None) -> Path:
    """Horizontal grouped bars into a PNG: one row per label (top to bottom in the given order), one bar per
    group (``groups[name][i]`` is label i's value; NaN draws no bar), each bar with its value written."""
    app = _qapp()
    import pyqtgraph as pg
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QFont
    from pyqtgraph.exporters import ImageExporter

    n, k = len(labels), max(1, len(groups))
    height = height or max(300, 120 + n * (22 * k + 14))
    widget = pg.PlotWidget(background="w")
    widget.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
    widget.resize(width, height)
    widget.show()
    plot = widget.getPlotItem()
    plot.setTitle(title, color="k", size="13pt")
    plot.layout.setRowFixedHeight(0, 40)
    plot.layout.setContentsMargins(10, 6, 30, 10)
    font = QFont()
    font.setPointSize(10)
    for side in ("bottom", "left"):
        axis = plot.getAxis(side)
        axis.setPen(pg.mkPen("k"))
        axis.setTextPen(pg.mkPen("k"))
        axis.setStyle(tickFont=font)
    plot.getAxis("bottom").setLabel(x_label, color="k", **{"font-size": "11pt"})
    plot.getAxis("bottom").setHeight(50)
    left = plot.getAxis("left")
    left.setWidth(10 + 8 * max((len(s) for s in labels), default=4))
    left.setTicks([[(-float(i), s) for i, s in enumerate(labels)], []])
    plot.showGrid(x=True, y=False, alpha=0.25)
    plot.setMouseEnabled(False, False)
    plot.hideButtons()
    legend = plot.addLegend(offset=(-10, 10), labelTextColor="k", labelTextSize="10pt",
                            brush=pg.mkBrush(255, 255, 255, 220), pen=pg.mkPen("#888"))
    bar_h = 0.8 / k
    finite = [v for vals in groups.values() for v in vals if np.isfinite(v)]
    top = max(finite, default=1.0) or 1.0
    for g, (name, values) in enumerate(groups.items()):
        vals = np.asarray(values, dtype=float)
        ys = -np.arange(n) + 0.4 - bar_h * (g + 0.5)  # rows go downwards, and the groups inside a row
        ok = np.isfinite(vals)
        color = _COLORS[g % len(_COLORS)]
        item = pg.BarGraphItem(x0=np.zeros(int(ok.sum())), y=ys[ok], height=bar_h * 0.9, width=vals[ok],
                               brush=color, pen=pg.mkPen(color))
        plot.addItem(item)
        legend.addItem(item, name)
        for y, v in zip(ys[ok], vals[ok]):
            text = pg.TextItem(f"{v:.1f}", color="k", anchor=(0, 0.5))
            text.setFont(font)
            text.setPos(float(v) + top * 0.01, float(y))
            plot.addItem(text)
    plot.setXRange(0.0, top * 1.12, padding=0)
    plot.setYRange(-n + 0.45, 0.55, padding=0)
    legend.setZValue(10)
    app.processEvents()

    exporter = ImageExporter(plot)
    exporter.parameters()["width"] = width
    exporter.parameters()["height"] = height
    image = exporter.export(toBytes=True)
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise OSError(f"{path}: could not encode the plot as PNG")
    buffer.close()
    widget.close()
    widget.deleteLater()
    target = Path(path)
    atomic_write_bytes(target, bytes(data.data()))
    return target


def write_effort_plot(out_dir: str | Path, evaluation) -> Path:
    """``out_dir/effort.png``: corrections per 100 frames per tracker (pooled over the sequences), one
    bar per IoU threshold, for a ``tracker.evaluation.effort.EffortEvaluation``."""
    groups = {f"IoU {t:g}": [evaluation.rate(name, t) for name in evaluation.trackers]
              for t in evaluation.thresholds}
    count = len(evaluation.sequences)
    return plot_bars(Path(out_dir) / "effort.png", evaluation.trackers, groups,
                     f"Simulated annotator: corrections per 100 frames ({count} sequence{'s' if count != 1 else ''})",
                     "corrections per 100 frames (lower is better)")
