"""Topic names and their creation: per region a case stream, its keys, dead letters, audit, staff, templates,
accessibility feedback, the service directory, and the change agents' network with its own keys."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import structlog
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError, KafkaError, TopicAlreadyExistsError

from shared.kafka_security import PLAINTEXT, KafkaSecurity

log = structlog.get_logger(__name__)


def cases_topic(prefix: str, region: str) -> str:
    """The region's system of record, keyed by case id."""
    return f"{prefix}.{region}.cases"


def keys_topic(prefix: str, region: str) -> str:
    """Wrapped per-case data keys, compacted; a tombstone erases a case's personal data."""
    return f"{prefix}.{region}.keys"


def dead_letter_topic(prefix: str, region: str) -> str:
    """Records of the region's streams that could not be read, with the reason in a header."""
    return f"{prefix}.{region}.dead-letters"


def audit_topic(prefix: str, region: str) -> str:
    """Who viewed which case's personal data and when (use log, Act 703/2023)."""
    return f"{prefix}.{region}.audit"


def staff_topic(prefix: str, region: str) -> str:
    """The region's staff directory (compacted): roles, teams, languages and sealed addresses."""
    return f"{prefix}.{region}.staff"


def templates_topic(prefix: str, region: str) -> str:
    """The region's reply templates (compacted, keyed by template id): staff texts, no personal data."""
    return f"{prefix}.{region}.templates"


def feedback_topic(prefix: str, region: str) -> str:
    """Accessibility feedback (compacted, keyed by feedback id): each feedback's latest state, its text and the
    sender's contact sealed with a key on the key topic, so erasing it is the same tombstone as a case's."""
    return f"{prefix}.{region}.feedback"


def directory_topic(prefix: str, region: str) -> str:
    """The region's service directory (compacted, keyed by service id): each service's current description from
    PTV and the region's YAML; a removal event and then a tombstone for a service that is gone."""
    return f"{prefix}.{region}.directory"


def network_topic(prefix: str, region: str) -> str:
    """The change agents' network (services/network), keyed by subject (agent, campaign, task, survey): kept
    forever like the case stream, and read by no service that reads cases but notify (for the network's mail)."""
    return f"{prefix}.{region}.network"


def network_keys_topic(prefix: str, region: str) -> str:
    """Per-agent data keys (compacted, keyed by agent id), wrapped under a key derived apart from the case keys'
    (shared/network_keys.py); a tombstone erases an agent who left."""
    return f"{prefix}.{region}.network-keys"


# The network is a few hundred people: a few partitions spread its subjects and keep each one's order.
NETWORK_PARTITIONS = 3


@dataclass(frozen=True)
class KeysCompaction:
    """How soon an erased case's wrapped key leaves the key topic (docs/operations.md, "How long an erased
    key stays on the key topic").

    The log cleaner never touches a partition's active segment, and a segment rolls only when a record
    is appended after it is ``roll_ms`` old (``segment.ms``, and ``max.compaction.lag.ms`` for a partition
    below the dirty ratio). Routing appends a roll marker to every partition each ``APUA_KEY_ROLL_MARKER_S``
    (shared/keyroll.py), so the segment holding an erasure's tombstone rolls within ``roll_ms`` plus
    that interval, and the cleaner (it looks every 15 s) then drops every earlier record of the case. The
    tombstone itself stays ``tombstone_ms`` so that a consumer away for less than that still meets it.
    """

    roll_ms: int = 600_000
    tombstone_ms: int = 86_400_000

    def configs(self, min_isr: str) -> dict[str, str]:
        return {"cleanup.policy": "compact", "min.insync.replicas": min_isr,
                "segment.ms": str(self.roll_ms), "max.compaction.lag.ms": str(self.roll_ms),
                "min.cleanable.dirty.ratio": "0.01", "delete.retention.ms": str(self.tombstone_ms)}


KEYS_COMPACTION = KeysCompaction()


def region_topics(prefix: str, region: str, partitions: int, replication: int,
                  keys: KeysCompaction = KEYS_COMPACTION) -> list[NewTopic]:
    min_isr = "2" if replication >= 3 else "1"
    forever = {"retention.ms": "-1", "retention.bytes": "-1", "min.insync.replicas": min_isr}
    return [
        NewTopic(cases_topic(prefix, region), partitions, replication, topic_configs=dict(forever)),
        NewTopic(keys_topic(prefix, region), partitions, replication, topic_configs=keys.configs(min_isr)),
        NewTopic(dead_letter_topic(prefix, region), 1, replication, topic_configs=dict(forever)),
        NewTopic(audit_topic(prefix, region), partitions, replication, topic_configs=dict(forever)),
        NewTopic(staff_topic(prefix, region), 1, replication,
                 topic_configs={"cleanup.policy": "compact", "min.insync.replicas": min_isr}),
        # A template's latest version is all a rebuild needs, and a removed one (a tombstone) should go.
        NewTopic(templates_topic(prefix, region), 1, replication,
                 topic_configs={"cleanup.policy": "compact", "min.insync.replicas": min_isr}),
        NewTopic(feedback_topic(prefix, region), 1, replication,
                 topic_configs={"cleanup.policy": "compact", "min.insync.replicas": min_isr}),
        # A service's current description is all a rebuild needs; a removed one's tombstone lets it go.
        NewTopic(directory_topic(prefix, region), 1, replication,
                 topic_configs={"cleanup.policy": "compact", "min.insync.replicas": min_isr}),
        NewTopic(network_topic(prefix, region), NETWORK_PARTITIONS, replication, topic_configs=dict(forever)),
        # Compacted like the case keys and as promptly: a leaver's key must leave the log too.
        NewTopic(network_keys_topic(prefix, region), NETWORK_PARTITIONS, replication,
                 topic_configs=keys.configs(min_isr)),
    ]


async def ensure_topics(bootstrap: str, topics: list[NewTopic], timeout: float = 60.0,
                        security: KafkaSecurity = PLAINTEXT) -> None:
    """Create the topics that are missing; waits for the broker up to ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10000,
                                    **security.client_options())
        try:
            await admin.start()
            existing = set(await admin.list_topics())
            missing = [t for t in topics if t.name not in existing]
            if missing:
                try:
                    await admin.create_topics(missing)
                except TopicAlreadyExistsError:
                    pass
                log.info("topics.created", topics=[t.name for t in missing])
            return
        except (KafkaConnectionError, KafkaError, OSError) as exc:
            if loop.time() > deadline:
                raise
            log.warning("topics.broker_unavailable", error=type(exc).__name__)
            await asyncio.sleep(1.0)
        finally:
            await admin.close()
