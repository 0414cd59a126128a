"""The PNG graph of a metric widget (pure): its series as lines over time (``timeSeries``, stacked or not, on a
left and a right axis), as bars or as a pie of each series' latest value, with title, legend and annotations."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from io import BytesIO

from PIL import Image, ImageDraw, ImageFont

from profilestack.services.cloudwatch.expressions import Series
from profilestack.services.cloudwatch.widget_spec import Annotation, Axis, Widget

# The console's palette, in the order it gives series their colors
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
           "#17becf")
ANNOTATION_COLOR = "#d62728"
_TEXT, _MUTED, _GRID, _FRAME = "#16191f", "#5f6b7a", "#e9ebed", "#aab7b8"
_TIME_STEPS = tuple(timedelta(minutes=minutes) for minutes in (1, 5, 10, 15, 30, 60, 180, 360, 720, 1440, 2880,
                                                               10080, 20160, 43200))
_PAD = 6


@dataclass(frozen=True)
class Plotted:
    """A series to draw: its legend label, values, #rrggbb color and axis."""

    label: str
    values: Series
    color: str
    right: bool = False


def colored(series: list[tuple[str, Series, str | None, bool]]) -> list[Plotted]:
    """Series with the palette's colors given in turn to those without one of their own."""
    return [Plotted(label, values, color or PALETTE[index % len(PALETTE)], right)
            for index, (label, values, color, right) in enumerate(series)]


