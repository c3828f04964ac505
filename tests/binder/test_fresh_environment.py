"""The notebooks, in the environment a Binder user gets.

A fresh virtual environment is built from requirements.txt alone (which
installs tinynet with `-e .`). Every package it holds is in the book's
environment (.venv) at the same version, so the notebooks `make book`
executed, which fails on any error, ran with exactly Binder's packages; they
are not executed a second time. The first chapter runs there with nbmake
(from its own folder), to show the fresh environment's kernel works. It also
checks that JupyterLab there has jupyterlab-myst installed and enabled. The
environment is made by the same uv as `make venv` (.uv/bin/uv), or by venv
and pip where uv is not installed; both install exactly the pins.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import venv

from booksite import ROOT


UV = ROOT / ".uv" / "bin" / "uv"


def test_every_notebook_runs_in_a_fresh_environment_from_requirements(tmp_path):
    env_dir = tmp_path / "binder-env"
    python = env_dir / "bin" / "python"
    clean_env = {k: v for k, v in os.environ.items()
                 if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    if UV.exists():
        subprocess.run([str(UV), "venv", "--quiet", "--python", sys.executable, str(env_dir)],
                       check=True, env=clean_env)
        command = [str(UV), "pip", "install", "--quiet", "--python", str(python),
                   "-r", "requirements.txt"]
    else:
        venv.create(env_dir, with_pip=True)
        command = [str(python), "-m", "pip", "install", "--quiet", "-r", "requirements.txt"]
    install = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, env=clean_env, timeout=1200,
    )
    assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]

    # tinynet comes from this repository's code/, through the -e . line.
    where = subprocess.run([str(python), "-c", "import tinynet; print(tinynet.__file__)"],
                           capture_output=True, text=True, env=clean_env, cwd=tmp_path)
    assert where.stdout.strip().startswith(str(ROOT / "code" / "tinynet")), where.stdout + where.stderr

    # JupyterLab on Binder renders the notebooks' MyST as the book does.
    extensions = subprocess.run([str(env_dir / "bin" / "jupyter"), "labextension", "list"],
                                capture_output=True, text=True, env=clean_env, cwd=tmp_path)
    listing = extensions.stdout + extensions.stderr
    assert re.search(r"jupyterlab-myst v[\d.]+ \S*enabled\S* \S*OK", listing), listing
    assert "not compatible" not in listing, listing

    # The book was executed with these very packages.
    fresh, book = _installed(python, clean_env), _installed(ROOT / ".venv" / "bin" / "python", clean_env)
    differ = {name: (version, book.get(name)) for name, version in fresh.items() if book.get(name) != version}
    assert not differ, f"(Binder's version, the book's) of the packages that differ: {differ}"

    notebooks = sorted((ROOT / "book").glob("[0-9][0-9]-*.ipynb"))
    run = subprocess.run(
        [str(python), "-m", "pytest", "--nbmake", "--nbmake-timeout=900", "-p", "no:cacheprovider",
         "-o", "addopts=", "-q", str(notebooks[0].relative_to(ROOT))],
        cwd=ROOT, capture_output=True, text=True, env=clean_env, timeout=1800,
    )
    sys.stdout.write(run.stdout[-2000:])
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-3000:]
    assert "1 passed" in run.stdout, run.stdout[-2000:]


def _installed(python, env) -> dict[str, str]:
    """{distribution name: version} of an environment, tinynet aside (it is
    this repository, installed editable in both)."""
    listing = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m, json; print(json.dumps("
         "{d.metadata['Name'].lower().replace('_', '-'): d.version for d in m.distributions()}))"],
        capture_output=True, text=True, env=env, check=True,
    )
    found = json.loads(listing.stdout)
    found.pop("tinynet", None)
    return found
