"""Run sizes per profile (``ops.profiles.pick``) for the rubric branch."""
from __future__ import annotations

from ops.rubrics.grpo import GRPOSizes
from ops.rubrics.learned import LearnedConfig

SIZES = {
    "tiny": {"test_fraction": 0.3, "n_boot": 100,
             "learned": LearnedConfig(max_criteria=12, cv_folds=3),
             "grpo": GRPOSizes(steps=2, batch_size=4, num_generations=2, max_completion_length=6)},
    "demo": {"test_fraction": 0.3, "n_boot": 1000,
             "learned": LearnedConfig(max_criteria=16, cv_folds=4),
             "grpo": GRPOSizes(steps=10, batch_size=8, num_generations=4, max_completion_length=8)},
    "full": {"test_fraction": 0.3, "n_boot": 2000, "learned": LearnedConfig(),
             "grpo": GRPOSizes(steps=200, batch_size=16, num_generations=8, max_completion_length=12)},
}
