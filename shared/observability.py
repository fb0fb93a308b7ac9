"""One observability setup for every function: Powertools Logger (structured JSON), Metrics (EMF), Tracer.

Import `logger` and `metrics` from here; never create another instance. Log messages are constant strings with
structured fields: `logger.info("lookup answered", route=..., results=...)`. The Tracer is created on first use
(`get_tracer()`): importing the X-Ray SDK costs about a third of a second of cold start.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

from aws_lambda_powertools import Logger, Metrics

SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME", "referral211")
NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "Referral211")

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)


@lru_cache(maxsize=1)
def get_tracer() -> Any:
    from aws_lambda_powertools import Tracer

    return Tracer(service=SERVICE)
