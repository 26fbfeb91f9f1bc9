"""What a complaint says, as a unit vector: the model's embedding, or hashed words without one."""
from __future__ import annotations

import zlib

import numpy as np

from .terms import post_terms

HASHED_DIM = 256


def post_vector(embedding: tuple[float, ...], text: str, brand: str) -> np.ndarray:
    """The model's sentence embedding when the post carries one.

    Without one (a model that gives none, an older producer) the post's content words are
    hashed into a fixed-size vector: cruder, but it still tells "charged twice" from "no signal".
    """
    if embedding:
        v = np.asarray(embedding, dtype=np.float64)
    else:
        v = np.zeros(HASHED_DIM)
        for term in post_terms(text, frozenset(brand.lower().split())):
            v[zlib.crc32(term.encode()) % HASHED_DIM] += 1.0
    norm = float(np.sqrt(v @ v))
    return v / norm if norm else v


def unit(v: np.ndarray) -> np.ndarray:
    norm = float(np.sqrt(v @ v))
    return v / norm if norm else v
