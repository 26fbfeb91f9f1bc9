"""Shared fixtures: the embedded broker and the real model are expensive, so one per session."""
from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # prove nothing is fetched from a hub
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="session")
def broker():
    from spillover.broker import EmbeddedBroker

    with EmbeddedBroker() as b:
        yield b.bootstrap


@pytest.fixture(scope="session")
def model():
    from spillover.models.pipeline import SentimentModel
    from spillover.settings import ModelSettings

    return SentimentModel.load(ModelSettings())
