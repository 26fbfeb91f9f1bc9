"""One typed settings object for every command.

Precedence, highest first: command-line flags, `SPILLOVER_*` environment variables, a YAML
config file (`--config` / `SPILLOVER_CONFIG`), then defaults that work on a laptop.
Environment names are `SPILLOVER_<SECTION>_<FIELD>` (e.g. `SPILLOVER_DETECTION_QUIET_HOURS`),
plus the short `SPILLOVER_BROKER` for the bootstrap servers.
"""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import yaml

ENV_PREFIX = "SPILLOVER_"
SHORT_ENV = {"SPILLOVER_BROKER": ("kafka", "broker"), "SPILLOVER_WATCHLIST": ("app", "watchlist")}


@dataclass(frozen=True)
class KafkaSettings:
    broker: str = ""  # empty: commands that can, start the embedded broker
    client_id: str = "spillover"
    group_id: str = "spillover"  # the Faust app id: consumer group and table topic prefix
    partitions: int = 4
    # 0: same as `partitions`. One partition keeps a fast backfill in order end to end.
    raw_partitions: int = 0
    replication_factor: int = 1
    # Short group timeouts: a replaced worker must not wait a minute for its dead predecessor.
    session_timeout_s: float = 10.0
    heartbeat_interval_s: float = 2.0
    rebalance_timeout_s: float = 20.0
    # A partition with messages waiting whose agent handles none of them for this long is
    # stuck (Faust can stop consuming one with no error): the worker logs it and exits with
    # code 75, for Kubernetes to start it again. A rebalance and the detector-state restore
    # after it do not count, unless they last four times as long. 0: no watchdog.
    stall_timeout_s: float = 300.0
    # A worker or connector whose credentials Kafka refuses this long, one refusal after another
    # (a changed SASL password, a renewed cluster CA), exits with code 77, for Kubernetes to
    # start it again with the current ones: they are read once, at start. 0 (or less): retry for ever.
    refused_timeout_s: float = 60.0
    # The largest message the workers send, and the detector table's changelog topic accepts
    # (`max.message.bytes`, set when the worker creates it): one message holds one brand's
    # detector state, compressed. Kafka's own default is about 1 MB; raise both together (an
    # existing changelog topic keeps its setting: change it there too).
    max_message_bytes: int = 1_000_000
    # How every client connects (README, "Kafka with TLS and SASL"): PLAINTEXT, SSL,
    # SASL_PLAINTEXT or SASL_SSL (Strimzi: a `tls: true` listener, with `scram-sha-512`
    # authentication for SASL_SSL, or `tls` authentication for SSL with a client certificate).
    security_protocol: str = "PLAINTEXT"
    # CA certificates (PEM) the brokers must be signed by; empty: the system's. Strimzi: ca.crt
    # of the Secret <cluster>-cluster-ca-cert.
    ssl_cafile: str = ""
    # The client's own certificate and key (PEM), for brokers that authenticate clients by TLS
    # (Strimzi: user.crt and user.key of the KafkaUser's Secret). The key may be in the certfile.
    ssl_certfile: str = ""
    ssl_keyfile: str = ""
    # Off only for brokers whose certificates do not name the address they are reached at.
    ssl_check_hostname: bool = True
    # Or SCRAM-SHA-256, or PLAIN (which sends the password as it is: use it with SASL_SSL).
    sasl_mechanism: str = "SCRAM-SHA-512"
    sasl_username: str = ""
    # Best given as SPILLOVER_KAFKA_SASL_PASSWORD (from a Secret), not in a config file.
    sasl_password: str = field(default="", repr=False)


@dataclass(frozen=True)
class TopicSettings:
    raw: str = "spillover.posts.raw"
    enriched: str = "spillover.posts.enriched"
    dlq: str = "spillover.posts.dlq"
    incidents: str = "spillover.incidents"


