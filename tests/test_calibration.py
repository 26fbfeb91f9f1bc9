"""Class-bias calibration: offsets that raise macro recall, and none where none are needed."""
import json
import shutil

import pytest
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


@pytest.mark.model
def test_calibrating_an_artefact_on_labelled_posts_shifts_its_biases_and_can_be_redone(tmp_path):
    from safetensors.torch import load_file
    from transformers import AutoTokenizer

    from spillover.models.calibrate import apply_to_artefact, logits_of
    from spillover.models.encoder import ARTEFACT_DIR, LABELS, encoder_dir
    from spillover.models.loading import load_shipped

    artefact = tmp_path / "artefact"
    shutil.copytree(ARTEFACT_DIR, artefact)
    before = load_file(artefact / "adapter.safetensors")["classifier.bias"]
    texts = ["they took two payments for one bill", "my contract renewed without anyone asking me",
             "charged me 40 in fees nobody mentioned", "third time this week the train is late",
             "still no reply to my email from monday", "they changed the price after I paid",
             "my order says delivered but nothing arrived", "the branch opens at 10 on saturdays",
             "new app update is out today", "love the new design, thank you",
             "best support I have had in years", "worst airline ever, lost my bag again"]
    # Labelled by someone who counts borderline posts as complaints: the head must lean that way.
    logits = logits_of(load_shipped(artefact), AutoTokenizer.from_pretrained(encoder_dir()), texts)
    labels = (logits + torch.tensor([1.0, 0.0, 0.0])).argmax(-1)
    assert (labels != logits.argmax(-1)).any()
    data = tmp_path / "labelled.jsonl"
    data.write_text("".join(json.dumps({"text": t, "label": LABELS[int(l)]}) + "\n" for t, l in zip(texts, labels)))

    first = apply_to_artefact(artefact, data)
    shifted = load_file(artefact / "adapter.safetensors")["classifier.bias"]
    assert first["offsets"][0] > 0 and first["macro_recall_fitted"] > first["macro_recall_before"]
    assert torch.allclose(shifted - before, torch.tensor(first["offsets"]), atol=1e-6)
    assert json.loads((artefact / "training.json").read_text())["calibration"]["data"] == str(data)

    again = apply_to_artefact(artefact, data)  # the previous shift is undone before refitting
    assert again["offsets"] == first["offsets"]
    assert torch.allclose(load_file(artefact / "adapter.safetensors")["classifier.bias"], shifted, atol=1e-6)
