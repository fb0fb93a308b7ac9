"""Québec sample data: the gazetteer (regions, MRCs, municipalities, FSAs) and the deterministic sample directory.

- `gazetteer`: real Québec places, read once from `data/gazetteer.json`;
- `generator`: `generate_directory(size, seed)` builds a realistic, bilingual HSDS directory (organisations,
  services, locations, schedules, service areas, categories) that is identical for the same size and seed.
"""
