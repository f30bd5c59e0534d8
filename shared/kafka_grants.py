"""What each service's Kafka user may do: the topics it reads or writes and its one consumer group.

The one source of the ACLs: deploy/k8s/base/kafka-users.yaml (Strimzi KafkaUser resources) is checked
against it by tests/unit/test_kafka_grants.py, and tests/attacks/test_kafka_acls.py gives a broker these
ACLs and tries every service's user against every topic and group, both ways.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.topics import (
    audit_topic,
    cases_topic,
    dead_letter_topic,
    directory_topic,
    feedback_topic,
    keys_topic,
    network_keys_topic,
    network_topic,
    staff_topic,
    templates_topic,
)

TOPICS = {"cases": cases_topic, "keys": keys_topic, "dead-letters": dead_letter_topic, "audit": audit_topic,
          "staff": staff_topic, "templates": templates_topic, "feedback": feedback_topic,
          "directory": directory_topic, "network": network_topic, "network-keys": network_keys_topic}

# Per service, per region topic: Read and/or Write (each also Describe, which metadata needs).
GRANTS: dict[str, dict[str, tuple[str, ...]]] = {
    # The request and its key; its own projection reads the stream and the keys (a rewrapped key).
    "intake": {"cases": ("Read", "Write"), "keys": ("Read", "Write"), "dead-letters": ("Write",),
               "feedback": ("Write",), "directory": ("Read",)},
    # Staff commands, recorded contacts with their new case keys, erasure tombstones and rewrapped keys, the use
    # log, the staff directory, templates.
    "routing": {"cases": ("Read", "Write"), "keys": ("Read", "Write"), "audit": ("Write",), "staff": ("Write",),
                "templates": ("Read", "Write"), "feedback": ("Read", "Write"), "dead-letters": ("Write",),
                "directory": ("Read", "Write")},
    # Reads requests, keys and the staff directory; records what it sent on the case stream. The network's mail:
    # its events and the agents' keys, read only (what it sent stays in its ledger, never on the network topic).
    "notify": {"cases": ("Read", "Write"), "keys": ("Read",), "staff": ("Read",), "feedback": ("Read",),
               "directory": ("Read",), "network": ("Read",), "network-keys": ("Read",), "dead-letters": ("Write",)},
    # Statistics only: no key, nothing written but its dead letters.
    # The change agents' network's counts too (its topic, never its keys: reporting opens nothing sealed).
    "reporting": {"cases": ("Read",), "staff": ("Read",), "directory": ("Read",), "network": ("Read",),
                  "dead-letters": ("Write",)},
    # The change agents' network: its own stream and keys, and nothing of the cases or their keys; the staff
    # directory read only, so a coordinator's session ends when routing disables, moves or signs the account out.
    "network": {"network": ("Read", "Write"), "network-keys": ("Read", "Write"), "staff": ("Read",),
                "dead-letters": ("Write",)},
}


@dataclass(frozen=True, order=True)
class Acl:
    """One allow rule: ``operation`` on a literal ``resource`` (a topic or a consumer group)."""

    resource_type: str  # "topic" or "group"
    name: str
    operation: str  # "Read", "Write" or "Describe"


def group_of(prefix: str, service: str) -> str:
    """The service's consumer group, as ServiceSettings.group_id names it."""
    return f"{prefix}.{service}"


def acls_for(service: str, prefix: str, region: str) -> set[Acl]:
    """Every rule of ``service``'s user for one region's topics and its consumer group."""
    rules = {Acl("group", group_of(prefix, service), op) for op in ("Read", "Describe")}
    for kind, operations in GRANTS[service].items():
        topic = TOPICS[kind](prefix, region)
        rules |= {Acl("topic", topic, op) for op in (*operations, "Describe")}
    return rules
