"""The command speaks Chinese by default and English when asked, and says nothing untranslated."""

from __future__ import annotations

import ast
import os
import re
import string
import subprocess
import sys
from pathlib import Path

import pytest

from scalpernet.config import PROJECT_ROOT
from scalpernet.messages import CATALOGUES, say, stage_name

SOURCE = PROJECT_ROOT / "src" / "scalpernet"
#: The modules that write what the command prints.
SPEAKERS = ("cli.py", "detect/commands.py", "nightly/listing.py", "nightly/passes.py")
#: Keys built from a code at run time (``f"outcome.{o}"``, ``f"stage.{stage}"``, …).
BUILT = ("outcome.", "stage.", "timing.")
#: What a Chinese line may quote as it is typed: commands, options, settings, names.
COMMAND_WORDS = {"API", "NEO4J_URI", "Neo4j", "SCALPERNET_API_KEY", "UTC", "analyze", "db",
                 "format", "ingest", "key", "networks", "reset", "scalpernet", "start",
                 "strict", "unmasked", "yes"}


def _fields(template: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


def test_both_catalogues_say_the_same_things_with_the_same_figures() -> None:
    zh, en = CATALOGUES["zh-CN"], CATALOGUES["en"]
    assert set(zh) == set(en)
    for key in zh:
        assert _fields(zh[key]) == _fields(en[key]), key
        # the Chinese says it in Chinese: only names of commands, options and settings
        literal = "".join(text for text, _, _, _ in string.Formatter().parse(zh[key]))
        assert set(re.findall("[A-Za-z][A-Za-z0-9_]+", literal)) <= COMMAND_WORDS, key


def _literal_text(node: ast.expr) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(_literal_text(v) for v in node.values)
    if isinstance(node, ast.BinOp):
        return _literal_text(node.left) + _literal_text(node.right)
    return ""


def _calls(module: str) -> list[ast.Call]:
    tree = ast.parse((SOURCE / module).read_text(encoding="utf-8"))
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call)]


def _name(call: ast.Call) -> str:
    f = call.func
    return f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""


def test_no_line_the_command_prints_is_written_outside_the_catalogue() -> None:
    for module in SPEAKERS:
        for call in _calls(module):
            if _name(call) in ("echo", "_fail", "_say") and call.args:
                text = _literal_text(call.args[0])
                assert not re.search("[A-Za-z]{2,}", text), (module, call.lineno, text)


def test_every_key_said_is_in_the_catalogue_and_every_key_is_said() -> None:
    said: set[str] = set()
    for module in SPEAKERS:
        for call in _calls(module):
            if _name(call) == "say" and call.args:
                said |= {n.value for n in ast.walk(call.args[0])
                         if isinstance(n, ast.Constant) and isinstance(n.value, str)
                         and not n.value.startswith(BUILT)}
    assert said <= set(CATALOGUES["en"])
    unsaid = {k for k in CATALOGUES["en"] if k not in said and not k.startswith(BUILT)}
    assert not unsaid
    assert stage_name("importing: nodes (2/5)", "zh-CN") == "导入：nodes（2/5）"
    assert stage_name("applying the schema", "en") == "applying the schema"
    assert stage_name("a stage of a newer version", "zh-CN") == "a stage of a newer version"
    assert say("outcome.retry", "zh-CN", n=2) == "2 个待重试"


def _cli(*args: str, lang: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SCALPERNET_LANG"}
    if lang is not None:
        env["SCALPERNET_LANG"] = lang
    return subprocess.run([sys.executable, "-m", "scalpernet", *args], capture_output=True,
                          text=True, env=env, timeout=120, check=False)


def test_the_command_speaks_chinese_unless_english_is_chosen() -> None:
    chinese = _cli("db", "reset")
    assert chinese.returncode == 1
    assert chinese.stderr == "错误：db reset 会删除整个图数据库：确认请加 --yes\n"
    for english in (_cli("--lang", "en", "db", "reset"), _cli("db", "reset", lang="en")):
        assert english.returncode == 1
        assert english.stderr == "error: db reset deletes the whole graph: pass --yes to confirm\n"
    # the option wins over the setting
    assert _cli("--lang", "zh-CN", "db", "reset", lang="en").stderr.startswith("错误：")
    unknown = _cli("--lang", "fr", "db", "reset")
    assert unknown.returncode == 1 and "未知语言 'fr'" in unknown.stderr


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_a_simulated_city_is_summed_up_in_the_language_chosen(lang: str, tmp_path: Path) -> None:
    done = _cli("simulate", "--out", str(tmp_path), "--records", "2000", "--seed", "3",
                lang=lang)
    assert done.returncode == 0, done.stderr
    last = done.stdout.splitlines()[-1]
    if lang == "zh-CN":
        assert "条记录" in last and "家医院" in last and " records" not in last
        assert done.stdout.startswith("已写入 ")
    else:
        assert " records, " in last and "条记录" not in last
        assert done.stdout.startswith("wrote ")