@dataclass(frozen=True)
class ModelSettings:
    # "spillover-minilm" is the shipped model; anything else is a Hugging Face hub id or folder.
    name: str = "spillover-minilm"
    device: str = "cpu"
    max_batch: int = 64
    batch_wait_s: float = 0.05
    max_length: int = 128
    threads: int = 0  # torch threads per lane; 0: cores / lanes
    # Forward passes side by side on CPU (0: one per core, at most 4); always 1 on a GPU.
    lanes: int = 0
    # Maps a foreign model's labels onto ours, e.g. {"LABEL_0": "negative", "1 star": "negative"}.
    label_map: Mapping[str, str] = field(default_factory=dict)
    allow_download: bool = False
    # Dynamic int8 for the encoder's linear layers on CPU: about a point of macro recall less.
    # Off by default: int8 activations are scaled per batch, so the same post can score
    # slightly differently in replay and in the stream. Implies float32 for the rest.
    quantize: bool = False
    # Number format of the forward pass: "auto" (bfloat16 on a CPU that computes it natively,
    # AVX512-BF16 or AMX, which is 3x faster there for the same labels; float32 elsewhere and
    # on GPUs), "float32" or "bfloat16".
    dtype: str = "auto"


@dataclass(frozen=True)
class DetectionSettings:
    # A post is a complaint when the model gives "negative" at least this probability. Low on
    # purpose: flat complaints ("took two payments for one bill") get 0.15-0.5 from the model.
    negative_threshold: float = 0.15
    bucket_minutes: int = 5
    # Spike tests scan windows from the shortest to the longest, doubling (30, 60, 120, 240).
    min_window_minutes: int = 30
    max_window_minutes: int = 240
    # History a platform needs before a cold scan there: its own, or, for a platform whose
    # first post came after the brand's first post elsewhere, `warmup_spread_hours` of its own
    # and this much of the brand's (a sparse platform silent for hours was quiet, not unwatched).
    warmup_hours: float = 24.0
    # History a platform needs before the targeted question (a storm already loud elsewhere:
    # has it reached this platform too?) is asked there. A brand's quieter platforms start
    # later in the day than its busy ones, and a storm must not wait for them to warm up.
    warmup_spread_hours: float = 12.0
    # Before those warm-ups a platform is still learning what usual is. From `min_history_hours`
    # on it is asked all the same, but more strictly: alpha times (history / warm-up) to the
    # power `learning_strictness`, the rate it has learnt taken as uncertain as a few hours of
    # complaints make it (a negative binomial tail rather than Poisson's), and at least the
    # complaints that the platform's current volume of other posts implies expected (its daily
    # rhythm is not known yet, and a first afternoon looks like a burst everywhere). A newly
    # watched brand's loud storm is then caught within hours instead of missed for a day. Set
    # `min_history_hours` to `warmup_hours` to keep a new platform silent that long. A
    # grievance is also expected at least its share of all the brand's posts so far, on every
    # platform (a few hours of one platform can hold a third of its usual complaints by chance).
    # At 1, alpha shrinks with the share of the warm-up still to learn; at 8 (before) a brand
    # watched for half a day heard only its loudest storms.
    min_history_hours: float = 4.0
    learning_strictness: float = 1.0
    baseline_hours: int = 72
    # Where the brand's days begin, in hours from UTC (-5: New York, 5.5: India): its weekdays,
    # and so its weekends, are learnt as its audience lives them. Best set per brand.
    utc_offset_hours: float = 0.0
    # A grievance nobody complained about before is expected at this share of the brand's
    # usual complaints on that platform, and at least `prior_negative_per_hour`.
    topic_prior_share: float = 0.15
    prior_negative_per_hour: float = 0.05
    prior_hours: float = 12.0
    min_negative: int = 3
    min_ratio: float = 3.0
    # On a further platform of a storm already loud elsewhere (a targeted question, not a scan).
    min_negative_spread: int = 2
    alpha_spread: float = 1e-3
    alpha: float = 1e-4
    min_negative_share: float = 0.2
    share_lift: float = 1.25
    # A window at least three times as busy as usual where fewer than this share of the posts
    # beyond the usual are complaints is a happy surge (a launch): its complaints do not spike.
    surge_complaint_share: float = 0.33
    # Grievances: complaints are grouped by the likeness of their embeddings, a cosine divided by
    # what two groups of those sizes about one problem show (1.0: one grievance; grievances.py).
    join_similarity: float = 0.5
    # A complaint joins a grievance not heard on its platform yet only at this likeness: a
    # grievance loud on two platforms is an incident, and two problems that are a little alike
    # must not become one by a single complaint taken in by chance.
    cross_platform_join_similarity: float = 0.85
    # A storm is told in many wordings at once, and one platform's burst of them is one
    # grievance: a complaint at least this alike a grievance heard on the same platform within
    # the last `burst_join_minutes` joins it (the most alike such among its five nearest), where
    # `join_similarity` would start a group of its own. Time and place say what the words
    # cannot. 0: off.
    burst_join_similarity: float = 0.3
    burst_join_minutes: int = 60
    link_similarity: float = 0.7
    # The same, between a grievance loud only on long-form platforms (blogs, news) and one
    # loud on another platform: a long post's embedding carries its framing ("My week with Acme, a
    # cautionary tale. In short: ..."), so a storm's blog posts come out less alike its tweets
    # than its tweets are alike each other.
    long_form_link_similarity: float = 0.5
    # Two grievances linked at `link_similarity` open an incident only if the groups loud with
    # each (their close kin with complaints where each spiked) are this alike too: fragments of
    # a few complaints can be alike by chance, the groups behind them hardly. 0: no such check.
    loud_groups_similarity: float = 0.45
    # An incident opens only if what its first two platforms say is at least this alike, once
    # each has three complaints of it: two problems of one brand, each loud on one platform, can
    # fall into one grievance (a complaint merged across by chance, and others follow it), but
    # what is said on each platform stays apart. Not asked of blogs (a long post embeds its
    # framing too, detection/incidents.py). 0: no such check.
    legs_similarity: float = 0.8
    # While `legs_similarity` cannot tell (fewer than three complaints a side), an incident
    # opens at once (0), or waits up to this many minutes for the complaints that let it judge
    # and opens then if its grievances are still loud: fewer pages for two problems of one
    # brand at once, for later alerts (BENCHMARKS.md: 15 minutes held back 7 of 19 decoys and
    # lost 7 of 736 storms on the sets tuned or looked at before, but on seeds 141-200, run
    # once, none of 2 decoys and 2 of 214 storms).
    legs_wait_minutes: int = 0
    merge_similarity: float = 0.85
    pool_similarity: float = 0.6
    max_grievances: int = 64
    # Platforms a brand's state keeps (each holds days of history): a post on one more is
    # dead-lettered as `too_many_platforms`. Any lower-case name is a valid platform, and a
    # producer that made names up (a subreddit's, a feed's) would otherwise grow the state, and
    # the changelog message it is stored in, without bound.
    max_platforms: int = 16
    # Complaints are compared after taking away the brand's usual complaint, a running mean
    # over about this many of its latest complaints.
    usual_complaints: int = 500
    # How alike two complaints about one problem are on average (cosine, brand's usual taken away).
    complaint_likeness: float = 0.25
    # A grievance loud on exactly the platforms where an open incident is loud joins it at this
    # likeness, as does one loud on two platforms that took off on one of the incident's within
    # the longest scan window of it: one storm is told in many ways at once. The latter also
    # takes up a resolved incident again when the grievance reaches a new platform.
    storm_likeness: float = 0.0
    # A grievance that took off on a platform an open incident is not loud on, within the
    # longest scan window of its first onset, joins it at this likeness: often the storm's own
    # first leg, too weak to open anything alone and told in other words.
    beside_similarity: float = 0.35
    # A storm is told in many wordings, and a wording's complaints can form a group of their own,
    # too quiet to spike and too unlike the others to be pooled. Groups at least this alike
    # with `min_negative_spread` complaints or more on each of two platforms or more where the
    # tested one has as many, in the longest scan window, are counted with it: one storm
    # spreading in many wordings. Two grievances each on a platform of its own are not. 0: off.
    shared_platforms_similarity: float = 0.35
    # A second route to an incident, for a storm told in so many wordings that none of its
    # groups is loud alone (detection/bursts.py): a platform's complaints as a whole burst (at
    # least `platform_burst_min_complaints`, `platform_burst_lift` times and beyond chance at
    # `platform_burst_alpha` what the window's other posts imply at the platform's usual share
    # of complaints), on two platforms within `link_hours`, what the two bursts say is at
    # least this alike (cosine of their complaints' summed vectors, the brand's usual
    # complaint taken away), and the grievances loud in each hold at least
    # `platform_burst_min_complaints` complaints beyond their usual. 0: off.
    platform_burst_similarity: float = 0.6
    platform_burst_min_complaints: int = 6
    platform_burst_lift: float = 2.0
    platform_burst_alpha: float = 1e-4
    # A grievance's spike on a platform stays on record this long, so a slow storm reaching
    # another platform a day later is still one incident.
    link_hours: float = 24.0
    # When an incident opens, each platform it is not loud on is asked whether its grievances
    # were loud there after all, from `link_hours` before its first onset on: a storm's first
    # leg is often a few complaints hours before the rest, too few to spike as they came, and
    # without it the path would begin at the second platform. Off: the path holds only the
    # platforms where a spike was seen as it happened.
    look_back: bool = True
    # An incident resolves after this long without a spike; a platform quiet this long before
    # a new burst gives the burst its own onset rather than the old spike's.
    quiet_hours: float = 6.0
    allowed_lateness_minutes: float = 5.0
    # A post dated further ahead of the worker's clock is dead-lettered (`future_timestamp`): a
    # feed in the wrong time zone or a bad API value would otherwise move its brand's event time
    # on, and every later post of the brand would be too late to count. 0: no check (a
    # synthetic scenario dated in the future).
    max_future_minutes: float = 60.0
    # Each brand remembers the ids of its latest posts, so a post delivered twice (Kafka delivers
    # at least once: a replaced worker reads again what its predecessor had not committed)
    # counts once. It must exceed the posts of one brand such a replay can repeat.
    remember_posts: int = 4096
    update_growth: float = 0.5
    evidence_per_platform: int = 50
    # A brand's state is one Kafka message on the detector table's changelog. Checked hourly
    # (event time); over this stored size the detector lets go of the evidence ids of quiet
    # grievances, and warns if that is not enough. Keep it under `kafka.max_message_bytes`.
    # 0: no check.
    max_state_kib: int = 768


