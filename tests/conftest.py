"""Shared fixtures: the embedded broker and the real model are expensive, so one per session."""
from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # prove nothing is fetched from a hub
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="session", autouse=True)
def temporary_files_under_pytests_folder(tmp_path_factory):
    """What the tests make in the temporary directory (broker logs, data dirs, the folders of
    workers whose failure a test provokes) lands in pytest's own folder, which it prunes to
    the last three runs, instead of piling up in /tmp. TMPDIR for the workers it starts."""
    import tempfile

    folder = str(tmp_path_factory.mktemp("tmp"))
    tempfile.tempdir, os.environ["TMPDIR"] = folder, folder
    yield
    tempfile.tempdir = None


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
