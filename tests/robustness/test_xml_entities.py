"""CVAT XML: entity declarations are refused with one line (no expansion, no hang) and long
element text is read in linear time."""
from __future__ import annotations

import time

import pytest

from tests.robustness.support import clip  # noqa: F401
from tests.robustness.support import one_line
from tracker.formats import FormatError, import_annotations

LAUGHS = ('<?xml version="1.0"?>\n<!DOCTYPE annotations [\n <!ENTITY a "aaaaaaaaaa">\n'
          + "".join(f' <!ENTITY {chr(98 + k)} "{("&" + chr(97 + k) + ";") * 10}">\n' for k in range(9))
          + ']>\n<annotations><version>&j;</version></annotations>\n')


@pytest.mark.parametrize("text, name, line", [
    (LAUGHS, "a", "line 3"),  # nested internal entities: 10^10 characters if expanded
    ('<?xml version="1.0"?>\n<!DOCTYPE a [<!ENTITY x "x">]>\n<annotations>&x;</annotations>', "x", "line 2"),
    ('<!DOCTYPE a [\n<!ENTITY e SYSTEM "file:///etc/passwd">]>\n<annotations>&e;</annotations>', "e", "line 2"),
    ('<!DOCTYPE a [\n<!ENTITY % p "x">]>\n<annotations/>', "p", "line 2"),
    ('<!DOCTYPE a [\n<!NOTATION n SYSTEM "x"><!ENTITY u SYSTEM "y" NDATA n>]>\n<annotations/>', "u", "line 2"),
])
def test_entity_declarations_are_refused_at_once(tmp_path, clip, text, name, line):
    path = tmp_path / "bomb.xml"
    path.write_text(text)
    started = time.perf_counter()
    with pytest.raises(FormatError) as info:
        import_annotations(path, "cvat", clip)
    assert time.perf_counter() - started < 2
    one_line(info.value, str(path), line, f"declares the entity {name!r}", "refused")


def test_long_text_with_many_chunks_reads_in_linear_time(tmp_path, clip):
    # character references make the parser deliver the text in ~10^5 separate chunks
    path = tmp_path / "long.xml"
    path.write_text("<annotations><meta><task><name>" + "a&amp;" * 150_000 + "</name></task></meta>"
                    "</annotations>\n")
    started = time.perf_counter()
    project = import_annotations(path, "cvat", clip)
    assert time.perf_counter() - started < 3
    assert project.objects == {}
