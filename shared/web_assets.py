"""The web front end's files (web/) and what serving them needs, locally and on AWS.

- `web_config(api_url)`: the `config.json` the pages read (the API's base URL, the map tiles);
- `security_headers(api_url)`: the headers both the local server and CloudFront's response
  headers policy (infra/template.yaml, WebHeadersPolicy) send;
- `publish(bucket, api_url)`: uploads web/ and config.json to the web bucket (`referral211 web publish`).
"""

from __future__ import annotations

import json
import mimetypes
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from shared.infra_template import PROJECT_ROOT

WEB_ROOT = PROJECT_ROOT / "web"
TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
TILE_ORIGIN = "https://tile.openstreetmap.org"
TILE_ATTRIBUTION = '© <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>'

_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".md": "text/markdown; charset=utf-8",
    ".csv": "text/csv; charset=utf-8",
}


def content_type(path: str) -> str:
    suffix = Path(path).suffix.lower()
    return _TYPES.get(suffix) or mimetypes.guess_type(path)[0] or "application/octet-stream"


def web_config(api_url: str) -> dict[str, Any]:
    return {"apiBase": api_url.rstrip("/"), "tiles": {"url": TILE_URL, "attribution": TILE_ATTRIBUTION}}


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else ""


def security_headers(api_url: str, upload_origins: tuple[str, ...] = ()) -> dict[str, str]:
    """CSP that allows the pages' own files, the API, the presigned uploads (the batches bucket's S3 addresses:
    the admin console PUTs files over 10 MB there) and the map tiles, and nothing else."""
    connect = " ".join(o for o in (_origin(api_url), *(_origin(u) for u in upload_origins)) if o)
    policy = "; ".join(
        [
            "default-src 'self'",
            f"connect-src 'self' {connect}".strip(),
            f"img-src 'self' data: blob: {TILE_ORIGIN}",
            "style-src 'self' 'unsafe-inline'",  # Leaflet and Chart.js position elements with inline styles
            "script-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "frame-ancestors 'none'",
            "form-action 'self'",
        ]
    )
    return {
        "Content-Security-Policy": policy,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "X-Frame-Options": "DENY",
        "Permissions-Policy": "geolocation=(self), camera=(), microphone=()",
    }


def files(root: Path = WEB_ROOT) -> Iterator[Path]:
    """Every file to publish (not the local config.json, which is generated)."""
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.name != "config.json" and not path.name.startswith("."):
            yield path


def publish(bucket: str, api_url: str, *, s3: Any = None, progress: Callable[[str], None] = print) -> int:
    """Uploads web/ and config.json to `bucket`; returns the number of objects written."""
    if s3 is None:
        from shared.aws.clients import client

        s3 = client("s3")
    written = 0
    paths = list(files())
    for index, path in enumerate(paths, 1):
        key = path.relative_to(WEB_ROOT).as_posix()
        cache = "no-cache" if key.endswith(".html") else "public, max-age=3600"
        if key.startswith("vendor/"):
            cache = "public, max-age=31536000, immutable"  # versioned folder names
        s3.put_object(Bucket=bucket, Key=key, Body=path.read_bytes(), ContentType=content_type(key), CacheControl=cache)
        written += 1
        if index % 10 == 0 or index == len(paths):
            progress(f"  {index}/{len(paths)} files")
    s3.put_object(
        Bucket=bucket,
        Key="config.json",
        Body=json.dumps(web_config(api_url)).encode(),
        ContentType=content_type("config.json"),
        CacheControl="no-cache",
    )
    return written + 1
