"""The one way to run sentiment in Spillover: `SentimentModel.load(settings).predict(texts)`.

Each call returns, per text, a label, the three class scores, and a normalised sentence
embedding from the same forward pass (mean of the last hidden layer) for grouping posts.

A post's results do not depend on the posts that share its batch: texts are padded to a
width set by their own length, and batches hold one width each. (Padded to its longest
batch-mate, a post's numbers moved slightly, enough to flip the fourth decimal of some
embedding components, and the stream, which batches as messages arrive, could then disagree
with replay; tests/test_model.py checks this.) The dynamic int8 model is the exception: it scales activations per batch.

On a CPU with native bfloat16 (AVX512-BF16 or AMX) the forward pass runs in bfloat16 unless
`model.dtype` says otherwise: about three times float32's speed there, with the same labels on
validation. It keeps the batch independence: each row of a matrix product is still summed in
the same order whatever shares its batch (tests/test_model.py runs that check on the model as
loaded, so in bfloat16 wherever the CPU has it).

On a CPU the batches of one call run in `lanes` side by side, each lane a single-threaded
forward pass. Two threads sharing every matrix product wait for each other at each step, and
wait long whenever the worker's event loop takes one of the cores; lanes do not.
"""
from __future__ import annotations

import os
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import torch

from ..settings import ModelSettings
from .encoder import LABELS
from .labels import label_mapping
from .loading import load_network

# Texts are padded to a multiple of this many tokens, whatever else is in their batch.
PAD_TO = 8


@dataclass(frozen=True)
class Prediction:
    label: str
    scores: dict[str, float]
    embedding: tuple[float, ...]


class SentimentModel:
    def __init__(self, network, tokenizer, settings: ModelSettings):
        self.dtype = compute_dtype(settings)
        network = network.to(settings.device, self.dtype).eval()
        if quantized(settings):
            network = _int8(network)
        self.network = network
        self.tokenizer = tokenizer
        self.settings = settings
        self.name = model_name(settings)
        self.device = settings.device
        mapping = self._mapping = label_mapping(network.config.id2label, settings.label_map)
        # Sum the model's classes into ours (a 5-star model has two negative classes).
        self._projection = torch.zeros(len(mapping), len(LABELS))
        for index, label in enumerate(mapping):
            self._projection[index, LABELS.index(label)] = 1.0
        self.last_batch_sizes: list[int] = []
        self.lanes = lanes_for(settings)
        if settings.threads > 0 or self.lanes > 1:  # torch's thread count is process-wide
            torch.set_num_threads(settings.threads or max(1, (os.cpu_count() or 1) // self.lanes))
        self._lanes = ThreadPoolExecutor(self.lanes, thread_name_prefix="model-lane") if self.lanes > 1 else None

    def label_names(self) -> list[str]:
        """Our label for each of the network's outputs."""
        return list(self._mapping)

    @classmethod
    def load(cls, settings: ModelSettings) -> "SentimentModel":
        network, tokenizer = load_network(settings.name, settings.allow_download)
        return cls(network, tokenizer, settings)

    def predict(self, texts: list[str]) -> list[Prediction]:
        """Predict in batches of one padded width each, results in input order.

        Each text is padded to a width set by its own length (a multiple of PAD_TO tokens),
        never by its batch-mates': a post's scores and embedding are then the same whichever
        posts share its batch, so the stream (batches as messages arrive) and replay agree.
        """
        # Tokenised here, one after another: a fast tokenizer must not be used by two threads at once.
        enc = self.tokenizer(texts, truncation=True, max_length=self.settings.max_length)
        widths = [padded_width(len(ids), self.settings.max_length) for ids in enc["input_ids"]]
        batches = _deal(sorted(range(len(texts)), key=lambda i: widths[i]), widths,
                        self.settings.max_batch, self.lanes)
        encodings = [self._pad(enc, idx, widths[idx[0]]) for idx in batches]
        outputs = self._lanes.map(self._forward, encodings) if self._lanes else map(self._forward, encodings)
        results: list[Prediction | None] = [None] * len(texts)
        for idx, predictions in zip(batches, outputs):
            for i, pred in zip(idx, predictions):
                results[i] = pred
        self.last_batch_sizes = [len(idx) for idx in batches]
        return results  # type: ignore[return-value]

    def _pad(self, enc, idx: list[int], width: int):
        rows = [{key: values[i] for key, values in enc.items()} for i in idx]
        return self.tokenizer.pad(rows, padding="max_length", max_length=width, return_tensors="pt").to(self.device)

    @torch.inference_mode()
    def _forward(self, enc) -> list[Prediction]:
        out = self.network(**enc, output_hidden_states=True)
        probs = out.logits.float().softmax(-1).cpu() @ self._projection
        hidden = out.hidden_states[-1].float()  # pooled in float32 whatever the forward pass ran in
        mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1)
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


DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16}


