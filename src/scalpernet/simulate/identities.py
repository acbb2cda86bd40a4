"""The people and machines of the world: names, ID numbers, phones, accounts, devices, IPs.

Each identifier comes from a keyed bijection of an *owner number*, so it is unique by
construction. Owner numbers live in disjoint ranges: honest people (``household * 6 +
member``), honest organisations (:data:`OTHERS`: escort agencies, companies) and gangs
(:data:`GANG`). ID numbers follow GB 11643 (region, birth date, sequence, check character);
honest people use sequence numbers 000-799 and gang customers 800-999, so no gang customer
ever shares an ID number with an honest patient.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from scalpernet.identifiers import check_char, normalise_name
from scalpernet.identifiers.idcard import CHECK_CHARS, WEIGHTS
from scalpernet.simulate.rand import (
    Permutation,
    derive,
    hash64,
    hash64_many,
    mix64,
    mix64_many,
    unit,
    unit_many,
)

#: Owner-number offsets: honest people are below OTHERS.
OTHERS = 1 << 26
GANG = 1 << 27

# -- names --------------------------------------------------------------------------------
#: Common surnames, most frequent first (weights fall with rank).
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
    "龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红燕鹏辉建国文俊浩宇轩子涵欣怡梓萱"
    "诗雨晨博瑞嘉琪思悦一鑫鸿海波斌雪梅琳玲晶丹婷慧颖佳欢林峰云志宏春兵亮成德福荣生祥贵安淑珍"
    "凤琴芝素蓉川蜀锦天府"
)
_SURNAME_CUM: list[float] = []
_acc = 0.0
for _rank in range(len(SURNAMES)):
    _acc += 1.0 / (_rank + 4)
    _SURNAME_CUM.append(_acc)
_SURNAME_TOTAL = _acc

#: Placeholder names seen in real cases ("561", "789") and their cousins.
JUNK_NAMES = ("561", "789", "123", "666", "888", "111", "测试", "aaa", "x", "患者01", "无名")


def surname(h: int) -> str:
    """A surname drawn by frequency from a 64-bit hash."""
    return SURNAMES[bisect.bisect_left(_SURNAME_CUM, unit(h) * _SURNAME_TOTAL)]


_SURNAME_CUM_ARRAY = np.array(_SURNAME_CUM)


def surname_index_many(h: np.ndarray) -> np.ndarray:
    """:func:`surname`'s index into :data:`SURNAMES` for every hash of a ``uint64`` array."""
    return np.searchsorted(_SURNAME_CUM_ARRAY, unit_many(h) * _SURNAME_TOTAL, side="left")


def given_name_many(h: np.ndarray) -> list[str]:
    """:func:`given_name` of every hash of a ``uint64`` array."""
    n = np.uint64(len(GIVEN))
    first = (h % n).tolist()
    second = ((h >> np.uint64(32)) % n).tolist()
    two = ((h >> np.uint64(20)) % np.uint64(10) < 6).tolist()
    return [GIVEN[a] + GIVEN[b] if t else GIVEN[a]
            for a, b, t in zip(first, second, two, strict=True)]


def given_name(h: int) -> str:
    """One or two given-name characters from a 64-bit hash."""
    first = GIVEN[h % len(GIVEN)]
    if (h >> 20) % 10 < 6:
        return first + GIVEN[(h >> 32) % len(GIVEN)]
    return first


def full_name(h: int) -> str:
    return surname(mix64(h)) + given_name(h)


def patient_key(id_key: str, name: str) -> str:
    """The project's patient key: ``<ID card key>|<name, NFKC, whitespace removed>``."""
    return f"{id_key}|{normalise_name(name)}"


