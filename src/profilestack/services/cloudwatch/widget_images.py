"""GetMetricWidgetImage: a metric widget's graph as a PNG image, its data read as GetMetricData reads it."""

from __future__ import annotations

from typing import Any

from profilestack.gateway.context import CallContext
from profilestack.gateway.errors import AwsError
from profilestack.gateway.http import RawBody
from profilestack.services.cloudwatch.handlers import cloudwatch
from profilestack.services.cloudwatch.metric_queries import query_series, returned_series, rounded_start
from profilestack.services.cloudwatch.widget_spec import WidgetError, read_widget


def _invalid(message: str) -> AwsError:
    return AwsError("InvalidParameterInput", message, 400)


@cloudwatch.operation("GetMetricWidgetImage")
def get_metric_widget_image(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any] | RawBody:
    output = params.get("OutputFormat", "png")
    if output not in ("png", "image/png"):
        raise _invalid(f"OutputFormat {output} is not supported: png (the image in MetricWidgetImage, what the SDKs "
                       "ask for) or image/png (the image as the response's body).")
    from profilestack.services.cloudwatch.widget_drawing import colored, draw  # Pillow loads on first use

    now = ctx.now()
    try:
        widget = read_widget(params["MetricWidget"], now, ctx.region, ctx.account)
    except WidgetError as exc:
        raise _invalid(str(exc)) from exc
    results = query_series(ctx.db, ctx.account, ctx.region, widget.queries, rounded_start(widget.start, now),
                           widget.end, widget.zone)
    shown = [(label, values, line.color, line.right) for line in widget.lines if line.visible
             for label, values in returned_series(line.query, results[line.query["Id"]], widget.zone)]
    image = draw(widget, colored(shown))
    return RawBody("image/png", image) if output == "image/png" else {"MetricWidgetImage": image}
