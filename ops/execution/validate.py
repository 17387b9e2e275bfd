"""Execution validation of one PR, as SWE-bench does it.

The tests the PR touches run in the sandbox twice at the **base** with the PR's test changes
applied, and twice at the **merge result**. Per test, over the four runs:

| label          | before (2 runs)        | after (2 runs) |
|----------------|------------------------|----------------|
| FAIL_TO_PASS   | not passed in both     | passed in both |
| PASS_TO_PASS   | passed in both         | passed in both |
| REGRESSION     | passed in both         | not passed in both |
| FAIL_TO_FAIL   | not passed in both     | not passed in both |
| FLAKY          | the two runs of a phase disagree (excluded from the other labels) |
| SKIPPED        | skipped in every run   |

"Not passed" includes failed, error and missing (a test whose file did not collect at the base,
e.g. because it imports a name the PR adds). A task is **verified** when it has ≥ 1 FAIL_TO_PASS
test, no REGRESSION and no run hit a limit. The first run of each phase covers the whole touched
files; the second happens only when the first pair shows a FAIL_TO_PASS candidate, and repeats the
tests whose outcome changed (FAIL_TO_PASS candidates and regressions), so FAIL_TO_PASS labels hold in
2 of 2 runs per phase while PASS_TO_PASS labels come from the first run. A fifth run executes only the FAIL_TO_PASS tests at
the merge result: its output is the trajectory's last observation.
"""
from __future__ import annotations

import dataclasses
import shutil
import tempfile
import time
from pathlib import Path

from ops.execution.environments import Environment
from ops.execution.junit import MISSING, PASSED, SKIPPED, TestOutcome, node_id, parse_junit
from ops.execution.sandbox import SANDBOX_WORK, SandboxLimits, SandboxResult, run_sandboxed
from ops.execution.workdir import SITE_DIR, materialize, overlay, prepare_imports

ENV_MOUNT = "/tmp/env"
JUNIT = ".trainyard_junit.xml"
MAX_FINAL_IDS = 60  # node ids on the last run's command line


@dataclasses.dataclass
class TestRun:
    phase: str  # before | after | final
    run: int
    status: str  # ok | exit N | timeout
    outcomes: dict[str, TestOutcome]
    output: str
    seconds: float
    command: list[str]
    cpu_seconds: float = 0.0


@dataclasses.dataclass
class PRUnderTest:
    key: str  # owner/repo#N
    base_sha: str
    merge_sha: str
    test_files: list[str]  # test modules the PR adds or changes (what runs)
    overlay_files: list[str] = dataclasses.field(default_factory=list)  # all test-side files it changes


@dataclasses.dataclass
class Validation:
    key: str
    status: str  # verified | unverified | timeout | env_failed | error
    reason: str
    labels: dict[str, str]  # test id -> label
    runs: list[TestRun]
    final: TestRun | None
    seconds: float

    @property
    def fail_to_pass(self) -> list[str]:
        return sorted(t for t, lab in self.labels.items() if lab == "FAIL_TO_PASS")

    def count(self, label: str) -> int:
        return sum(lab == label for lab in self.labels.values())

    @property
    def verified(self) -> bool:
        return self.status == "verified"

    @property
    def cpu_seconds(self) -> float:
        """CPU of every sandboxed test run (as measured inside the sandbox)."""
        return sum(r.cpu_seconds for r in self.runs + ([self.final] if self.final else []))


def pytest_command(tests: list[str]) -> list[str]:
    # the repository's addopts may name plugins (coverage, xdist) the environment lacks: cleared
    return [f"{ENV_MOUNT}/bin/python", "-m", "pytest", "-p", "no:cacheprovider", "-o", "addopts=", "-q",
            "--tb=short", "-rN", "-W", "ignore::DeprecationWarning", f"--junitxml={SANDBOX_WORK}/{JUNIT}", *tests]


def _sandbox_env(env: Environment) -> dict[str, str]:
    roots = [f"{SANDBOX_WORK}/{r}".rstrip("/.") if r != "." else SANDBOX_WORK for r in env.recipe.import_roots]
    return {"PYTHONPATH": ":".join(roots + [f"{SANDBOX_WORK}/{SITE_DIR}"]), "PYTHONNOUSERSITE": "1",
            "PYTEST_ADDOPTS": "", "CI": "true"}


def _run(tree: Path, env: Environment, tests: list[str], limits: SandboxLimits, phase: str, i: int) -> TestRun:
    (tree / JUNIT).unlink(missing_ok=True)
    cmd = pytest_command(tests)
    res: SandboxResult = run_sandboxed(cmd, tree, limits, _sandbox_env(env), {ENV_MOUNT: env.path})
    junit = tree / JUNIT
    outcomes = parse_junit(junit.read_text(errors="replace")) if junit.exists() and not res.timed_out else {}
    return TestRun(phase, i, res.status, outcomes, res.output, res.seconds, cmd, res.cpu_seconds)


def _passed(runs: list[TestRun], tid: str) -> list[bool]:
    return [r.outcomes.get(tid, TestOutcome(MISSING, 0.0)).outcome == PASSED for r in runs]