@dataclass(frozen=True)
class AppSettings:
    watchlist: str = ""  # YAML file of brands and aliases; empty: only posts with `brand`
    metrics_port: int = 0  # 0: no metrics server
    log_level: str = "info"
    # "text", or "json": one JSON object per line (time, level, logger, message, exception), for
    # log collectors (Loki, Elasticsearch, Cloud Logging) that would otherwise split tracebacks.
    log_format: str = "text"
    data_dir: str = "var"


@dataclass(frozen=True)
class Settings:
    kafka: KafkaSettings = field(default_factory=KafkaSettings)
    topics: TopicSettings = field(default_factory=TopicSettings)
    model: ModelSettings = field(default_factory=ModelSettings)
    detection: DetectionSettings = field(default_factory=DetectionSettings)
    app: AppSettings = field(default_factory=AppSettings)

    def to_dict(self) -> dict[str, dict[str, Any]]:
        """Sections as plain data: what a config file holds."""
        return {f.name: dataclasses.asdict(getattr(self, f.name)) for f in dataclasses.fields(self)}

    def replace(self, section: str, **changes: Any) -> "Settings":
        return dataclasses.replace(self, **{section: dataclasses.replace(getattr(self, section), **changes)})


def _coerce(value: Any, target: Any, where: str) -> Any:
    if isinstance(target, bool):
        if isinstance(value, str):
            if value.lower() in ("1", "true", "yes", "on"):
                return True
            if value.lower() in ("0", "false", "no", "off", ""):
                return False
            raise ValueError(f"{where}: {value!r} is not a boolean")
        return bool(value)
    if isinstance(target, Mapping):
        if isinstance(value, str):
            value = load_yaml(value, where) or {}
        if not isinstance(value, Mapping):
            raise ValueError(f"{where}: expected a mapping")
        return dict(value)
    try:
        return type(target)(value)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: {value!r} is not a valid {type(target).__name__}") from None


