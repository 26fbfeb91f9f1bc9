"""Refusals: a refusal of our credentials told from other failed connections, in what
kafka-python and aiokafka log, and how long Kafka has refused them without a pause."""
from __future__ import annotations

import logging
import ssl
import subprocess
import sys

import aiokafka.errors
import kafka.errors

from spillover.kafka_refusals import QUIET_S, Refusals


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _connection_lost(error: Exception) -> None:
    logging.getLogger("kafka.net.connection").error("%s: Connection lost: %s", "<KafkaConnection node_id=1>", error)


def test_only_a_refusal_of_the_credentials_counts_as_one():
    with Refusals() as refusals:
        _connection_lost(kafka.errors.KafkaConnectionError("socket disconnected"))
        _connection_lost(kafka.errors.KafkaConnectionError("111 ECONNREFUSED"))
        assert refusals.credentials == ""
        _connection_lost(kafka.errors.SaslAuthenticationFailedError("SCRAM: wrong password for 'spillover'"))
        assert "wrong password" in refusals.credentials
    with Refusals() as refusals:  # aiokafka, as the worker's Faust consumers log it
        logging.getLogger("aiokafka").error("Unable connect to node with id %s: %s", 1,
                                            aiokafka.errors.SaslAuthenticationFailed("SCRAM: unknown user"))
        assert "unknown user" in refusals.credentials
    untrusted = "Handshake failed: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed"
    for error in (kafka.errors.KafkaConnectionError(untrusted), ssl.SSLCertVerificationError(1, untrusted)):
        with Refusals() as refusals:
            _connection_lost(error)
            assert "CERTIFICATE_VERIFY_FAILED" in refusals.credentials


def test_what_other_loggers_say_and_what_comes_after_the_watch_are_not_taken():
    refused = kafka.errors.SaslAuthenticationFailedError("wrong password")
    with Refusals() as refusals:
        logging.getLogger("spillover.agents").error("quoting it: %s", refused)
    _connection_lost(refused)
    assert refusals.credentials == ""


def test_refused_for_counts_one_run_of_refusals_without_a_pause():
    clock, refused = Clock(), kafka.errors.SaslAuthenticationFailedError("wrong password")
    with Refusals(clock) as refusals:
        assert refusals.refused_for() == 0
        _connection_lost(refused)
        for step in (20, 20, 20):  # kafka-python backs off up to 30 s between attempts
            clock.now += step
            _connection_lost(refused)
        assert refusals.refused_for() == 60 and refusals.refused(60) and not refusals.refused(61)
        assert not refusals.refused(0)  # 0: retry for ever
        said = str(refusals.error("kafka:9093", "stopping"))
        assert said == "Kafka at kafka:9093 has refused our credentials for 60 s ([Error 58] " \
                       "SaslAuthenticationFailedError: wrong password); stopping", said
        clock.now += QUIET_S + 1  # a good connection since, or nobody tried
        assert refusals.refused_for() == 0
        _connection_lost(refused)  # a new run starts from here, not from the first one
        clock.now += 10
        assert refusals.refused_for() == 10


def test_refusals_are_seen_at_any_log_level_and_printed_only_at_the_chosen_one():
    """At app.log_level critical, kafka-python's errors were dropped by their loggers before any
    handler saw them: a worker Kafka refused would have retried for ever."""
    code = ("import logging, kafka.errors\n"
            "from spillover.cli.common import setup_logging\n"
            "from spillover.kafka_refusals import Refusals\n"
            "setup_logging('critical')\n"
            "with Refusals() as refusals:\n"
            "    logging.getLogger('kafka.net.connection').error('%s: Connection lost: %s', 'conn',\n"
            "        kafka.errors.SaslAuthenticationFailedError('SCRAM: wrong password'))\n"
            "print(refusals.credentials)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "wrong password" in done.stdout and done.stderr == "", done.stderr


def test_the_reason_given_is_the_last_attempt_that_said_why():
    """Attempts cut short at the caller's deadline, or by the peer closing, say nothing: under
    load they came after the refusal and took its place in "cannot reach Kafka" errors."""
    manager = logging.getLogger("kafka.net.manager")
    with Refusals() as refusals:
        manager.warning("Bootstrap connection to %s failed: %s (backoff %.2f secs)", "bootstrap-0",
                        "SaslAuthenticationFailedError: SCRAM: wrong password", 0.05)
        for vague in ("KafkaConnectionError: socket disconnected",
                      "[Error 7] RequestTimedOutError: Request timed out after 34 ms", "KafkaTimeoutError"):
            manager.error("Connection failed: %s", vague)
        assert refusals.reason == "SaslAuthenticationFailedError: SCRAM: wrong password"
        manager.error("Connection failed: %s", "KafkaConnectionError: 111 ECONNREFUSED")
        assert refusals.reason == "KafkaConnectionError: 111 ECONNREFUSED"
