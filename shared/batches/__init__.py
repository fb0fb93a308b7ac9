"""Listing batches: regional admins import their directory (HSDS JSON, HSDS tabular, CSV template, AIRS XML).

Pipeline, one module per step (docs/BATCHES.md):
  encodings -> parsers (hsds_json, hsds_tabular, csv_template, airs_xml) -> validation -> diff -> duplicates
  -> importer (idempotency, scope, replace guard, versioned writes, events) -> store (batch records and
  reports).
"""
