"""Identifiers in registration exports (ID numbers, phones, IPs, names): keys and judgements.

Pure functions without I/O: the ingestion pipeline, the simulator and the API all key
entities through them, so one person or one address is one node whoever writes it.
"""

from scalpernet.identifiers.idcard import IdCard, check_char, parse_id_card
from scalpernet.identifiers.ip import Ip, parse_ip
from scalpernet.identifiers.names import junk_name_reason, normalise_name
from scalpernet.identifiers.phone import VIRTUAL_SEGMENTS, Phone, parse_phone

__all__ = [
    "VIRTUAL_SEGMENTS",
    "IdCard",
    "Ip",
    "Phone",
    "check_char",
    "junk_name_reason",
    "normalise_name",
    "parse_id_card",
    "parse_ip",
    "parse_phone",
]
