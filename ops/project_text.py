"""Prose written for trainyard itself: part of the embedded default corpus, so the demo has
English text that no download provides. Labelled ``origin=project_text`` wherever it lands."""

PROJECT_TEXT = [
    """Trainyard turns raw sources into training data. A source can be a repository with years of
pull requests, a folder of photographs, a pile of text, or a set of answers that people compared
and ranked. Each source passes through steps that read records, keep some, drop others with a
reason, and write what they kept into a warehouse that anyone on the team can query.""",
    """Every row in the warehouse remembers where it came from. It names the run that wrote it, the
asset it belongs to, the partition, the version of the code, and the key of the record upstream.
When a number in a report looks wrong, you can follow it back, step by step, to the pull request
or the image or the sentence that produced it.""",
    """A training run is a promise kept in writing. Before it starts, the registry records the base
model, the data set and its version, and the configuration. While it runs, the loss is written
every step. When it ends, the checkpoint path and the final status are stored, and an evaluation
report with plots sits beside it so that a reader can judge the run without rerunning it.""",
    """Deduplication is quieter than training but matters as much. A benchmark that shares images or
tasks with the training data measures memory, not skill. Copies hide behind crops, new colours,
captions and borders, so the detector has to see through them, and the threshold that decides
what counts as a copy must be stated plainly next to the numbers it produced.""",
    """Rubrics make preferences explicit. Instead of asking which of two answers is better, a rubric
lists what a good answer covers, how deep it goes, whether it follows the request, and how easy
it is to read, each with a weight. Scoring both answers with the same rubric shows whether the
rubric agrees with the people who made the choice.""",
    """Small models are useful instruments. A model with two layers trained for a few minutes on a
laptop cannot write an essay, but it can tell whether one mixture of data teaches more than
another, whether a merged model behaves like one trained on the blend, and whether a change to
the pipeline made the data better or worse.""",
]
