"""Benchmarks, one module per section (`run(options) -> dict`), printed by `referral211 bench`."""
