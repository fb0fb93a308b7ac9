"""Build the deployable artefacts: Chalice's SAM template merged with infra/template.yaml, and the Lambda zip.

Chalice packages only `app.py`, `chalicelib/`, `vendor/` and `requirements.txt`. The build therefore stages a
Chalice project in `build/chalice/` whose `vendor/` holds copies of `functions/` and `shared/` (the contents
of `vendor/` land at the root of the zip, so `import shared...` works in Lambda as it does here), then runs

    chalice --project-dir build/chalice package --stage <stage> --merge-template <template.json> <out>

which writes `<out>/sam.json` and `<out>/deployment.zip` (Chalice downloads Lambda-compatible wheels for the
requirements). The merge template is infra/template.yaml converted to JSON in the staging directory, so the
output stays JSON whatever Chalice's YAML switch would do; infra/template.yaml remains the only source.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from shared.infra_template import PROJECT_ROOT, TEMPLATE_PATH, load_template

# Packages copied into vendor/ (the zip's root) beside app.py.
SOURCE_PACKAGES = ("functions", "shared")
# Workstation tooling (needs moto, PyYAML or the chalice CLI): never imported in Lambda, so left out of the
# zip.
DEV_ONLY = frozenset(
    {
        "shared/cli.py",
        "shared/commands",
        "shared/local_stack",
        "shared/packaging.py",
        "shared/infra_template.py",
        "shared/web_assets.py",
    }
)
_IGNORED_NAMES = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo", "tests", "test_*.py", "*.egg-info")
# Requirements the build leaves out: Chalice adds its own runtime (chalice/app.py) to every package, and
# Lambda's Python runtime provides boto3 and botocore (Chalice's CLI dependencies, such as botocore, have no
# place there).
_PROVIDED = {"chalice", "boto3", "botocore"}
_RUNTIME_PROVIDED_DIR = re.compile(r"^(boto3|botocore|s3transfer)(-[^/]+\.dist-info)?$")
_REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")

DEFAULT_REGION = "ca-central-1"
# A normal build takes well under a minute (wheels are downloaded, not built).
DEFAULT_TIMEOUT = 900.0

Progress = Callable[[str], None]


class PackagingError(Exception):
    """The build could not produce the artefacts; the message says which step failed and why."""


@dataclass(frozen=True)
class PackageResult:
    out_dir: Path
    template: Path
    deployment_zip: Path
    seconds: float


def lambda_requirements(text: str) -> str:
    """requirements.txt for the Lambda package: the project's, without what Chalice or Lambda provide."""
    kept: list[str] = []
    for line in text.splitlines():
        match = _REQUIREMENT_NAME.match(line.split("#", 1)[0])
        if match and match.group(1).lower().replace("_", "-") in _PROVIDED:
            continue
        kept.append(line)
    return "\n".join(kept).strip() + "\n"


def _ignored_in(root: Path) -> Callable[[str, list[str]], set[str]]:
    def ignored(directory: str, names: list[str]) -> set[str]:
        relative = Path(directory).resolve().relative_to(root.resolve())
        dev_only = {name for name in names if (relative / name).as_posix() in DEV_ONLY}
        return set(_IGNORED_NAMES(directory, names)) | dev_only

    return ignored


def stage_project(build_dir: Path, *, root: Path = PROJECT_ROOT, template: Path = TEMPLATE_PATH) -> Path:
    """Lay out a Chalice project in `build_dir` (emptied first); returns the JSON merge template's path."""
    if build_dir.exists():
        shutil.rmtree(build_dir)
    (build_dir / ".chalice").mkdir(parents=True)
    shutil.copy2(root / "app.py", build_dir / "app.py")
    shutil.copy2(root / ".chalice" / "config.json", build_dir / ".chalice" / "config.json")
    requirements = (root / "requirements.txt").read_text(encoding="utf-8")
    (build_dir / "requirements.txt").write_text(lambda_requirements(requirements), encoding="utf-8")
    vendor = build_dir / "vendor"
    if (root / "vendor").is_dir():
        shutil.copytree(root / "vendor", vendor, ignore=_IGNORED_NAMES)
    for package in SOURCE_PACKAGES:
        shutil.copytree(root / package, vendor / package, ignore=_ignored_in(root), dirs_exist_ok=True)
    merge_template = build_dir / "merge-template.json"
    merge_template.write_text(json.dumps(load_template(template), indent=2), encoding="utf-8")
    return merge_template


def strip_runtime_provided(deployment_zip: Path) -> list[str]:
    """Remove boto3, botocore and s3transfer that dependencies (e.g. aws-xray-sdk) pulled into the zip.

    Lambda's Python runtime provides them; a copy in the zip would shadow the runtime's boto3 stack with
    mismatched versions and adds ~16 MB. Returns the top-level names removed.
    """

    def provided(name: str) -> bool:
        top = name.split("/", 1)[0]
        return bool(_RUNTIME_PROVIDED_DIR.match(top))

    with zipfile.ZipFile(deployment_zip) as source:
        entries = source.infolist()
        removed = sorted({e.filename.split("/", 1)[0] for e in entries if provided(e.filename)})
        if not removed:
            return []
        rewritten = deployment_zip.with_suffix(".tmp")
        with zipfile.ZipFile(rewritten, "w", compression=zipfile.ZIP_DEFLATED) as target:
            for entry in entries:
                if not provided(entry.filename):
                    target.writestr(entry, source.read(entry), compress_type=zipfile.ZIP_DEFLATED)
    rewritten.replace(deployment_zip)
    return removed


