"""The services' Kafka settings become the clients' options: plain text locally, SASL_SSL with a user of the
service's own and the broker's CA in production."""

from __future__ import annotations

import ssl

import pytest
from pydantic import ValidationError

from shared.kafka_security import PLAINTEXT, KafkaSecurity
from shared.settings import ServiceSettings
from shared.topics import KEYS_COMPACTION, KeysCompaction, keys_topic, region_topics


def test_plain_text_adds_nothing() -> None:
    assert PLAINTEXT.client_options() == {}
    assert ServiceSettings().kafka_security == PLAINTEXT


def test_sasl_ssl_signs_in_and_checks_the_brokers_certificate() -> None:
    settings = ServiceSettings(kafka_security_protocol="SASL_SSL", kafka_user="apua-kafka-notify",
                               kafka_password="salasana")
    options = settings.kafka_security.client_options()
    assert options["security_protocol"] == "SASL_SSL"
    assert (options["sasl_mechanism"], options["sasl_plain_username"], options["sasl_plain_password"]) == (
        "SCRAM-SHA-512", "apua-kafka-notify", "salasana")
    context = options["ssl_context"]
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert "salasana" not in repr(settings.kafka_security) and "salasana" not in repr(settings)


def test_sasl_without_a_user_or_password_is_refused() -> None:
    with pytest.raises(ValidationError):
        ServiceSettings(kafka_security_protocol="SASL_SSL", kafka_user="apua-kafka-notify")
    with pytest.raises(ValidationError):
        ServiceSettings(kafka_security_protocol="SASL_SSL", kafka_password="x")
    with pytest.raises(ValidationError):
        ServiceSettings(kafka_security_protocol="TLS")  # type: ignore[arg-type]
    assert not KafkaSecurity(protocol="SSL").uses_sasl and KafkaSecurity(protocol="SSL").uses_tls


def test_the_key_topic_bounds_how_long_an_erased_key_stays() -> None:
    topics = region_topics("apua", "varsinais-suomi", 6, 3)
    [keys] = [t for t in topics if t.name == keys_topic("apua", "varsinais-suomi")]
    configs = keys.topic_configs
    assert configs["cleanup.policy"] == "compact"
    # A segment rolls within roll_ms even below the dirty ratio, and then the cleaner may take it.
    assert int(configs["segment.ms"]) == int(configs["max.compaction.lag.ms"]) == KEYS_COMPACTION.roll_ms <= 600_000
    assert float(configs["min.cleanable.dirty.ratio"]) <= 0.01
    assert int(configs["delete.retention.ms"]) == KEYS_COMPACTION.tombstone_ms
    short = KeysCompaction(roll_ms=2000).configs("1")
    assert short["segment.ms"] == short["max.compaction.lag.ms"] == "2000"