# -- ID numbers (GB 11643) ----------------------------------------------------------------
#: Chengdu districts and counties: where most local patients were born.
LOCAL_REGIONS = (
    "510104", "510105", "510106", "510107", "510108", "510112", "510113", "510114", "510115",
    "510116", "510117", "510121", "510129", "510131", "510181", "510182", "510183", "510184",
    "510185",
)
#: Elsewhere: other Sichuan cities and other provinces (customers often travel in).
OTHER_REGIONS = (
    "510703", "511302", "511102", "510504", "513401", "511702", "500101", "500103", "500112",
    "530102", "520102", "610113", "420106", "430104", "110105", "310115", "440106", "320106",
    "330106", "370102", "410105", "340104", "360102", "450103", "540102", "620102", "630104",
    "640104", "650102", "130102",
)
#: Age bands in years (inclusive): children, adults, elders.
BANDS = {"child": (1, 17), "adult": (18, 59), "elder": (60, 92)}


_SEQ3 = [f"{i:03d}" for i in range(1000)]
#: MOD 11-2 weighted digit sums of the sequence part (ID characters 15-17).
_SEQ_WEIGHT = np.array([sum(int(c) * w for c, w in zip(t, WEIGHTS[14:], strict=True))
                        for t in _SEQ3])
_SEQ_WEIGHTS: list[int] = _SEQ_WEIGHT.tolist()


class _IdSpace(NamedTuple):
    """One (population, band, locality) space: owner -> (region, birth day, sequence)."""

    perm: Permutation
    region0: int  # first index into IdNumbers._regions
    regions: int
    first_day: int  # ordinal of the earliest birth date
    seq0: int
    seqs: int


def _weight_sum(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(c) * w for c, w in zip(digits, weights, strict=True))


