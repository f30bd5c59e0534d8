"""The project's Kafka (the jars of deploy/local) as production runs it: a SASL_SSL listener, SCRAM-SHA-512
users, Kafka's StandardAuthorizer and ACLs from shared/kafka_grants.py. For the attack tests only.

The certificates are made here for one run: a CA and the broker's certificate for 127.0.0.1. The controller
listener stays on loopback in plain text, as the broker's own way to its controller (same process)."""

from __future__ import annotations

import datetime
import ipaddress
import socket
import ssl
from dataclasses import dataclass, field
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.protocol.admin import CreateAclsRequest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from deploy.local.infra import LocalKafka, port_open
from shared.kafka_grants import Acl
from shared.kafka_security import KafkaSecurity

ADMIN = "admin"
# Kafka's wire codes: resource types, pattern types, operations and permissions (the Admin API's enums).
RESOURCE = {"topic": 2, "group": 3}
LITERAL = 3
OPERATION = {"Read": 3, "Write": 4, "Create": 5, "Describe": 8}
ALLOW = 3


def make_certificates(directory: Path) -> tuple[Path, Path]:
    """A CA (ca.pem) and the broker's key and certificate chain for 127.0.0.1 (server.pem)."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "apua test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
          .not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    server = (x509.CertificateBuilder()
              .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
              .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
              .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
              .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                          x509.DNSName("localhost")]), critical=False)
              .add_extension(x509.ExtendedKeyUsage([x509.ExtendedKeyUsageOID.SERVER_AUTH,
                                                    x509.ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
              .sign(ca_key, hashes.SHA256()))
    directory.mkdir(parents=True, exist_ok=True)
    ca_file, server_file = directory / "ca.pem", directory / "server.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    server_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        + server.public_bytes(serialization.Encoding.PEM) + ca.public_bytes(serialization.Encoding.PEM))
    return ca_file, server_file


@dataclass
class SecuredKafka(LocalKafka):
    """One broker whose only client listener is SASL_SSL with SCRAM-SHA-512 users and ACLs."""

    users: dict[str, str] = field(default_factory=dict)  # name -> password, the admin among them
    ca_file: Path = Path()
    server_file: Path = Path()

    def security(self, user: str) -> KafkaSecurity:
        return KafkaSecurity(protocol="SASL_SSL", mechanism="SCRAM-SHA-512", username=user,
                             password=self.users[user], ca_file=str(self.ca_file))

    def _settings(self) -> dict[str, str]:
        props = super()._settings()
        jaas = ("org.apache.kafka.common.security.scram.ScramLoginModule required"
                f' username="{ADMIN}" password="{self.users[ADMIN]}";')
        props.update({
            "listeners": f"SASL_SSL://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}",
            "advertised.listeners": f"SASL_SSL://127.0.0.1:{self.port}",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL",
            "inter.broker.listener.name": "SASL_SSL",
            "sasl.enabled.mechanisms": "SCRAM-SHA-512",
            "sasl.mechanism.inter.broker.protocol": "SCRAM-SHA-512",
            "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config": jaas,
            "ssl.keystore.type": "PEM",
            "ssl.keystore.location": str(self.server_file),
            "ssl.truststore.type": "PEM",
            "ssl.truststore.location": str(self.ca_file),
            "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
            # The admin, and the broker itself at its controller (the plain loopback controller listener).
            "super.users": f"User:{ADMIN};User:ANONYMOUS",
            "allow.everyone.if.no.acl.found": "false",
        })
        return props

    def _format_arguments(self) -> list[str]:
        arguments = []
        for name, password in self.users.items():
            arguments += ["--add-scram", f"SCRAM-SHA-512=[name={name},password={password}]"]
        return arguments

    def _answers(self) -> bool:
        """A TLS handshake with the broker's certificate, checked against the CA, succeeds."""
        if not port_open(self.port):
            return False
        context = ssl.create_default_context(cafile=str(self.ca_file))
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=2) as raw, \
                    context.wrap_socket(raw, server_hostname="127.0.0.1"):
                return True
        except OSError:
            return False


async def grant(kafka: SecuredKafka, user: str, acls: set[Acl]) -> None:
    """Give ``user`` the ACLs (as the admin, through Kafka's CreateAcls)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka.bootstrap, **kafka.security(ADMIN).client_options())
    await admin.start()
    try:
        for acl in sorted(acls):
            response = await admin._send_request(CreateAclsRequest(  # noqa: SLF001 - aiokafka has no create_acls
                RESOURCE[acl.resource_type], acl.name, LITERAL, f"User:{user}", "*", OPERATION[acl.operation], ALLOW))
            errors = [(code, message) for code, message in response.creation_responses if code]
            assert not errors, (acl, errors)
    finally:
        await admin.close()
