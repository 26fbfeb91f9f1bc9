"""Agent: posts.raw -> validate -> model (in a worker thread) -> posts.enriched, or posts.dlq."""
from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import Executor

from ..enrichment import Model, Rejection, enrich, parse
from ..metrics import PipelineMetrics
from ..records import EnrichedPost, RawPost, encode_json
from ..settings import ModelSettings
from ..watchlist import Watchlist
from .dlq import dead_letter
from .gaps import GapFiller

log = logging.getLogger(__name__)


def enrich_agent(topics, model: Model, watchlist: Watchlist, cfg: ModelSettings,
                 metrics: PipelineMetrics, executor: Executor, gaps: GapFiller, max_future_s: float = 0.0):
    async def send_dlq(rejection: Rejection, message) -> None:
        await dead_letter(topics.dlq, metrics, rejection.key, rejection.value, rejection.code, rejection.reason,
                          message)

    async def run_model(posts: list[RawPost]) -> list[EnrichedPost | Exception]:
        loop = asyncio.get_running_loop()
        start = time.perf_counter()
        try:
            # Off the event loop: heartbeats and fetches go on while the model works.
            results = await loop.run_in_executor(executor, enrich, posts, model)
        except Exception:
            log.exception("model failed on a batch of %d; retrying post by post", len(posts))
            results = [await _one(loop, post) for post in posts]
        metrics.model_batch_seconds.observe(time.perf_counter() - start)
        metrics.model_batch_size.observe(len(posts))
        return results

    async def _one(loop, post: RawPost) -> EnrichedPost | Exception:
        try:
            return (await loop.run_in_executor(executor, enrich, [post], model))[0]
        except Exception as exc:  # one bad text must not take the batch down with it
            return exc

    async def handle(events) -> None:
        valid = []
        for event in events:
            parsed = parse(event.key, event.value, watchlist, max_future_s)
            if isinstance(parsed, Rejection):
                await send_dlq(parsed, event.message)
            else:
                metrics.posts_in.labels(metrics.platform(parsed.platform)).inc()
                valid.append((parsed, event))
        if not valid:
            return
        results = await run_model([post for post, _ in valid])
        for (post, event), result in zip(valid, results):
            if isinstance(result, Exception):
                await send_dlq(Rejection(event.key, event.value, "model_error", str(result)), event.message)
                continue
            await topics.enriched.send(key=result.brand.encode(), value=encode_json(result.to_dict()))
            metrics.posts_out.labels(metrics.platform(post.platform)).inc()
            metrics.enrich_latency.observe(max(0.0, time.time() - event.message.timestamp))

    async def agent(stream):
        async for batch in stream.take_events(cfg.max_batch, within=cfg.batch_wait_s):
            events = await gaps.complete(batch)
            await handle(events)
            gaps.handled(events)

    return agent
