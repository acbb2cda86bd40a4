"""What the ``scalpernet`` command says to people: Simplified Chinese (the default, as the
pages) or English.

The language is ``--lang`` before the command (``scalpernet --lang en analyze``), else
``SCALPERNET_LANG``, else zh-CN. Only the words change: ``--json`` output, exit codes,
files, and the codes quoted inside a line (run ids, quarantine reasons, stage timings) stay
as they are, so scripts read the same either way. Tiers are named as the pages name them
(``locale.role_name``); an error raised deep inside a module is quoted as it was raised.
"""

from __future__ import annotations

from typing import Any

from scalpernet.locale import DEFAULT_LANG, role_name

LANGUAGES = ("zh-CN", "en")

_ZH: dict[str, str] = {
    "error": "错误：{message}",
    # db
    "db.running": "Neo4j {version} {edition} 正在 {uri} 运行（{where}）",
    "db.external": "外部服务器",
    "db.pid": "进程 {pid}",
    "db.memory_advised": "内存：堆 {heap}，页缓存 {pagecache}（按本机 {total} 吉字节中的 {planned} "
                         "吉字节推荐{named}）",
    "db.memory_set": "内存：堆 {heap}，页缓存 {pagecache}（由 {named} 设定）",
    "db.not_stopping": "已设置 NEO4J_URI（{uri}）：不停止外部服务器",
    "db.stopped": "Neo4j 已停止",
    "db.was_not_running": "Neo4j 本来就没有运行",
    "db.status_running": "正在运行：Neo4j {version} {edition}，地址 {uri}",
    "db.status_pid": "（进程 {pid}）",
    "db.status_down": "未运行：{uri}：{detail}",
    "db.reset_confirm": "db reset 会删除整个图数据库：确认请加 --yes",
    "db.emptied": "图数据库已清空：删除 {deleted} 个节点",
    # simulate
    "simulate.format": "--format 只能是 {formats} 之一",
    "wrote": "已写入 {path}",
    "simulate.summary": "{records} 条记录，{hospitals} 家医院，{days} 天，{gangs} 个团伙"
                        "（{members} 名成员，{bookings} 次挂号），"
                        "{innocent} 个相似的正常群体，用时 {seconds:.1f} 秒",
    # apikey
    "apikey.created": "已创建 {role} 密钥 {id}{name}：请立即保存，之后不再显示",
    "apikey.name": "（{name}）",
    "apikey.active": "有效",
    "apikey.revoked_at": "已于 {at:%Y-%m-%d %H:%M} 吊销",
    "apikey.revoked": "已吊销 {role} 密钥 {id}",
    "apikey.rotated": "当前引用密钥为 {current}；密钥 {old} 解码到 {until:%Y-%m-%d %H:%M} UTC 为止"
                      "（{path}）；请重启服务",
    # ingest
    "progress.ingesting": "导入中",
    "progress.validating": "校验中",
    "unit.rows": "行",
    "rate": "{rate:,.0f} 行/秒",
    "ingest.progress": "…… 已写入或隔离 {settled:,} / 约 {expected:,} 行（{rate:,.0f} 行/秒）",
    "ingest.summary": "导入批次 {run_id}：{files} 个文件，跳过 {skipped} 个（已导入过），读取 "
                      "{read:,} 行，用时 {seconds:.1f} 秒（{rate:,.0f} 行/秒）",
    "ingest.ingested": "  已导入          {ingested:>12,}（其中更新 {updated:,}）",
    "ingest.not_read": "  未读取：{n} 个文件不是导出文件后缀（{suffixes}）：{names}",
    "ingest.trouble": "错误：{path}：{error}",
    "ingest.present": "  已存在          {present:>12,}",
    "ingest.quarantined": "  已隔离          {quarantined:>12,}（{where}）",
    "ingest.no_file": "未写文件",
    "ingest.blank": "  跳过空行 {blank:,}",
    "ingest.balance": "读取 = 已导入 + 已存在 + 已隔离：{read:,} = {ingested:,} + {present:,} + "
                      "{quarantined:,}",
    "ingest.strict": "有 {quarantined:,} 行被隔离（--strict）",
    "bulk.elsewhere": "NEO4J_URI 指向另一台服务器：请在那里运行导入程序（先停止其服务），"
                      "然后启动它并运行一次 `scalpernet ingest`：\n  {command}",
    "bulk.stage": "…… {stage}（已读取 {read:,} 行，{seconds:.0f} 秒）",
    "bulk.summary": "批量导入 {run_id}：{files} 个文件，读取 {read:,} 行，用时 {seconds:.1f} 秒"
                    "（{rate:,.0f} 行/秒），{status}",
    "bulk.ingested": "  已导入          {ingested:>12,}",
    "stage.validating": "校验",
    "stage.writing the entities": "写出实体",
    "stage.stopping Neo4j": "停止 Neo4j",
    "stage.importing": "导入",
    "stage.importing_part": "导入：{what}（{i}/{n}）",
    "stage.starting Neo4j": "启动 Neo4j",
    "stage.applying the schema": "建立索引与约束",
    "stage.recording the run": "记录本次导入",
    "stage.complete": "完成",
    "dry.progress": "…… {read:,} 行（{rate:,.0f} 行/秒）",
    "dry.summary": "试运行：{files} 个文件，读取 {read:,} 行，用时 {seconds:.1f} 秒"
                   "（{rate:,.0f} 行/秒）；未写入 Neo4j",
    "dry.valid": "  有效        {valid:>12,}（完全重复 {duplicates:,}）",
    "dry.quarantined": "  已隔离      {quarantined:>12,}（{where}）",
    "dry.flags": "  标记（有效行保留证据；一行可有多个标记）",
    "dry.balance": "读取 = 有效 + 已隔离：{read:,} = {valid:,} + {quarantined:,}",
    # view
    "view.key_needed": "--unmasked 需要您的 API 密钥（--key 或 SCALPERNET_API_KEY）",
    "view.role_refused": "{role} 角色不能查看身份证号和电话：请去掉 --unmasked",
    "view.no_network": "当前结果中没有团伙 {id!r}（见 scalpernet networks）",
    "view.cannot_write": "无法写入 {out}：{why}",
    "view.wrote": "已写入 {out}：团伙 {id}，{members} 个成员{masked}",
    "view.masked": "，标识已打码",
    # runs
    "runs.local_only": "{error}；只显示本地日志中的夜间任务",
    "runs.passes": "夜间任务（最新在前，时间为 {zone}）：",
    "runs.ingests": "导入批次（最新在前）：",
    "runs.none": "  暂无",
    "runs.local_log": "  [仅本地日志]",
    "runs.counts": "读取 {read:,}，导入 {ingested:,}，已存在 {present:,}，隔离 {quarantined:,}",
    "runs.pass": "  {id}  {at}  {status:<9} {seconds:>7.1f} 秒  文件：{files}，{waiting} 个等待中；"
                 "行：{counts}；分析：{analysis}",
    "runs.ingest": "  {id}  {at}  {status:<9} 文件 {files}；行：{counts}",
    "runs.networks": "{n} 个团伙",
    "runs.not_run": "未运行",
    "outcome.ingested": "{n} 个已导入",
    "outcome.duplicate": "{n} 个重复",
    "outcome.failed": "{n} 个失败",
    "outcome.retry": "{n} 个待重试",
    # nightly
    "nightly.summary": "夜间任务 {id} {status}，用时 {seconds:.1f} 秒：导入 {ingested} 个文件，"
                       "重复 {duplicate} 个，失败 {failed} 个，待重试 {retry} 个，{waiting} 个仍在"
                       "写入；读取 {read:,} 行，导入 {rows_ingested:,}，已存在 {present:,}，"
                       "隔离 {quarantined:,}",
    "nightly.analysis": "；分析 {run_id}：{networks} 个团伙",
    "nightly.failed": "夜间任务 {id} 失败：{error}（记录于 {recorded_in}）",
    # analyze, networks
    "analysis.head": "分析 {run_id}：{networks} 个团伙，{members} 个成员，用时 {seconds:.1f} 秒",
    "analysis.closed": "；保留 {closed} 个已结案团伙",
    "analysis.window": "  时间窗口：自 {start} 起 {days} 天",
    "analysis.whole": "  时间窗口：全部历史",
    "analysis.roles": "  各角色成员：{roles}",
    "analysis.counts": "  {registrations:,} 条挂号记录，{entities:,} 个实体，"
                       "{ring:,} 次团伙内挂号，{triggered:,} 个触发的来源，"
                       "{damp:,} 个降权标识（其中白名单 {allowlisted:,} 个）",
    "analysis.stages": "  各阶段：{stages}",
    "seconds": "{seconds:.1f} 秒",
    "timing.projection": "读取与投影", "timing.signals": "信号", "timing.communities": "社区发现",
    "timing.tiers_scoring": "分层与评分", "timing.networks": "团伙", "timing.store": "存储",
    "timing.total": "合计",
    "networks.none": "尚无分析结果（请运行：scalpernet analyze）",
    "networks.head": "分析 {run_id}：{n} 个团伙",
    "networks.closed": " 已于 {date} 结案",
    "networks.line": "  {id}{closed}  风险 {risk:.3f}  {size:>6} 个标识，{people} 个人员：{roles}",
    # failures main() reports
    "neo4j.gone": "Neo4j（{uri}）不可用（{kind}）：是否已启动？（scalpernet db start）",
    "neo4j.refused": "Neo4j 拒绝了请求：{code}",
    "terminated": "已终止",
    "interrupted": "已中断",
    "unexpected": "意外错误 {kind}：{error}；{where}",
    "crash.unwritten": "详细信息无法写入（{why}）",
    "crash.written": "详细信息见 {path}",
    "lang.unknown": "未知语言 {lang!r}：可选 {choices}",
}

