"""What a complaint says, as a unit vector: the model's embedding, or hashed words without one."""
from __future__ import annotations

import math
import struct
import zlib

import numpy as np

from .terms import post_terms

HASHED_DIM = 256
SHRINK = 0.8   # of the brand's usual complaint taken away (a fifth stays in)


def post_vector(embedding: tuple[float, ...], text: str, brand: str) -> np.ndarray:
    """The model's sentence embedding when the post carries one.

    Without one (a model that gives none, an older producer) the post's content words are
    hashed into a fixed-size vector: cruder, but it still tells "charged twice" from "no signal".
    """
    if embedding:
        # Packed by struct: a third of np.fromiter's time on a tuple of floats (a fifth of
        # asarray's), and it runs for every complaint. A bytearray, so the array is writable.
        v = np.frombuffer(bytearray(struct.pack(f"{len(embedding)}d", *embedding)), dtype=np.float64)
    else:
        v = np.zeros(HASHED_DIM)
        for term in post_terms(text, frozenset(brand.lower().split())):
            v[zlib.crc32(term.encode()) % HASHED_DIM] += 1.0
    return unit(v)


def unit(v: np.ndarray) -> np.ndarray:
    norm = math.sqrt(v.dot(v))  # .dot: half the call overhead of @ on one vector
    return v / norm if norm else v


def centred(usual: dict, vec: np.ndarray, horizon: float) -> np.ndarray:
    """The complaint as it differs from the brand's usual complaint, then counted into that usual.

    Every complaint about a brand shares the brand's name and a negative tone, and those
    dominate a sentence embedding: two different problems of one brand come out 0.7-0.9
    alike. Taking away the running mean of the brand's complaints (an average over about the
    last `horizon` of them) leaves what this complaint is about, where one problem is about
    0.5 alike and two problems about 0.2. A fifth of the usual stays in, so a complaint that
    is exactly the usual one keeps its own direction instead of a rounding error's.
    """
    total = usual.get("v")
    if total is None or len(total) != len(vec):
        usual["v"], usual["w"] = vec.copy(), 1.0
        return vec
    total = np.asarray(total, dtype=np.float64)
    out = unit(vec - SHRINK * total / usual["w"])
    keep = 1.0 - 1.0 / horizon
    usual["v"], usual["w"] = total * keep + vec, usual["w"] * keep + 1.0
    return out
