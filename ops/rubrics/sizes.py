"""Run sizes per profile (``ops.profiles.pick``) for the rubric branch."""
from __future__ import annotations

import dataclasses

from ops.rubrics.grpo import PolicySizes
from ops.rubrics.learned import GENERATOR_CONFIG

SIZES = {
    "tiny": {"test_fraction": 0.3, "n_boot": 100,
             "learned": dataclasses.replace(GENERATOR_CONFIG, max_criteria=12, cv_folds=3),
             "policy": PolicySizes(hidden_size=32, num_layers=1, vocab_size=320, max_codes=4, sft_steps=30,
                                   sft_batch=8, grpo_steps=4, grpo_batch=8, num_generations=4, beta=0.0)},
    "demo": {"test_fraction": 0.3, "n_boot": 1000,
             "learned": dataclasses.replace(GENERATOR_CONFIG, max_criteria=16, cv_folds=4),
             "policy": PolicySizes(grpo_steps=24, grpo_batch=32)},
    "full": {"test_fraction": 0.3, "n_boot": 2000, "learned": GENERATOR_CONFIG, "policy": PolicySizes()},
}