def compute_dtype(settings: ModelSettings) -> torch.dtype:
    """The forward pass's number format. "auto" takes bfloat16 only where the CPU computes it
    natively: elsewhere it is emulated and slower than float32. GPUs keep float32 under "auto"
    (the measured figures are float32's); ask for bfloat16 there by name."""
    if settings.dtype == "auto":
        native = torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported()
        return torch.bfloat16 if settings.device == "cpu" and native and not settings.quantize else torch.float32
    if settings.dtype not in DTYPES:
        raise ValueError(f"model.dtype: {settings.dtype!r} is not one of auto, {', '.join(DTYPES)}")
    if settings.quantize and settings.dtype != "float32":
        raise ValueError("model.quantize needs model.dtype float32 (or auto): int8 works on float32 activations")
    return DTYPES[settings.dtype]


def quantized(settings: ModelSettings) -> bool:
    """Whether the linear layers run in dynamic int8: asked for, and on a CPU (torch has no
    dynamic int8 kernels elsewhere, so a GPU keeps the float weights)."""
    return settings.quantize and settings.device == "cpu"


def _int8(network):
    """The network with its linear layers in dynamic int8. torch has deprecated the eager
    quantization it comes from (for the separate torchao package) and will drop it: then the
    setting is refused, saying why, rather than the worker ending on an ImportError."""
    try:
        from torch.ao.quantization import quantize_dynamic
    except ImportError:
        raise ValueError(f"model.quantize: torch {torch.__version__} no longer has dynamic int8 "
                         "(torch.ao.quantization); leave model.quantize off (model.dtype auto runs bfloat16 "
                         "where the CPU has it)") from None
    with warnings.catch_warnings():  # its deprecation notices at every load: known, and handled above
        warnings.filterwarnings("ignore", message=r"(?s).*quantiz.*deprecated")
        return quantize_dynamic(network, {torch.nn.Linear}, dtype=torch.qint8)


def model_name(settings: ModelSettings) -> str:
    """The name posts.enriched carries: the model's, and how it runs when not in float32."""
    if quantized(settings):
        return settings.name + "+int8"
    return settings.name + ("+bf16" if compute_dtype(settings) == torch.bfloat16 else "")


def padded_width(tokens: int, max_length: int) -> int:
    return min(max_length, -(-tokens // PAD_TO) * PAD_TO)


def _deal(order: list[int], widths: list[int], max_batch: int, lanes: int) -> list[list[int]]:
    """Batches of one width each, at most max_batch, from indices sorted by width. A width's
    texts are dealt out in turn over `lanes` batches, so the batches that run side by side are
    about as big and finish together."""
    batches: list[list[int]] = []
    start = 0
    while start < len(order):
        end = start
        while end < len(order) and widths[order[end]] == widths[order[start]]:
            end += 1
        group = order[start:end]
        size = min(max_batch, -(-len(group) // lanes))
        for first in range(0, len(group), size * lanes):
            chunk = group[first:first + size * lanes]
            batches.extend(b for b in (chunk[lane::lanes] for lane in range(lanes)) if b)
        start = end
    return batches


def lanes_for(settings: ModelSettings) -> int:
    """Side-by-side forward passes on a CPU: by default one per core, at most four (more would
    cut a batch into slices too thin for efficient matrix products); always one on a GPU."""
    if settings.device != "cpu":
        return 1
    return settings.lanes or max(1, min(4, (os.cpu_count() or 1) // max(1, settings.threads)))