def _apply(settings: Settings, section: str, name: str, value: Any, where: str) -> Settings:
    current = getattr(settings, section, None)
    if current is None or name not in {f.name for f in dataclasses.fields(current)}:
        raise ValueError(f"{where}: unknown setting {section}.{name}")
    return settings.replace(section, **{name: _coerce(value, getattr(current, name), where)})


# Detection settings a brand cannot have its own value of: the worker applies them to a post
# before its brand's detector sees it.
WORKER_WIDE_DETECTION = frozenset({"max_future_minutes"})


def tuned_detection(base: DetectionSettings, changes: Mapping[str, Any], where: str) -> DetectionSettings:
    """`base` with one brand's own values (the watchlist's `detection:`), checked and typed like
    a config file's. Unknown or worker-wide names are refused, so a typo fails at start-up
    instead of leaving the brand on the defaults."""
    if not isinstance(changes, Mapping):
        raise ValueError(f"{where}: detection: expected a mapping of settings")
    known = {f.name for f in dataclasses.fields(DetectionSettings)} - WORKER_WIDE_DETECTION
    typed = {}
    for name, value in changes.items():
        if name not in known:
            hint = " (it applies to every brand: set it in the config)" if name in WORKER_WIDE_DETECTION else ""
            raise ValueError(f"{where}: unknown per-brand setting detection.{name}{hint}")
        typed[name] = _coerce(value, getattr(base, name), f"{where}: detection.{name}")
    return dataclasses.replace(base, **typed)


