"""How fast the encoder would be with fewer layers: the ceiling for a distilled student.

    python -m spillover.models.depth_bench --data ../shared/data/sentiment/validation.jsonl

Cuts the shipped network to its first k transformer layers (untrained as such, so labels are
meaningless: this measures speed only) and times it the way `spillover model bench` does, in
fp32 and dynamic int8. If even one layer misses a speed target on a machine, no student of
MiniLM's width can meet it there; see BENCHMARKS.md.
"""
from __future__ import annotations

import argparse
import copy
import json

from ..settings import ModelSettings
from .data import read_texts
from .evaluate import bench
from .pipeline import SentimentModel


def truncated(model: SentimentModel, layers: int, quantize: bool) -> SentimentModel:
    network = copy.deepcopy(model.network)
    network.bert.encoder.layer = network.bert.encoder.layer[:layers]
    network.config.num_hidden_layers = layers
    return SentimentModel(network, model.tokenizer, ModelSettings(quantize=quantize))


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default="../shared/data/sentiment/validation.jsonl")
    p.add_argument("--layers", default="6,3,2,1", help="comma-separated depths to time")
    p.add_argument("--posts", type=int, default=2000)
    args = p.parse_args(argv)
    base, texts = SentimentModel.load(ModelSettings()), read_texts(args.data)
    for layers in (int(x) for x in args.layers.split(",")):
        for quantize in (False, True):
            result = bench(truncated(base, layers, quantize), texts, args.posts)
            print(json.dumps({"layers": layers, "int8": quantize,
                              "posts_per_second": result["posts_per_second"]}), flush=True)


if __name__ == "__main__":
    main()