_EN: dict[str, str] = {
    "error": "error: {message}",
    "db.running": "Neo4j {version} {edition} running at {uri} ({where})",
    "db.external": "external server",
    "db.pid": "pid {pid}",
    "db.memory_advised": "memory: heap {heap}, page cache {pagecache} (recommended for "
                         "{planned} GiB of {total} GiB{named})",
    "db.memory_set": "memory: heap {heap}, page cache {pagecache} ({named})",
    "db.not_stopping": "NEO4J_URI is set ({uri}): not stopping an external server",
    "db.stopped": "Neo4j stopped",
    "db.was_not_running": "Neo4j was not running",
    "db.status_running": "running: Neo4j {version} {edition} at {uri}",
    "db.status_pid": " (pid {pid})",
    "db.status_down": "not running: {uri}: {detail}",
    "db.reset_confirm": "db reset deletes the whole graph: pass --yes to confirm",
    "db.emptied": "graph emptied: {deleted} nodes deleted",
    "simulate.format": "--format must be one of {formats}",
    "wrote": "wrote {path}",
    "simulate.summary": "{records} records, {hospitals} hospitals, {days} days, {gangs} gangs "
                        "({members} members, {bookings} bookings), {innocent} innocent "
                        "look-alikes in {seconds:.1f} s",
    "apikey.created": "created {role} key {id}{name}: store it now, it is not shown again",
    "apikey.name": " ({name})",
    "apikey.active": "active",
    "apikey.revoked_at": "revoked {at:%Y-%m-%d %H:%M}",
    "apikey.revoked": "revoked {role} key {id}",
    "apikey.rotated": "reference key {current} is current; key {old} decodes until "
                      "{until:%Y-%m-%d %H:%M} UTC ({path}); restart the servers",
    "progress.ingesting": "ingesting",
    "progress.validating": "validating",
    "unit.rows": "rows",
    "rate": "{rate:,.0f} rows/s",
    "ingest.progress": "... {settled:,} of ~{expected:,} rows written or quarantined "
                       "({rate:,.0f} rows/s)",
    "ingest.summary": "ingest run {run_id}: {files} file(s), {skipped} skipped (already "
                      "ingested), {read:,} rows read in {seconds:.1f} s ({rate:,.0f} rows/s)",
    "ingest.ingested": "  ingested         {ingested:>12,}  (updated {updated:,})",
    "ingest.not_read": "  not read: {n} file(s) without an export suffix ({suffixes}): {names}",
    "ingest.trouble": "error: {path}: {error}",
    "ingest.present": "  already present  {present:>12,}",
    "ingest.quarantined": "  quarantined      {quarantined:>12,}  ({where})",
    "ingest.no_file": "no file written",
    "ingest.blank": "  blank rows skipped {blank:,}",
    "ingest.balance": "read = ingested + already present + quarantined: {read:,} = "
                      "{ingested:,} + {present:,} + {quarantined:,}",
    "ingest.strict": "{quarantined:,} rows quarantined (--strict)",
    "bulk.elsewhere": "NEO4J_URI names another server: run the importer there (its server "
                      "stopped), then start it and run `scalpernet ingest` once:\n  {command}",
    "bulk.stage": "... {stage} ({read:,} rows read, {seconds:.0f} s)",
    "bulk.summary": "bulk load {run_id}: {files} file(s), {read:,} rows read in {seconds:.1f} s "
                    "({rate:,.0f} rows/s), {status}",
    "bulk.ingested": "  ingested         {ingested:>12,}",
    "stage.validating": "validating",
    "stage.writing the entities": "writing the entities",
    "stage.stopping Neo4j": "stopping Neo4j",
    "stage.importing": "importing",
    "stage.importing_part": "importing: {what} ({i}/{n})",
    "stage.starting Neo4j": "starting Neo4j",
    "stage.applying the schema": "applying the schema",
    "stage.recording the run": "recording the run",
    "stage.complete": "complete",
    "dry.progress": "... {read:,} rows ({rate:,.0f} rows/s)",
    "dry.summary": "dry run: {files} file(s), {read:,} rows read in {seconds:.1f} s "
                   "({rate:,.0f} rows/s); nothing written to Neo4j",
    "dry.valid": "  valid        {valid:>12,}  (exact duplicates {duplicates:,})",
    "dry.quarantined": "  quarantined  {quarantined:>12,}  ({where})",
    "dry.flags": "  flags (evidence kept on valid rows; a row may have several)",
    "dry.balance": "read = valid + quarantined: {read:,} = {valid:,} + {quarantined:,}",
    "view.key_needed": "--unmasked needs your API key (--key or SCALPERNET_API_KEY)",
    "view.role_refused": "the {role} role may not see ID numbers and phones: leave out "
                         "--unmasked",
    "view.no_network": "no network {id!r} in the current results (see scalpernet networks)",
    "view.cannot_write": "cannot write {out}: {why}",
    "view.wrote": "wrote {out}: network {id}, {members} members{masked}",
    "view.masked": ", identifiers masked",
    "runs.local_only": "{error}; only the local log of nightly passes is shown",
    "runs.passes": "nightly passes (newest first, times in {zone}):",
    "runs.ingests": "ingestion runs (newest first):",
    "runs.none": "  none yet",
    "runs.local_log": "  [local log only]",
    "runs.counts": "read {read:,}, ingested {ingested:,}, present {present:,}, "
                   "quarantined {quarantined:,}",
    "runs.pass": "  {id}  {at}  {status:<9} {seconds:>7.1f} s  files: {files}, {waiting} "
                 "waiting; rows: {counts}; analysis: {analysis}",
    "runs.ingest": "  {id}  {at}  {status:<9} files {files}; rows: {counts}",
    "runs.networks": "{n} networks",
    "runs.not_run": "not run",
    "outcome.ingested": "{n} ingested",
    "outcome.duplicate": "{n} duplicate",
    "outcome.failed": "{n} failed",
    "outcome.retry": "{n} retry",
    "nightly.summary": "nightly pass {id} {status} in {seconds:.1f} s: {ingested} file(s) "
                       "ingested, {duplicate} duplicate, {failed} failed, {retry} left for "
                       "retry, {waiting} still being written; rows read {read:,}, ingested "
                       "{rows_ingested:,}, already present {present:,}, quarantined "
                       "{quarantined:,}",
    "nightly.analysis": "; analysis {run_id}: {networks} networks",
    "nightly.failed": "nightly pass {id} failed: {error} (recorded in {recorded_in})",
    "analysis.head": "analysis {run_id}: {networks} networks, {members} members in "
                     "{seconds:.1f} s",
    "analysis.closed": "; {closed} closed networks kept",
    "analysis.window": "  window: {days} days from {start}",
    "analysis.whole": "  window: the whole history",
    "analysis.roles": "  members by role: {roles}",
    "analysis.counts": "  {registrations:,} registrations, {entities:,} entities, {ring:,} ring "
                       "bookings, {triggered:,} triggered channels, {damp:,} damp identifiers "
                       "({allowlisted:,} allow-listed)",
    "analysis.stages": "  stages: {stages}",
    "seconds": "{seconds:.1f} s",
    "timing.projection": "projection", "timing.signals": "signals",
    "timing.communities": "communities", "timing.tiers_scoring": "tiers_scoring",
    "timing.networks": "networks", "timing.store": "store", "timing.total": "total",
    "networks.none": "no analysis yet (run: scalpernet analyze)",
    "networks.head": "run {run_id}: {n} networks",
    "networks.closed": " closed {date}",
    "networks.line": "  {id}{closed}  risk {risk:.3f}  {size:>6} identifiers, {people} "
                     "people: {roles}",
    "neo4j.gone": "Neo4j at {uri} is not available ({kind}): is it running? "
                  "(scalpernet db start)",
    "neo4j.refused": "Neo4j refused the request: {code}",
    "terminated": "terminated",
    "interrupted": "interrupted",
    "unexpected": "unexpected {kind}: {error}; {where}",
    "crash.unwritten": "the details could not be written ({why})",
    "crash.written": "details in {path}",
    "lang.unknown": "unknown language {lang!r}: choose one of {choices}",
}

