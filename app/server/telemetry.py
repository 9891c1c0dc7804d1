"""OpenTelemetry for the server: one span per speech session, exporter chosen at start.

The app takes a TracerProvider instead of setting the global one, so tests hand it a
provider with an in-memory exporter and several servers in one process never mix.
"""

from __future__ import annotations

from typing import Final

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter

from app import __version__
from app.errors import ServerError

__all__ = ["SERVICE_NAME", "tracer_provider"]

SERVICE_NAME: Final = "companion-stage-server"


def tracer_provider(
    exporter: str = "none", *, custom: SpanExporter | None = None
) -> TracerProvider:
    """A provider exporting to ``exporter``: none, console, otlp (or a ``custom`` exporter)."""
    provider = TracerProvider(
        resource=Resource.create({"service.name": SERVICE_NAME, "service.version": __version__})
    )
    chosen: SpanExporter | None = custom
    if chosen is None and exporter == "console":
        chosen = ConsoleSpanExporter()
    elif chosen is None and exporter == "otlp":
        try:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
                OTLPSpanExporter,
            )
        except ImportError as exc:
            raise ServerError(
                "the otlp exporter needs the opentelemetry-exporter-otlp-proto-http "
                "package; install it or pick --otel-exporter console",
                reason="otel-exporter-missing",
            ) from exc
        chosen = OTLPSpanExporter()  # endpoint from OTEL_EXPORTER_OTLP_ENDPOINT
    elif chosen is None and exporter != "none":
        raise ServerError(
            f"unknown OpenTelemetry exporter {exporter!r}", reason="otel-exporter-unknown"
        )
    if chosen is not None:
        provider.add_span_processor(BatchSpanProcessor(chosen))
    return provider
