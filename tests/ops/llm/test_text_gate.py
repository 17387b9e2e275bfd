"""Checks on small-model prose: sentences, English, code, loops, boilerplate, topic, invented names."""
from ops.llm.text_gate import complete_sentences, invented_name, off_topic, prose_problem

FACTS = ["Add subfactorial() to more_itertools", "more_itertools/more.py", "Add __class_getitem__ to peekable",
         "windowed returns wrong values when step > n", "docs: README.rst"]


def test_sentences_and_prose():
    assert complete_sentences("It works. Then more.\nNext", 1) == "It works."
    assert complete_sentences("It works. Then more.", 2) == "It works. Then more."
    assert complete_sentences("no end in sight", 1) is None
    assert prose_problem("check how the range is reversed") is None
    assert prose_problem("x = compute(y); return x").startswith("code")
    assert prose_problem("the list of lists of lists of values").startswith("repetition")
    assert prose_problem("Here is the fixed version of the function").startswith("boilerplate")
    assert prose_problem("проверить диапазон значений сейчас").startswith("not English")


def test_topic_and_invented_names():
    assert off_topic("see how subfactorials are computed", FACTS) is None
    assert off_topic("learn about the weather", FACTS).startswith("off-topic")
    for ok in ("see how windows are computed with steps", "add __class_getitem__ to peekable",
               "check README.rst and more.py", "add subfactorial to the docs"):
        assert invented_name(ok, FACTS) is None, ok
    for bad in ("see peechable", "find the subfactrary of a number", "test the more_iter helper",
                "edit READMME.RST", "it fails in Python 3.3", "open more_utils.py"):
        assert invented_name(bad, FACTS).startswith("invented"), bad
