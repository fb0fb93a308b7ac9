"""One observability setup for every function: Powertools Logger (structured JSON), Metrics (EMF), Tracer.

Import `logger`, `metrics`, `tracer` from here; never create another instance. Log messages are constant strings
with structured fields: `logger.info("lookup answered", route=..., results=...)`.
"""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Metrics, Tracer

SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME", "referral211")
NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "Referral211")

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)
tracer = Tracer(service=SERVICE)
