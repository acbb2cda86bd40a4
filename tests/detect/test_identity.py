"""Network ids: inherited by overlap, else derived from the anchor; never two alike."""

from __future__ import annotations

from scalpernet.detect.identity import anchor_id, assign_ids, jaccard


def test_an_overlapping_predecessor_gives_its_id() -> None:
    previous = {"net-old-a": {"ip:1", "payer:p", "id_card:a", "id_card:b"},
                "net-old-b": {"ip:9", "payer:q"}}
    new = [("payer:q", {"ip:9", "payer:q", "id_card:z"}),
           ("payer:p", {"ip:1", "payer:p", "id_card:a", "id_card:b", "id_card:c"})]
    assert assign_ids(new, previous, 0.5) == ["net-old-b", "net-old-a"]


def test_without_predecessor_the_anchor_names_the_network() -> None:
    previous = {"net-old": {"ip:1", "payer:p", "a", "b", "c", "d"}}
    new = [("payer:p", {"payer:p", "x", "y", "z"})]  # 1 of 9 shared: a new ring
    assert assign_ids(new, previous, 0.5) == [anchor_id("payer:p")]
    assert anchor_id("payer:p").startswith("net-") and len(anchor_id("payer:p")) == 16
    assert "payer" not in anchor_id("phone:13800000000")


def test_a_split_ring_keeps_its_id_once_and_no_id_repeats() -> None:
    previous = {"net-old": {"a", "b", "c", "d"}}
    new = [("x", {"a", "b", "c"}), ("y", {"a", "b", "c", "d", "e"})]
    ids = assign_ids(new, previous, 0.5)
    assert ids == [anchor_id("x"), "net-old"]  # the closer one (0.8 over 0.75) inherits
    clash = assign_ids([("same", {"p"}), ("same", {"q"})], {}, 0.5)
    assert clash == [anchor_id("same"), anchor_id("same") + "-2"]
    assert jaccard(set(), set()) == 0.0
