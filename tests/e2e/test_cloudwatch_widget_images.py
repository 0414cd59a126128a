"""CloudWatch GetMetricWidgetImage: a metric widget drawn as a PNG graph from the metrics' data, read back here
with Pillow and checked by the colors each series, bar, slice and annotation was given."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from io import BytesIO
from urllib.parse import urlencode

import pytest
from PIL import Image

from tests.conftest import Server
from tests.e2e.cli import AwsCli
from tests.e2e.errors import refused
from tests.e2e.identities import make_user, unique
from tests.e2e.wire import send, signed_request

PINK, BLUE, GREEN, ORANGE = "#ff00ff", "#0000ff", "#00ff00", "#ffaa00"


def _rgb(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def _pixels(png: bytes, color: str) -> int:
    """How many pixels of the image are exactly ``color``."""
    image = Image.open(BytesIO(png)).convert("RGB")
    counts = dict((rgb, count) for count, rgb in image.getcolors(image.width * image.height))
    return counts.get(_rgb(color), 0)


class Shop:
    """Two stores' orders, one data point every two minutes for the last hour: Lisbon 10, Porto 40."""

    def __init__(self, server: Server) -> None:
        self.cloudwatch = server.client("cloudwatch")
        self.namespace = unique("Shop")
        now = datetime.now(UTC)
        for minutes in range(0, 60, 2):
            self.cloudwatch.put_metric_data(Namespace=self.namespace, MetricData=[
                {"MetricName": "Orders", "Dimensions": [{"Name": "Store", "Value": store}], "Value": value,
                 "Timestamp": now - timedelta(minutes=minutes)} for store, value in (("Lisbon", 10), ("Porto", 40))])

    def lisbon(self, **options: object) -> list:
        return [self.namespace, "Orders", "Store", "Lisbon", options] if options else [
            self.namespace, "Orders", "Store", "Lisbon"]

    def image(self, **widget: object) -> bytes:
        png = self.cloudwatch.get_metric_widget_image(MetricWidget=json.dumps(widget))["MetricWidgetImage"]
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        return png


@pytest.fixture
def shop(server: Server) -> Shop:
    return Shop(server)


def test_series_expressions_and_annotations_are_drawn_in_their_colors(shop: Shop) -> None:
    png = shop.image(
        title="Orders", period=300, stat="Sum", legend={"position": "hidden"},
        metrics=[shop.lisbon(color=PINK, id="lisbon"), [".", ".", ".", "Porto", {"color": GREEN, "visible": False}],
                 [{"expression": "lisbon * 2 + m2", "color": BLUE, "label": "weighted"}]],
        annotations={"horizontal": [{"value": 100, "label": "goal", "color": ORANGE}]})
    image = Image.open(BytesIO(png))
    assert (image.format, image.size) == ("PNG", (600, 400))  # the documented default size
    assert _pixels(png, PINK) > 100 and _pixels(png, BLUE) > 100  # a metric and an expression reading it
    assert _pixels(png, GREEN) == 0  # a hidden metric is read (the expression uses it), not drawn
    assert _pixels(png, ORANGE) > 300  # the goal's line crosses the graph

    small = shop.image(width=300, height=200, legend={"position": "hidden"}, metrics=[shop.lisbon(color=PINK)])
    assert Image.open(BytesIO(small)).size == (300, 200) and _pixels(small, PINK) > 50
    nothing = shop.image(legend={"position": "hidden"}, metrics=[[shop.namespace, "Refunds", {"color": PINK}]])
    assert _pixels(nothing, PINK) == 0  # no data: "No data available." and no line
    cut_off = shop.image(legend={"position": "hidden"}, yAxis={"left": {"min": 0, "max": 5}},
                         metrics=[shop.lisbon(color=PINK)])
    assert _pixels(cut_off, PINK) == 0  # Lisbon's 10 lies above the axis' maximum
    shown = shop.image(legend={"position": "bottom"}, metrics=[[shop.namespace, "Refunds", {"color": PINK}]])
    assert _pixels(shown, PINK) > 0  # the legend's swatch


