"""Production installs built outside Docker, for tests/deploy/test_production_install.py.

``replay_image_build`` follows deploy/Dockerfile's build stage step by step, read from the
Dockerfile itself (so a change there changes what is tested): its ARG defaults, its ENV
(``UV_PROJECT_ENVIRONMENT`` is a fresh venv instead of /opt/venv, ``UV_PYTHON`` this machine's
Python 3.11 instead of the image's), its COPYs (into an empty build directory: only what the
image gets, never the checkout) and its RUNs, which run as written, /opt/venv replaced by the
venv, in that directory. The RUN that pip-installs uv is the one step not replayed: the uv of
the pinned version is put on PATH instead. One thing is relaxed for speed and nothing else:
uv may use its cache (the lock's hashes still decide what is installed). Bytecode is compiled
as the image compiles it: its processes run with PYTHONDONTWRITEBYTECODE, so without it each
of them would compile its imports anew at every start.

``pip_install`` is the other way people install the app: ``pip install .`` into a new
``python -m venv``, resolving the dependency ranges of pyproject.toml afresh (not the lock).

``runtime_env`` is the runtime stage's ENV (PATH with the venv first, PORT, ...) on a clean
environment: what the image's processes see. Run them in an empty directory, as the image
runs them in /app, and nothing of the source tree is importable.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
# This machine's interpreter (not the test venv's): what the image's /usr/local/bin/python3 is.
BASE_PYTHON = getattr(sys, "_base_executable", sys.executable)
BUILD_TIMEOUT = 600
# In the build context's directories, what .dockerignore keeps out of the image.
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo", "*.pyd", ".env", "*.db", "*.db-*")


class BuildFailed(AssertionError):
    """A replayed step failed; the message holds the command and its whole output."""


@dataclass
class Stage:
    name: str
    base: str
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def words(self, word: str) -> list[str]:
        return [rest for w, rest in self.instructions if w == word]


def stages(dockerfile: Path = DOCKERFILE) -> tuple[dict[str, str], list[Stage]]:
    """The global ARG defaults and the stages, instructions with continuation lines joined."""
    joined = re.sub(r"\\\n", " ", dockerfile.read_text())
    args: dict[str, str] = {}
    found: list[Stage] = []
    for raw in joined.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        word, rest = word.upper(), rest.strip()
        if word == "FROM":
            parts = rest.split()
            name = parts[2] if len(parts) == 3 and parts[1].upper() == "AS" else str(len(found))
            found.append(Stage(name, parts[0]))
        elif found:
            found[-1].instructions.append((word, rest))
        elif word == "ARG":
            key, _, default = rest.partition("=")
            args[key] = default
    return args, found


def stage(name: str) -> Stage:
    (match,) = [s for s in stages()[1] if s.name == name]
    return match


def env_pairs(rest: str) -> dict[str, str]:
    """ENV K=V K2=V2 (the form the Dockerfile uses)."""
    pairs = {}
    for item in shlex.split(rest):
        key, sep, value = item.partition("=")
        assert sep, f"ENV {rest!r}: only the K=V form is supported here"
        pairs[key] = value
    return pairs


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without the app's settings, another venv's or uv project's variables,
    or a PYTHONPATH: a shell on a new machine (the network settings, such as a CA bundle or
    a package index, stay: they are how this machine reaches PyPI)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SLACK_", "INTAKE_", "DATABASE_", "OPENAI_", "UV_", "PYTHON"))
        and key not in ("VIRTUAL_ENV", "CONDA_PREFIX", "PORT")
    }
    env["PATH"] = os.pathsep.join(
        p
        for p in env.get("PATH", "").split(os.pathsep)
        if p and Path(p) != Path(sys.prefix) / "bin"
    )
    env.update(extra)
    return env


def run_step(command: list[str], cwd: Path, env: dict[str, str], what: str) -> str:
    done = subprocess.run(
        command,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=BUILD_TIMEOUT,
    )
    if done.returncode != 0:
        raise BuildFailed(
            f"{what} failed (exit {done.returncode}):\n$ {shlex.join(command)}\n{done.stdout}"
        )
    return done.stdout


def pinned_uv(work: Path) -> Path:
    """The uv the Dockerfile installs (ARG UV_VERSION): ./dev's if it is that version, else
    pip-installed into a venv of its own, as the Dockerfile's first RUN does."""
    version = stage("build").words("ARG")
    pins = [v.split("=", 1)[1] for v in version if v.startswith("UV_VERSION=")]
    assert pins, "deploy/Dockerfile has no ARG UV_VERSION=... in its build stage"
    dev_uv = ROOT / ".tools" / "bin" / "uv"
    if dev_uv.exists():
        shown = subprocess.run([str(dev_uv), "--version"], capture_output=True, text=True)
        if shown.stdout.split()[1:2] == [pins[0]]:
            return dev_uv
    tools = work / "uv-tools"
    run_step([BASE_PYTHON, "-m", "venv", str(tools)], work, clean_env(), "python -m venv")
    run_step(
        [str(tools / "bin" / "python"), "-m", "pip", "install", f"uv=={pins[0]}"],
        work,
        clean_env(PIP_DISABLE_PIP_VERSION_CHECK="1"),
        "pip install uv",
    )
    return tools / "bin" / "uv"


