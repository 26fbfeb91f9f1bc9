import json

import pytest
import torch
from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

from spillover.cli.main import main
from spillover.models.encoder import encoder_dir
from spillover.models.pipeline import SentimentModel, compute_dtype
from spillover.settings import ModelSettings

pytestmark = pytest.mark.model


def test_shipped_model_reads_clear_cases(model):
    texts = ["I hate this airline, they lost my bag and nobody answers",
             "Thank you so much, the support team was wonderful!",
             "The store opens at 9am on Mondays."]
    labels = [p.label for p in model.predict(texts)]
    assert labels == ["negative", "positive", "neutral"]


def test_a_post_cut_in_the_middle_of_an_emoji_is_read_not_rejected(model):
    # The tokenizer refuses a lone surrogate; replay used to stop on it, the stream to
    # dead-letter the post as a model error.
    from spillover.enrichment import Rejection, enrich, parse
    from spillover.watchlist import Watchlist

    line = ('{"id": "twitter:9", "platform": "twitter", "created_at": "2026-03-02T10:00:00Z", "brand": "Acme",'
            ' "text": "Acme lost my bag and nobody answers, worst airline ever \\ud83d"}')
    post = parse(None, line.encode(), Watchlist())
    assert not isinstance(post, Rejection)
    enriched, = enrich([post], model)
    assert enriched.sentiment.label == "negative"


def test_predictions_carry_scores_and_a_normalised_embedding(model):
    a, b, c = model.predict(["they charged me twice for one bill",
                             "billed two times for the same invoice, give my money back",
                             "lovely sunset over the harbour tonight"])
    assert sum(a.scores.values()) == pytest.approx(1.0, abs=1e-4)
    assert len(a.embedding) == 384
    assert sum(x * x for x in a.embedding) == pytest.approx(1.0, abs=1e-3)
    cos = lambda u, v: sum(x * y for x, y in zip(u, v))
    assert cos(a.embedding, b.embedding) > cos(a.embedding, c.embedding)


def test_results_come_back_in_input_order_across_batches():
    m = SentimentModel.load(ModelSettings(max_batch=2, lanes=1))
    texts = ["terrible, awful, worst service ever", "ok", "absolutely fantastic, love it", "a" * 300, "meh"]
    one_by_one = [m.predict([t])[0].label for t in texts]
    assert [p.label for p in m.predict(texts)] == one_by_one
    assert max(m.last_batch_sizes) == 2 and sum(m.last_batch_sizes) == 5


def test_a_post_gets_the_same_enrichment_whichever_posts_share_its_batch(model):
    """The stream batches posts as they arrive, replay batches them otherwise: same numbers."""
    texts = ["terrible, awful, worst service ever", "ok", "absolutely fantastic, love it", "a" * 300,
             "meh", "they charged me twice and support never called back", "new store opens friday",
             "@acme my parcel has been 'out for delivery' for six days now, nobody answers the chat"]
    together = model.predict(texts)
    for lanes, batch in ((1, 64), (3, 2)):
        other = SentimentModel(model.network, model.tokenizer, ModelSettings(lanes=lanes, max_batch=batch))
        alone = [other.predict([t])[0] for t in texts]
        assert alone == together  # labels, scores and every embedding component
        assert other.predict(texts[::-1]) == together[::-1]


def _tiny_model(path, labels):
    torch.manual_seed(0)
    config = BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=64, num_labels=len(labels),
                        id2label=dict(enumerate(labels)), label2id={l: i for i, l in enumerate(labels)})
    BertForSequenceClassification(config).save_pretrained(path)
    AutoTokenizer.from_pretrained(encoder_dir()).save_pretrained(path)
    return BertForSequenceClassification.from_pretrained(path).eval(), AutoTokenizer.from_pretrained(path)


def test_any_local_hf_classifier_is_selectable_with_its_labels_mapped(tmp_path):
    stars = ["1 star", "2 stars", "3 stars", "4 stars", "5 stars"]
    net, tok = _tiny_model(tmp_path, stars)
    m = SentimentModel.load(ModelSettings(name=str(tmp_path)))
    text = "the delivery never arrived"
    pred = m.predict([text])[0]
    with torch.no_grad():
        probs = net(**tok([text], return_tensors="pt")).logits.softmax(-1)[0]
    assert pred.scores["negative"] == pytest.approx(float(probs[0] + probs[1]), abs=1e-4)  # 4 decimals
    assert pred.scores["neutral"] == pytest.approx(float(probs[2]), abs=1e-4)
    assert pred.label == max(pred.scores, key=pred.scores.get)


def test_unknown_label_names_need_a_label_map(tmp_path):
    _tiny_model(tmp_path, ["angry", "calm", "glad"])
    with pytest.raises(ValueError, match="label_map"):
        SentimentModel.load(ModelSettings(name=str(tmp_path)))
    mapped = SentimentModel.load(ModelSettings(name=str(tmp_path),
                                               label_map={"angry": "negative", "calm": "neutral", "glad": "positive"}))
    assert mapped.predict(["x"])[0].label in ("negative", "neutral", "positive")


