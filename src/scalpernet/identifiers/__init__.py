"""Identifiers in registration exports (ID numbers, phones, IPs, names): keys and judgements.

Pure functions without I/O: the ingestion pipeline, the simulator and the API all key
entities through them, so one person or one address is one node whoever writes it.
"""

from scalpernet.identifiers.idcard import (
    NO_BIRTH_DATE,
    PLAIN_REASONS,
    IdCard,
    check_char,
    judge_plain,
    parse_id_card,
    parse_id_cards,
)
from scalpernet.identifiers.ip import Ip, parse_ip
from scalpernet.identifiers.names import junk_name_reason, normalise_name
from scalpernet.identifiers.phone import VIRTUAL_SEGMENTS, Phone, parse_phone

__all__ = [
    "NO_BIRTH_DATE",
    "PLAIN_REASONS",
    "VIRTUAL_SEGMENTS",
    "IdCard",
    "Ip",
    "Phone",
    "check_char",
    "judge_plain",
    "junk_name_reason",
    "normalise_name",
    "parse_id_card",
    "parse_id_cards",
    "parse_ip",
    "parse_phone",
]
