"""The GRPO rubric-generator policy comes from a ModelSpec: fresh sizes by default, or a checkpoint
(with its own tokenizer), and the result names the model it trained."""
import dataclasses
import json

from ops.lm.model import ModelSpec
from ops.rubrics.grpo import GRPOSizes, policy_spec, train_rubric_grpo
from ops.rubrics.reward import RewardWeights

PAIRS = [{"pair_id": f"p{i}", "query": "How do I boil an egg?", "answer_a": "Boil it for 9 minutes, then cool it.",
          "answer_b": "Eggs.", "preferred": "a", "source": "test", "language": "en"} for i in range(2)]
ROWS = [{"prompt": [{"role": "user", "content": "Write rubric codes.\nQuery: How do I boil an egg?"}],
         "query": "How do I boil an egg?", "pairs_json": json.dumps(PAIRS)}] * 2
SIZES = GRPOSizes(steps=1, batch_size=2, num_generations=2, max_completion_length=4, hidden_size=32, num_layers=1)


def test_default_policy_is_fresh_sizes_and_a_checkpoint_is_loaded(tmp_path):
    spec = policy_spec(SIZES)
    assert (spec.checkpoint, spec.hidden_size, spec.num_layers) == (None, 32, 1)
    logged = []
    fresh = train_rubric_grpo(ROWS, tmp_path / "fresh", SIZES, RewardWeights(), lambda *a: logged.append(a))
    assert fresh.base_model == "llama-1x32(random)" and fresh.device == "cpu" and logged
    # the trained policy, saved by the first run, is a checkpoint the next run starts from
    ckpt = ModelSpec(checkpoint=str(fresh.checkpoint), device="cpu")
    again = train_rubric_grpo(ROWS, tmp_path / "again", dataclasses.replace(SIZES, hidden_size=64), RewardWeights(),
                              lambda *a: None, spec=ckpt)
    assert again.base_model == "fresh" and again.n_params == fresh.n_params  # the checkpoint's sizes, not 64
