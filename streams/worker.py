"""`spillover worker`: load the model, create the topics, run the Faust agents until stopped."""
from __future__ import annotations

import asyncio
import logging

import faust

from ..detection import Detector
from ..kafka_cluster import Cluster
from ..kafka_io import ensure_topics
from ..metrics import PipelineMetrics
from ..settings import Settings
from ..watchlist import Watchlist
from .app import create_app

log = logging.getLogger(__name__)


def run_worker(settings: Settings) -> None:
    """Blocks until SIGINT/SIGTERM; Faust then commits offsets and leaves the group cleanly."""
    from ..models.pipeline import SentimentModel  # heavy import, only where a model is needed

    if not settings.kafka.broker:
        raise SystemExit("spillover worker needs --broker HOST:PORT (or SPILLOVER_BROKER)")
    # The watchlist and the settings first: a mistake in them is said at once, not after the
    # topics are made and the model is loaded.
    cluster = Cluster.from_settings(settings.kafka)
    watchlist = Watchlist.load(settings.app.watchlist)
    detector = Detector.for_watchlist(settings.detection, watchlist)
    ensure_topics(settings, cluster)
    model = SentimentModel.load(settings.model)
    metrics = PipelineMetrics()
    metrics.serve(settings.app.metrics_port)
    log.info("model %s on %s; metrics on :%s", model.name, model.device, settings.app.metrics_port or "off")
    # Faust's worker wants a loop of its own; make one so it also works off the main thread's default.
    asyncio.set_event_loop(asyncio.new_event_loop())
    app = create_app(settings, model, metrics, watchlist, detector, cluster)
    worker = faust.Worker(app, loglevel=settings.app.log_level.upper(), quiet=True,
                          redirect_stdouts=False, override_logging=False)
    worker.execute_from_commandline()