def _run_with_timeout(
    command: list[str], environment: dict[str, str], timeout: float
) -> tuple[int | None, str]:
    """Run in its own process group so a timeout also stops pip and compilers Chalice started."""
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=environment,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        return None, output or ""
    return process.returncode, output or ""


def _dependency_notes(output: str) -> str:
    """The lines of Chalice's debug log about dependencies (which wheel it looked for, what it built)."""
    notes = [line for line in output.splitlines() if "chalice.deploy.packager" in line]
    telling = [line for line in notes if re.search(r"incompatible|missing|sdist|[Bb]uild", line)]
    return "\n".join((telling or notes)[-12:]) or output[-2000:]


def _chalice_command() -> list[str]:
    beside_python = Path(sys.executable).with_name("chalice")
    if beside_python.exists():
        return [str(beside_python)]
    found = shutil.which("chalice")
    if found:
        return [found]
    return [sys.executable, "-c", "import sys; from chalice.cli import main; sys.exit(main())"]


def point_staff_authorizer_at_user_pool(template_path: Path) -> None:
    """Chalice writes the staff routes' Cognito authorizer (functions/http.py: STAFF) with a placeholder ARN; the
    pool is created by infra/template.yaml in the same stack, so its ARN becomes `Fn::GetAtt [UserPool, Arn]`."""
    from functions.http import STAFF_AUTHORIZER_NAME

    document = json.loads(template_path.read_text(encoding="utf-8"))
    api = document.get("Resources", {}).get("RestAPI", {}).get("Properties", {}).get("DefinitionBody", {})
    authorizer = api.get("securityDefinitions", {}).get(STAFF_AUTHORIZER_NAME)
    if authorizer is None:
        raise PackagingError("the staff routes lost their Cognito authorizer (functions/http.py: STAFF)")
    authorizer["x-amazon-apigateway-authorizer"]["providerARNs"] = [{"Fn::GetAtt": ["UserPool", "Arn"]}]
    template_path.write_text(json.dumps(document, indent=2), encoding="utf-8")


def package(
    stage: str = "dev",
    out: Path | str = "dist",
    *,
    root: Path = PROJECT_ROOT,
    build_dir: Path | None = None,
    progress: Progress = print,
    timeout: float = DEFAULT_TIMEOUT,
) -> PackageResult:
    started = time.monotonic()
    out_dir = Path(out).resolve()
    build = (build_dir or root / "build" / "chalice").resolve()
    progress(f"Staging the Chalice project in {build} (app.py, vendor/functions, vendor/shared)…")
    merge_template = stage_project(build, root=root)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    progress(f"Running chalice package --stage {stage} (downloads Lambda wheels for requirements.txt)…")
    command = [
        *_chalice_command(),
        "--debug",  # names the dependencies it downloads or builds, for the error messages below
        "--project-dir",
        str(build),
        "package",
        "--stage",
        stage,
        "--merge-template",
        str(merge_template),
        str(out_dir),
    ]
    environment = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "REFERRAL211_PACKAGING": "1"}
    # Chalice needs a region only to pick service principals (aws vs aws-cn partitions); nothing is called.
    if not (environment.get("AWS_REGION") or environment.get("AWS_DEFAULT_REGION")):
        environment["AWS_DEFAULT_REGION"] = DEFAULT_REGION
    returncode, output = _run_with_timeout(command, environment, timeout)
    if returncode is None:
        raise PackagingError(
            f"chalice package did not finish in {timeout:.0f} s: it is most likely compiling a dependency "
            "from source because none of its wheels fits the Lambda runtime (python3.11 runs on Amazon "
            "Linux 2: manylinux2014 / manylinux_2_26 wheels at most). Pin that requirement to a version with "
            "manylinux2014 wheels.\n" + _dependency_notes(output)
        )
    if returncode != 0:
        raise PackagingError(f"chalice package failed (exit {returncode}):\n{output}".strip())
    template, deployment_zip = out_dir / "sam.json", out_dir / "deployment.zip"
    for artefact in (template, deployment_zip):
        if not artefact.is_file():
            raise PackagingError(f"chalice package did not write {artefact}")
    point_staff_authorizer_at_user_pool(template)
    removed = strip_runtime_provided(deployment_zip)
    if removed:
        progress(f"Left out of the zip (the Lambda runtime provides them): {', '.join(removed)}")
    seconds = time.monotonic() - started
    size_mb = deployment_zip.stat().st_size / 1_000_000
    progress(f"Wrote {template} and {deployment_zip} ({size_mb:.1f} MB) in {seconds:.0f} s.")
    return PackageResult(out_dir=out_dir, template=template, deployment_zip=deployment_zip, seconds=seconds)
