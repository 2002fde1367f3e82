"""Reading untrusted input files with errors that name the file and line: text, JSON, numbers, XML."""
from __future__ import annotations

import math
import re
from contextvars import ContextVar
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Callable
from xml.parsers import expat

from ..json_input import JSONInputError, parse_json
from .errors import FormatError


# The running import's checkpoint (`tracker.formats.import_annotations(checkpoint=...)`), per thread.
_CHECKPOINT: ContextVar[Callable[[], None] | None] = ContextVar("import_checkpoint", default=None)


def checkpoint() -> None:
    """Called by the importers between files and between lines, boxes or annotations: runs the
    running import's checkpoint, which raises to stop a cancelled import (nothing is returned, so
    nothing of it is applied)."""
    check = _CHECKPOINT.get()
    if check is not None:
        check()


def _unreadable(path: Path, e: OSError, expected: str = "a file") -> FormatError:
    """The error for a file that could not be opened or read, naming it and the reason."""
    if isinstance(e, FileNotFoundError):
        return FormatError(f"{path}: no such file")
    if isinstance(e, IsADirectoryError):
        return FormatError(f"{path}: is a folder, expected {expected}")
    return FormatError(f"{path}: cannot read: {e.strerror or e}")


def read_text(path: Path) -> str:
    checkpoint()
    try:
        return path.read_text(encoding="utf-8-sig")
    except OSError as e:
        raise _unreadable(path, e) from e
    except UnicodeDecodeError as e:
        raise FormatError(f"{path}: not a UTF-8 text file ({e.reason} at byte {e.start})") from e


def read_json(path: Path) -> Any:
    text = read_text(path)
    try:
        return parse_json(text)
    except JSONInputError as e:
        raise FormatError(f"{path}: {e}") from None


_SPLIT = re.compile(r"[,\s]+")


def split_numbers(path: Path, lineno: int, line: str, minimum: int, maximum: int) -> list[float]:
    """The numbers on one line of a comma, tab or space separated file; FormatError naming the line."""
    parts = [p for p in _SPLIT.split(line.strip()) if p]
    if not minimum <= len(parts) <= maximum:
        want = str(minimum) if minimum == maximum else f"{minimum} to {maximum}"
        raise FormatError(f"{path}: line {lineno}: expected {want} numbers, found {len(parts)}: {line.strip()!r}")
    values = []
    for p in parts:
        try:
            values.append(float(p))
        except ValueError:
            raise FormatError(f"{path}: line {lineno}: {p!r} is not a number") from None
    return values


class _EntityDeclared(Exception):
    """Raised from the parser callback when the document declares an entity."""

    def __init__(self, name: str, line: int):
        super().__init__(name)
        self.name, self.line = name, line


class LinedXML:
    """An XML tree whose elements know the line they start on (for error messages).

    Hostile files are refused, not expanded: any DTD entity declaration (internal ones are the
    "billion laughs" bomb, external ones read other files) stops the parse with one line; external
    and parameter entities are never read. Element text is gathered in a list and joined once,
    so a long text costs linear time however the parser chunks it.
    """

    def __init__(self, path: Path):
        self.path = path
        self.lines: dict[ET.Element, int] = {}
        self.root = self._parse(path)

    def _parse(self, path: Path) -> ET.Element:
        checkpoint()
        parser = expat.ParserCreate()
        parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        stack: list[ET.Element] = []
        root: list[ET.Element] = []
        # the text chunks of the innermost element while it has no child (None once it has one)
        chunks: list[list[str] | None] = []

        def close_text() -> None:
            if chunks and chunks[-1] is not None:
                if chunks[-1]:
                    stack[-1].text = "".join(chunks[-1])
                chunks[-1] = None

        def start(tag: str, attrs: dict[str, str]) -> None:
            close_text()
            el = ET.Element(tag, attrs)
            self.lines[el] = parser.CurrentLineNumber
            if stack:
                stack[-1].append(el)
            else:
                root.append(el)
            stack.append(el)
            chunks.append([])

        def end(tag: str) -> None:
            close_text()
            stack.pop()
            chunks.pop()

        def chars(data: str) -> None:
            if chunks and chunks[-1] is not None:
                chunks[-1].append(data)

        def entity_declared(name, *_args) -> None:
            raise _EntityDeclared(name, parser.CurrentLineNumber)

        parser.StartElementHandler = start
        parser.EndElementHandler = end
        parser.CharacterDataHandler = chars
        parser.EntityDeclHandler = entity_declared
        parser.UnparsedEntityDeclHandler = entity_declared
        try:
            with open(path, "rb") as f:
                parser.ParseFile(f)
        except OSError as e:
            raise _unreadable(path, e, "an XML file") from e
        except _EntityDeclared as e:
            raise FormatError(f"{path}: line {e.line}: declares the entity {e.name!r}; XML files with "
                              "entity declarations are refused (they can expand without bound)") from None
        except expat.ExpatError as e:
            raise FormatError(f"{path}: line {e.lineno}: not valid XML ({expat.ErrorString(e.code)})") from e
        except LookupError as e:  # the XML declaration names an encoding Python does not know
            raise FormatError(f"{path}: line 1: not valid XML ({e})") from None
        if not root:
            raise FormatError(f"{path}: holds no XML element")
        return root[0]

    def where(self, el: ET.Element) -> str:
        return f"{self.path}: line {self.lines.get(el, 0)}: <{el.tag}>"

    def error(self, el: ET.Element, problem: str) -> FormatError:
        return FormatError(f"{self.where(el)}: {problem}")

    def attr_number(self, el: ET.Element, name: str) -> float:
        if name not in el.attrib:
            raise self.error(el, f"attribute {name!r} is missing")
        try:
            value = float(el.attrib[name])
        except ValueError:
            raise self.error(el, f"attribute {name}={el.attrib[name]!r} is not a number") from None
        if not math.isfinite(value):
            raise self.error(el, f"attribute {name}={el.attrib[name]!r} is not a finite number")
        return value

    def attr_int(self, el: ET.Element, name: str, default: int | None = None) -> int:
        if name not in el.attrib:
            if default is not None:
                return default
            raise self.error(el, f"attribute {name!r} is missing")
        try:
            return int(el.attrib[name])
        except ValueError:
            raise self.error(el, f"attribute {name}={el.attrib[name]!r} is not a whole number") from None
