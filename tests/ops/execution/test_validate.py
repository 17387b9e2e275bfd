"""Validation labels on fixture PRs with known outcomes: a bug fix with its test is verified
(FAIL_TO_PASS), a regression or a flaky test is not, and a test module that cannot import at the
base counts as failing there."""
from ops.execution.sandbox import SandboxLimits
from ops.execution.validate import validate_pr

LIMITS = SandboxLimits(wall_s=60)

FIX = {"calc/__init__.py": "def add(a, b):\n    return a + b\n",
       "tests/test_calc.py": "import calc\n\n\ndef test_add_zero():\n    assert calc.add(2, 0) == 2\n\n\n"
                             "def test_add_positive():\n    assert calc.add(2, 3) == 5, 'two plus three'\n"}


def test_bug_fix_with_its_test_is_verified(fixture_repo, test_environment):
    pr = fixture_repo.pr(FIX, ["tests/test_calc.py"])
    v = validate_pr(fixture_repo.path, pr, test_environment, LIMITS)
    assert v.status == "verified", v.reason
    assert v.fail_to_pass == ["tests.test_calc::test_add_positive"]
    assert v.labels["tests.test_calc::test_add_zero"] == "PASS_TO_PASS"
    # two runs per phase for the FAIL_TO_PASS test, then the final run of it alone
    before = [r for r in v.runs if r.phase == "before"]
    after = [r for r in v.runs if r.phase == "after"]
    assert len(before) == len(after) == 2
    assert all(r.outcomes["tests.test_calc::test_add_positive"].outcome == "failed" for r in before)
    assert all(r.outcomes["tests.test_calc::test_add_positive"].outcome == "passed" for r in after)
    assert "two plus three" in before[0].outcomes["tests.test_calc::test_add_positive"].message
    assert v.final.outcomes["tests.test_calc::test_add_positive"].outcome == "passed"
    assert "1 passed" in v.final.output


def test_regression_is_not_verified(fixture_repo, test_environment):
    fixture_repo.commit(FIX)
    pr = fixture_repo.pr({"calc/__init__.py": "def add(a, b):\n    return a * b\n\n\ndef neg(a):\n    return -a\n",
                          "tests/test_neg.py": "import calc\n\n\ndef test_neg():\n    assert calc.neg(1) == -1\n"},
                         ["tests/test_calc.py", "tests/test_neg.py"])
    v = validate_pr(fixture_repo.path, pr, test_environment, LIMITS)
    assert v.status == "unverified" and "regression" in v.reason
    assert v.labels["tests.test_calc::test_add_positive"] == "REGRESSION"
    # a module that cannot run at the base (its name is missing there) counts as failing there
    assert v.labels["tests.test_neg::test_neg"] == "FAIL_TO_PASS"


def test_flaky_test_is_excluded(fixture_repo, test_environment):
    # fails on its first run at the base and passes on the second: the runs disagree
    flaky = ("import os, calc\n\n\ndef test_flaky():\n"
             "    first = not os.path.exists('.ran')\n    open('.ran', 'w').close()\n"
             "    if calc.add(1, 1) != 2:\n        assert not first\n")
    pr = fixture_repo.pr({**FIX, "tests/test_flaky.py": flaky}, ["tests/test_calc.py", "tests/test_flaky.py"])
    v = validate_pr(fixture_repo.path, pr, test_environment, LIMITS, runs=2)
    assert v.labels["tests.test_flaky::test_flaky"] == "FLAKY"
    assert v.status == "verified" and v.fail_to_pass == ["tests.test_calc::test_add_positive"]
    assert v.count("FLAKY") == 1 and "1 flaky" in v.reason


def test_pr_without_test_changes_is_unverified_without_running(fixture_repo, test_environment):
    pr = fixture_repo.pr({"calc/__init__.py": "def add(a, b):\n    return b + a\n"}, [])
    v = validate_pr(fixture_repo.path, pr, test_environment, LIMITS)
    assert v.status == "unverified" and not v.runs and "no test file" in v.reason


def test_everything_passing_at_base_stops_after_one_run_per_phase(fixture_repo, test_environment):
    fixture_repo.commit(FIX)
    pr = fixture_repo.pr({"tests/test_more.py": "import calc\n\n\ndef test_more():\n    assert calc.add(1, 1) == 2\n"},
                         ["tests/test_more.py"])
    v = validate_pr(fixture_repo.path, pr, test_environment, LIMITS)
    assert v.status == "unverified" and "no FAIL_TO_PASS" in v.reason
    assert len(v.runs) == 2 and v.final is None


def test_tests_that_cannot_import_at_the_merge_say_why(fixture_repo, test_environment):
    pr = fixture_repo.pr({**FIX, "tests/test_dep.py": "import not_a_module_anywhere\n\n\ndef test_x():\n    pass\n"},
                         ["tests/test_dep.py"])
    v = validate_pr(fixture_repo.path, pr, test_environment, LIMITS)
    assert v.status == "unverified" and "do not run at the merge" in v.reason and "not_a_module_anywhere" in v.reason
