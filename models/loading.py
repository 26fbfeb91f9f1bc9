"""Build the network for a model name: the shipped adapter model, or any HF classifier."""
from __future__ import annotations

import json
from pathlib import Path

from safetensors.torch import load_file
from transformers import (
    AutoModelForSequenceClassification,
    AutoTokenizer,
    BertConfig,
    BertForSequenceClassification,
    PreTrainedModel,
    PreTrainedTokenizerBase,
)
from transformers.utils import logging as hf_logging

from . import lora
from .encoder import ARTEFACT_DIR, SHIPPED_NAME, encoder_dir


def load_network(name: str, allow_download: bool = False) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    if name == SHIPPED_NAME:
        return load_shipped(), AutoTokenizer.from_pretrained(encoder_dir())
    local = Path(name).exists()
    if not local and not allow_download:
        raise RuntimeError(
            f"model {name!r} is not a local folder and downloads are off; export it to a folder "
            "or set model.allow_download=true where the hub is reachable"
        )
    kwargs = {"local_files_only": local or not allow_download}
    return (AutoModelForSequenceClassification.from_pretrained(name, **kwargs),
            AutoTokenizer.from_pretrained(name, **kwargs))


def load_shipped(artefact: Path = ARTEFACT_DIR) -> BertForSequenceClassification:
    """MiniLM encoder from site-packages + the repo's LoRA deltas and head, merged."""
    adapter = artefact / "adapter.safetensors"
    if not adapter.exists():
        raise RuntimeError(f"the shipped model's adapter is missing ({adapter}); "
                           "train it with: python -m spillover.models.train")
    config = BertConfig(**json.loads((artefact / "config.json").read_text()))
    model = BertForSequenceClassification.from_pretrained(encoder_dir(), config=config)
    tensors = load_file(adapter)
    deltas = {
        key.removesuffix(".lora_a") + ".weight": tensors[key.removesuffix("_a") + "_b"] @ tensors[key]
        for key in tensors if key.endswith(".lora_a")
    }
    lora.merge_deltas(model, deltas)
    head = {k: v for k, v in tensors.items() if not k.endswith((".lora_a", ".lora_b"))}
    missing = set(head) - set(model.state_dict())
    if missing:
        raise RuntimeError(f"adapter has weights the model lacks: {sorted(missing)[:3]}")
    model.load_state_dict(head, strict=False)
    return model.eval()