def label_tests(before: list[TestRun], after: list[TestRun], repeated_only: set[str] | None = None) -> dict[str, str]:
    """The label of every test seen in any run (see the module table). ``repeated_only``: the tests
    the later runs repeated (the others are labelled from the first run of each phase)."""
    ids = sorted({t for r in before + after for t in r.outcomes if not t.endswith("::<collection>")})
    labels = {}
    for tid in ids:
        runs_b, runs_a = before, after
        if repeated_only is not None and tid not in repeated_only:
            runs_b, runs_a = before[:1], after[:1]
        if all(r.outcomes.get(tid, TestOutcome(MISSING, 0.0)).outcome == SKIPPED for r in runs_b + runs_a):
            labels[tid] = "SKIPPED"
            continue
        b, a = _passed(runs_b, tid), _passed(runs_a, tid)
        if len(set(b)) > 1 or len(set(a)) > 1:
            labels[tid] = "FLAKY"
        elif a[0]:
            labels[tid] = "PASS_TO_PASS" if b[0] else "FAIL_TO_PASS"
        else:
            labels[tid] = "REGRESSION" if b[0] else "FAIL_TO_FAIL"
    return labels


def validate_pr(repo: Path, pr: PRUnderTest, env: Environment, limits: SandboxLimits, runs: int = 2,
                scratch: Path | None = None) -> Validation:
    """Run ``pr``'s touched tests before/after in the sandbox and label them."""
    t0 = time.monotonic()
    if not env.ready:
        return Validation(pr.key, "env_failed", f"environment {env.env_id} failed to install: "
                          f"{env.error_tail.splitlines()[-1] if env.error_tail else '?'}", {}, [], None, 0.0)
    if not pr.test_files:
        return Validation(pr.key, "unverified", "the PR changes no test file: nothing can fail before it",
                          {}, [], None, 0.0)
    work = Path(tempfile.mkdtemp(prefix="trainyard-validate-", dir=scratch))
    try:
        before_tree, after_tree = work / "before", work / "after"
        materialize(repo, pr.base_sha, before_tree)
        overlay(repo, pr.merge_sha, sorted(set(pr.overlay_files) | set(pr.test_files)), before_tree)
        materialize(repo, pr.merge_sha, after_tree)
        for tree in (before_tree, after_tree):
            prepare_imports(env.recipe, tree)
        # One run of each phase over the whole touched files first: a PR with no test that fails
        # before and passes after stops here. Later runs repeat only the tests whose outcome changed
        # (FAIL_TO_PASS candidates, regressions), which is what the agreement must hold for.
        before = [_run(before_tree, env, pr.test_files, limits, "before", 0)]
        after = [_run(after_tree, env, pr.test_files, limits, "after", 0)]
        first = label_tests(before, after)
        repeated: set[str] | None = None
        if before[0].status != "timeout" and after[0].status != "timeout" \
                and any(lab == "FAIL_TO_PASS" for lab in first.values()):
            changed = [t for t, lab in first.items() if lab in ("FAIL_TO_PASS", "REGRESSION")]
            ids = [node_id(t, pr.test_files) for t in changed]
            again = pr.test_files if None in ids or len(ids) > MAX_FINAL_IDS else ids
            repeated = None if again is pr.test_files else set(changed)
            before += [_run(before_tree, env, again, limits, "before", i) for i in range(1, runs)]
            after += [_run(after_tree, env, again, limits, "after", i) for i in range(1, runs)]
        all_runs = before + after
        labels = label_tests(before, after, repeated_only=repeated)
        timeouts = [f"{r.phase}#{r.run}" for r in all_runs if r.status == "timeout"]
        f2p = sorted(t for t, lab in labels.items() if lab == "FAIL_TO_PASS")
        regressions = [t for t, lab in labels.items() if lab == "REGRESSION"]
        final = None
        if timeouts:
            status, reason = "timeout", f"runs {', '.join(timeouts)} hit the {limits.wall_s:.0f} s limit"
        elif not any(not t.endswith("::<collection>") for r in after for t in r.outcomes):
            status, reason = "unverified", "the touched tests do not run at the merge: " + _error_line(after[0].output)
        elif regressions:
            status, reason = "unverified", f"{len(regressions)} PASS_TO_PASS regression(s), e.g. {regressions[0]}"
        elif not f2p:
            status, reason = "unverified", "no FAIL_TO_PASS test (every touched test passes at the base, fails " \
                                           "at the merge, or is flaky)"
        else:
            ids = [n for t in f2p if (n := node_id(t, pr.test_files))][:MAX_FINAL_IDS]
            final = _run(after_tree, env, ids or pr.test_files, limits, "final", 0)
            ok = all(final.outcomes.get(t, TestOutcome(MISSING, 0)).outcome == PASSED
                     for t in f2p if node_id(t, pr.test_files) in ids)
            if ok and final.status != "timeout":
                status, reason = "verified", (f"{len(f2p)} FAIL_TO_PASS, {sum(v == 'PASS_TO_PASS' for v in labels.values())}"
                                              f" PASS_TO_PASS, {sum(v == 'FLAKY' for v in labels.values())} flaky")
            else:
                status, reason = "unverified", f"FAIL_TO_PASS tests did not all pass when run alone ({final.status})"
        return Validation(pr.key, status, reason, labels, all_runs, final, time.monotonic() - t0)
    except Exception as exc:  # one PR's broken history never sinks the partition
        return Validation(pr.key, "error", f"{type(exc).__name__}: {str(exc)[:300]}", {}, [], None,
                          time.monotonic() - t0)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _error_line(text: str) -> str:
    """The most telling line of a failed test run (the exception, else the last line)."""
    for ln in text.splitlines():
        if ln.startswith("E   ") or ln.startswith("ERROR: "):
            return ln.removeprefix("E   ").strip()[:200]
    return _last_line(text)


def _last_line(text: str) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1][:200] if lines else "(no output)"
