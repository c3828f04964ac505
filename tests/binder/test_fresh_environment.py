"""Every notebook, run as a Binder user runs it.

A fresh virtual environment is built from requirements.txt alone (which
installs tinynet with `-e .`), and `pytest --nbmake book/` runs every
notebook in it, each from its own folder. This is the book's notebook test:
the main test run does not execute the notebooks a second time. It also
checks that JupyterLab there has jupyterlab-myst installed and enabled. The
environment is made by the same uv as `make venv` (.uv/bin/uv), or by venv
and pip where uv is not installed; both install exactly the pins.
"""

from __future__ import annotations

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

    notebooks = sorted(p for p in (ROOT / "book").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    assert notebooks
    run = subprocess.run(
        [str(python), "-m", "pytest", "--nbmake", "--nbmake-timeout=900", "-p", "no:cacheprovider",
         "-o", "addopts=", "-q", "book/"],
        cwd=ROOT, capture_output=True, text=True, env=clean_env, timeout=1800,
    )
    sys.stdout.write(run.stdout[-2000:])
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-3000:]
    assert f"{len(notebooks)} passed" in run.stdout, run.stdout[-2000:]
