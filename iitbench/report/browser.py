"""The sample browser as an HTML fragment: its CSS, an empty container, the data as JSON in a
`<script type="application/json">` block and the script (`browser_js.py`) that draws one page of items from it.

The data is never written as markup: the JSON is escaped so that no `<`, `>` or `&` appears in it (a model name
like `</script><b>` stays inert text), and the script puts every string into the page with textContent.
"""

from __future__ import annotations

import json
from typing import Any

from iitbench.report.browser_js import SCRIPT

CSS = """
.sb-bar{display:flex;flex-wrap:wrap;gap:6px 14px;align-items:center;margin:6px 0}
.sb-ctl{font-size:13px;color:#57606a}.sb-ctl select,.sb-ctl input{font-size:13px;max-width:320px}
.sb-preset,.sb-bar button,.sb-pager button{font-size:12px;padding:2px 8px;border:1px solid #d0d7de;border-radius:4px;
 background:#f6f8fa;cursor:pointer}
.sb-status{margin:10px 0 4px;font-weight:600}.sb-pager{margin:4px 0;font-size:13px}.sb-goto{width:64px}
.sb-note{color:#9a6700;background:#fff8c5;padding:3px 8px;border-radius:4px;margin:4px 0;font-size:13px}
.sb-item{border:1px solid #d0d7de;border-radius:6px;padding:8px 12px;margin:10px 0}
.sb-head{display:flex;flex-wrap:wrap;gap:4px 8px;align-items:baseline;margin-bottom:4px}
.sb-id{font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:13px;word-break:break-all}
.sb-tag{font-size:12px;color:#57606a;background:#f3f5f7;padding:0 6px;border-radius:3px}
.sb-badge{font-size:12px;padding:0 6px;border-radius:3px;max-width:360px;overflow:hidden;text-overflow:ellipsis;
 white-space:nowrap}
.sb-badge.right{background:#dafbe1}.sb-badge.wrong{background:#ffebe9}.sb-badge.na{background:#eaeef2}
.sb-turn{border-left:3px solid #eaeef2;padding:2px 0 2px 10px;margin:6px 0}.sb-turn.scored{border-left-color:#0969da}
.sb-th{font-size:12px;color:#57606a}
.sb-parts{margin:3px 0}.sb-text{white-space:pre-wrap;word-break:break-word}
.sb-thumb{max-width:160px;max-height:160px;min-width:48px;min-height:48px;object-fit:contain;vertical-align:middle;
 margin:2px 6px;border:1px solid #d0d7de;cursor:zoom-in}
.sb-miss{color:#cf222e;font-size:12px}
table.sb-ch{font-size:12px;margin:4px 0}table.sb-ch td.sb-o{white-space:pre-wrap;max-width:560px}
table.sb-ch th.sb-run{max-width:180px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
table.sb-ch tr.gold td.sb-l{color:#1a7f37;font-weight:600}
td.sb-ll{text-align:right;font-variant-numeric:tabular-nums}
td.pick{font-weight:700}td.pick.right{background:#dafbe1}td.pick.wrong{background:#ffebe9}
.sb-opts{font-size:12px;margin:2px 0 4px}.sb-opts span{margin-right:14px;white-space:pre-wrap}
.sb-opts span.gold{color:#1a7f37;font-weight:600}
.sb-reply{font-size:12px;color:#57606a;white-space:pre-wrap}
.sb-zoom{position:fixed;inset:0;background:rgba(0,0,0,.8);display:flex;flex-direction:column;align-items:center;
 justify-content:center;z-index:10;cursor:zoom-out}.sb-zoom[hidden]{display:none}
.sb-zoom img{max-width:92vw;max-height:86vh;min-width:320px;image-rendering:auto;background:#fff}
.sb-zcap{color:#fff;font-size:13px;margin-top:6px}
"""


def embed_json(payload: dict[str, Any]) -> str:
    """JSON safe inside a script element: `<`, `>` and `&` (only ever inside strings) become \\u escapes, so no
    `</script>` or `<!--` can end or alter the block. Deterministic: same payload, same bytes."""
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_browser(payload: dict[str, Any]) -> str:
    n, m = len(payload["items"]), len(payload["images"])
    return (f"<style>{CSS}</style>\n"
            f'<div id="sb" class="sb" data-items="{n}" data-images="{m}">'
            "<noscript><p>The sample browser needs JavaScript.</p></noscript></div>\n"
            f'<script type="application/json" id="sb-data">{embed_json(payload)}</script>\n'
            f"<script>{SCRIPT}</script>")
