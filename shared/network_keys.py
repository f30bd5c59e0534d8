"""The change agents' keys: a data key per agent, wrapped under a key-wrapping key of the network's own.

Agents are often the region's staff or partners, and nothing may join the network to cases. So an agent's key is
not wrapped with the KEK that wraps case keys but with a key derived from it by HKDF under the network's own label
(``network_kek``): a holder of a case key, or of a wrapped agent key, learns nothing of the other hierarchy, and
a case key put on the network's key topic (or an agent key on the case key topic) does not open. The wrapped key
is bound to its agent as associated data, and a sealed field to its agent, its record and field, like a case's
(shared/sealing.py). Leaving the network is a tombstone on ``<prefix>.<region>.network-keys`` (crypto-shredding):
every sealed copy of the agent's data, in Kafka, projections and backups, stays unreadable.
"""

from __future__ import annotations

import os
import uuid

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import BaseModel, ConfigDict

from shared.applier import RecordLike
from shared.compacted import CompactedTable
from shared.db import Conn
from shared.sealing import NONCE_BYTES, Keyring, KeyUnavailable, Sealed, _b64, _unb64, seal_bound, unseal_bound
from shared.survey_keys import SURVEY_KEY_PREFIX

NETWORK_KEK_INFO = b"apua network-keys v1"
_SEAL_CONTEXT = b"apua network sealed v1\x00"


def network_kek(kek: bytes) -> bytes:
    """The network's key-wrapping key: derived from a KEK under a label of its own, never the KEK itself."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=NETWORK_KEK_INFO).derive(kek)


def network_keyring(keyring: Keyring) -> Keyring:
    """The service's KEKs, each turned into the network's own; the ids stay, so a rotation works as for cases."""
    return Keyring(current=keyring.current, keks={kek_id: network_kek(kek) for kek_id, kek in keyring.keks.items()})


class AgentKey(BaseModel):
    """An agent's data key wrapped with the network's key, as it travels on the network key topic."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    agent_id: uuid.UUID
    region: str
    kek_id: str
    nonce: str
    wrapped: str


def _bound(agent_id: uuid.UUID) -> bytes:
    return b"apua agent key\x00" + agent_id.bytes


def wrap_agent_key(network: Keyring, agent_id: uuid.UUID, region: str, data_key: bytes) -> AgentKey:
    """``network`` is :func:`network_keyring`'s: the case keyring must never wrap an agent's key."""
    nonce = os.urandom(NONCE_BYTES)
    wrapped = AESGCM(network.keks[network.current]).encrypt(nonce, data_key, _bound(agent_id))
    return AgentKey(agent_id=agent_id, region=region, kek_id=network.current, nonce=_b64(nonce),
                    wrapped=_b64(wrapped))


def unwrap_agent_key(network: Keyring, key: AgentKey) -> bytes:
    kek = network.keks.get(key.kek_id)
    if kek is None:
        raise KeyUnavailable(f"the key of agent {key.agent_id} is wrapped with KEK {key.kek_id}, not configured")
    try:
        return AESGCM(kek).decrypt(_unb64(key.nonce), _unb64(key.wrapped), _bound(key.agent_id))
    except InvalidTag as exc:
        raise KeyUnavailable(f"the key of agent {key.agent_id} does not open with the network's key") from exc


def _associated(agent_id: uuid.UUID, place: str) -> bytes:
    return b"".join((_SEAL_CONTEXT, agent_id.bytes, place.encode()))


def seal_for_agent(data_key: bytes, agent_id: uuid.UUID, value: object, place: str) -> Sealed:
    """Seal ``value`` for one agent at ``place`` (an event type and field, 'agent.applied/personal')."""
    return seal_bound(data_key, value, _associated(agent_id, place), version=2)


def unseal_for_agent(data_key: bytes, agent_id: uuid.UUID, sealed: Sealed, place: str) -> object:
    return unseal_bound(data_key, sealed, _associated(agent_id, place),
                        f"sealed data of agent {agent_id} does not open here with this key")


# The network key topic kept as a table (services/network, notify): a wrapped key, or a tombstone that erases it.
_agent_key_table = CompactedTable(
    table="agent_keys", model=AgentKey, what="a wrapped agent key",
    columns=(("agent_id", "uuid"), ("region", "text"), ("kek_id", "text"), ("nonce", "text"), ("wrapped", "text")),
    row=lambda key: (key.agent_id, key.region, key.kek_id, key.nonce, key.wrapped),
    updated=("kek_id", "nonce", "wrapped"))


async def on_agent_key(conn: Conn, record: RecordLike) -> None:
    """An agent's key or its tombstone; a survey's key on the same topic (shared/survey_keys.py, keyed
    ``survey:<id>``) is not an agent's and passes by."""
    if record.key is not None and record.key.startswith(SURVEY_KEY_PREFIX):
        return
    await _agent_key_table(conn, record)


async def agent_data_key(conn: Conn, agent_id: uuid.UUID, network: Keyring) -> bytes | None:
    """The agent's data key, or None once they left (the key is erased)."""
    row = await conn.fetchrow("SELECT agent_id, region, kek_id, nonce, wrapped FROM agent_keys WHERE agent_id = $1",
                              agent_id)
    return unwrap_agent_key(network, AgentKey(**dict(row))) if row is not None else None
