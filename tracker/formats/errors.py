"""The one error type of the import/export layer."""
from __future__ import annotations

__all__ = ["FormatError"]


class FormatError(Exception):
    """A file that cannot be read or written in the asked format.

    The message names the file and, for bad input, the line (text formats) or the element / JSON
    path (XML and JSON formats) where the problem is, so it can be shown to the user as one line.
    """