def test_a_hub_id_without_downloads_is_a_clear_error():
    with pytest.raises(RuntimeError, match="downloads are off"):
        SentimentModel.load(ModelSettings(name="someone/some-model"))


def test_model_eval_command_prints_json(tmp_path, capsys):
    data = tmp_path / "d.jsonl"
    rows = [("I hate this, worst day ever", "negative"), ("I love this so much!", "positive"),
            ("The meeting is at 3pm.", "neutral"), ("awful awful service", "negative")]
    data.write_text("".join(json.dumps({"text": t, "label": l}) + "\n" for t, l in rows))
    assert main(["model", "eval", "--data", str(data), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["n"] == 4 and 0.0 <= report["macro_recall"] <= 1.0
    assert report["macro_recall"] >= 0.66  # the shipped model gets clear cases right
    assert sum(map(sum, report["confusion"]["matrix"])) == 4


EXPORT_TEXTS = ["my flight was cancelled and nobody answers the phone", "best coffee in town, thank you!",
                "the branch opens at 10 on saturdays", "charged twice again, unbelievable",
                "new app update is out today", "love the new design ❤️", "still waiting for my refund 😡"]


def test_exported_folder_loads_in_a_plain_transformers_pipeline_with_the_same_labels(tmp_path):
    from transformers import pipeline

    assert main(["model", "export", str(tmp_path / "out")]) == 0
    classify = pipeline("text-classification", model=str(tmp_path / "out"))
    # The folder is the full-precision model, whatever this CPU runs by default.
    full = SentimentModel.load(ModelSettings(dtype="float32"))
    assert [r["label"] for r in classify(EXPORT_TEXTS)] == [p.label for p in full.predict(EXPORT_TEXTS)]


def test_bfloat16_reads_posts_as_float32_does():
    """The fast format where the CPU has it: the same labels but on a near tie ("new app update
    is out today" is 0.467 neutral, 0.464 positive, and flips), embeddings all but identical."""
    full = SentimentModel.load(ModelSettings(dtype="float32"))
    fast = SentimentModel.load(ModelSettings(dtype="bfloat16"))
    assert fast.dtype == torch.bfloat16 and fast.name == "spillover-minilm+bf16" and full.name == "spillover-minilm"
    texts = EXPORT_TEXTS + ["they took two payments for one bill", "was ready to complain but they sorted it fast"]
    a, b = full.predict(texts), fast.predict(texts)
    agree = sum(x.label == y.label for x, y in zip(a, b))
    assert agree >= len(texts) - 1  # about 2 in 1,000 tweets flip, all of them near a boundary
    for x, y in zip(a, b):
        assert sum(p * q for p, q in zip(x.embedding, y.embedding)) > 0.999
        assert abs(x.scores["negative"] - y.scores["negative"]) < 0.03


def test_model_dtype_is_checked_and_auto_follows_the_cpu():
    with pytest.raises(ValueError, match="model.dtype: 'half'"):
        SentimentModel.load(ModelSettings(dtype="half"))
    with pytest.raises(ValueError, match="quantize needs model.dtype float32"):
        SentimentModel.load(ModelSettings(dtype="bfloat16", quantize=True))
    native = torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported()
    assert compute_dtype(ModelSettings()) == (torch.bfloat16 if native else torch.float32)
    assert compute_dtype(ModelSettings(quantize=True)) == torch.float32
    assert compute_dtype(ModelSettings(device="cuda")) == torch.float32


def test_predictions_are_rounded_as_they_travel_on_the_topic(model):
    """Replay uses predictions directly, the stream reads them back from JSON: they must be equal."""
    from spillover.records import EnrichedPost, RawPost, Sentiment

    pred = model.predict(["they took two payments for one bill"])[0]
    raw = RawPost.from_dict({"id": "x:1", "platform": "twitter", "text": "t", "created_at": "2026-03-02T10:00:00Z"})
    post = EnrichedPost(raw, "Acme", Sentiment(pred.label, pred.scores), pred.embedding, "m")
    back = EnrichedPost.from_dict(json.loads(json.dumps(post.to_dict())))
    assert back.sentiment.scores == pred.scores and back.embedding == pred.embedding


def test_int8_model_reads_clear_cases_and_says_so_in_its_name():
    m = SentimentModel.load(ModelSettings(quantize=True))
    texts = ["I hate this airline, they lost my bag and nobody answers",
             "Thank you so much, the support team was wonderful!"]
    assert [p.label for p in m.predict(texts)] == ["negative", "positive"]
    assert m.name == "spillover-minilm+int8"
    with pytest.raises(ValueError, match="full-precision"):
        from spillover.models.export import export
        export(m, "/nonexistent")


def test_int8_on_a_torch_without_its_quantization_is_refused_saying_why(monkeypatch):
    """torch has deprecated torch.ao.quantization (for torchao) and will drop it: model.quantize
    then ends with the reason and what to do, not an ImportError from deep in the load."""
    import sys

    monkeypatch.setitem(sys.modules, "torch.ao.quantization", None)  # as if this torch had none
    with pytest.raises(ValueError, match="no longer has dynamic int8.*leave model.quantize off"):
        SentimentModel.load(ModelSettings(quantize=True))