def load_yaml(text: str, where: str) -> Any:
    """The YAML document in `text`; ValueError naming `where` and the line if it is not YAML
    (PyYAML's own errors are no ValueError, and would end a command in a traceback)."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark, problem = getattr(exc, "problem_mark", None), getattr(exc, "problem", None) or exc
        at = f", line {mark.line + 1} column {mark.column + 1}" if mark is not None else ""
        raise ValueError(f"{where}: not valid YAML ({problem}{at})") from None


def _from_file(settings: Settings, path: Path) -> Settings:
    data = load_yaml(path.read_text(), str(path)) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: the config file must be a mapping of sections")
    for section, values in data.items():
        for name, value in (values or {}).items():
            settings = _apply(settings, section, name, value, f"{path}: {section}.{name}")
    return settings


def _from_env(settings: Settings, env: Mapping[str, str]) -> Settings:
    sections = [f.name for f in dataclasses.fields(Settings)]
    for key, value in sorted(env.items()):
        if key in SHORT_ENV:
            settings = _apply(settings, *SHORT_ENV[key], value, key)
            continue
        if not key.startswith(ENV_PREFIX):
            continue
        rest = key[len(ENV_PREFIX):].lower()
        for section in sections:
            if rest.startswith(section + "_"):
                name = rest[len(section) + 1:]
                if name in {f.name for f in dataclasses.fields(getattr(settings, section))}:
                    settings = _apply(settings, section, name, value, key)
    return settings


def load_settings(
    overrides: Mapping[str, Any] | None = None,
    config_file: str | None = None,
    env: Mapping[str, str] | None = None,
) -> Settings:
    """Build the settings. `overrides` are flags, keyed "section.field"; None values are unset."""
    env = os.environ if env is None else env
    settings = Settings()
    config_file = config_file or env.get("SPILLOVER_CONFIG")
    if config_file:
        settings = _from_file(settings, Path(config_file))
    settings = _from_env(settings, env)
    for dotted, value in (overrides or {}).items():
        if value is not None:
            section, name = dotted.split(".", 1)
            settings = _apply(settings, section, name, value, f"--{name.replace('_', '-')}")
    return settings
