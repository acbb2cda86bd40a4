"""The pages' words in each language: zh-CN (the default, as investigators say them) and en.

Python fills the page's headings and legend from these; the page's script gets the table of
its language in its data block, so both sides speak the same words.
"""

from __future__ import annotations

LANGUAGES = ("zh-CN", "en")
DEFAULT_LANGUAGE = "zh-CN"

_ZH: dict[str, str] = {
    "role.technician": "技术人员",
    "role.first_level": "一级黄牛",
    "role.second_level": "二级黄牛",
    "role.patient": "患者",
    "role.none": "无黄牛角色",
    "kind.ip": "IP 地址",
    "kind.payer": "支付账户",
    "kind.escort_agent": "陪诊代理",
    "kind.account": "应用账号",
    "kind.device": "设备",
    "kind.phone": "电话",
    "kind.id_card": "身份证",
    "kind.patient": "患者档案",
    "network": "团伙 {id}",
    "title": "团伙 {id} · ScalperNet",
    "facts": "风险 <b>{risk}</b> · {size} 个标识{actors} · 医院：{hospitals} · "
             "时间 {first} – {last}",
    "actors": " · {n} 个人员",
    "masked": "根据您的角色，身份证号和电话已打码。",
    "legend.role": "颜色：角色",
    "legend.kind": "形状：标识类型",
    "legend.hint": "大小：得分。方框是人员（点击展开其标识）或一组患者（点击展开）。"
                   "连线标注预约与付款次数；同层的连线为虚线。",
    "signals": "团伙信号",
    "no_signals": "没有团伙级信号。",
    "selected": "已选中",
    "pick": "点击人员或标识查看其信号和证据。",
    "overview_link": "← 团伙列表",
    "case": "案件",
    "report": "案件报告",
    "sign_out": "退出登录",
    "fit": "适应屏幕",
    "tiered": "分层布局",
    "physics": "自由布局（物理）",
    "collapse_all": "收起全部",
    "chart": "组织结构图",
    "list": "列表",
    "identifiers": "全部标识",
    "search": "搜索",
    "search_hint": "姓名、打码号码、引用或完整号码",
    "filters": "筛选",
    "min_score": "最低得分",
    "period": "时间",
    "large": "大型团伙：患者归在为其预约的代理之下，无角色成员另列。点击分组展开。",
    "dropped": "{n} / {total} 个成员未绘制（排名最低的黄牛及其患者）：本页最多绘制 "
               "{max} 个节点。团伙的 JSON（GET /networks/{{id}} 或 scalpernet networks "
               "--json）列出全部成员。",
    "empty": "该团伙没有存储的成员。",
    "tz": "时区",
}
_EN: dict[str, str] = {
    "role.technician": "Technician",
    "role.first_level": "First-level scalper",
    "role.second_level": "Second-level scalper",
    "role.patient": "Patient",
    "role.none": "No scalping role",
    "kind.ip": "IP address",
    "kind.payer": "Payment account",
    "kind.escort_agent": "Escort agent",
    "kind.account": "App account",
    "kind.device": "Device",
    "kind.phone": "Phone",
    "kind.id_card": "ID card",
    "kind.patient": "Patient record",
    "network": "Network {id}",
    "title": "Network {id} · ScalperNet",
    "facts": "Risk <b>{risk}</b> · {size} identifiers{actors} · hospitals: {hospitals} · "
             "seen {first} – {last}",
    "actors": " · {n} people",
    "masked": "ID numbers and phones are masked for your role.",
    "legend.role": "Colour: role",
    "legend.kind": "Shape: kind",
    "legend.hint": "Size: score. A box is a person (click to show their identifiers) or a "
                   "group of patients (click to open it). Links give bookings and payments; "
                   "links within a tier are dashed.",
    "signals": "Network signals",
    "no_signals": "No network-level signals stored.",
    "selected": "Selected",
    "pick": "Click a person or an identifier to see its signals and evidence.",
    "overview_link": "← All networks",
    "case": "Case",
    "report": "Case report",
    "sign_out": "Sign out",
    "fit": "Fit to screen",
    "tiered": "Tiered layout",
    "physics": "Free layout (physics)",
    "collapse_all": "Close all",
    "chart": "Org chart",
    "list": "List",
    "identifiers": "All identifiers",
    "search": "Search",
    "search_hint": "name, masked key, ref or full number",
    "filters": "Filters",
    "min_score": "Min. score",
    "period": "Period",
    "large": "Large network: patients are grouped under the agent who booked for them, and "
             "members without a scalping role are grouped apart. Click a group to open it.",
    "dropped": "{n} of {total} members are not drawn (the lowest-ranked scalpers and the "
               "patients booked through them): this page draws at most {max} nodes. The "
               "network's JSON (GET /networks/{{id}}, or scalpernet networks --json) lists "
               "every member.",
    "empty": "This network has no stored members.",
    "tz": "time zone",
}
TABLES: dict[str, dict[str, str]] = {"zh-CN": _ZH, "en": _EN}

