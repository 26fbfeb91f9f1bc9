"""The sweep's out-of-fold bookkeeping: the held-out estimate is only fair if no model scores
a tweet it was trained on, and every tweet's score comes from the model that held it out."""
import torch

from spillover.models.sweep import FOLDS, fold_splits, folds_of, stitch


def test_each_fold_trains_on_the_extra_data_and_the_other_folds_only():
    scored = ([f"s{i}" for i in range(23)], [i % 3 for i in range(23)])
    extra = (["e0", "e1"], [0, 2])
    folds = folds_of(23)
    assert sorted(i for f in folds for i in f) == list(range(23)) and len(folds) == FOLDS
    for fold, ((train_texts, train_labels), (held_texts, held_labels)) in zip(folds, fold_splits(scored, extra, folds)):
        assert held_texts == [f"s{i}" for i in fold]
        assert held_labels == [i % 3 for i in fold]
        assert not set(held_texts) & set(train_texts)
        assert sorted(train_texts) == sorted(extra[0] + [f"s{i}" for i in range(23) if i not in fold])
        assert dict(zip(train_texts, train_labels))["e1"] == 2


def test_stitched_logits_put_each_fold_s_scores_back_at_its_own_tweets():
    folds = folds_of(11)
    # Each fold's model "scores" tweet i as [i, epoch, fold]: the stitched table must say which.
    by_fold = {k: [[[float(i), float(e), float(k)] for i in fold] for e in range(2)] for k, fold in enumerate(folds)}
    stacked = stitch(folds, by_fold)
    assert stacked.shape == (2, 11, 3)
    home = {i: k for k, fold in enumerate(folds) for i in fold}
    for e in range(2):
        for i in range(11):
            assert stacked[e, i].tolist() == [i, e, home[i]]
    assert torch.isfinite(stacked).all()
