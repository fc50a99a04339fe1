"""Draws a ``Diagram`` (BPMN DI as data) as a standalone SVG in bpmn-js's visual language.

Tasks are rounded rectangles with a type marker in the top-left corner, events circles (start
thin, end thick, intermediate a double ring, non-interrupting dashed) with their definition's
marker, gateways diamonds with their marker, flows polylines with bpmn-js's arrowheads, pools
and lanes rectangles with a rotated title. Each drawn BPMN element is a ``<g class="mb-shape">``
carrying its id, local name and DI bounds as ``data-*`` attributes, each connection a
``<g class="mb-edge">``: the console places its overlays from those.

Text is never measured by a browser here: labels are wrapped with an estimate of Arial's
character widths, which is what bpmn-js's own text layout approximates too.
"""

from __future__ import annotations

import math
from typing import Iterable

from lxml import etree

from .diagram import Bounds, Diagram, Edge, Shape

SVG_NS = "http://www.w3.org/2000/svg"
STROKE = "#22242a"
FILL = "#ffffff"
FONT = "Arial, Helvetica, sans-serif"
PADDING = 20
LABEL_WIDTH = 90  # bpmn-js's width for external labels without DI bounds

STYLE = (
    f".mb-label {{ font-family: {FONT}; fill: {STROKE}; }}"
    ".mb-shape, .mb-edge { cursor: default; }"
)

_CONTAINERS = ("subProcess", "transaction", "adHocSubProcess")
_ACTIVITIES = ("task", "userTask", "serviceTask", "scriptTask", "sendTask", "receiveTask",
               "manualTask", "businessRuleTask", "callActivity") + _CONTAINERS
_DATA = ("dataObjectReference", "dataObject", "dataInput", "dataOutput", "dataStoreReference")