def test_bars_and_slices_are_as_large_as_the_latest_values(shop: Shop) -> None:
    metrics = [shop.lisbon(color=PINK), [".", ".", ".", "Porto", {"color": BLUE}]]
    for view in ("bar", "pie"):
        png = shop.image(view=view, legend={"position": "hidden"}, metrics=metrics, period=60,
                         start="-PT30M")
        lisbon, porto = _pixels(png, PINK), _pixels(png, BLUE)
        assert lisbon > 100 and 3.5 < porto / lisbon < 4.5, view  # 40 against 10
    whole = shop.image(view="bar", setPeriodToTimeRange=True, stat="Sum", legend={"position": "hidden"},
                       metrics=metrics, start="-PT30M")
    assert 3.5 < _pixels(whole, BLUE) / _pixels(whole, PINK) < 4.5  # the half hour's sums: 600 against 150


def test_the_aws_cli_saves_the_image(shop: Shop, server: Server) -> None:
    aws = AwsCli(server.endpoint)
    answer = aws("cloudwatch", "get-metric-widget-image", "--output-format", "png", "--metric-widget",
                 json.dumps({"metrics": [shop.lisbon(color=PINK)], "legend": {"position": "hidden"}}))
    png = base64.b64decode(answer["MetricWidgetImage"])
    assert _pixels(png, PINK) > 100


def test_a_hand_made_request_may_take_the_image_as_the_body(shop: Shop, server: Server) -> None:
    widget = json.dumps({"metrics": [shop.lisbon(color=PINK)], "legend": {"position": "hidden"}})
    form = urlencode({"Action": "GetMetricWidgetImage", "Version": "2010-08-01", "MetricWidget": widget,
                      "OutputFormat": "image/png"})
    status, headers, body = send(signed_request(f"{server.endpoint}/", "monitoring", "us-east-1", body=form,
                                                headers={"Content-Type": "application/x-www-form-urlencoded"}))
    assert (status, headers["content-type"], body[:8]) == (200, "image/png", b"\x89PNG\r\n\x1a\n")
    assert headers["x-amzn-requestid"] and _pixels(body, PINK) > 100


def test_widgets_that_cannot_be_drawn_are_refused(shop: Shop, server: Server) -> None:
    lisbon = shop.lisbon()
    for widget, message in [
        ("{not json", "MetricWidget is not valid JSON"),
        ("[" * 3000, "MetricWidget is not valid JSON"),  # deeper than Python's reader goes (once a 500)
        ([], "MetricWidget is a JSON object."),
        ({}, "metrics is an array of 1 to 100"),
        ({"metrics": [lisbon] * 101}, "metrics is an array of 1 to 100"),
        ({"metrics": [[".", "Orders"]]}, '"." repeats the part above it'),
        ({"metrics": [[shop.namespace, "Orders", "Store"]]}, "dimension name and value pairs"),
        ({"metrics": [[{"label": "x"}]]}, "has neither a metric nor an expression"),
        ({"metrics": [lisbon], "view": "gauge"}, "view gauge cannot be drawn"),
        ({"metrics": [lisbon], "width": 5000}, "width is a number of pixels from 1 to 2000"),
        ({"metrics": [lisbon], "start": "-PT1H", "end": "-PT2H"}, "start must be before end"),
        ({"metrics": [lisbon], "start": "yesterday"}, "start yesterday is not an ISO 8601 time"),
        ({"metrics": [lisbon], "region": "eu-west-1"}, "is not the region called (us-east-1)"),
        ({"metrics": [[*lisbon, {"color": "pink"}]]}, "a color is written #rrggbb"),
        ({"metrics": [lisbon], "yAxis": {"left": {"min": 5, "max": 1}}}, "yAxis.left.min must be less"),
        ({"metrics": [lisbon], "annotations": {"horizontal": [{"value": "high"}]}}, "value is a number"),
    ]:
        text = widget if isinstance(widget, str) else json.dumps(widget)
        code, said = refused(shop.cloudwatch.get_metric_widget_image, MetricWidget=text)
        assert code == "InvalidParameterInput" and message in said, (widget, said)
    assert refused(shop.cloudwatch.get_metric_widget_image, MetricWidget=json.dumps(
        {"metrics": [[{"expression": "nowhere * 2"}]]}))[0] == "InvalidParameterValue"
    assert refused(shop.cloudwatch.get_metric_widget_image, OutputFormat="jpeg",
                   MetricWidget=json.dumps({"metrics": [lisbon]}))[0] == "InvalidParameterInput"
    outsider = make_user(server)
    assert refused(outsider.client("cloudwatch").get_metric_widget_image,
                   MetricWidget=json.dumps({"metrics": [lisbon]}))[0] == "AccessDenied"
