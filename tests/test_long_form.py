"""Long-form posts (blogs, news) are read a sentence at a time; short ones as a whole."""
import json

import pytest

from spillover.enrichment import enrich
from spillover.long_form import MAX_SENTENCES, sentences
from spillover.records import RawPost
from spillover.settings import DetectionSettings

# A travel blog with one complaint among ordinary sentences: the model, trained on tweets,
# reads the whole as neutral.
TRAVEL_BLOG = ("Notes from a long weekend. We stayed three nights near the harbour. The Acme Hotel charged my "
               "card twice and the front desk refuses to refund it. The food market on Sunday is worth a visit.")
FEED_ITEM = ("Moving house, part two\nThe movers came on Tuesday. Acme Broadband still has not connected the "
             "line after three weeks of calls. The garden is lovely though.")


def _post(platform: str, text: str, n: int = 1) -> RawPost:
    return RawPost.from_bytes(json.dumps({"id": f"{platform}:{n}", "platform": platform, "text": text,
                                          "brand": "Acme", "created_at": "2026-03-03T10:00:00Z"}).encode())


def test_sentences_split_at_sentence_ends_and_lines():
    assert sentences(FEED_ITEM) == ["Moving house, part two", "The movers came on Tuesday.",
                                    "Acme Broadband still has not connected the line after three weeks of calls.",
                                    "The garden is lovely though."]
    assert sentences("v2.5 is out! Was it worth it?  Yes.") == ["v2.5 is out!", "Was it worth it?", "Yes."]
    assert len(sentences("Again. " * 50)) == MAX_SENTENCES


@pytest.mark.model
@pytest.mark.parametrize("text", [TRAVEL_BLOG, FEED_ITEM])
def test_a_complaint_inside_a_blog_post_counts_as_one(model, text):
    threshold = DetectionSettings().negative_threshold
    whole, *parts = model.predict([text] + sentences(text))
    assert whole.scores["negative"] < threshold  # what reading the post whole used to give

    blog, tweet = enrich([_post("blog", text), _post("twitter", text, 2)], model)
    worst = max(parts, key=lambda p: p.scores["negative"])
    assert blog.sentiment.negative >= threshold
    assert (blog.sentiment.label, blog.sentiment.scores) == (worst.label, worst.scores)
    # What the post is about is still the whole post: the detector groups by it.
    assert blog.embedding == whole.embedding
    # Tweets are what the model was trained on: read whole.
    assert (tweet.sentiment.label, tweet.sentiment.scores, tweet.embedding) == (whole.label, whole.scores,
                                                                               whole.embedding)


@pytest.mark.model
def test_a_blog_post_reads_the_same_alone_or_among_others(model):
    """Its sentences share the model's batch with other posts: the stream and replay still agree."""
    posts = [_post("blog", TRAVEL_BLOG), _post("twitter", "they lost my bag again", 2), _post("blog", FEED_ITEM, 3)]
    together = enrich(posts, model)
    alone = [enrich([p], model)[0] for p in posts]
    assert together == alone
