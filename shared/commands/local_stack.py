"""`referral211 up`: the whole platform locally, with no AWS account and no Docker.

1. moto's server starts inside this process (the embedded AWS) and the environment points every client at it;
2. the resources of infra/template.yaml are created on it with CloudFormation (stack `referral211-<stage>`);
3. the directory is seeded (sample, file, or nothing);
4. the Chalice app is served over HTTP and the workers start (shared/local_stack/workers.py);
5. Ctrl-C (SIGINT) or SIGTERM stops workers, server and moto, and the command exits 0.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

from shared.commands.seed import DEFAULT_SEED_VALUE, DEFAULT_SIZE, SeedError, seed_from_options
from shared.infra_template import PROJECT_ROOT, TemplateError
from shared.local_stack.aws import port_is_free


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Start the whole platform locally: embedded AWS (moto), resources from infra/template.yaml,\n"
        "the sample directory, the HTTP API and the workers. Ctrl-C stops everything.\n"
        "Démarre toute la plateforme en local : AWS embarqué (moto), ressources, répertoire d'exemple,\n"
        "API HTTP et consommateurs. Ctrl-C arrête tout."
    )
    parser.add_argument("--port", type=int, default=8000, help="HTTP API port (default 8000)")
    parser.add_argument("--aws-port", type=int, default=4566, help="embedded AWS port (default 4566)")
    parser.add_argument("--web-port", type=int, default=8080, help="web pages port (default 8080; 0: no pages)")
    parser.add_argument("--host", default="127.0.0.1", help="HTTP API address (default 127.0.0.1)")
    parser.add_argument(
        "--seed",
        default="sample",
        metavar="none|sample|FILE",
        help="directory content: none, the sample (default), or an HSDS JSON file",
    )
    parser.add_argument(
        "--size", type=int, default=DEFAULT_SIZE, help=f"services in the sample (default {DEFAULT_SIZE})"
    )
    parser.add_argument("--seed-value", type=int, default=DEFAULT_SEED_VALUE, help=argparse.SUPPRESS)
    parser.add_argument(
        "--stage", default="local", help="stage: resource names and .chalice stage (default local)"
    )
    parser.add_argument("--app", default="app:app", help=argparse.SUPPRESS)


def say(line: str = "") -> None:
    print(line, flush=True)


class _Shutdown:
    """Things to stop, in reverse order of start, whatever happened in between."""

    def __init__(self) -> None:
        self._steps: list[tuple[str, Callable[[], Any]]] = []

    def add(self, name: str, stop: Callable[[], Any]) -> None:
        self._steps.append((name, stop))

    def run(self) -> None:
        while self._steps:
            name, stop = self._steps.pop()
            try:
                stop()
            except Exception as error:  # keep stopping the rest
                print(f"referral211 up: stopping {name} failed: {error}", file=sys.stderr)


def run(options: argparse.Namespace) -> int:
    stopping = threading.Event()
    shutdown = _Shutdown()
    try:
        return _run(options, stopping, shutdown)
    except KeyboardInterrupt:
        say("\nInterrupted during start-up / Interrompu pendant le démarrage.")
        return 0
    finally:
        shutdown.run()


def _interrupt(signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _run(options: argparse.Namespace, stopping: threading.Event, shutdown: _Shutdown) -> int:
    started = time.monotonic()
    signal.signal(signal.SIGTERM, _interrupt)  # during start-up, SIGTERM stops like Ctrl-C
    for label, host, port, flag in (
        ("embedded AWS", "127.0.0.1", options.aws_port, "--aws-port"),
        ("HTTP API", options.host, options.port, "--port"),
        *([("web pages", options.host, options.web_port, "--web-port")] if options.web_port else []),
    ):
        if not port_is_free(host, port):
            print(
                f"referral211 up: port {port} ({label}) is already in use; choose another with {flag} "
                f"/ le port {port} est déjà utilisé : {flag} pour en choisir un autre.",
                file=sys.stderr,
            )
            return 1

    from shared.config import get_settings, reset_settings
    from shared.local_stack.aws import apply_environment, provision_stack, start_embedded_aws

    say(f"Starting the embedded AWS (moto) on 127.0.0.1:{options.aws_port}… / Démarrage de l'AWS embarqué…")
    aws = start_embedded_aws(options.aws_port)
    shutdown.add("embedded AWS", aws.stop)

    say(
        f"Creating resources from infra/template.yaml (stack referral211-{options.stage})… "
        "/ Création des ressources…"
    )
    try:
        provisioned = provision_stack(options.stage)
    except TemplateError as error:
        print(f"referral211 up: {error}", file=sys.stderr)
        return 1
    if provisioned.created_directly:
        say(
            "  created directly (moto's CloudFormation skips them): "
            + ", ".join(provisioned.created_directly)
        )
    api_host = "127.0.0.1" if options.host in ("0.0.0.0", "") else options.host
    apply_environment({"REFERRAL211_STAGE": options.stage, **provisioned.variables})

    from shared.local_stack.server import ApiServer, apply_stage_environment, load_app

    apply_stage_environment(options.stage)
    os.environ.setdefault("REFERRAL211_DEV_KEY_PATH", str(PROJECT_ROOT / ".local" / "dev-jwt-key.pem"))
    reset_settings()
    settings = get_settings()

    if options.seed != "none":
        try:
            seed_from_options(
                settings.directory_table,
                size=options.size,
                seed_value=options.seed_value,
                file=None if options.seed == "sample" else options.seed,
            )
        except SeedError as error:
            print(f"referral211 up: {error}", file=sys.stderr)
            return 2
        # The phone and chat configuration of the 17 regions and the common centre (shared/channels).
        from shared.channels.region_store import RegionStore
        from shared.channels.repository import ChannelsRepository

        RegionStore(ChannelsRepository(settings.channels_table)).seed()

    app = load_app(options.app)
    try:
        server = ApiServer(app, stage=options.stage, host=options.host, port=options.port)
    except OSError as error:
        print(f"referral211 up: cannot listen on {options.host}:{options.port}: {error}", file=sys.stderr)
        return 1
    os.environ["REFERRAL211_PUBLIC_BASE_URL"] = f"http://{api_host}:{server.port}"
    reset_settings()
    server.start()
    shutdown.add("HTTP API", server.stop)

    web_url = ""
    if options.web_port:
        from shared.local_stack.web import WebServer

        web = WebServer(
            api_url=f"http://{api_host}:{server.port}",
            upload_url=aws.endpoint_url,
            host=options.host,
            port=options.web_port,
        )
        web.start()
        shutdown.add("web pages", web.stop)
        web_url = f"http://{api_host}:{web.port}"

    from shared.local_stack.workers import start_workers

    workers = start_workers(provisioned.outputs)
    shutdown.add("workers", workers.stop)

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    _announce(
        api_url=f"http://{api_host}:{server.port}",
        web_url=web_url,
        endpoint=aws.endpoint_url,
        region=aws.region,
        stage=options.stage,
        outputs=provisioned.outputs,
        workers=workers.describe(),
        seconds=time.monotonic() - started,
    )
    while not stopping.wait(0.5):
        pass
    say("Stopping: workers, HTTP API, embedded AWS… / Arrêt en cours…")
    return 0


def _announce(
    *,
    api_url: str,
    web_url: str,
    endpoint: str,
    region: str,
    stage: str,
    outputs: dict[str, str],
    workers: list[str],
    seconds: float,
) -> None:
    width = max((len(name) for name in outputs), default=0)
    table = outputs.get("DirectoryTableName", "")
    lines = [
        "",
        f"referral211 is ready in {seconds:.1f} s / referral211 est prêt (stage {stage})",
        "",
        f"  API                {api_url}/",
        *([f"  Web pages          {web_url}/   (directory / répertoire; admin.html; stats.html)"] if web_url else []),
        f"  Embedded AWS       {endpoint}   (moto, region {region}; AWS embarqué)",
        "",
        "  Resources (stack outputs) / Ressources (sorties de la pile) :",
        *(f"    {name:<{width}}  {value}" for name, value in outputs.items()),
        "",
        "  Use the embedded AWS from another terminal / Utiliser l'AWS embarqué depuis un autre terminal :",
        f"    export AWS_ENDPOINT_URL={endpoint} AWS_DEFAULT_REGION={region} "
        "AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing",
        f"    aws dynamodb describe-table --table-name {table}",
        "    referral211 seed --file my-directory.json   (an HSDS file / un fichier HSDS)",
        "",
        "  Token, from the project directory / Jeton, depuis le dossier du projet :",
        "    TOKEN=$(referral211 token --role region-admin --region 02)",
        "",
        "  Try / Essayez :",
        f"    curl '{api_url}/'",
        f"    curl '{api_url}/services?per_page=5&lang=en'",
        f"    curl '{api_url}/services?per_page=5&lang=fr'",
        f"    curl -H \"Authorization: Bearer $TOKEN\" '{api_url}/me'",
        "",
        "  Workers / Consommateurs :",
        *(f"    {line}" for line in workers or ["none registered yet / aucun pour l'instant"]),
        "",
        "Ctrl-C stops everything / Ctrl-C arrête tout.",
    ]
    say("\n".join(lines))
