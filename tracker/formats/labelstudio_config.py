"""The Label Studio labelling config that matches our video-tracking tasks (``labeling_config.xml``).

Label Studio accepts tasks whose ``from_name``, ``to_name`` or labels do not match the project's
config without complaint and then shows nothing, so the names here are the single source for both
the config and the task JSON. The player's ``framerate`` must be the video's: Label Studio's
default of 24 on a 25 fps clip puts boxes on the wrong images.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from ..project import DEFAULT_COLORS, Project
from .errors import FormatError
from .formatting import num

__all__ = ["DATA_KEY", "VIDEO_NAME", "BOX_NAME", "LABELS_NAME", "CONFIG_FILE", "project_fps", "label_colors",
           "labeling_config"]

DATA_KEY = "video"  # task["data"]["video"]: the video's URL
VIDEO_NAME = "video"  # <Video name=...>: every result's to_name
BOX_NAME = "box"  # <VideoRectangle name=...>: every result's from_name
LABELS_NAME = "videoLabels"  # <Labels name=...>: the label choices for the boxes
CONFIG_FILE = "labeling_config.xml"
DEFAULT_FPS = 30.0

# characters XML 1.0 cannot hold at all (a label with one would make the config unreadable)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def project_fps(project: Project) -> float:
    """The frame rate the tasks' times and the player use: the project's, else 30 (an image folder)."""
    fps = project.video.fps
    return float(fps) if fps and fps > 0 else DEFAULT_FPS


def label_colors(project: Project) -> dict[str, str]:
    """Every label (the project's list, then any object's label missing from it) -> a colour: that of
    the first object carrying it, else the palette's."""
    objects = [project.objects[k] for k in sorted(project.objects)]
    labels = list(dict.fromkeys([*project.labels, *(obj.label for obj in objects)]))
    colors = {}
    for i, label in enumerate(labels):
        owner = next((obj for obj in objects if obj.label == label), None)
        colors[label] = owner.color if owner is not None else DEFAULT_COLORS[i % len(DEFAULT_COLORS)]
    return colors


def labeling_config(project: Project, where: str = "labeling_config.xml") -> str:
    """The ``<View>`` config for the project's tasks: the video player at the project's frame rate,
    the rectangle tool and the project's labels with their colours."""
    view = ET.Element("View")
    ET.SubElement(view, "Video", {"name": VIDEO_NAME, "value": f"${DATA_KEY}",
                                  "framerate": num(project_fps(project), 6)})
    ET.SubElement(view, "VideoRectangle", {"name": BOX_NAME, "toName": VIDEO_NAME})
    labels = ET.SubElement(view, "Labels", {"name": LABELS_NAME, "toName": VIDEO_NAME, "allowEmpty": "true"})
    for label, color in label_colors(project).items():
        if _NOT_XML.search(label):
            raise FormatError(f"{where}: label {label!r} holds a character XML cannot store")
        ET.SubElement(labels, "Label", {"value": label, "background": color})
    ET.indent(view, space="  ")
    return ET.tostring(view, encoding="unicode") + "\n"
