"""The entities that valid rows name, each once: what both writers write.

:func:`entity_tables` gives one table per node label (and one for the ``HAS_PHONE`` pairs),
one row per key in the order keys first appear; each column is the value of the key's first
row, except a payer's channel and an escort agent's name: the first one known. The
transactional writer MERGEs a batch's tables (``cypher/ingest_merge_*.cypher``); the bulk
load keeps each batch's and reduces them once more at the end (:func:`first`), so both
build the same entities from the same rows.
"""

from __future__ import annotations

from typing import Final

import pyarrow as pa
import pyarrow.compute as pc

#: Per label: its entity kind (``uid`` prefix) and its columns, each from a row column.
LABELS: Final[dict[str, tuple[str, dict[str, str]]]] = {
    "IDCard": ("id_card", {"key": "id_card", "valid": "id_valid",
                           "invalid_reason": "id_reason", "birth_date": "id_birth_date",
                           "sex": "id_sex", "region": "id_region"}),
    "IP": ("ip", {"key": "ip", "version": "ip_version", "private": "ip_private",
                  "range": "ip_range"}),
    "Account": ("account", {"key": "account"}),
    "Device": ("device", {"key": "device"}),
    "Patient": ("patient", {"key": "patient", "name": "patient_name",
                            "junk_name": "junk_reason", "junk_reason": "junk_reason",
                            "id_card": "id_card"}),
    "Phone": ("phone", {"key": "phone", "kind": "phone_kind", "virtual": "phone_virtual"}),
    "Payer": ("payer", {"key": "payer", "channel": "payer_channel"}),
    "EscortAgent": ("escort_agent", {"key": "agent", "name": "agent_name"}),
}
#: Columns whose value is the first one known, not the first row's.
FIRST_KNOWN: Final = {"Payer": {"channel"}, "EscortAgent": {"name"}}
#: The row columns :func:`entity_tables` reads.
SOURCES: Final = sorted({c for _, cols in LABELS.values() for c in cols.values()}
                        | {"agent_phone", "agent_phone_kind", "agent_phone_virtual"})


def first(table: pa.Table, label: str) -> pa.Table:
    """One row per non-null key, in the order keys first appear (see the module)."""
    table = table.filter(pc.is_valid(table.column("key")))
    others = [c for c in table.column_names if c != "key"]
    known = FIRST_KNOWN.get(label, set())
    grouped = table.group_by("key", use_threads=False).aggregate(
        [(c, "first", pc.ScalarAggregateOptions(skip_nulls=c in known)) for c in others])
    return grouped.rename_columns([c.removesuffix("_first") for c in grouped.column_names]
                                  ).select(["key", *others])


def entity_tables(rows: pa.Table) -> dict[str, pa.Table]:
    """Each label's entities of ``rows`` (:data:`~scalpernet.ingest.rows.ROW_SCHEMA`), and
    the ``HAS_PHONE`` pairs (``agent``, ``phone``), each once (see the module)."""
    col = {name: rows.column(name).combine_chunks() for name in SOURCES}
    tables = {}
    for label, (_, columns) in LABELS.items():
        table = pa.table({name: col[source] for name, source in columns.items()})
        if label == "Patient":
            table = table.set_column(2, "junk_name", pc.is_valid(col["junk_reason"]))
        elif label == "Phone":  # a contact phone and an agent's phone are one Phone
            table = pa.concat_tables([table, pa.table({
                "key": col["agent_phone"], "kind": col["agent_phone_kind"],
                "virtual": col["agent_phone_virtual"]})])
        tables[label] = first(table, label)
    pairs = pa.table({"key": pc.binary_join_element_wise(col["agent"], col["agent_phone"],
                                                         "\x1f"),
                      "agent": col["agent"], "phone": col["agent_phone"]})
    tables["HAS_PHONE"] = first(pairs, "HAS_PHONE")
    return tables
