"""Class-bias calibration: offsets that raise macro recall, and none where none are needed."""
import torch

from spillover.models.calibrate import cross_validated, fit_offsets, macro_recall


def _skewed(n: int = 600, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Separable classes whose logits understate 'negative' by a constant, as a skewed head does."""
    g = torch.Generator().manual_seed(seed)
    gold = torch.arange(n) % 3
    logits = torch.nn.functional.one_hot(gold, 3).float() * 2 + torch.randn(n, 3, generator=g) * 0.6
    logits[:, 0] -= 1.0
    return logits, gold


def test_offsets_give_back_the_recall_a_skewed_head_loses():
    logits, gold = _skewed()
    offsets = fit_offsets(logits, gold)
    assert offsets[0] > 0.5 and offsets[1] == 0.0  # 'negative' pushed back up
    assert macro_recall(logits + torch.tensor(offsets), gold) > macro_recall(logits, gold) + 0.04


def test_a_fair_head_is_left_alone():
    logits, gold = _skewed()
    logits[:, 0] += 1.0
    offsets = fit_offsets(logits, gold)
    assert max(abs(o) for o in offsets) <= 0.2


def test_the_held_out_estimate_is_not_above_the_fitted_figure():
    logits, gold = _skewed(seed=3)
    fitted = macro_recall(logits + torch.tensor(fit_offsets(logits, gold)), gold)
    assert cross_validated(logits, gold, splits=2) <= fitted + 1e-9
    assert cross_validated(logits, gold, splits=2) > macro_recall(logits, gold)
