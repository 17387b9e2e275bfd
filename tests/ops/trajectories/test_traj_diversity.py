"""Thought skeletons: task-specific parts masked, so the template's thoughts collapse to a few
skeletons while differently worded thoughts stay apart."""
from ops.trajectories.diversity import thought_diversity, thought_skeleton


def test_masks_files_terms_and_numbers():
    a = thought_skeleton("Next I edit more_itertools/more.py (#412): 2 hunk(s), +10/-3 lines.")
    b = thought_skeleton("Next I edit tests/test_more.py (#7): 1 hunk(s), +1/-0 lines.")
    assert a == b
    assert thought_skeleton("I will search the repository for `chunked`.") == \
        thought_skeleton("I will search the repository for `windowed`.")
    assert thought_skeleton("Before changing anything I will read setup.cfg as it is now.") != \
        thought_skeleton("Let me look at setup.cfg to see how the version is declared.")


def test_diversity_per_generator_with_interval():
    rows = [("template", f"Before changing anything I will read src/f{i}.py as it is now.") for i in range(20)]
    rows += [("model", t) for t in ("Look at the parser first.", "The tests cover chunked; run them.",
                                    "Check how windowed handles step.", "Look at the parser first.")]
    d = {x.generator: x for x in thought_diversity(rows)}
    assert d["template"].distinct == 1 and d["template"].thoughts == 20 and d["template"].share == 0.05
    assert d["model"].distinct == 3 and d["model"].ci[0] < 0.75 < d["model"].ci[1]


def test_metrics_count_each_thought_under_its_own_generator():
    from ops.trajectories.diversity import ALL, diversity_metrics

    pairs = [("m", f"I open f{i}.py to see how {w} works.") for i, w in enumerate(["parsing", "sorting", "paging"])]
    pairs += [("template", "Before changing anything I will read a.py as it is now."),
              ("template", "Before changing anything I will read b.py as it is now.")]
    found, extra = diversity_metrics(pairs, ["m", "m", "template"])
    d = {x.generator: x for x in found}
    assert (d["m"].distinct, d["template"].distinct, d[ALL].distinct, d[ALL].thoughts) == (3, 1, 4, 5)
    share, n, lo, hi = extra["thoughts_written_by_model_share"]
    assert (share, n) == (0.6, 5) and lo < 0.6 < hi
    assert extra["task_statements_written_by_model_share"][:2] == (2 / 3, 3)
    found, _ = diversity_metrics(pairs[:3], [])
    assert [x.generator for x in found] == ["m"]  # one generator: no separate overall row
