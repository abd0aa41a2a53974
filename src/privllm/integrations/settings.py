"""The ``[otel]`` section: OpenTelemetry for every call (``integrations/otel.py``).

``config.py`` composes it into ``Config``; this module needs nothing but pydantic, as
``import privllm`` loads it (the OpenTelemetry SDK loads only when ``enabled``).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from privllm.config_section import Section

__all__ = ["OTelConfig"]


class OTelConfig(Section):
    """OpenTelemetry traces and metrics for every call (``pip install 'privllm[otel]'``).

    Off by default. On, each call gets a span following the GenAI semantic conventions and
    feeds a few metrics; no prompt, answer or detected value ever goes into them (see
    docs/observability.md). The SDK and exporter are yours: unset providers mean the global
    ones (``opentelemetry.trace.set_tracer_provider``).

    >>> OTelConfig().enabled
    False
    """

    enabled: bool = False
    #: In code only: a ``TracerProvider`` to use instead of the global one.
    tracer_provider: Any = Field(default=None, exclude=True, repr=False)
    #: In code only: a ``MeterProvider`` to use instead of the global one.
    meter_provider: Any = Field(default=None, exclude=True, repr=False)
