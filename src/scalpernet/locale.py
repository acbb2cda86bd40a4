"""Words users read in files and reports, in Simplified Chinese (the default) and English.

Tiers and kinds come from the pages' table (``views.strings``: 技术人员, 一级黄牛, 二级黄牛,
患者); signals are named here by what they mean to a person rather than by their code
names, and case statuses as investigators say them.
"""

from __future__ import annotations

import re
import string
from functools import cache
from typing import Any, Literal

Lang = Literal["zh-CN", "en"]
DEFAULT_LANG: Lang = "zh-CN"

SIGNALS: dict[str, tuple[str, str]] = {
    "machine_speed_share": ("放号后 1 秒内抢到", "Booked under 1 s after release"),
    "within_seconds_share": ("放号后数秒内抢到", "Booked within seconds of release"),
    "occupy_and_wash": ("占号后退号再挂（洗号）", "Slots held, cancelled and re-booked"),
    "placeholder_share": ("占位身份挂号", "Bookings for placeholder identities"),
    "ids_per_channel_day": ("同一来源一天挂多个身份证", "Many ID numbers a day from one source"),
    "customers": ("涉及不同身份证数", "Distinct ID numbers booked"),
    "money_hub": ("一个支付账号替多名患者付款", "One payment account pays for many"),
    "escort_agents": ("陪诊员带客", "Escort agents bringing customers"),
    "before_release": ("放号前提交", "Booked before release"),
    "quiet_window_share": ("系统维护时段挂号", "Bookings in the maintenance window"),
    "virtual_phones": ("虚拟运营商号码", "Virtual-operator phones"),
    "payer_yearly_bookings": ("支付账号年挂号量", "Payer's bookings a year"),
    "bookings": ("挂号总数", "Bookings in the ring"),
}
STATUSES: dict[str, tuple[str, str]] = {
    "new": ("新建", "New"), "under_review": ("审查中", "Under review"),
    "confirmed": ("已确认", "Confirmed"), "referred": ("已移送", "Referred"),
    "dismissed": ("已排除", "Dismissed"),
}

#: The roles of API keys, as the history of a case names who made each change.
KEY_ROLES: dict[str, tuple[str, str]] = {
    "investigator": ("侦查员", "investigator"), "analyst": ("分析员", "analyst"),
    "admin": ("管理员", "admin"), "ingest": ("数据导入", "ingest"),
}


#: What a signal's figures say, in Chinese and in English, by where the signal is found (a
#: ring: ``ring.``, a member: ``member.``) and its name. Detection writes the English one
#: into the stored signal (the API's and ``networks --json``'s ``detail``), through
#: :func:`detail_text`; the pages read the figures back out of it (:func:`signal_detail`).
DETAILS: dict[str, tuple[str, str]] = {
    "ring.machine_speed_share": ("{n} 次挂号中 {machine} 次在放号后 1 秒内完成",
                                 "{machine} of {n} bookings under 1 s after release"),
    "ring.within_seconds_share": ("{n} 次挂号中 {quick} 次在放号后数秒内完成",
                                  "{quick} of {n} bookings within seconds of release"),
    "ring.occupy_and_wash": ("{wash} 个号源退号后数秒内被重新挂上",
                             "{wash} slots cancelled and re-booked within seconds"),
    "ring.placeholder_share": ("{placeholders} 次挂号使用占位身份（{invalid} 个无效身份证号，"
                               "{junk} 个无意义姓名）",
                               "{placeholders} bookings for placeholder identities ({invalid} "
                               "invalid ID numbers, {junk} junk names)"),
    "ring.ids_per_channel_day": ("同一标识一天内为 {per_day} 个不同身份证号挂号",
                                 "one identifier booked {per_day} distinct ID numbers in a day"),
    "ring.money_hub": ("同一支付账号为团伙内 {paid_for} 名客户的挂号付款",
                       "one payment account paid for {paid_for} customers' bookings in the ring"),
    "ring.customers": ("共为 {customers} 个不同身份证号挂号",
                       "{customers} distinct ID numbers booked"),
    "ring.escort_agents": ("{agents} 名陪诊员带客", "{agents} escort agents bring customers"),
    "ring.before_release": ("{before} 次挂号在放号前提交",
                            "{before} bookings before the slots were released"),
    "ring.quiet_window_share": ("{quiet} 次挂号在医院系统维护时段",
                                "{quiet} bookings in the hospital's maintenance window"),
    "ring.virtual_phones": ("{virtual} 次挂号留的是虚拟运营商联系电话",
                            "{virtual} bookings with a virtual-operator contact phone"),
    "ring.payer_yearly_bookings": ("挂号最多的支付账号每年 {top_payer} 次；99.9% 的支付账号每年"
                                   "不超过 {p999} 次",
                                   "busiest payer: {top_payer:.0f} bookings a year; 99.9% of "
                                   "payers make at most {p999:.0f}"),
    "ring.bookings": ("团伙内共 {bookings} 次挂号", "{bookings} bookings in the ring"),
    #: Added to a ring signal that raised the risk: by how much.
    "logit": ("（风险贡献 +{logit}）", " (logit +{logit:.2f})"),
    "member.bookings": ("{bookings} 次挂号，其中 {ring_bookings} 次在本团伙内",
                        "{bookings} bookings, {ring_bookings} of them in this ring"),
    "member.machine_speed_bookings": ("{machine} 次挂号在放号后 1 秒内",
                                      "{machine} bookings under 1 s after release"),
    "member.within_seconds_bookings": ("{quick} 次挂号在放号后数秒内",
                                       "{quick} bookings within seconds of release"),
    "member.id_numbers": ("{id_numbers} 个不同身份证号，一天最多 {per_day} 个",
                          "{id_numbers} distinct ID numbers, at most {per_day} in one day"),
    "member.visit_cards": ("{cards} 张不同就诊卡", "{cards} distinct visit cards"),
    "member.yearly_bookings": ("每年挂号 {per_year} 次，涉及 {patients} 名患者",
                               "{per_year:.0f} bookings a year for {patients} patients"),
    "member.occupy_and_wash": ("{count} 次挂号属于退号再挂",
                               "{count} bookings in cancel-and-rebook pairs"),
    "member.invalid_id_numbers": ("{count} 次挂号使用无效身份证号",
                                  "{count} bookings with an invalid ID number"),
    "member.junk_names": ("{count} 次挂号使用无意义姓名", "{count} bookings under a junk name"),
    "member.virtual_phones": ("{count} 次挂号使用虚拟运营商号码",
                              "{count} bookings with a virtual-operator phone"),
    "member.before_release": ("{count} 次挂号在放号前提交", "{count} bookings before release"),
    "member.maintenance_window": ("{count} 次挂号在系统维护时段",
                                  "{count} bookings in the maintenance window"),
}


