"""How a service's Kafka clients authenticate and encrypt: one set of options for every client it makes.

Locally (``make run``, ``make test``) the broker listens on loopback in plain text. In production each
service signs in as a Kafka user of its own (SCRAM-SHA-512, over TLS: SASL_SSL) whose ACLs name exactly
the topics and the consumer group it uses (deploy/k8s/base/kafka-users.yaml, from shared/kafka_grants.py).
"""

from __future__ import annotations

import functools
import ssl
from dataclasses import dataclass, field
from typing import Any, Literal

from aiokafka.helpers import create_ssl_context

Protocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
Mechanism = Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"]


@dataclass(frozen=True)
class KafkaSecurity:
    """The security protocol, the SASL user and the CA that signs the broker's certificate."""

    protocol: Protocol = "PLAINTEXT"
    mechanism: Mechanism = "SCRAM-SHA-512"
    username: str = ""
    password: str = field(default="", repr=False)
    ca_file: str = ""

    @property
    def uses_tls(self) -> bool:
        return self.protocol in ("SSL", "SASL_SSL")

    @property
    def uses_sasl(self) -> bool:
        return self.protocol.startswith("SASL_")

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments for an aiokafka producer, consumer, client or admin client."""
        if self.protocol == "PLAINTEXT":
            return {}
        options: dict[str, Any] = {"security_protocol": self.protocol}
        if self.uses_tls:
            options["ssl_context"] = _ssl_context(self.ca_file)
        if self.uses_sasl:
            options |= {"sasl_mechanism": self.mechanism, "sasl_plain_username": self.username,
                        "sasl_plain_password": self.password}
        return options


PLAINTEXT = KafkaSecurity()


@functools.lru_cache(maxsize=8)
def _ssl_context(ca_file: str) -> ssl.SSLContext:
    """A context that verifies the broker's certificate and name: against ``ca_file``, else the system's CAs."""
    context: ssl.SSLContext = create_ssl_context(cafile=ca_file or None)
    return context
