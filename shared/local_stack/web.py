"""The web pages (web/) over HTTP for the local stack, as CloudFront serves them from S3 on AWS.

The pages are static files; the only generated one is `config.json`, which tells the pages where the API is
(on AWS, `referral211 web publish` writes it into the bucket; shared/web_assets.py). The pages call the API
cross-origin, exactly as they do on AWS, so CORS is exercised locally too.
"""

from __future__ import annotations

import json
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from shared.local_stack.server import ThreadedServer
from shared.web_assets import WEB_ROOT, content_type, security_headers, web_config


class _Handler(SimpleHTTPRequestHandler):
    config: bytes = b"{}"
    headers_sent: dict[str, str] = {}

    def end_headers(self) -> None:
        for name, value in self.headers_sent.items():
            self.send_header(name, value)
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def guess_type(self, path: Any) -> str:
        return content_type(str(path))

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if self.path.split("?", 1)[0] == "/config.json":
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(self.config)))
            self.end_headers()
            self.wfile.write(self.config)
            return
        super().do_GET()

    def log_message(self, format: str, *args: Any) -> None:  # quiet: the API server logs the requests
        return


class WebServer(ThreadedServer):
    """Serves web/ on host:port in a daemon thread; the socket is bound on construction. `upload_url`: where
    presigned uploads go (the embedded AWS), allowed by the pages' CSP."""

    def __init__(
        self,
        *,
        api_url: str,
        upload_url: str = "",
        host: str = "127.0.0.1",
        port: int = 8080,
        root: Path = WEB_ROOT,
    ) -> None:
        handler = type(
            "WebHandler",
            (_Handler,),
            {
                "config": json.dumps(web_config(api_url)).encode(),
                "headers_sent": security_headers(api_url, (upload_url,) if upload_url else ()),
            },
        )
        server = ThreadingHTTPServer((host, port), partial(handler, directory=str(root)))
        server.daemon_threads = True
        super().__init__(server, "web-server")
