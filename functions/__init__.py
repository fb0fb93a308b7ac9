"""Thin Lambda handlers and Chalice route groups. Each module parses a request, calls one domain
function in `shared/`, and serialises the answer."""
