"""Typed settings from the environment (prefix ``APUA_``), built in ``main()``/``create_app()``."""

from __future__ import annotations

import base64
import ipaddress
import re
import socket
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from shared.kafka_security import KafkaSecurity, Mechanism, Protocol
from shared.sealing import Keyring
from shared.staffpass import DEVELOPMENT_PASS_SECRET

ROOT = Path(__file__).resolve().parents[1]
# Known to everyone who reads this file: accepted only outside production.
DEVELOPMENT_KEK = base64.b64encode(b"pyyda-apua-development-only-kek!").decode()


def default_instance_id(port: int, host: str | None = None) -> str:
    """The host's name and the service's port, in the characters Kafka allows in a group.instance.id.

    A container keeps its host name across restarts (a pod's name is its host name), and two instances of
    one service on one machine differ by their ports: stable per slot, different between slots.
    """
    name = re.sub(r"[^A-Za-z0-9._-]", "-", host if host is not None else socket.gethostname()) or "host"
    return f"{name[:240]}-{port}"


def _checked_kek(value: str, name: str) -> str:
    try:
        raw = base64.b64decode(value, validate=True)
    except ValueError as exc:
        raise ValueError(f"{name} must be base64") from exc
    if len(raw) != 32:
        raise ValueError(f"{name} must decode to 32 bytes (AES-256)")
    return value


class DatabaseSettings(BaseSettings):
    """A service's database, its schemas and who migrates them: all that ``migrate`` reads (none of the
    service's secrets, which the job that runs it is not given)."""

    model_config = SettingsConfigDict(env_prefix="APUA_", extra="ignore", populate_by_name=True)

    service: str = "apua"
    # `production` refuses the development secrets and the demo clock, and leaves migrating to `migrate`.
    environment: Literal["development", "test", "production"] = "development"
    # The lowest level logged (structlog's JSON lines on standard output): DEBUG, INFO, WARNING or ERROR.
    log_level: str = "INFO"

    # The PostgreSQL database (a libpq URL); every service has schemas of its own in it.
    database_url: str = "postgresql://apua@127.0.0.1:55432/apua"
    # The service's own schema; empty: the service's name (its projection's is this and `_projection`).
    db_schema: str = ""
    # Connections in the service's pool.
    db_pool_max: int = Field(default=10, ge=1)
    # Seconds to wait for a connection or a query before the request answers 503.
    db_timeout_s: float = 5.0
    # PostgreSQL's work_mem for this service's connections; empty: the server's own.
    db_work_mem: str = ""
    # Whether start-up applies the migration files itself; unset: yes, except in production, where the
    # services run as a role that may not create tables and the `migrate` command (owner's role) does it.
    migrate_on_start: bool | None = None
    # The role `migrate` lets read and write the tables (and nothing more); empty: grant nothing.
    database_app_role: str = Field(default="", pattern=r"^([a-z_][a-z0-9_]*)?$")

    @model_validator(mode="after")
    def _schema_named_after_the_service(self) -> DatabaseSettings:
        if not self.db_schema:
            self.db_schema = self.service
        return self

    @property
    def migrates_on_start(self) -> bool:
        """Whether start-up migrates (development, tests) or only checks that it was done (production)."""
        return self.environment != "production" if self.migrate_on_start is None else self.migrate_on_start

    @property
    def projection_schema(self) -> str:
        """The schema of what the service projects from the stream (a rebuild swaps a fresh one in)."""
        return f"{self.db_schema}_projection"


