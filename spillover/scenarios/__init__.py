"""Scenario generation and the bundled sample scenario used by `spillover demo`."""
from pathlib import Path

HERE = Path(__file__).resolve().parent
SAMPLE_POSTS = HERE / "sample.jsonl"
SAMPLE_TRUTH = HERE / "sample.truth.jsonl"
SAMPLE_WATCHLIST = HERE / "watchlist.yaml"
