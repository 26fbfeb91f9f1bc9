"""The one way to run sentiment in Spillover: `SentimentModel.load(settings).predict(texts)`.

Each call returns, per text, a label, the three class scores, and a normalised sentence
embedding from the same forward pass (mean of the last hidden layer) for grouping posts.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import torch

from ..settings import ModelSettings
from .encoder import LABELS
from .labels import label_mapping
from .loading import load_network


@dataclass(frozen=True)
class Prediction:
    label: str
    scores: dict[str, float]
    embedding: tuple[float, ...]


class SentimentModel:
    def __init__(self, network, tokenizer, settings: ModelSettings):
        network = network.to(settings.device).eval()
        if settings.quantize and settings.device == "cpu":
            network = torch.ao.quantization.quantize_dynamic(network, {torch.nn.Linear}, dtype=torch.qint8)
        self.network = network
        self.tokenizer = tokenizer
        self.settings = settings
        self.name = settings.name + ("+int8" if settings.quantize and settings.device == "cpu" else "")
        self.device = settings.device
        mapping = self._mapping = label_mapping(network.config.id2label, settings.label_map)
        # Sum the model's classes into ours (a 5-star model has two negative classes).
        self._projection = torch.zeros(len(mapping), len(LABELS))
        for index, label in enumerate(mapping):
            self._projection[index, LABELS.index(label)] = 1.0
        self.last_batch_sizes: list[int] = []

    def label_names(self) -> list[str]:
        """Our label for each of the network's outputs."""
        return list(self._mapping)

    @classmethod
    def load(cls, settings: ModelSettings) -> "SentimentModel":
        if settings.threads > 0:
            torch.set_num_threads(settings.threads)
        network, tokenizer = load_network(settings.name, settings.allow_download)
        return cls(network, tokenizer, settings)

    def predict(self, texts: list[str]) -> list[Prediction]:
        """Predict in length-sorted batches (less padding), results in input order."""
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        results: list[Prediction | None] = [None] * len(texts)
        self.last_batch_sizes = []
        for start in range(0, len(order), self.settings.max_batch):
            idx = order[start:start + self.settings.max_batch]
            for i, pred in zip(idx, self._forward([texts[i] for i in idx])):
                results[i] = pred
            self.last_batch_sizes.append(len(idx))
        return results  # type: ignore[return-value]

    @torch.inference_mode()
    def _forward(self, texts: list[str]) -> list[Prediction]:
        enc = self.tokenizer(texts, padding=True, truncation=True, max_length=self.settings.max_length,
                             return_tensors="pt").to(self.device)
        out = self.network(**enc, output_hidden_states=True)
        probs = out.logits.float().softmax(-1).cpu() @ self._projection
        mask = enc["attention_mask"].unsqueeze(-1).to(out.hidden_states[-1].dtype)
        pooled = (out.hidden_states[-1] * mask).sum(1) / mask.sum(1).clamp(min=1)
        # Four decimals: what travels on posts.enriched, so replay and stream see the same vectors.
        embeddings = torch.nn.functional.normalize(pooled.float(), dim=-1).cpu().double().numpy().round(4)
        return [
            Prediction(LABELS[int(p.argmax())], {label: round(float(x), 4) for label, x in zip(LABELS, p)},
                       tuple(e.tolist()))
            for p, e in zip(probs, embeddings)
        ]

    def timed_predict(self, texts: list[str]) -> tuple[list[Prediction], float]:
        start = time.perf_counter()
        return self.predict(texts), time.perf_counter() - start
