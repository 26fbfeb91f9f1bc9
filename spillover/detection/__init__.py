"""Escalation detection: the deterministic core shared by the stream workers and `replay`."""
from .detector import Detector

__all__ = ["Detector"]
