"""Social analysis: exactly-once statistics from the platform's events, read by analysts.

- `projections`: what each detail-type counts (a registry; one projection per event type);
- `counters`: the statistics table, its key design and the exactly-once writes (seen markers + combined
counters);
- `aggregator`: an SQS batch of EventBridge events -> projections -> one combined write set;
- `event_log`: the raw NDJSON log the aggregator keeps in S3, which `rebuild` recomputes the tables from;
- `tables`: the table catalogue (dimensions, measures, bilingual labels);
- `queries`, `suppression`, `csv_export`: what the analyst API answers.

docs/ANALYTICS.md explains the design and the exactly-once argument.
"""