def _fmt(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _points(points: Iterable[tuple[float, float]]) -> str:
    return " ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in points)


# --------------------------------------------------------------------------- text layout
_NARROW = set("iljtfrI.,;:'!|()[] ")
_WIDE = set("mwMW@%")


def _char_width(char: str, size: float) -> float:
    if char in _NARROW:
        return 0.3 * size
    if char in _WIDE:
        return 0.85 * size
    if char.isupper():
        return 0.68 * size
    if char.isdigit():
        return 0.56 * size
    return 0.53 * size


def text_width(text: str, size: float) -> float:
    return sum(_char_width(c, size) for c in text)


def wrap(text: str, width: float, size: float) -> list[str]:
    """Greedy word wrap by estimated width; explicit line breaks kept, long words broken."""
    lines: list[str] = []
    for paragraph in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = ""
        for word in paragraph.split():
            candidate = f"{line} {word}" if line else word
            if text_width(candidate, size) <= width or not line and text_width(word, size) <= width:
                line = candidate
                continue
            if line:
                lines.append(line)
            line = ""
            while text_width(word, size) > width and len(word) > 1:
                cut = 1
                while cut < len(word) and text_width(word[:cut + 1], size) <= width:
                    cut += 1
                lines.append(word[:cut])
                word = word[cut:]
            line = word
        lines.append(line)
    while lines and not lines[-1]:
        lines.pop()
    return lines


# --------------------------------------------------------------------------- builder
def add(parent: etree._Element, tag: str, **attributes: object) -> etree._Element:
    """A child SVG element; ``stroke_width="2"`` becomes ``stroke-width``, None is left out."""
    el = etree.SubElement(parent, f"{{{SVG_NS}}}{tag}")
    for key, value in attributes.items():
        if value is None:
            continue
        name = key.rstrip("_").replace("_", "-")
        el.set(name, _fmt(value) if isinstance(value, float | int) and not isinstance(value, bool)
               else str(value))
    return el


def _text(parent: etree._Element, lines: list[str], *, x: float, top: float, size: float,
          anchor: str = "middle", transform: str | None = None) -> None:
    if not lines:
        return
    height = size * 1.2
    text = add(parent, "text", class_="mb-label", font_size=size, text_anchor=anchor,
               transform=transform)
    for index, line in enumerate(lines):
        span = add(text, "tspan", x=x, y=top + index * height + size * 0.9)
        span.text = line


def _text_block(parent: etree._Element, text: str, box: Bounds, *, size: float,
                align: str = "center-middle", padding: float = 5) -> None:
    lines = wrap(text, max(box.width - 2 * padding, size), size)
    height = len(lines) * size * 1.2
    if align == "center-middle":
        top = box.y + (box.height - height) / 2
    else:
        top = box.y + padding
    if align == "left-top":
        _text(parent, lines, x=box.x + padding, top=top, size=size, anchor="start")
    else:
        _text(parent, lines, x=box.x + box.width / 2, top=top, size=size)


def _external_label(parent: etree._Element, name: str, label: Bounds | None,
                    anchor: tuple[float, float]) -> Bounds:
    """A label outside its element: in its DI bounds, else centred under the anchor point."""
    size = 11.0
    lines = wrap(name, LABEL_WIDTH, size)
    height = len(lines) * size * 1.2
    if label is not None and label.width > 0:
        x = label.x + label.width / 2
        top = label.y + max((label.height - height) / 2, 0) if label.height >= height else label.y
        box = label
    else:
        x, top = anchor
        width = max((text_width(line, size) for line in lines), default=0)
        box = Bounds(x - width / 2, top, width, height)
    _text(parent, lines, x=x, top=top, size=size)
    return box


# --------------------------------------------------------------------------- defs
def _defs(root: etree._Element) -> None:
    defs = add(root, "defs")
    add(defs, "style").text = STYLE

    def marker(id_: str, ref: tuple[float, float], size: float = 20) -> etree._Element:
        return add(defs, "marker", id=id_, viewBox="0 0 20 20", refX=ref[0], refY=ref[1],
                   markerWidth=size, markerHeight=size, markerUnits="userSpaceOnUse",
                   orient="auto")

    add(marker("mb-sequenceflow-end", (11, 10)), "path", d="M 1 5 L 11 10 L 1 15 Z",
        fill=STROKE, stroke=STROKE, stroke_width=1, stroke_linejoin="round")
    add(marker("mb-messageflow-start", (6, 6), 30), "circle", cx=6, cy=6, r=3.5, fill=FILL,
        stroke=STROKE, stroke_width=1)
    add(marker("mb-messageflow-end", (8.5, 5), 30), "path", d="m 1 5 l 0 -3 l 7 3 l -7 3 z",
        fill=FILL, stroke=STROKE, stroke_width=1, stroke_linecap="round")
    add(marker("mb-association-end", (11, 10)), "path", d="M 1 5 L 11 10 L 1 15", fill="none",
        stroke=STROKE, stroke_width=1.5, stroke_linecap="round")
    add(marker("mb-conditional-flow-start", (-1, 10)), "path",
        d="M 0 10 L 8 6 L 16 10 L 8 14 Z", fill=FILL, stroke=STROKE, stroke_width=1)
    add(marker("mb-default-flow-start", (0, 10)), "path", d="M 6 4 L 10 16", stroke=STROKE,
        stroke_width=1.5)


# --------------------------------------------------------------------------- task markers
def _task_marker(g: etree._Element, kind: str, b: Bounds) -> None:
    x, y = b.x, b.y
    thin = {"stroke": STROKE, "stroke_width": 1}
    if kind == "userTask":
        add(g, "path", d=f"M {_fmt(x + 8)} {_fmt(y + 25)} q 0 -8 8 -8 q 8 0 8 8 z", fill=FILL,
            **thin)
        add(g, "circle", cx=x + 16, cy=y + 12, r=4.5, fill=FILL, **thin)
        add(g, "path", d=f"M {_fmt(x + 11.6)} {_fmt(y + 11)} q 4.4 -3 8.8 0", fill="none",
            **thin)
    elif kind == "serviceTask":
        add(g, "path", d=_gear(x + 16, y + 15, 8, 6, 9), fill=FILL, stroke=STROKE,
            stroke_width=1, stroke_linejoin="round")
        add(g, "circle", cx=x + 16, cy=y + 15, r=2.5, fill=FILL, **thin)
    elif kind == "scriptTask":
        add(g, "path", d=(f"M {_fmt(x + 11)} {_fmt(y + 7)} h 12 c -4 3 -4 6 0 9 c 4 3 4 6 0 9 "
                          f"h -12 c 4 -3 4 -6 0 -9 c -4 -3 -4 -6 0 -9 z"), fill=FILL, **thin)
        for dy in (11, 15, 19, 23):
            add(g, "line", x1=x + 13.5 + (1.5 if dy in (11, 23) else 2.5), y1=y + dy,
                x2=x + 19.5 + (1.5 if dy in (11, 23) else 2.5), y2=y + dy, **thin)
    elif kind in ("sendTask", "receiveTask"):
        filled = kind == "sendTask"
        add(g, "rect", x=x + 8, y=y + 9, width=18, height=12,
            fill=STROKE if filled else FILL, **thin)
        add(g, "path", d=f"M {_fmt(x + 8)} {_fmt(y + 9)} l 9 6 l 9 -6", fill="none",
            stroke=FILL if filled else STROKE, stroke_width=1)
    elif kind == "manualTask":
        add(g, "path", d=(f"M {_fmt(x + 8)} {_fmt(y + 16)} q 0 -5 5 -6 l 6 -2 q 2 0 1.5 2 "
                          f"l -3 1.5 h 9 q 2 0 2 2 q 0 2 -2 2 h -2 h 3 q 2 0 2 2 q 0 2 -2 2 "
                          f"h -3 h 2 q 2 0 2 2 q 0 2 -2 2 h -3 h 1.5 q 1.5 0 1.5 1.5 "
                          f"q 0 1.5 -1.5 1.5 h -8 q -5 0 -5 -5 z"), fill=FILL,
            stroke_linejoin="round", **thin)
    elif kind == "businessRuleTask":
        add(g, "rect", x=x + 8, y=y + 8, width=18, height=13, fill=FILL, **thin)
        add(g, "rect", x=x + 8, y=y + 8, width=18, height=4, fill=STROKE, **thin)
        add(g, "line", x1=x + 8, y1=y + 16.5, x2=x + 26, y2=y + 16.5, **thin)
        add(g, "line", x1=x + 13, y1=y + 12, x2=x + 13, y2=y + 21, **thin)


def _gear(cx: float, cy: float, outer: float, inner: float, teeth: int) -> str:
    """A cog outline: ``teeth`` flat teeth between radii ``inner`` and ``outer``."""
    corners = []
    step = 2 * math.pi / teeth
    for index in range(teeth):
        base = index * step
        for angle, radius in ((base - step * 0.3, inner), (base - step * 0.17, outer),
                              (base + step * 0.17, outer), (base + step * 0.3, inner)):
            corners.append((cx + radius * math.sin(angle), cy - radius * math.cos(angle)))
    return "M " + " L ".join(f"{_fmt(px)} {_fmt(py)}" for px, py in corners) + " Z"


def _bottom_markers(g: etree._Element, shape: Shape) -> None:
    b = shape.bounds
    kinds = []
    if shape.element_type in _CONTAINERS and not shape.expanded:
        kinds.append("collapsed")
    if shape.loop:
        kinds.append(shape.loop)
    if not kinds:
        return
    spacing = 18.0
    start = b.x + b.width / 2 - spacing * (len(kinds) - 1) / 2
    bottom = b.y + b.height - 5
    for index, kind in enumerate(kinds):
        cx = start + index * spacing
        if kind == "collapsed":
            add(g, "rect", x=cx - 7, y=bottom - 14, width=14, height=14, fill=FILL, stroke=STROKE,
                stroke_width=1.5)
            add(g, "path", d=f"M {_fmt(cx - 4)} {_fmt(bottom - 7)} h 8 M {_fmt(cx)} "
                             f"{_fmt(bottom - 11)} v 8", stroke=STROKE, stroke_width=1.5)
        elif kind in ("parallel", "sequential"):
            for offset in (-5, 0, 5):
                if kind == "parallel":
                    add(g, "line", x1=cx + offset, y1=bottom - 13, x2=cx + offset, y2=bottom - 1,
                        stroke=STROKE, stroke_width=2)
                else:
                    add(g, "line", x1=cx - 6, y1=bottom - 7 + offset, x2=cx + 6,
                        y2=bottom - 7 + offset, stroke=STROKE, stroke_width=2)
        else:  # standard loop: an open circle with an arrowhead
            add(g, "path", d=(f"M {_fmt(cx - 4)} {_fmt(bottom - 1)} a 6 6 0 1 1 8 0"),
                fill="none", stroke=STROKE, stroke_width=1.5)
            add(g, "path", d=f"M {_fmt(cx + 1)} {_fmt(bottom - 4)} l 3 3 l -4 1", fill="none",
                stroke=STROKE, stroke_width=1.5)


# --------------------------------------------------------------------------- event markers
def _event_marker(g: etree._Element, shape: Shape, cx: float, cy: float, r: float) -> None:
    kind = shape.event_definition
    if kind is None:
        return
    scale = r / 18
    m = add(g, "g", transform=f"translate({_fmt(cx)},{_fmt(cy)}) scale({_fmt(scale)})")
    filled = shape.throwing
    ink = STROKE if filled else FILL
    thin = {"stroke": STROKE, "stroke_width": 1.5 if not filled else 1, "stroke_linejoin": "round"}
    if kind == "timer":
        add(m, "circle", cx=0, cy=0, r=11, fill=FILL, stroke=STROKE, stroke_width=2)
        for index in range(12):
            angle = index * math.pi / 6
            inner = 8.5 if index % 3 else 7.5
            add(m, "line", x1=inner * math.cos(angle), y1=inner * math.sin(angle),
                x2=10 * math.cos(angle), y2=10 * math.sin(angle), stroke=STROKE, stroke_width=1)
        add(m, "path", d="M 0 0 L 1.5 -7.5 M 0 0 L 5 1.5", fill="none", stroke=STROKE,
            stroke_width=1.5, stroke_linecap="round")
    elif kind == "message":
        add(m, "rect", x=-9, y=-6.5, width=18, height=13, fill=ink, stroke=STROKE,
            stroke_width=1.2)
        add(m, "path", d="M -9 -6.5 L 0 0.5 L 9 -6.5", fill="none",
            stroke=FILL if filled else STROKE, stroke_width=1.2)
    elif kind == "signal":
        add(m, "path", d="M 0 -10 L 9 6 L -9 6 Z", fill=ink, **thin)
    elif kind == "error":
        add(m, "path", d="M -8 9 L -3.5 -8 L 2.5 1.5 L 7.5 -7 L 3.5 9 L -2 0 Z", fill=ink, **thin)
    elif kind == "escalation":
        add(m, "path", d="M 0 -10 L 7 9 L 0 2 L -7 9 Z", fill=ink, **thin)
    elif kind == "terminate":
        add(m, "circle", cx=0, cy=0, r=11, fill=STROKE, stroke=STROKE, stroke_width=1)
    elif kind == "conditional":
        add(m, "rect", x=-7, y=-9, width=14, height=18, fill=FILL, stroke=STROKE,
            stroke_width=1.5)
        for dy in (-5, -1.5, 2, 5.5):
            add(m, "line", x1=-4, y1=dy, x2=4, y2=dy, stroke=STROKE, stroke_width=1.5)
    elif kind == "compensation":
        add(m, "path", d="M -1 -6 L -10 0 L -1 6 Z M 9 -6 L 0 0 L 9 6 Z", fill=ink, **thin)
    elif kind == "link":
        add(m, "path", d="M -9 -3 H 2 V -8 L 10 0 L 2 8 V 3 H -9 Z", fill=ink, **thin)
    elif kind == "cancel":
        add(m, "path", d="M -7 -7 L 7 7 M 7 -7 L -7 7", stroke=STROKE, stroke_width=4,
            stroke_linecap="round")
    else:  # multiple: a pentagon
        add(m, "path", d=_pentagon(9), fill=ink, **thin)


def _pentagon(radius: float) -> str:
    corners = [(radius * math.sin(2 * math.pi * i / 5), -radius * math.cos(2 * math.pi * i / 5))
               for i in range(5)]
    return "M " + " L ".join(f"{_fmt(x)} {_fmt(y)}" for x, y in corners) + " Z"


# --------------------------------------------------------------------------- shapes
def _activity(g: etree._Element, shape: Shape) -> None:
    b = shape.bounds
    kind = shape.element_type
    attributes: dict = {"fill": FILL, "stroke": STROKE, "stroke_width": 2}
    if kind == "callActivity":
        attributes["stroke_width"] = 5
    if shape.triggered_by_event:
        attributes.update(stroke_dasharray="1,2", stroke_width=2)
    add(g, "rect", x=b.x, y=b.y, width=b.width, height=b.height, rx=10, ry=10, **attributes)
    if kind == "transaction":
        add(g, "rect", x=b.x + 3, y=b.y + 3, width=max(b.width - 6, 0),
            height=max(b.height - 6, 0), rx=8, ry=8, fill="none", stroke=STROKE,
            stroke_width=1.5)
    _task_marker(g, kind, b)
    _bottom_markers(g, shape)
    if shape.name:
        if kind in _CONTAINERS and shape.expanded:
            _text_block(g, shape.name, Bounds(b.x, b.y, b.width, b.height), size=12,
                        align="center-top")
        else:
            bottom = 18 if kind in _CONTAINERS or shape.loop else 0
            _text_block(g, shape.name, Bounds(b.x, b.y, b.width, b.height - bottom), size=12)


def _event(g: etree._Element, shape: Shape) -> None:
    b = shape.bounds
    cx, cy = b.x + b.width / 2, b.y + b.height / 2
    r = min(b.width, b.height) / 2
    kind = shape.element_type
    dashed = {"stroke_dasharray": "6", "stroke_linecap": "round"} if not shape.interrupting \
        else {}
    if kind == "startEvent":
        add(g, "circle", cx=cx, cy=cy, r=r, fill=FILL, stroke=STROKE, stroke_width=2, **dashed)
    elif kind == "endEvent":
        add(g, "circle", cx=cx, cy=cy, r=r, fill=FILL, stroke=STROKE, stroke_width=4)
    else:
        add(g, "circle", cx=cx, cy=cy, r=r, fill=FILL, stroke=STROKE, stroke_width=1.5,
            **dashed)
        add(g, "circle", cx=cx, cy=cy, r=max(r - 3, 0), fill="none", stroke=STROKE,
            stroke_width=1.5, **dashed)
    _event_marker(g, shape, cx, cy, r)


def _gateway(g: etree._Element, shape: Shape) -> None:
    b = shape.bounds
    cx, cy = b.x + b.width / 2, b.y + b.height / 2
    add(g, "polygon", points=_points([(cx, b.y), (b.x + b.width, cy), (cx, b.y + b.height),
                                      (b.x, cy)]), fill=FILL, stroke=STROKE, stroke_width=2,
        stroke_linejoin="round")
    scale = min(b.width, b.height) / 50
    m = add(g, "g", transform=f"translate({_fmt(cx)},{_fmt(cy)}) scale({_fmt(scale)})")
    kind = shape.element_type
    if kind == "exclusiveGateway" and shape.marker_visible:
        add(m, "path", d="M -7.5 -9.5 L 7.5 9.5 M 7.5 -9.5 L -7.5 9.5", stroke=STROKE,
            stroke_width=4.5)
    elif kind == "parallelGateway":
        add(m, "path", d="M 0 -12 V 12 M -12 0 H 12", stroke=STROKE, stroke_width=4.5)
    elif kind == "inclusiveGateway":
        add(m, "circle", cx=0, cy=0, r=11, fill="none", stroke=STROKE, stroke_width=3)
    elif kind == "complexGateway":
        add(m, "path", d="M 0 -12 V 12 M -12 0 H 12 M -8.5 -8.5 L 8.5 8.5 M 8.5 -8.5 L -8.5 8.5",
            stroke=STROKE, stroke_width=3.5)
    elif kind == "eventBasedGateway":
        add(m, "circle", cx=0, cy=0, r=11.5, fill="none", stroke=STROKE, stroke_width=1)
        if not shape.instantiate:
            add(m, "circle", cx=0, cy=0, r=9, fill="none", stroke=STROKE, stroke_width=1)
        add(m, "path", d=_pentagon(6.5), fill="none", stroke=STROKE, stroke_width=1.5,
            stroke_linejoin="round")


def _swimlane(g: etree._Element, shape: Shape) -> None:
    b = shape.bounds
    participant = shape.element_type == "participant"
    add(g, "rect", x=b.x, y=b.y, width=b.width, height=b.height,
        fill=FILL if participant else "none", stroke=STROKE, stroke_width=1.5)
    if participant:
        if shape.horizontal:
            add(g, "line", x1=b.x + 30, y1=b.y, x2=b.x + 30, y2=b.y + b.height, stroke=STROKE,
                stroke_width=1.5)
        else:
            add(g, "line", x1=b.x, y1=b.y + 30, x2=b.x + b.width, y2=b.y + 30, stroke=STROKE,
                stroke_width=1.5)
    if not shape.name:
        return
    size = 12.0
    if shape.horizontal:
        lines = wrap(shape.name, max(b.height - 10, size), size)[:2]
        height = len(lines) * size * 1.2
        cx, cy = b.x + 15, b.y + b.height / 2
        _text(g, lines, x=cx, top=cy - height / 2, size=size,
              transform=f"rotate(-90 {_fmt(cx)} {_fmt(cy)})")
    else:
        lines = wrap(shape.name, max(b.width - 10, size), size)[:2]
        _text(g, lines, x=b.x + b.width / 2, top=b.y + 15 - len(lines) * size * 0.6, size=size)


def _annotation(g: etree._Element, shape: Shape) -> None:
    b = shape.bounds
    add(g, "rect", x=b.x, y=b.y, width=b.width, height=b.height, fill=FILL, fill_opacity=0,
        stroke="none")
    add(g, "path", d=(f"M {_fmt(b.x + 10)} {_fmt(b.y)} L {_fmt(b.x)} {_fmt(b.y)} "
                      f"L {_fmt(b.x)} {_fmt(b.y + b.height)} L {_fmt(b.x + 10)} "
                      f"{_fmt(b.y + b.height)}"), fill="none", stroke=STROKE, stroke_width=1.5)
    if shape.text:
        _text_block(g, shape.text, b, size=12, align="left-top")


def _data(g: etree._Element, shape: Shape) -> None:
    b = shape.bounds
    if shape.element_type == "dataStoreReference":
        ry = min(b.height / 8, 6)
        x, y, w, h = b.x, b.y, b.width, b.height
        add(g, "path", d=(f"M {_fmt(x)} {_fmt(y + ry)} a {_fmt(w / 2)} {_fmt(ry)} 0 0 1 "
                          f"{_fmt(w)} 0 v {_fmt(h - 2 * ry)} a {_fmt(w / 2)} {_fmt(ry)} 0 0 1 "
                          f"{_fmt(-w)} 0 z"), fill=FILL, stroke=STROKE, stroke_width=2)
        for offset in (0, ry * 0.8, ry * 1.6):
            add(g, "path", d=(f"M {_fmt(x)} {_fmt(y + ry + offset)} a {_fmt(w / 2)} {_fmt(ry)} "
                              f"0 0 0 {_fmt(w)} 0"), fill="none", stroke=STROKE, stroke_width=2)
    else:
        fold = min(b.width, b.height) / 3
        add(g, "path", d=(f"M {_fmt(b.x)} {_fmt(b.y)} H {_fmt(b.x + b.width - fold)} "
                          f"L {_fmt(b.x + b.width)} {_fmt(b.y + fold)} V {_fmt(b.y + b.height)} "
                          f"H {_fmt(b.x)} Z M {_fmt(b.x + b.width - fold)} {_fmt(b.y)} "
                          f"V {_fmt(b.y + fold)} H {_fmt(b.x + b.width)}"),
            fill=FILL, stroke=STROKE, stroke_width=2, stroke_linejoin="round")


def _group(g: etree._Element, shape: Shape) -> None:
    b = shape.bounds
    add(g, "rect", x=b.x, y=b.y, width=b.width, height=b.height, rx=10, ry=10, fill="none",
        stroke=STROKE, stroke_width=1, stroke_dasharray="10,5,1,5")


def _shape(layer: etree._Element, shape: Shape) -> tuple[etree._Element, list[Bounds]]:
    b = shape.bounds
    g = add(layer, "g", class_="mb-shape", data_element_id=shape.element_id,
            data_element_type=shape.element_type, data_x=b.x, data_y=b.y, data_width=b.width,
            data_height=b.height)
    add(g, "title").text = shape.name or shape.text or shape.element_id
    kind = shape.element_type
    extra: list[Bounds] = []
    external = False
    if kind in _ACTIVITIES:
        _activity(g, shape)
    elif kind.endswith("Event"):
        _event(g, shape)
        external = True
    elif kind.endswith("Gateway"):
        _gateway(g, shape)
        external = True
    elif kind in ("participant", "lane"):
        _swimlane(g, shape)
    elif kind == "textAnnotation":
        _annotation(g, shape)
    elif kind in _DATA:
        _data(g, shape)
        external = True
    elif kind == "group":
        _group(g, shape)
        external = True
    else:  # anything else drawn as a plain rounded box
        add(g, "rect", x=b.x, y=b.y, width=b.width, height=b.height, rx=10, ry=10, fill=FILL,
            stroke=STROKE, stroke_width=2)
        if shape.name:
            _text_block(g, shape.name, b, size=12)
    if external and shape.name:
        extra.append(_external_label(g, shape.name, shape.label,
                                     (b.x + b.width / 2, b.y + b.height + 5)))
    return g, extra


# --------------------------------------------------------------------------- edges
def _edge(layer: etree._Element, edge: Edge) -> tuple[etree._Element, list[Bounds]]:
    g = add(layer, "g", class_="mb-edge", data_element_id=edge.element_id,
            data_element_type=edge.element_type)
    add(g, "title").text = edge.name or edge.element_id
    d = "M " + " L ".join(f"{_fmt(x)} {_fmt(y)}" for x, y in edge.waypoints)
    kind = edge.element_type
    attributes: dict = {"fill": "none", "stroke": STROKE, "stroke_linejoin": "round"}
    if kind == "sequenceFlow":
        attributes.update(stroke_width=2, marker_end="url(#mb-sequenceflow-end)")
        if edge.default:
            attributes["marker_start"] = "url(#mb-default-flow-start)"
        elif edge.conditional:
            attributes["marker_start"] = "url(#mb-conditional-flow-start)"
    elif kind == "messageFlow":
        attributes.update(stroke_width=1.5, stroke_dasharray="10,11",
                          marker_start="url(#mb-messageflow-start)",
                          marker_end="url(#mb-messageflow-end)")
    else:  # associations and data associations: dotted
        attributes.update(stroke_width=1.5, stroke_dasharray="0.5,5", stroke_linecap="round")
        if kind in ("dataInputAssociation", "dataOutputAssociation") or \
                edge.direction in ("One", "Both"):
            attributes["marker_end"] = "url(#mb-association-end)"
        if edge.direction == "Both":
            attributes["marker_start"] = "url(#mb-association-end)"
    # a wide transparent twin makes thin lines easy to point at
    add(g, "path", d=d, fill="none", stroke=FILL, stroke_opacity=0, stroke_width=10)
    add(g, "path", d=d, **attributes)
    extra: list[Bounds] = []
    if edge.name:
        points = edge.waypoints
        middle = len(points) // 2
        (x1, y1), (x2, y2) = points[middle - 1], points[middle]
        extra.append(_external_label(g, edge.name, edge.label, ((x1 + x2) / 2 + 5,
                                                                 (y1 + y2) / 2 + 5)))
    return g, extra


# --------------------------------------------------------------------------- the document
def _layer(shape: Shape) -> int:
    kind = shape.element_type
    if kind == "participant":
        return 0
    if kind == "lane":
        return 1
    if kind in _CONTAINERS and shape.expanded:
        return 2
    if kind == "boundaryEvent":
        return 5
    if kind == "group":
        return 6
    return 4


def render_svg(diagram: Diagram) -> bytes:
    """The diagram as a UTF-8 SVG document (with XML declaration)."""
    root = etree.Element(f"{{{SVG_NS}}}svg", nsmap={None: SVG_NS})
    root.set("class", "mb-diagram")
    _defs(root)
    layers = {index: add(root, "g", class_=f"mb-layer-{index}") for index in range(7)}
    covered: list[Bounds] = []
    containers = sorted((s for s in diagram.shapes if _layer(s) == 2),
                        key=lambda s: -(s.bounds.width * s.bounds.height))
    ordered = [s for s in diagram.shapes if _layer(s) < 2] + containers
    for shape in ordered:
        _, extra = _shape(layers[_layer(shape)], shape)
        covered += [shape.bounds, *extra]
    for edge in diagram.edges:
        _, extra = _edge(layers[3], edge)
        xs = [x for x, _ in edge.waypoints]
        ys = [y for _, y in edge.waypoints]
        covered += [Bounds(min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)), *extra]
    for shape in diagram.shapes:
        if _layer(shape) > 2:
            _, extra = _shape(layers[_layer(shape)], shape)
            covered += [shape.bounds, *extra]
    for layer in layers.values():
        if len(layer) == 0:
            root.remove(layer)
    left = min(b.x for b in covered) - PADDING
    top = min(b.y for b in covered) - PADDING
    width = max(b.x + b.width for b in covered) + PADDING - left
    height = max(b.y + b.height for b in covered) + PADDING - top
    root.set("viewBox", f"{_fmt(left)} {_fmt(top)} {_fmt(width)} {_fmt(height)}")
    root.set("width", _fmt(width))
    root.set("height", _fmt(height))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