def _copy(source: Path, target: Path) -> None:
    if source.is_dir():
        shutil.copytree(source, target, ignore=IGNORED, dirs_exist_ok=True)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)


def copy_instruction(rest: str, context: Path) -> None:
    """COPY ``rest`` (sources from the repository root) into the build directory."""
    assert not rest.startswith("--"), f"COPY {rest}: flags are not replayed here"
    *sources, destination = rest.split()
    for source in sources:
        path = ROOT / source
        if destination.endswith("/") or len(sources) > 1:
            _copy(path, context / destination / path.name)
        else:
            _copy(path, context / destination)


def copy_build_context(context: Path) -> None:
    """Only what the build stage COPYs, where it COPYs it (relative to its WORKDIR)."""
    for rest in stage("build").words("COPY"):
        copy_instruction(rest, context)


def replay_image_build(work: Path) -> Path:
    """deploy/Dockerfile's build stage into ``work``/venv (see the module docstring); returns
    the venv. Raises BuildFailed with the failing step's output."""
    build = stage("build")
    context = work / "src"
    context.mkdir(parents=True)
    venv = work / "venv"
    uv = pinned_uv(work)
    global_args, _ = stages()
    args = dict(global_args)
    env = clean_env(PATH=f"{uv.parent}{os.pathsep}{clean_env()['PATH']}")
    image_venv = None
    for word, rest in build.instructions:
        if word == "ARG":
            key, _, default = rest.partition("=")
            args[key] = default
        elif word == "ENV":
            pairs = env_pairs(rest)
            image_venv = pairs.get("UV_PROJECT_ENVIRONMENT", image_venv)
            pairs.update(
                UV_PROJECT_ENVIRONMENT=str(venv),
                UV_PYTHON=BASE_PYTHON,
            )
            pairs.pop("UV_NO_CACHE", None)
            env.update(pairs)
        elif word == "WORKDIR":
            pass  # the build directory stands for it
        elif word == "COPY":
            copy_instruction(rest, context)
        elif word == "RUN":
            if re.search(r"\bpip install\b.*\buv==", rest):
                continue  # uv is on PATH already (pinned_uv)
            assert image_venv, "the build stage sets UV_PROJECT_ENVIRONMENT before it RUNs"
            command = rest.replace(image_venv, str(venv))
            for key, value in args.items():
                command = command.replace("${" + key + "}", value)
            run_step(["sh", "-c", command], context, env, f"deploy/Dockerfile: RUN {rest}")
        else:
            raise AssertionError(f"the build stage's {word} is not replayed by this test")
    assert (venv / "bin" / "intake-bot").exists(), "the build installed no intake-bot"
    return venv


def pip_install(work: Path) -> Path:
    """``python -m venv`` then ``pip install .`` from a directory holding only what the image
    build copies (which is all a wheel of this project is made of); returns the venv."""
    source = work / "src"
    source.mkdir(parents=True)
    copy_build_context(source)
    venv = work / "venv"
    env = clean_env(PIP_DISABLE_PIP_VERSION_CHECK="1")
    run_step([BASE_PYTHON, "-m", "venv", str(venv)], work, env, "python -m venv")
    run_step(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "."], source, env, "pip install ."
    )
    return venv


def runtime_env(venv: Path, **extra: str) -> dict[str, str]:
    """The runtime stage's ENV on a clean environment, /opt/venv being ``venv``."""
    build_env: dict[str, str] = {}
    for rest in stage("build").words("ENV"):
        build_env.update(env_pairs(rest))
    image_venv = build_env["UV_PROJECT_ENVIRONMENT"]
    env = clean_env()
    for rest in stage("runtime").words("ENV"):
        for key, value in env_pairs(rest).items():
            value = value.replace("$PATH", env.get("PATH", "")).replace(image_venv, str(venv))
            env[key] = value
    env.update(extra)
    return env


def runtime_command(env: dict[str, str], argv: list[str]) -> list[str]:
    """``argv`` as the image runs it: its program found on the image's PATH."""
    found = shutil.which(argv[0], path=env["PATH"])
    assert found, f"{argv[0]} is not on the runtime PATH {env['PATH']}"
    return [found, *argv[1:]]


def image_cmd() -> list[str]:
    cmd = [json.loads(rest) for rest in stage("runtime").words("CMD")][-1]
    assert isinstance(cmd, list)
    return [str(part) for part in cmd]


def healthcheck_cmd() -> list[str]:
    (healthcheck,) = stage("runtime").words("HEALTHCHECK")
    cmd = json.loads(healthcheck.split(" CMD ", 1)[1])
    assert isinstance(cmd, list)
    return [str(part) for part in cmd]
