"""The page a signed-in browser gets for a network, case or page under ``/ui`` that does not
exist: a 404 in the reader's language with a link back to the overview, never the JSON error
the API's callers get."""

from __future__ import annotations

from scalpernet.privacy import mask_text
from scalpernet.views.overview import _ENV, PAGE_CSP

WORDS: dict[str, tuple[str, str]] = {
    "title": ("未找到", "Not found"),
    "text": ("当前结果中没有所请求的团伙、案件或页面：", "There is no such network, case or page "
             "in the current results:"),
    "hint": ("团伙编号随每次分析而定；请从团伙列表重新打开。",
             "Network ids come with each analysis: open it again from the list of networks."),
    "back": ("← 团伙列表", "← All networks"),
}


def render_not_found_page(path: str, *, lang: str, overview: str) -> str:
    """The 404 page for `path` (masked by content: a path may hold a phone number), linking
    to `overview` in the same language."""
    words = {k: (zh if lang == "zh-CN" else en) for k, (zh, en) in WORDS.items()}
    return _ENV.get_template("notfound.html").render(
        w=words, lang=lang, csp=PAGE_CSP, path=mask_text(path),
        overview=f"{overview}?lang={lang}")
