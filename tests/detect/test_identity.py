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


def test_ids_never_hold_a_run_of_digits_masking_would_take_for_a_phone() -> None:
    """About one anchor in sixty hashes to ten digits in a row within the first twelve hex
    characters; its id takes the next window of the digest that has none."""
    import hashlib
    import re

    from scalpernet.privacy import mask_text

    runs = [u for u in (f"payer:{i}" for i in range(5_000))
            if re.search("[0-9]{10}", hashlib.sha256(u.encode()).hexdigest()[:12])]
    assert runs  # the case happens
    for u in [*runs[:50], "payer:p", "phone:13800000000"]:
        ident = anchor_id(u, "act-")
        assert not re.search("[0-9]{10}", ident) and len(ident) == 16
        assert mask_text(ident) == ident and anchor_id(u, "act-") == ident
    # an anchor whose first window is clean keeps the id it always had
    clean = next(u for u in (f"payer:{i}" for i in range(100)) if u not in runs)
    assert anchor_id(clean) == "net-" + hashlib.sha256(clean.encode()).hexdigest()[:12]
