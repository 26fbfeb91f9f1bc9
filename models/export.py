"""`spillover model export DIR`: the configured model as a standard Hugging Face folder.

The shipped model is the pip-installed encoder with the repository's adapters merged in; the
exported folder holds the merged weights, config and tokenizer, so anything that speaks
Hugging Face (`transformers.pipeline("text-classification", model=DIR)`, TGI, Optimum) loads
it with no Spillover code and gives the same labels.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import torch

from .encoder import ARTEFACT_DIR, SHIPPED_NAME
from .pipeline import SentimentModel


def export(model: SentimentModel, out: str | Path) -> Path:
    if model.settings.quantize or model.dtype != torch.float32:
        raise ValueError("export the full-precision model (float32, without --quantize); "
                         "choose int8 or bfloat16 where it is loaded")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    network = model.network
    if model.settings.label_map:
        # Bake the mapping in, so the folder's labels are ours.
        mapping = model.label_names()
        network.config.id2label = dict(enumerate(mapping))
        network.config.label2id = {name: i for i, name in enumerate(mapping)}
    network.save_pretrained(out)
    model.tokenizer.save_pretrained(out)
    if model.name == SHIPPED_NAME:
        shutil.copy(ARTEFACT_DIR / "README.md", out / "README.md")
        training = json.loads((ARTEFACT_DIR / "training.json").read_text())
        (out / "spillover.json").write_text(json.dumps(
            {"model": SHIPPED_NAME, "training": training["hyperparameters"]}, indent=2))
    return out