class IdNumbers:
    """Valid ID numbers, unique per (population, band, locality, owner number).

    The check character is computed from per-part weighted digit sums (region, birth date,
    sequence), the same MOD 11-2 sum :func:`scalpernet.identifiers.check_char` takes.
    """

    def __init__(self, seed: int, reference: date) -> None:
        self._spaces: dict[tuple[str, str, bool], _IdSpace] = {}
        ref = reference.toordinal()
        self._regions: list[str] = [*LOCAL_REGIONS, *OTHER_REGIONS]
        self._region_weight = np.array([_weight_sum(r, WEIGHTS[:6]) for r in self._regions])
        self._first = ref
        for population, (seq0, nseq) in {"honest": (0, 800), "gang": (800, 200)}.items():
            for band, (young, old) in BANDS.items():
                first = ref - int((old + 1) * 365.25) + 1
                self._first = min(self._first, first)
                ndays = int((old + 1) * 365.25) - int(young * 365.25)
                for local in (True, False):
                    nreg = len(LOCAL_REGIONS if local else OTHER_REGIONS)
                    region0 = 0 if local else len(LOCAL_REGIONS)
                    perm = Permutation(nreg * ndays * nseq, derive(seed, "id", population, band,
                                                                   local))
                    self._spaces[population, band, local] = _IdSpace(perm, region0, nreg,
                                                                     first, seq0, nseq)
        # birth dates as YYYYMMDD text and their weighted digit sums, by day
        days = (np.arange(self._first, ref + 1) - date(1970, 1, 1).toordinal()).astype(
            "datetime64[D]")
        months = days.astype("datetime64[M]")
        years = days.astype("datetime64[Y]")
        ymd = ((years.astype(np.int64) + 1970) * 10_000
               + (months - years).astype(np.int64) * 100 + 101
               + (days - months).astype(np.int64))
        self._born = [f"{d:08d}" for d in ymd.tolist()]
        weight = np.zeros(len(ymd), dtype=np.int64)
        for k, w in enumerate(WEIGHTS[6:14]):
            weight += (ymd // 10 ** (7 - k) % 10) * w
        self._born_weight = weight
        self._born_weights: list[int] = weight.tolist()  # plain ints for one-at-a-time make
        self._region_weights: list[int] = self._region_weight.tolist()

    def make(self, population: str, band: str, local: bool, owner: int) -> str:
        """The ID number of one owner (an 18-character string, check char included)."""
        perm, region0, nreg, first, seq0, nseq = self._spaces[population, band, local]
        u = perm(owner)
        seq = seq0 + u % nseq
        rest = u // nseq
        day = first + rest // nreg - self._first
        region = region0 + rest % nreg
        total = self._region_weights[region] + self._born_weights[day] + _SEQ_WEIGHTS[seq]
        return f"{self._regions[region]}{self._born[day]}{_SEQ3[seq]}{CHECK_CHARS[total % 11]}"

    def make_many(self, population: str, band: str, local: bool,
                  owners: np.ndarray) -> list[str]:
        """:meth:`make` for every owner number of an array."""
        perm, region0, nreg, first, seq0, nseq = self._spaces[population, band, local]
        u = perm.many(owners).astype(np.int64)
        seq = seq0 + u % nseq
        rest = u // nseq
        day = first + rest // nreg - self._first
        region = region0 + rest % nreg
        check = (self._region_weight[region] + self._born_weight[day] + _SEQ_WEIGHT[seq]) % 11
        regions, born = self._regions, self._born
        return [f"{regions[r]}{born[d]}{_SEQ3[q]}{CHECK_CHARS[c]}" for r, d, q, c in
                zip(region.tolist(), day.tolist(), seq.tolist(), check.tolist(), strict=True)]


def invalid_id_number(h: int, valid: str) -> str:
    """A placeholder's ID number: wrong check char, impossible date or region, or too short.

    Derived from a valid, unique number so placeholders of different gangs never collide.
    """
    kind = h % 4
    body = valid[:17]
    if kind == 0:  # wrong check character
        right = valid[17]
        return body + "10X98765432"[("10X98765432".index(right) + 1 + (h >> 8) % 10) % 11]
    if kind == 1:  # month 13-19: no such date
        bad = body[:10] + str(13 + (h >> 8) % 7) + body[12:]
        return bad + check_char(bad)
    if kind == 2:  # province 99 does not exist
        bad = "99" + body[2:]
        return bad + check_char(bad)
    return body  # 17 characters: the check character was never typed


# -- phones -------------------------------------------------------------------------------
#: Mobile segments of the three carriers (China Mobile, Unicom, Telecom).
MOBILE_SEGMENTS = (
    *range(130, 140), 145, 147, 150, 151, 152, 153, 155, 156, 157, 158, 159, 166, 173, 175, 176,
    177, 178, *range(180, 190), 191, 198, 199,
)
#: Virtual-operator segments: bought in bulk for placeholders, but honest people use them too.
VIRTUAL_SEGMENTS = (170, 171, 162, 165, 167)


class Phones:
    """Mobile numbers, unique per owner number, carrier or virtual segments."""

    def __init__(self, seed: int) -> None:
        self._mobile = Permutation(len(MOBILE_SEGMENTS) * 10**8, derive(seed, "phone"))
        self._virtual = Permutation(len(VIRTUAL_SEGMENTS) * 10**8, derive(seed, "vphone"))

    def make(self, owner: int, virtual: bool = False) -> str:
        perm, segments = (self._virtual, VIRTUAL_SEGMENTS) if virtual else (
            self._mobile, MOBILE_SEGMENTS)
        u = perm(owner)
        return f"{segments[u // 10**8]}{u % 10**8:08d}"

    def make_many(self, owners: np.ndarray, virtual: bool = False) -> list[str]:
        """:meth:`make` for every owner number of an array."""
        perm, segments = (self._virtual, VIRTUAL_SEGMENTS) if virtual else (
            self._mobile, MOBILE_SEGMENTS)
        u = perm.many(owners).astype(np.int64)
        return [f"{segments[a]}{b:08d}" for a, b in
                zip((u // 10**8).tolist(), (u % 10**8).tolist(), strict=True)]


def as_written(phone: str, h: int) -> str:
    """A phone the way an export may write it: mostly plain, sometimes +86 or separators."""
    r = h % 100
    if r < 96:
        return phone
    if r < 98:
        return f"+86 {phone[:3]} {phone[3:7]} {phone[7:]}"
    if r < 99:
        return f"+86{phone}"
    return f"{phone[:3]}-{phone[3:7]}-{phone[7:]}"


def id_as_written(id_number: str, h: int) -> str:
    """ID numbers ending in X are sometimes typed with a lower-case x."""
    if id_number.endswith("X") and h % 5 == 0:
        return id_number[:-1] + "x"
    return id_number


# -- accounts, payers, devices, agents, visit cards ---------------------------------------
CHANNELS = ("alipay", "wechat", "unionpay")


@dataclass(frozen=True, slots=True)
class Payer:
    account: str
    channel: str


class Handles:
    """App accounts, payment accounts, device fingerprints, escort ids, visit cards.

    One keyed permutation scatters the owner number; distinct affine maps (multipliers
    coprime to 10) turn it into account, payer and visit-card digits, each unique per owner.
    """

    def __init__(self, seed: int) -> None:
        self._owner = Permutation(1 << 28, derive(seed, "owner"))
        self._agent = Permutation(10**9, derive(seed, "agent"))
        self._device_key = derive(seed, "device")
        self._wechat_key = derive(seed, "wechat")
        self.scatter = lru_cache(maxsize=1 << 16)(self._owner)

    def account(self, owner: int) -> str:
        return f"U{(7_919_317 * self.scatter(owner) + 40_123_456_789) % 10**11:011d}"

    def device(self, owner: int) -> str:
        return f"{mix64(owner ^ self._device_key):016x}"

    def payer(self, owner: int, channel: str) -> Payer:
        if channel == "wechat":  # an openid-like string, unique through the bijective mix
            a = mix64(owner ^ self._wechat_key)
            b = hash64(self._wechat_key, owner)
            return Payer(f"o{a:016x}{b:016x}"[:28], channel)
        digits = (104_729_003 * self.scatter(owner) + 271_828_182_845) % 10**12
        prefix = "2088" if channel == "alipay" else "6217"
        return Payer(f"{prefix}{digits:012d}", channel)

    def accounts_many(self, owners: np.ndarray) -> list[str]:
        """:meth:`account` for every owner number of an array."""
        digits = (7_919_317 * self._owner.many(owners).astype(np.int64) + 40_123_456_789) % 10**11
        return [f"U{d:011d}" for d in digits.tolist()]

    def devices_many(self, owners: np.ndarray) -> list[str]:
        """:meth:`device` for every owner number of an array."""
        x = mix64_many(owners.astype(np.uint64) ^ np.uint64(self._device_key))
        return [f"{d:016x}" for d in x.tolist()]

    def payers_many(self, owners: np.ndarray, channels: np.ndarray) -> list[str]:
        """:meth:`payer`'s account for every owner number, ``channels`` indexing CHANNELS."""
        digits = ((104_729_003 * self._owner.many(owners).astype(np.int64) + 271_828_182_845)
                  % 10**12).tolist()
        wechat = channels == CHANNELS.index("wechat")
        out = [f"2088{d:012d}" if c == 0 else f"6217{d:012d}"
               for d, c in zip(digits, channels.tolist(), strict=True)]
        if wechat.any():
            at = np.flatnonzero(wechat)
            key = np.uint64(self._wechat_key)
            a = mix64_many(owners[at].astype(np.uint64) ^ key).tolist()
            b = hash64_many(self._wechat_key, owners[at].astype(np.uint64)).tolist()
            for i, x, y in zip(at.tolist(), a, b, strict=True):
                out[i] = f"o{x:016x}{y:016x}"[:28]
        return out

    def visit_cards_many(self, hospital: int, owners: np.ndarray) -> list[str]:
        """:meth:`visit_card` for every owner number of an array."""
        digits = (31_415_927 * self._owner.many(owners).astype(np.int64) + 577_215_664) % 10**9
        return [f"{hospital:02d}{d:09d}" for d in digits.tolist()]

    def escort_agent(self, owner: int) -> str:
        return f"PZ{self._agent(owner):09d}"

    def visit_card(self, hospital: int, owner: int) -> str:
        return f"{hospital:02d}{(31_415_927 * self.scatter(owner) + 577_215_664) % 10**9:09d}"


# -- IP addresses -------------------------------------------------------------------------
_BROADBAND = (27, 36, 58, 59, 60, 61, 101, 106, 110, 111, 113, 114, 115, 116, 119, 120, 121,
              122, 123, 124, 175, 180, 182, 183, 218, 219, 220, 221, 222)


class IpPool:
    """Unique IPv4 addresses from a list of /16 blocks (host parts 1-254)."""

    def __init__(self, blocks: list[tuple[int, int]], key: int) -> None:
        self._blocks = blocks
        self._perm = Permutation(len(blocks) * 256 * 254, key)

    def __call__(self, owner: int) -> str:
        u = self._perm(owner)
        a, b = self._blocks[u // 65024]
        rest = u % 65024
        return f"{a}.{b}.{rest // 254}.{rest % 254 + 1}"

    def many(self, owners: np.ndarray) -> list[str]:
        """The address of every owner number of an array."""
        u = self._perm.many(owners).astype(np.int64)
        rest = u % 65024
        blocks = [f"{a}.{b}." for a, b in self._blocks]
        return [f"{blocks[k]}{c}.{d}" for k, c, d in
                zip((u // 65024).tolist(), (rest // 254).tolist(), (rest % 254 + 1).tolist(),
                    strict=True)]


def _ipv6_text(groups: tuple[int, ...]) -> str:
    """RFC 5952 text of eight 16-bit groups (what ``ipaddress`` prints), without its cost."""
    best, best_len, run, run_len = -1, 1, -1, 0
    for i, g in enumerate(groups):
        if g == 0:
            if run < 0:
                run, run_len = i, 0
            run_len += 1
            if run_len > best_len:
                best, best_len = run, run_len
        else:
            run = -1
    hexes = [f"{g:x}" for g in groups]
    if best < 0:
        return ":".join(hexes)
    return ":".join(hexes[:best]) + "::" + ":".join(hexes[best + best_len:])


class Addresses:
    """Every address kind of the world, from disjoint blocks so kinds never collide."""

    def __init__(self, seed: int) -> None:
        self.home = IpPool([(a, b) for a in _BROADBAND for b in range(100)],
                           derive(seed, "ip", "home"))
        self.proxy = IpPool([(a, b) for a in _BROADBAND for b in range(100, 120)],
                            derive(seed, "ip", "proxy"))
        self.office = IpPool([(a, b) for a in _BROADBAND for b in range(120, 128)],
                             derive(seed, "ip", "office"))
        # China Mobile / Unicom mobile gateways: one address fronts thousands of phones
        self.carrier_nat = IpPool([(117, b) for b in range(136, 144)]
                                  + [(223, b) for b in range(104, 112)],
                                  derive(seed, "ip", "nat"))
        self.hospital = IpPool([(125, b) for b in range(69, 72)], derive(seed, "ip", "hosp"))
        # cloud servers rented by technicians (Aliyun, Tencent Cloud, Huawei Cloud ranges)
        self.cloud = IpPool([(47, b) for b in range(92, 112)] + [(118, 24), (118, 25),
                                                                  (139, 155), (121, 36)],
                            derive(seed, "ip", "cloud"))
        self._home6 = Permutation(1 << 32, derive(seed, "ip", "home6"))

    def home6(self, owner: int, host: int) -> str:
        """A home broadband IPv6 address (one /64 per household), in canonical text."""
        net = self._home6(owner)
        groups = (0x240E, 0x03B0, net >> 16, net & 0xFFFF, 0, 0, 0, (host & 0xFFFF) or 1)
        return _ipv6_text(groups)

    @staticmethod
    def kiosk(hospital: int, k: int) -> str:
        """A self-service kiosk inside a hospital's own network."""
        return f"10.{hospital}.{k // 254}.{k % 254 + 1}"
