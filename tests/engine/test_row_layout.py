"""The packed diagnostics row is declared once (tracker.result.row_fields): its slices tile the row in
order, and RowLayout reads Diagnostics back from a row packed in that order."""
from __future__ import annotations

import numpy as np

from tracker.result import RowLayout, row_fields
from tracker.types import Box


def test_fields_tile_the_row_in_declared_order():
    n, c = 8, 5
    layout = RowLayout.of(n, c)
    o = 0
    for name, size in row_fields(n, c):
        assert layout.slice(name) == slice(o, o + size)
        o += size
    assert layout.width == o == 4 + n + 3 + 1 + 1 + 3 * n + 2 * c * c
    assert RowLayout.of(n, c, diagnostics=False).width == 4 + n


def test_diagnostics_read_back_from_a_packed_row():
    n, c = 3, 2
    parts = {"scale_index": [1], "peak_u": [7], "peak_v": [9], "score": [0.5], "applied_write": [0, 1, 0],
             "gates": [0.2, 0.3, 0.5], "residual_gate": [0.4], "read_strength": [2.0],
             "read_weights": [0.1, 0.6, 0.3], "write_weights": [0.0, 0.0, 1.0], "usage": [1.0, 0.5, 0.25],
             "attention": [0.1, 0.2, 0.3, 0.4], "response": [1.0, 2.0, 3.0, 4.0]}
    row = np.concatenate([np.asarray(parts[name], np.float32) for name, _ in row_fields(n, c)])
    layout = RowLayout.of(n, c)
    d = layout.diagnostics(row, scale=-1, search_box=Box(0, 0, 10, 10))
    assert np.allclose(d.gates, parts["gates"]) and d.usage.tolist() == parts["usage"]
    assert d.attention.shape == (2, 2) and d.response[1, 1] == 4.0
    assert d.read_strength == 2.0 and d.scale == -1 and not d.usage.flags.writeable
    assert layout.get(row, "applied_write").tolist() == [0, 1, 0] and layout.get(row, "peak_v")[0] == 9
