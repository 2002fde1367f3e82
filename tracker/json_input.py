"""Parsing JSON from files a user (or an attacker) hands us: every failure is one ValueError line.

``json.loads`` alone lets through a few inputs that end in a traceback or a confusing message:
nesting thousands of levels deep (RecursionError), integers of thousands of digits (a ValueError
advising to raise ``sys.set_int_max_str_digits``), and the non-standard ``NaN`` / ``Infinity``
literals. Here they become :class:`JSONInputError` with a message that names the problem (the
caller adds the file name).
"""
from __future__ import annotations

import json
from typing import Any

__all__ = ["JSONInputError", "parse_json"]


class JSONInputError(ValueError):
    """Text that is not acceptable JSON; the message is one line without the file name."""


def _refuse_constant(name: str) -> Any:
    raise JSONInputError(f"{name} is not a JSON number")


def parse_json(text: str | bytes, allow_constants: bool = False) -> Any:
    """``allow_constants`` reads ``NaN`` / ``Infinity`` as floats, for callers that range-check every
    number anyway and can then name the field that holds one."""
    try:
        return json.loads(text, parse_constant=float if allow_constants else _refuse_constant)
    except JSONInputError:
        raise
    except json.JSONDecodeError as e:
        raise JSONInputError(f"line {e.lineno}: not valid JSON ({e.msg})") from None
    except RecursionError:
        raise JSONInputError("nested too deeply to be read") from None
    except UnicodeDecodeError as e:
        raise JSONInputError(f"not UTF-8 text ({e.reason})") from None
    except ValueError as e:  # Python's limit on integer digits
        if "digits" in str(e):
            raise JSONInputError("holds a number with thousands of digits") from None
        raise JSONInputError(f"not valid JSON ({str(e).splitlines()[0]})") from None