#: The page script's own words, by language.
SCRIPT: dict[str, dict[str, str]] = {
    "zh-CN": {
        "shown": "显示 {n} / {total} 个标识", "people": "{n} 个人员",
        "patients": "{n} 名患者", "group_of": "{agent} 的 {n} 名患者",
        "no_agent": "{n} 名患者（未找到代理）", "without_role": "{n} 个无角色成员",
        "open": "点击展开。", "close_group": "收起：{caption}", "identifiers": "标识",
        "bookings": "预约", "payments": "付款", "customers": "客户", "score": "得分",
        "role": "角色", "members": "成员", "highest": "最高得分", "link": "连线",
        "registrations": "预约记录", "weight": "权重", "signals": "信号",
        "evidence": "证据", "more": "…… 另有 {n} 条：点击查看全部",
        "same_tier": "同层关联", "shared": "与其他人员共用", "tool": "由抢号工具操作",
        "first_seen": "首次出现", "last_seen": "最后出现", "uses": "使用",
        "no_results": "没有匹配的成员。", "in_page": "本页", "in_api": "全部数据",
        "expand": "展开邻居", "timeline": "预约时间线", "paths": "到另一成员的最短路径",
        "path_target": "目标（引用、类型:号码 或本页成员名）", "find_paths": "查找路径",
        "no_paths": "在 {hops} 步内没有路径。", "loading": "加载中……",
        "error": "请求失败：{msg}", "added": "新增 {n} 个邻居",
        "booked_at": "预约时间", "hospital": "医院", "status": "状态",
        "delay": "放号后延迟", "release_delays": "放号后延迟分布（秒）",
        "total": "共 {n} 条", "all_roles": "全部角色", "all_kinds": "全部类型",
        "all_hospitals": "全部医院",
        "ms": "毫秒", "s": "秒", "path": "路径 {n}（{len} 步）",
        "networks": "所在团伙", "risk": "风险",
        "compare": "同批放号的抢号速度：本团伙与其他人（{releases} 个放号批次）",
        "network_share": "本团伙 {n} 条", "others_share": "其他人 {n} 条",
        "compare_none": "这些放号批次没有其他人的预约。",
        "col_network": "本团伙", "col_others": "其他人",
        "status.booked": "已预约", "status.attended": "已就诊", "status.no_show": "爽约",
        "status.cancelled": "已取消",
    },
    "en": {
        "shown": "{n} of {total} identifiers shown", "people": "{n} people",
        "patients": "{n} patients", "group_of": "{n} patients of {agent}",
        "no_agent": "{n} patients with no agent found", "without_role": "{n} without a role",
        "open": "Click to open.", "close_group": "Close the group: {caption}",
        "identifiers": "Identifiers", "bookings": "Bookings", "payments": "Payments",
        "customers": "Customers", "score": "Score", "role": "Role", "members": "Members",
        "highest": "Highest score", "link": "Link", "registrations": "Registrations",
        "weight": "Weight", "signals": "Signals", "evidence": "Evidence",
        "more": "… {n} more: click for all", "same_tier": "Within the tier",
        "shared": "shared with another person", "tool": "operated by the booking tool",
        "first_seen": "First seen", "last_seen": "Last seen", "uses": "uses",
        "no_results": "No matching member.", "in_page": "This page", "in_api": "All data",
        "expand": "Expand neighbours", "timeline": "Booking timeline",
        "paths": "Shortest paths to another member",
        "path_target": "Target (ref, kind:key or a member's name here)",
        "find_paths": "Find paths", "no_paths": "No path within {hops} steps.",
        "loading": "Loading…", "error": "Request failed: {msg}",
        "added": "{n} neighbours added", "booked_at": "Booked at", "hospital": "Hospital",
        "status": "Status", "delay": "Delay after release",
        "release_delays": "Delays after release (seconds)", "total": "{n} in all",
        "all_roles": "All roles", "all_kinds": "All kinds",
        "all_hospitals": "All hospitals", "ms": "ms", "s": "s",
        "path": "Path {n} ({len} steps)", "networks": "Networks it is in", "risk": "risk",
        "compare": "Delays after the same releases: this network beside everyone else "
                   "({releases} releases)",
        "network_share": "network: {n}", "others_share": "others: {n}",
        "compare_none": "No one else booked in these releases.",
        "col_network": "This network", "col_others": "Everyone else",
        "status.booked": "booked", "status.attended": "attended", "status.no_show": "no-show",
        "status.cancelled": "cancelled",
    },
}


def words(lang: str) -> dict[str, str]:
    """The table of `lang`; a clear error for a language the pages do not speak."""
    if lang not in TABLES:
        raise ValueError(f"unknown language {lang!r}: choose one of {', '.join(LANGUAGES)}")
    return TABLES[lang]
