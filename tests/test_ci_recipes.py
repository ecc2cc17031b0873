"""The CI recipes and the container files pass their linters, and the image's command works.

No container engine runs here, so the Dockerfile is linted (hadolint) and its entry point plus
default command is run as the same command outside a container.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import REPO, SAMPLE

from eventsite.cli import make_parser

EXAMPLES = REPO / "examples" / "ci"
GITHUB_WORKFLOW = EXAMPLES / "github-pages.yml"
GITLAB_CI = EXAMPLES / "gitlab-ci.yml"
DOCKERFILE = REPO / "Dockerfile"
COMPOSE = REPO / "compose.yaml"


def tool(name: str) -> str:
    """A linter installed by the test extra (next to this Python, or on PATH)."""
    beside = Path(sys.executable).with_name(name)
    found = str(beside) if beside.is_file() else shutil.which(name)
    assert found, f"{name} is missing: pip install -e '.[test]'"
    return found


def run(*argv: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=120)


def test_github_workflow_passes_actionlint_with_shellcheck() -> None:
    env_path = os.pathsep.join([str(Path(tool("shellcheck")).parent), os.environ["PATH"]])
    result = subprocess.run(
        [tool("actionlint"), "-verbose", str(GITHUB_WORKFLOW)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PATH": env_path},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'Rule "shellcheck" was disabled' not in result.stderr


def test_actionlint_rejects_a_script_injection(tmp_path: Path) -> None:
    workflow = yaml.safe_load(GITHUB_WORKFLOW.read_text(encoding="utf-8"))
    steps = workflow["jobs"]["build"]["steps"]
    steps.append({"run": "echo ${{ github.event.head_commit.message }}"})
    bad = tmp_path / "bad.yml"
    bad.write_text(yaml.safe_dump(workflow), encoding="utf-8")
    result = run(tool("actionlint"), str(bad))
    assert result.returncode == 1
    assert "potentially untrusted" in result.stdout


def test_github_workflow_builds_publishes_and_reports() -> None:
    workflow = yaml.safe_load(GITHUB_WORKFLOW.read_text(encoding="utf-8"))
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as a boolean
    assert {"push", "schedule", "workflow_dispatch"} <= set(triggers)
    steps = workflow["jobs"]["build"]["steps"]
    build = next(s for s in steps if "eventsite build" in s.get("run", ""))
    for flag in ("--previous", "--check-links", "--report", "--summary", "--base-url"):
        assert flag in build["run"], flag
    assert "secrets." not in build["run"]  # secrets only through the environment
    uses = [
        s["uses"].split("@")[0]
        for j in workflow["jobs"].values()
        for s in j["steps"]
        if "uses" in s
    ]
    assert "actions/upload-pages-artifact" in uses and "actions/deploy-pages" in uses


def test_gitlab_ci_matches_the_gitlab_schema() -> None:
    result = run(tool("check-jsonschema"), "--builtin-schema", "vendor.gitlab-ci", str(GITLAB_CI))
    assert result.returncode == 0, result.stdout + result.stderr
    pipeline = yaml.safe_load(GITLAB_CI.read_text(encoding="utf-8"))
    script = " ".join(pipeline["pages"]["script"])
    assert "-o public" in script and "--previous" in script and "--check-links" in script


def test_docs_show_the_example_files_verbatim() -> None:
    docs = (REPO / "docs" / "ci.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", docs, flags=re.DOTALL)
    assert GITHUB_WORKFLOW.read_text(encoding="utf-8") in blocks
    assert GITLAB_CI.read_text(encoding="utf-8") in blocks


def test_dockerfile_passes_hadolint() -> None:
    result = run(tool("hadolint"), str(DOCKERFILE))
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_rejects_a_careless_dockerfile(tmp_path: Path) -> None:
    careless = tmp_path / "Dockerfile"
    careless.write_text("FROM python\nRUN pip install eventsite\nCMD eventsite build\n")
    result = run(tool("hadolint"), str(careless))
    assert result.returncode == 1
    assert {"DL3006", "DL3013", "DL3042", "DL3025"} <= set(re.findall(r"DL\d{4}", result.stdout))


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text(encoding="utf-8").replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1])
        for line in lines
        if line and not line.startswith("#")
    ]


def test_dockerfile_is_small_and_runs_as_a_user() -> None:
    instructions = dockerfile_instructions()
    bases = [value for kind, value in instructions if kind == "FROM"]
    assert len(bases) == 2 and all(re.search(r"-(slim|alpine)\b", b) for b in bases)
    final = instructions[max(i for i, (k, _) in enumerate(instructions) if k == "FROM") :]
    runs = " ".join(v for k, v in final if k == "RUN")
    assert "--no-cache-dir" in runs and "rm -rf /tmp/wheels" in runs
    assert "apt-get" not in runs  # no build tools in the final stage
    user = next(v for k, v in final if k == "USER")
    assert user.split(":")[0].isdigit() and not user.startswith("0")
    assert ("EXPOSE", "8000") in final
    ignored = (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines()
    assert ignored[1] == "*" and "!eventsite/" in ignored and "!tests/" not in ignored


def test_image_entry_point_command_builds_a_site(tmp_path: Path) -> None:
    instructions = dict(dockerfile_instructions())
    entrypoint = json.loads(instructions["ENTRYPOINT"])
    command = json.loads(instructions["CMD"])
    workdir = instructions["WORKDIR"]
    assert entrypoint == ["eventsite"] and workdir == "/data"
    data = tmp_path / "data"  # stands in for the container's /data
    shutil.copytree(SAMPLE, data / "export")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [sys.executable, "-m", "eventsite", *command],
        cwd=data,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert (data / "site" / "index.html").is_file()
    assert (data / "site" / "changes.json").is_file()


def test_compose_file_is_valid_and_serves_only_when_asked() -> None:
    result = run(tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(COMPOSE))
    assert result.returncode == 0, result.stdout + result.stderr
    service = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))["services"]["preview"]
    command = service["command"]
    assert command[command.index("--host") + 1] == "0.0.0.0"
    assert any(str(p).endswith("8000:8000") for p in service["ports"])
    mount = service["volumes"][0]
    assert mount["read_only"] is True and mount["target"] == command[1]


def test_compose_command_is_one_eventsite_understands() -> None:
    command = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))["services"]["preview"]["command"]
    parsed = make_parser().parse_args(command)
    assert (parsed.command, parsed.host, parsed.port) == ("serve", "0.0.0.0", 8000)


@pytest.mark.parametrize("path", [GITHUB_WORKFLOW, GITLAB_CI, COMPOSE])
def test_recipes_are_plain_yaml_without_tabs(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert "\t" not in text
    assert isinstance(yaml.safe_load(text), dict)
