"""A small, safe Markdown subset for help-center articles: everything is escaped first."""

from __future__ import annotations

import re
from html import escape

from markupsafe import Markup

_BOLD = re.compile(r"\*\*(.+?)\*\*")
_BULLET = re.compile(r"^\s*[-*]\s+")
_LINK = re.compile(r"\[([^\]]+)\]\((https?://[^\s)]+|/[^\s)]*)\)")


def _inline(text: str) -> str:
    out = escape(text)
    out = _BOLD.sub(r"<strong>\1</strong>", out)
    return _LINK.sub(r'<a href="\2" rel="noopener">\1</a>', out)


def render(markdown: str) -> Markup:
    """Headings (#..###), bullet lists, bold, links and paragraphs; no raw HTML."""
    html: list[str] = []
    for block in re.split(r"\n\s*\n", markdown.strip()):
        lines = [ln.rstrip() for ln in block.splitlines() if ln.strip()]
        if not lines:
            continue
        head = re.match(r"^(#{1,3})\s+(.*)$", lines[0])
        if head and len(lines) == 1:
            level = len(head.group(1)) + 1
            html.append(f"<h{level}>{_inline(head.group(2))}</h{level}>")
        elif all(_BULLET.match(ln) for ln in lines):
            items = "".join(f"<li>{_inline(_BULLET.sub('', ln))}</li>" for ln in lines)
            html.append(f"<ul>{items}</ul>")
        else:
            html.append(f"<p>{'<br>'.join(_inline(ln) for ln in lines)}</p>")
    return Markup("\n".join(html))  # noqa: S704 - built only from escaped text