def detail_text(key: str, **figures: Any) -> str:
    """The English explanation of a signal (``DETAILS[key]``), as detection stores it."""
    return DETAILS[key][1].format(**figures)


def _pattern(template: str) -> str:
    """A regular expression that reads the figures back out of a formatted template."""
    parts = []
    for literal, field, _spec, _conv in string.Formatter().parse(template):
        parts.append(re.escape(literal))
        if field is not None:
            parts.append(f"(?P<{field}>.+?)")
    return "".join(parts)


@cache
def _readers() -> tuple[re.Pattern[str], dict[str, re.Pattern[str]]]:
    logit = re.compile(f"(?P<_body>.*){_pattern(DETAILS['logit'][1])}", re.DOTALL)
    return logit, {key: re.compile(_pattern(en), re.DOTALL)
                   for key, (_, en) in DETAILS.items() if key != "logit"}


def signal_detail(name: str, detail: str, lang: str = DEFAULT_LANG) -> str:
    """A stored signal's explanation in `lang`: the figures read out of the English text
    detection wrote, put into the words of `lang`. A text no template reads (a signal of
    a kind this table does not know) is shown as it is stored."""
    if lang != "zh-CN" or not detail:
        return detail
    logit, readers = _readers()
    body, suffix = detail, ""
    ends = logit.fullmatch(detail)
    if ends is not None:
        body, suffix = ends["_body"], DETAILS["logit"][0].format(logit=ends["logit"])
    for scope in ("ring", "member"):
        key = f"{scope}.{name}"
        read = readers[key].fullmatch(body) if key in readers else None
        if read is not None:
            return DETAILS[key][0].format(**read.groupdict()) + suffix
    return detail


def _pick(table: dict[str, tuple[str, str]], code: str, lang: str) -> str:
    names = table.get(code)
    if names is None:
        return code
    return names[0] if lang == "zh-CN" else names[1]


@cache
def _page_words(lang: str) -> dict[str, str]:
    # imported here: the views package imports this module for its overview
    from scalpernet.views.strings import words

    return words(lang)


def role_name(role: str, lang: str = DEFAULT_LANG) -> str:
    """A tier as the pages name it (``views.strings``, one table for every page)."""
    return _page_words(lang).get(f"role.{role}", role)


def kind_name(kind: str, lang: str = DEFAULT_LANG) -> str:
    return _page_words(lang).get(f"kind.{kind}", kind)


def signal_name(name: str, lang: str = DEFAULT_LANG) -> str:
    return _pick(SIGNALS, name, lang)


def status_name(status: str, lang: str = DEFAULT_LANG) -> str:
    return _pick(STATUSES, status, lang)


def key_role_name(role: str, lang: str = DEFAULT_LANG) -> str:
    """The role of the key that made a change (侦查员, 分析员, 管理员)."""
    return _pick(KEY_ROLES, role, lang)
