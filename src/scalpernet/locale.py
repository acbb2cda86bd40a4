"""Words users read in files and reports, in Simplified Chinese (the default) and English.

Tiers and kinds come from the pages' table (``views.strings``: 技术人员, 一级黄牛, 二级黄牛,
患者); signals are named here by what they mean to a person rather than by their code
names, and case statuses as investigators say them.
"""

from __future__ import annotations

from functools import cache
from typing import Literal

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
