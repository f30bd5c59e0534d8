"""A survey's own key: its free-text answers travel sealed with it, and erasing it erases them.

A survey's answers are kept on the network topic for ever (its retention is -1), and whatever an agent wrote in a
free-text answer (perhaps a name) would stay readable there. So the texts of each anonymous batch and of each named
answer are sealed with a data key of the survey's own, wrapped under the network's key-wrapping key
(shared/network_keys.network_keyring, never the case KEK) and put on the network key topic under
``survey:<survey id>``; when the region's retention for the texts ends, the key's tombstone on that topic (and its
deletion from the network's table) leaves every sealed copy, in Kafka and in backups, unreadable. The counts need no
key: only the texts are sealed.

The wrapped key is bound to its survey as associated data under a label of its own, so neither an agent's key nor
another survey's opens as this one; a sealed batch is bound to its survey and its place in the event.
"""

from __future__ import annotations

import os
import uuid

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import BaseModel, ConfigDict

from shared.sealing import NONCE_BYTES, Keyring, KeyUnavailable, Sealed, _b64, _unb64, seal_bound, unseal_bound

# The key topic's record key of a survey's key; agents' keys are bare UUIDs (shared/network_keys.py).
SURVEY_KEY_PREFIX = b"survey:"
_BOUND = b"apua survey key\x00"
_SEAL_CONTEXT = b"apua survey sealed v1\x00"


class SurveyKey(BaseModel):
    """A survey's data key wrapped with the network's key, as it travels on the network key topic."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    survey_id: uuid.UUID
    region: str
    kek_id: str
    nonce: str
    wrapped: str


def record_key(survey_id: uuid.UUID) -> bytes:
    return SURVEY_KEY_PREFIX + str(survey_id).encode()


def wrap_survey_key(network: Keyring, survey_id: uuid.UUID, region: str, data_key: bytes) -> SurveyKey:
    """``network`` is network_keyring's: the case keyring never wraps a survey's key."""
    nonce = os.urandom(NONCE_BYTES)
    wrapped = AESGCM(network.keks[network.current]).encrypt(nonce, data_key, _BOUND + survey_id.bytes)
    return SurveyKey(survey_id=survey_id, region=region, kek_id=network.current, nonce=_b64(nonce),
                     wrapped=_b64(wrapped))


def unwrap_survey_key(network: Keyring, key: SurveyKey) -> bytes:
    kek = network.keks.get(key.kek_id)
    if kek is None:
        raise KeyUnavailable(f"the key of survey {key.survey_id} is wrapped with KEK {key.kek_id}, not configured")
    try:
        return AESGCM(kek).decrypt(_unb64(key.nonce), _unb64(key.wrapped), _BOUND + key.survey_id.bytes)
    except InvalidTag as exc:
        raise KeyUnavailable(f"the key of survey {key.survey_id} does not open with the network's key") from exc


def _associated(survey_id: uuid.UUID, place: str) -> bytes:
    return b"".join((_SEAL_CONTEXT, survey_id.bytes, place.encode()))


def seal_for_survey(data_key: bytes, survey_id: uuid.UUID, value: object, place: str) -> Sealed:
    return seal_bound(data_key, value, _associated(survey_id, place), version=2)


def unseal_for_survey(data_key: bytes, survey_id: uuid.UUID, sealed: Sealed, place: str) -> object:
    return unseal_bound(data_key, sealed, _associated(survey_id, place),
                        f"sealed texts of survey {survey_id} do not open here with this key")