CATALOGUES: dict[str, dict[str, str]] = {"zh-CN": _ZH, "en": _EN}

_chosen: list[str] = []


def choose_language(lang: str | None) -> str:
    """Speak `lang` from now on (None: ``SCALPERNET_LANG``, else zh-CN); returns it.
    Raises ValueError for a language the command does not speak."""
    if lang is None:
        lang = _configured()
    if lang not in CATALOGUES:
        raise ValueError(lang)
    _chosen[:] = [lang]
    return lang


def _configured() -> str:
    from scalpernet.config import get_settings

    try:
        return get_settings().command_lang
    except Exception:  # an unreadable setting is reported by the command that reads it
        return DEFAULT_LANG


def language() -> str:
    """The language the command speaks (chosen, else configured)."""
    return _chosen[0] if _chosen else _configured()


def say(key: str, lang: str | None = None, /, **fields: Any) -> str:
    """The message `key` in `lang` (default :func:`language`), its fields filled in."""
    return CATALOGUES[lang or language()][key].format(**fields)


def stage_name(stage: str, lang: str | None = None) -> str:
    """A bulk load's stage (``ingest.bulk`` names it in English) in the command's language."""
    lang = lang or language()
    if stage.startswith("importing: ") and stage.endswith(")") and " (" in stage:
        what, _, count = stage.removeprefix("importing: ").rpartition(" (")
        i, _, n = count.rstrip(")").partition("/")
        return say("stage.importing_part", lang, what=what, i=i, n=n)
    key = f"stage.{stage}"
    return say(key, lang) if key in CATALOGUES[lang] else stage


def timing_name(stage: str, lang: str | None = None) -> str:
    """A stage of an analysis (``Analysis.timings``) in the command's language."""
    lang = lang or language()
    key = f"timing.{stage}"
    return say(key, lang) if key in CATALOGUES[lang] else stage


def tier(role: str, lang: str | None = None) -> str:
    """A tier as the command names it: as investigators say it in Chinese, by its code in
    English (what ``--json`` and the English summaries have always printed)."""
    lang = lang or language()
    return role_name(role, lang) if lang == "zh-CN" else role
