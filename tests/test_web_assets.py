"""The web pages' delivery: CORS on the API, the local web server (config.json, security headers), and
`referral211 web publish` into a bucket. The pages themselves are tested in a browser: tests/e2e/."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from shared.web_assets import WEB_ROOT, content_type, files, security_headers, web_config


def test_api_answers_cross_origin_calls_from_the_pages(api: Any, token: Any) -> None:
    # GIVEN the pages on another origin (CloudFront, or the local web server)
    # WHEN they call a public route and a staff route
    public = api.http.get("/taxonomy_terms?top_only=true", headers={"Origin": "https://web.example"})
    staff = api.http.get("/me", headers={"Authorization": f"Bearer {token('analyst', regions=('02',))}"})
    denied = api.http.get("/me")
    # THEN every answer, errors included, allows the origin to read it, and exposes the download headers
    for answer in (public, staff, denied):
        assert answer.headers["Access-Control-Allow-Origin"] == "*"
        assert "Content-Disposition" in answer.headers["Access-Control-Expose-Headers"]
    assert denied.status_code == 401
    allowed = public.headers["Access-Control-Allow-Headers"]
    assert "Authorization" in allowed and "Idempotency-Key" in allowed and "Accept-Language" in allowed


def test_local_web_server_serves_pages_config_and_security_headers() -> None:
    from shared.local_stack.web import WebServer

    # GIVEN the local web server for an API on port 8765
    server = WebServer(api_url="http://127.0.0.1:8765", port=0)
    server.start()
    try:
        # WHEN a browser asks for the directory page and the config
        with urllib.request.urlopen(f"{server.url}/index.html", timeout=10) as page:
            headers, body = page.headers, page.read().decode()
        with urllib.request.urlopen(f"{server.url}/config.json", timeout=10) as config:
            settings = json.loads(config.read())
    finally:
        server.stop()
    # THEN the page is French HTML with a strict CSP that lets it reach the API and nothing else
    assert headers["Content-Type"].startswith("text/html") and 'lang="fr-CA"' in body
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "connect-src 'self' http://127.0.0.1:8765" in csp
    assert "unsafe-eval" not in csp and headers["X-Content-Type-Options"] == "nosniff"
    assert settings == web_config("http://127.0.0.1:8765")


def test_every_page_loads_only_files_that_exist_and_no_inline_script() -> None:
    import re

    for page in WEB_ROOT.glob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), f"{page.name}: inline script (CSP)"
        assert not re.search(r"\son[a-z]+=", html), f"{page.name}: inline event handler (CSP)"
        for reference in re.findall(r'(?:src|href)="([^"#?:]+)"', html):
            assert (WEB_ROOT / reference).is_file(), f"{page.name} refers to a missing {reference}"


def test_publish_uploads_every_file_with_its_type_and_the_config(aws: dict[str, str]) -> None:
    from shared.aws.clients import client
    from shared.web_assets import publish

    # GIVEN the web bucket of a stack
    s3 = client("s3")
    bucket = next(b["Name"] for b in s3.list_buckets()["Buckets"] if b["Name"].startswith("referral211-test-web-"))
    lines: list[str] = []
    # WHEN the pages are published for an API
    written = publish(bucket, "https://abc.execute-api.ca-central-1.amazonaws.com/api/", progress=lines.append)
    # THEN every file is there with its content type and cache rule, plus config.json naming the API
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]}
    expected = {p.relative_to(WEB_ROOT).as_posix() for p in files()} | {"config.json"}
    assert keys == expected and written == len(expected) and lines
    index = s3.get_object(Bucket=bucket, Key="index.html")
    assert index["ContentType"] == content_type("index.html") and index["CacheControl"] == "no-cache"
    chart = next(k for k in keys if k.endswith("chart.umd.min.js"))
    assert "immutable" in s3.get_object(Bucket=bucket, Key=chart)["CacheControl"]
    config = json.loads(s3.get_object(Bucket=bucket, Key="config.json")["Body"].read())
    assert config["apiBase"] == "https://abc.execute-api.ca-central-1.amazonaws.com/api"


def test_cloudfront_headers_policy_matches_the_local_server() -> None:
    from shared.infra_template import load_template

    # GIVEN the CSP the local server sends for an API origin
    local = security_headers(
        "https://${RestAPI}.execute-api.${AWS::Region}.amazonaws.com",
        (
            "https://${BatchesBucket}.s3.amazonaws.com/uploads/02/x",
            "https://${BatchesBucket}.s3.${AWS::Region}.amazonaws.com/uploads/02/x",
        ),
    )["Content-Security-Policy"]
    # THEN CloudFront's response headers policy sends the same directives
    policy = load_template()["Resources"]["WebHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"]
    deployed = policy["SecurityHeadersConfig"]["ContentSecurityPolicy"]["ContentSecurityPolicy"]["Fn::Sub"]
    normalise = lambda text: sorted(part.strip() for part in " ".join(text.split()).split(";"))  # noqa: E731
    assert normalise(deployed) == normalise(local)