class ServiceSettings(DatabaseSettings):
    """Settings every service has; each service adds its own defaults for port and schema."""

    # The address the HTTP server listens on (the image sets 0.0.0.0).
    host: str = "127.0.0.1"
    # The HTTP port: each service reads its own variable (APUA_INTAKE_PORT, ...).
    port: int = 8000

    # Kafka's brokers, comma-separated host:port.
    kafka_bootstrap: str = "127.0.0.1:19092"
    # How the Kafka clients connect: PLAINTEXT on loopback locally; SASL_SSL with a user of the service's
    # own (SCRAM-SHA-512) and the CA of the broker's certificate in production (docs/operations.md).
    kafka_security_protocol: Protocol = "PLAINTEXT"
    # The SASL mechanism of the service's Kafka user.
    kafka_sasl_mechanism: Mechanism = "SCRAM-SHA-512"
    # The service's own Kafka user and its password (both needed by SASL_*).
    kafka_user: str = ""
    # The password of APUA_KAFKA_USER.
    kafka_password: SecretStr = SecretStr("")
    # The CA certificate (PEM file) the brokers' certificates are checked against; empty: the system's CAs.
    kafka_ca_file: str = ""
    # Whether start-up creates the region topics that are missing. Under ACLs a service may not create
    # topics (Strimzi's KafkaTopic resources do): it then only waits for them.
    kafka_create_topics: bool = True
    # The first part of every topic's name (<prefix>.<region>.cases) and of the consumer groups'.
    topic_prefix: str = "apua"
    # Partitions of the region topics the service creates (the same in every service).
    topic_partitions: int = Field(default=6, ge=1)
    # Replicas of each created topic; 3 or more also makes min.insync.replicas 2.
    topic_replication: int = Field(default=1, ge=1)
    # The projection consumer's group; unset: <prefix>.<service>.
    consumer_group: str | None = None
    # The consumer's own name in its group (Kafka's group.instance.id: static membership). A process that
    # comes back under the same name within the session timeout gets its partitions back at once, without a
    # rebalance that waits for the dead member's session to run out (docs/reliability.md). Stable across a
    # slot's restarts and different between the instances of a service: the pod's name in Kubernetes. Unset:
    # the host name and the port (default_instance_id); empty: no name, a new member at every start.
    instance_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9._-]{0,249}$")
    # How many offsets of a partition the projections remember event ids for, to skip a relay's duplicate.
    dedup_window_offsets: int = Field(default=100_000, ge=1)

    # The directory of the regions' YAML files (deploy/regions; docs/regions.md).
    regions_dir: Path = ROOT / "deploy" / "regions"
    # Region ids served, comma-separated in the environment; empty means every configured region.
    regions: Annotated[list[str], NoDecode] = Field(default_factory=list)

    # The key-encryption key (base64 of 32 bytes) that wraps every case's key; production refuses the
    # development KEK.
    kek: str = DEVELOPMENT_KEK
    # The current KEK's id, stored with every key it wraps (rotation: docs/operations.md).
    kek_id: str = "dev-1"
    # KEKs replaced by ``kek``, by id (JSON: {"id": "base64"}): they still open the keys they wrapped until
    # ``python -m services.routing keys rewrap`` has moved every key to the current KEK (docs/operations.md).
    old_keks: dict[str, str] = Field(default_factory=dict)

    # The reverse proxies (addresses or networks, comma-separated) whose X-Forwarded-For and
    # X-Forwarded-Proto are believed; the client is the right-most address none of them is. Never "any":
    # a client-chosen address would dodge every per-client limit. Empty: no proxy, the connection's own.
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["127.0.0.1"])
    # Bearer token for /metrics. Unset: /metrics is open in development and test, and closed in production.
    metrics_token: str | None = None

    # Development only: the APIs that record a request or a staff action take its time from the
    # X-Apua-Demo-Time header, so a demo loader can fill a past year (deploy/demo). Refused in production.
    demo_clock: bool = False

    @field_validator("regions", mode="before")
    @classmethod
    def _split_regions(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_addresses(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError as exc:
                raise ValueError(f"APUA_TRUSTED_PROXIES lists addresses or networks, not {item!r}") from exc
        return value

    @field_validator("kek")
    @classmethod
    def _kek_is_32_bytes(cls, value: str) -> str:
        return _checked_kek(value, "APUA_KEK")

    @field_validator("old_keks")
    @classmethod
    def _old_keks_are_32_bytes(cls, value: dict[str, str]) -> dict[str, str]:
        for kek_id, kek in value.items():
            _checked_kek(kek, f"APUA_OLD_KEKS[{kek_id}]")
        return value

    @model_validator(mode="after")
    def _no_default_secrets_in_production(self) -> ServiceSettings:
        if self.environment == "production" and self.kek == DEVELOPMENT_KEK:
            raise ValueError("APUA_KEK must be set to a secret of its own in production")
        if self.kek_id in self.old_keks:
            raise ValueError("APUA_KEK_ID names the current KEK; it cannot also be one of APUA_OLD_KEKS")
        if self.environment == "production" and DEVELOPMENT_KEK in self.old_keks.values():
            raise ValueError("APUA_OLD_KEKS must not hold the development KEK in production")
        if self.kafka_security_protocol.startswith("SASL_") and not (
                self.kafka_user and self.kafka_password.get_secret_value()):
            raise ValueError("APUA_KAFKA_SECURITY_PROTOCOL SASL_* needs APUA_KAFKA_USER and APUA_KAFKA_PASSWORD")
        if self.environment == "production" and self.demo_clock:
            raise ValueError("APUA_DEMO_CLOCK lets a client choose the time of what is recorded: never in production")
        return self

    @property
    def group_id(self) -> str:
        return self.consumer_group or f"{self.topic_prefix}.{self.service}"

    @property
    def group_instance_id(self) -> str | None:
        """The name the consumer joins its group under, or None for a new member at every start."""
        if self.instance_id is None:
            return default_instance_id(self.port)
        return self.instance_id or None

    @property
    def kafka_security(self) -> KafkaSecurity:
        return KafkaSecurity(protocol=self.kafka_security_protocol, mechanism=self.kafka_sasl_mechanism,
                             username=self.kafka_user, password=self.kafka_password.get_secret_value(),
                             ca_file=self.kafka_ca_file)

    @property
    def kek_bytes(self) -> bytes:
        """The current KEK: it wraps every new key."""
        return base64.b64decode(self.kek)

    @property
    def keyring(self) -> Keyring:
        """The current KEK and the old ones, by id: a wrapped key opens with the KEK it names."""
        keks = {kek_id: base64.b64decode(kek) for kek_id, kek in self.old_keks.items()}
        return Keyring(current=self.kek_id, keks={**keks, self.kek_id: self.kek_bytes})


class CookieSessionSettings(ServiceSettings):
    """Settings of a service whose pages keep a session in a cookie (intake, routing, reporting, the network)."""

    # Cookies only over HTTPS even outside production (production always).
    secure_cookies: bool = False

    @property
    def cookie_secure(self) -> bool:
        """Cookies only over TLS in production; local runs are plain HTTP unless ``secure_cookies``."""
        return self.secure_cookies or self.environment == "production"


class StaffPassSettings(ServiceSettings):
    """Settings of a service that signs staff passes (routing) or takes them (reporting, the network)."""

    # Signs the staff passes to the dashboards and the network; the same in routing, reporting and the network.
    staff_pass_secret: str = DEVELOPMENT_PASS_SECRET

    @model_validator(mode="after")
    def _own_pass_secret_in_production(self) -> StaffPassSettings:
        if self.environment == "production" and self.staff_pass_secret == DEVELOPMENT_PASS_SECRET:
            raise ValueError("APUA_STAFF_PASS_SECRET must be set to a secret of its own in production")
        return self