def draw(widget: Widget, series: list[Plotted]) -> bytes:
    image = Image.new("RGB", (widget.width, widget.height), "white")
    canvas = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=11 if widget.height >= 150 else 9)
    top = _PAD
    if widget.title:
        canvas.text((_PAD, top), widget.title, fill=_TEXT, font=ImageFont.load_default(size=13))
        top += 20
    area = (0, top, widget.width, widget.height)
    if widget.legend != "hidden" and series:
        area = _legend(canvas, font, series, widget, area)
    if widget.view == "timeSeries":
        _time_series(image, canvas, font, widget, series, area)
    else:
        latest = [(one, _latest(one.values)) for one in series]
        shown = [(one, value) for one, value in latest if value is not None]
        if not shown:
            _no_data(canvas, font, area)
        elif widget.view == "bar":
            _bars(canvas, font, widget, shown, area)
        else:
            _pie(canvas, shown, area)
    buffer = BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _legend(canvas: ImageDraw.ImageDraw, font: ImageFont.FreeTypeFont | ImageFont.ImageFont, series: list[Plotted],
            widget: Widget, area: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    """Draw the legend at the bottom or on the right of ``area``; the area left for the graph."""
    left, top, right, bottom = area
    entries = [(one, _fit(canvas, font, one.label, max(widget.width // 2 - 24, 10))) for one in series]
    widths = [14 + int(canvas.textlength(label, font=font)) + 12 for _, label in entries]
    if widget.legend == "right":
        column = min(max(widths), widget.width // 3)
        y = top + _PAD
        for one, label in entries:
            if y + 14 > bottom:
                break
            _swatch(canvas, right - column, y, one.color)
            canvas.text((right - column + 14, y), _fit(canvas, font, label, column - 18), fill=_TEXT, font=font)
            y += 16
        return left, top, right - column - _PAD, bottom
    rows: list[list[int]] = [[]]
    used = _PAD
    for index, width in enumerate(widths):
        if rows[-1] and used + width > right - _PAD:
            rows.append([])
            used = _PAD
        rows[-1].append(index)
        used += width
    rows = rows[:max(1, (bottom - top) // 64)]  # the legend leaves most of the height to the graph
    y = bottom - 16 * len(rows) - _PAD // 2
    for row in rows:
        x = left + _PAD
        for index in row:
            one, label = entries[index]
            _swatch(canvas, x, y + 1, one.color)
            canvas.text((x + 14, y), label, fill=_TEXT, font=font)
            x += widths[index]
        y += 16
    return left, top, right, bottom - 16 * len(rows) - _PAD


def _swatch(canvas: ImageDraw.ImageDraw, x: int, y: int, color: str) -> None:
    canvas.rectangle((x, y + 2, x + 9, y + 9), fill=color)


def _fit(canvas: ImageDraw.ImageDraw, font: ImageFont.FreeTypeFont | ImageFont.ImageFont, text: str,
         width: int) -> str:
    """The text, cut short with an ellipsis to fit ``width`` pixels."""
    if canvas.textlength(text, font=font) <= width:
        return text
    while text and canvas.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text + "…"


@dataclass(frozen=True)
class _Plot:
    """The graph's rectangle on the image and how times and values map into it (left and right axes)."""

    x0: int
    y0: int
    x1: int
    y1: int
    start: datetime
    seconds: float  # the time range's length
    scales: dict[bool, tuple[float, float]]  # right axis? → its low and high values

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        return self.y1 - self.y0

    def x_of(self, moment: datetime) -> float:
        return (moment - self.start).total_seconds() / self.seconds * self.width

    def y_of(self, value: float, right: bool = False) -> float:
        low, high = self.scales[right]
        return (high - value) / (high - low) * self.height


def _time_series(image: Image.Image, canvas: ImageDraw.ImageDraw,
                 font: ImageFont.FreeTypeFont | ImageFont.ImageFont, widget: Widget, series: list[Plotted],
                 area: tuple[int, int, int, int]) -> None:
    ordered = [one for one in series if not one.right] + [one for one in series if one.right]
    levels = _stacked(series, False, widget.stacked) + _stacked(series, True, widget.stacked)
    has_right = len(ordered) > len([one for one in series if not one.right])
    frame = _frame(canvas, font, widget, area, ordered, levels, has_right)
    if frame.width < 10 or frame.height < 10:
        return
    plot = Image.new("RGBA", (frame.width, frame.height), (255, 255, 255, 0))  # apart: what lies outside is cut
    pen = ImageDraw.Draw(plot)
    _grid(canvas, pen, font, widget, frame, has_right)
    for note in widget.horizontal:
        _horizontal(pen, note, lambda value, right=note.right: frame.y_of(value, right), frame.width, frame.height,
                    font)
    for note in widget.vertical:
        _vertical(pen, note, frame.x_of, frame.width, frame.height, font)
    drawn = False
    for one, values in zip(ordered, levels, strict=True):
        points = _thinned([(frame.x_of(moment), frame.y_of(values[moment], one.right)) for moment in sorted(values)],
                          frame.width)
        if len(points) == 1:
            x, y = points[0]
            pen.ellipse((x - 2, y - 2, x + 2, y + 2), fill=one.color)
        elif points:
            # two pixels wide where the points stand apart; one where they crowd (as wide, and far quicker)
            pen.line(points, fill=one.color, width=2 if len(points) * 4 <= frame.width else 1)
        drawn = drawn or bool(points)
    image.paste(plot, (frame.x0, frame.y0), plot)
    canvas.rectangle((frame.x0, frame.y0, frame.x1, frame.y1), outline=_FRAME)
    middle = (frame.y0 + frame.y1) // 2
    if widget.left.label:
        _side_label(image, font, widget.left.label, area[0] + _PAD, middle)
    if has_right and widget.right.label:
        _side_label(image, font, widget.right.label, area[2] - _PAD - 12, middle)
    if not drawn:
        _no_data(canvas, font, (frame.x0, frame.y0, frame.x1, frame.y1))


def _frame(canvas: ImageDraw.ImageDraw, font: ImageFont.FreeTypeFont | ImageFont.ImageFont, widget: Widget,
           area: tuple[int, int, int, int], ordered: list[Plotted], levels: list[Series], has_right: bool) -> _Plot:
    """Each axis' range (from the values drawn on it and its annotations), and the rectangle its labels leave."""
    scales = {}
    for right in (False, True):
        values = [value for one, drawn in zip(ordered, levels, strict=True) if one.right == right
                  for value in drawn.values()]
        values += [value for note in widget.horizontal if note.right == right
                   for value in (note.at, note.until) if isinstance(value, float)]
        scales[right] = _scale(values, widget.right if right else widget.left)
    left_labels = [_number(tick) for tick in _ticks(*scales[False])]
    right_labels = [_number(tick) for tick in _ticks(*scales[True])] if has_right else []
    x0 = area[0] + _PAD + _widest(canvas, font, left_labels) + 6 + (14 if widget.left.label else 0)
    x1 = area[2] - _PAD - (_widest(canvas, font, right_labels) + 6 + (14 if widget.right.label else 0)
                           if has_right else 4)
    return _Plot(x0, area[1] + _PAD, x1, area[3] - 18, widget.start, (widget.end - widget.start).total_seconds(),
                 scales)


def _grid(canvas: ImageDraw.ImageDraw, pen: ImageDraw.ImageDraw, font: ImageFont.FreeTypeFont | ImageFont.ImageFont,
          widget: Widget, frame: _Plot, has_right: bool) -> None:
    """Grid lines at the left axis' ticks and the time ticks, with their labels (and the right axis' ticks)."""
    for tick in _ticks(*frame.scales[False]):
        y = frame.y_of(tick)
        pen.line((0, y, frame.width, y), fill=_GRID)
        canvas.text((frame.x0 - 6, frame.y0 + y), _number(tick), fill=_MUTED, font=font, anchor="rm")
    if has_right:
        for tick in _ticks(*frame.scales[True]):
            canvas.text((frame.x1 + 6, frame.y0 + frame.y_of(tick, True)), _number(tick), fill=_MUTED, font=font,
                        anchor="lm")
    for moment, text in _time_ticks(widget, frame.width):
        x = frame.x_of(moment)
        pen.line((x, 0, x, frame.height), fill=_GRID)
        canvas.text((frame.x0 + x, frame.y1 + 3), text, fill=_MUTED, font=font, anchor="mt")


def _thinned(points: list[tuple[float, float]], width: int) -> list[tuple[float, float]]:
    """A line's points, at most the lowest and highest of each pixel column where it has more than the image can
    show: the same drawing, and a bounded one for a fortnight of minutes."""
    if len(points) <= 2 * width:
        return points
    kept: list[tuple[float, float]] = []
    column: list[tuple[float, float]] = []
    for point in points:
        if column and int(point[0]) != int(column[0][0]):
            kept += _extremes(column)
            column = []
        column.append(point)
    return kept + _extremes(column)


def _extremes(column: list[tuple[float, float]]) -> list[tuple[float, float]]:
    low, high = min(column, key=lambda point: point[1]), max(column, key=lambda point: point[1])
    return [low] if low is high else sorted((low, high))


def _stacked(series: list[Plotted], right: bool, stacked: bool) -> list[Series]:
    """The values drawn for one axis' series: each series' own, or, stacked, added to those of the series before
    it at the same moments."""
    mine = [one.values for one in series if one.right == right]
    if not stacked:
        return mine
    drawn, below = [], {}
    for values in mine:
        level = {moment: below.get(moment, 0.0) + value for moment, value in values.items()}
        below.update(level)
        drawn.append(level)
    return drawn


def _scale(values: list[float], axis: Axis) -> tuple[float, float]:
    """The axis' low and high values: as set, or from the values (from 0 when none is negative), to round ticks."""
    low = axis.minimum if axis.minimum is not None else min([0.0, *values])
    high = axis.maximum if axis.maximum is not None else max([low, *values])
    if high <= low:
        high = low + (abs(low) or 1.0)
    step = _step((high - low) / 5)
    if axis.minimum is None:
        low = math.floor(low / step) * step
    if axis.maximum is None:
        high = math.ceil(high / step) * step
    return low, high


def _step(rough: float) -> float:
    """A round step (1, 2 or 5 times a power of ten) near ``rough``."""
    power = 10 ** math.floor(math.log10(rough))
    return next(multiple * power for multiple in (1, 2, 5, 10) if multiple * power >= rough)


def _ticks(low: float, high: float) -> list[float]:
    step = _step((high - low) / 5)
    first = math.ceil(low / step - 1e-9)
    return [index * step for index in range(first, first + 12) if index * step <= high + step * 1e-9]


def _number(value: float) -> str:
    if value and (abs(value) >= 1e6 or abs(value) < 1e-3):
        return f"{value:.3g}"
    return f"{value:,.6g}" if abs(value) >= 1000 else f"{round(value, 6):g}"


def _widest(canvas: ImageDraw.ImageDraw, font: ImageFont.FreeTypeFont | ImageFont.ImageFont,
            labels: list[str]) -> int:
    return max((int(canvas.textlength(label, font=font)) for label in labels), default=0)


def _time_ticks(widget: Widget, width: int) -> list[tuple[datetime, str]]:
    """Moments to mark on the time axis, a round step apart in the widget's time zone, at most one per 70 pixels."""
    span = widget.end - widget.start
    most = max(1, width // 70)
    step = next((step for step in _TIME_STEPS if span / step <= most), _TIME_STEPS[-1])
    local = widget.start.astimezone(widget.zone)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    moment = midnight + step * math.ceil((local - midnight) / step)
    shape = "%H:%M" if span <= timedelta(days=1) else "%m/%d" if step >= timedelta(days=1) else "%m/%d %H:%M"
    ticks = []
    while moment <= widget.end and len(ticks) < most + 1:
        ticks.append((moment, moment.strftime(shape)))
        moment += step
    return ticks


def _horizontal(pen: ImageDraw.ImageDraw, note: Annotation, y_of, width: int, height: int,
                font: ImageFont.FreeTypeFont | ImageFont.ImageFont) -> None:
    color = note.color or ANNOTATION_COLOR
    y = y_of(note.at)
    if note.until is not None:
        edge = y_of(note.until)
        pen.rectangle((0, min(y, edge), width, max(y, edge)), fill=_translucent(color))
    elif note.fill:
        pen.rectangle((0, 0, width, y) if note.fill == "above" else (0, y, width, height), fill=_translucent(color))
    pen.line((0, y, width, y), fill=color, width=1)
    if note.label:
        pen.text((width - 4, y - 2), note.label, fill=color, font=font, anchor="rb")


def _vertical(pen: ImageDraw.ImageDraw, note: Annotation, x_of, width: int, height: int,
              font: ImageFont.FreeTypeFont | ImageFont.ImageFont) -> None:
    color = note.color or ANNOTATION_COLOR
    x = x_of(note.at)
    if isinstance(note.until, datetime):
        edge = x_of(note.until)
        pen.rectangle((min(x, edge), 0, max(x, edge), height), fill=_translucent(color))
    elif note.fill:
        pen.rectangle((0, 0, x, height) if note.fill == "before" else (x, 0, width, height),
                      fill=_translucent(color))
    pen.line((x, 0, x, height), fill=color, width=1)
    if note.label:
        pen.text((x + 3, 3), note.label, fill=color, font=font)


def _translucent(color: str) -> tuple[int, int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16), 40


def _side_label(image: Image.Image, font: ImageFont.FreeTypeFont | ImageFont.ImageFont, text: str, x: int,
                middle: int) -> None:
    """An axis label, written upwards along the axis."""
    width = int(ImageDraw.Draw(image).textlength(text, font=font)) + 2
    label = Image.new("RGBA", (width, 14), (255, 255, 255, 0))
    ImageDraw.Draw(label).text((0, 0), text, fill=_MUTED, font=font)
    turned = label.rotate(90, expand=True)
    image.paste(turned, (x, max(0, middle - width // 2)), turned)


def _latest(values: Series) -> float | None:
    return values[max(values)] if values else None


def _bars(canvas: ImageDraw.ImageDraw, font: ImageFont.FreeTypeFont | ImageFont.ImageFont, widget: Widget,
          shown: list[tuple[Plotted, float]], area: tuple[int, int, int, int]) -> None:
    low, high = _scale([value for _, value in shown], widget.left)
    labels = [_number(tick) for tick in _ticks(low, high)]
    x0, x1 = area[0] + _PAD + _widest(canvas, font, labels) + 6, area[2] - _PAD
    y0, y1 = area[1] + _PAD, area[3] - _PAD
    if x1 - x0 < 10 or y1 - y0 < 10:
        return

    def y_of(value: float) -> float:
        return y0 + (high - min(max(value, low), high)) / (high - low) * (y1 - y0)

    for tick in _ticks(low, high):
        canvas.line((x0, y_of(tick), x1, y_of(tick)), fill=_GRID)
        canvas.text((x0 - 6, y_of(tick)), _number(tick), fill=_MUTED, font=font, anchor="rm")
    slot = (x1 - x0) / len(shown)
    for index, (one, value) in enumerate(shown):
        left = x0 + slot * index + slot * 0.15
        right = x0 + slot * (index + 1) - slot * 0.15
        base, top = y_of(max(low, 0.0)), y_of(value)
        canvas.rectangle((left, min(base, top), max(right, left + 1), max(base, top)), fill=one.color)
    canvas.rectangle((x0, y0, x1, y1), outline=_FRAME)


def _pie(canvas: ImageDraw.ImageDraw, shown: list[tuple[Plotted, float]], area: tuple[int, int, int, int]) -> None:
    slices = [(one, value) for one, value in shown if value > 0]
    total = sum(value for _, value in slices)
    size = min(area[2] - area[0], area[3] - area[1]) - 2 * _PAD
    if size < 4 or total <= 0:
        return
    left = (area[0] + area[2] - size) / 2
    top = (area[1] + area[3] - size) / 2
    angle = -90.0
    for one, value in slices:
        sweep = value / total * 360
        canvas.pieslice((left, top, left + size, top + size), angle, angle + sweep, fill=one.color, outline="white")
        angle += sweep


def _no_data(canvas: ImageDraw.ImageDraw, font: ImageFont.FreeTypeFont | ImageFont.ImageFont,
             area: tuple[int, int, int, int]) -> None:
    canvas.text(((area[0] + area[2]) / 2, (area[1] + area[3]) / 2), "No data available.", fill=_MUTED, font=font,
                anchor="mm")
