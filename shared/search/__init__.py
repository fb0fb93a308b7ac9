"""Directory search: bilingual relevance, places, opening hours, per-region Tantivy indexes versioned in S3.

Interface for the routes: `params.SearchParams`, `engine.search`, `engine.search_taxonomy_terms`; for the
listing pipeline: `indexer.rebuild_region` / `rebuild_all`. Design and measured figures: docs/SEARCH.md.
"""
