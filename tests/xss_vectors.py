"""Known XSS and HTML-injection vectors, used by test_xss_corpus.py and browser/test_xss_browser.py.

Most payloads set ``window.__xss`` (``__xss=1`` in a handler's sloppy-mode scope) rather than
calling ``alert``, so a browser test can tell that one ran even when no dialog could open; a few
keep ``alert(1)`` so the dialog check has something to catch. Sources: the OWASP XSS filter
evasion cheat sheet, PortSwigger's XSS cheat sheet, the DOMPurify and html5sec.org mXSS test
cases, and the known Mermaid/KaTeX/Markdown-specific tricks.
"""

from __future__ import annotations

# Window globals the payloads set; a browser test asserts they stay undefined. Titles turn
# "_" into spaces, so title payloads set the second one.
XSS_GLOBALS = ("__xss", "xssTitle")

_B64_SCRIPT = "PHNjcmlwdD5fX3hzcz0xPC9zY3JpcHQ+"  # <script>__xss=1</script>
_B64_SVG = "PHN2ZyBvbmxvYWQ9Il9feHNzPTEiLz4="  # <svg onload="__xss=1"/>

MARKDOWN_URLS = [
    "[a](javascript:__xss=1)",
    "[a](JaVaScRiPt:__xss=1)",
    "[a](javascript&#58;__xss=1)",
    "[a](javascript&#x3A;__xss=1)",
    "[a](javascript&colon;__xss=1)",
    "[a](jav&#x09;ascript:__xss=1)",
    "[a](jav&#x0A;ascript:__xss=1)",
    "[a](jav&#x0D;ascript:__xss=1)",
    "[a](&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;__xss=1)",
    "[a](&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A__xss=1)",
    "[a](&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058__xss=1)",
    "[a](<javascript:__xss=1>)",
    "[a](<java script:__xss=1>)",
    "[a]( javascript:__xss=1 )",
    "[a](javascript://%0a__xss=1)",
    "[a](javascript:window.__xss=1;//https://ok.example)",
    "[a](java\tscript:__xss=1)",
    "[a](java\u2028script:__xss=1)",
    "[a](\x01javascript:__xss=1)",
    "[a](%6A%61%76%61%73%63%72%69%70%74:__xss=1)",
    "[a](javascript:alert(1))",
    f"[a](data:text/html;base64,{_B64_SCRIPT})",
    "[a](data:text/html,<script>__xss=1</script>)",
    "[a](DATA:text/html,<script>__xss=1</script>)",
    "[a](vbscript:msgbox(1))",
    "[a](VBScript:msgbox(1))",
    "[a](livescript:__xss=1)",
    "![i](javascript:__xss=1)",
    f"![i](data:image/svg+xml;base64,{_B64_SVG})",
    '![i](x" onerror="__xss=1)',
    "![i](x'onerror='__xss=1')",
    '![i](x "t\\" onerror=\\"__xss=1")',
    '[a](https://ok.example/"onmouseover="__xss=1)',
    '[a](https://ok.example "t\\" onmouseover=\\"__xss=1")',
    "[a][r1]\n\n[r1]: javascript:__xss=1",
    '[a][r2]\n\n[r2]: <javascript:__xss=1> "t"',
    "![i][r3]\n\n[r3]: javascript:__xss=1",
    "<javascript:__xss=1>",
    "<vbscript:msgbox(1)>",
    "<data:text/html,<script>__xss=1</script>>",
    "[<img src=x onerror=__xss=1>](https://ok.example)",
    "![<img src=x onerror=__xss=1>](x.png)",
    "[a](https://ok.example)<img src=x onerror=__xss=1>",
    "[a](javascript:/*-->*/__xss=1)",
]

WIKI_LINKS = [
    "[[Xss target|<img src=x onerror=__xss=1>]]",
    "[[<script>__xss=1</script>]]",
    '[[x" onmouseover="__xss=1]]',
    "[[javascript:__xss=1]]",
    "[[javascript:__xss=1|click me]]",
    '[[Xss target#"><img src=x onerror=__xss=1>]]',
    '[[Xss target#x" onmouseover="__xss=1|label]]',
    "[[&lt;img src=x onerror=__xss=1&gt;]]",
    "[[Xss target|[x](javascript:__xss=1)]]",
    "[[Xss target|<b onclick=__xss=1>x</b>]]",
    "[[data:text/html,__xss=1|d]]",
]

EVENT_HANDLERS = [
    "<img src=x onerror=__xss=1>",
    '<img src=x onerror="__xss=1">',
    "<IMG SRC=x ONERROR=__xss=1>",
    "<img src=x oNeRrOr=__xss=1>",
    "<img/src=x/onerror=__xss=1>",
    "<img src=x onerror=__xss=1//",
    '<img src="x"onerror="__xss=1">',
    "<img src=`x`onerror=__xss=1>",
    "<img src=x onerror=&#95;&#95;xss=1>",
    "<img src=x onerror=alert(1)>",
    "<img src=x:alert(1) onerror=eval(src)>",
    '<img src="javascript:__xss=1">',
    '<img dynsrc="javascript:__xss=1" lowsrc="javascript:__xss=1">',
    '<img src=x srcset="x 1x, javascript:__xss=1 2x">',
    "<body onload=__xss=1>",
    '<div onmouseover="__xss=1">hover</div>',
    "<p onclick=__xss=1>click</p>",
    "<details open ontoggle=__xss=1>x</details>",
    "<input autofocus onfocus=__xss=1>",
    "<input type=checkbox autofocus onfocus=__xss=1>",
    "<select autofocus onfocus=__xss=1></select>",
    "<textarea autofocus onfocus=__xss=1></textarea>",
    "<keygen autofocus onfocus=__xss=1>",
    "<video src=x onerror=__xss=1></video>",
    "<audio src=x onerror=__xss=1></audio>",
    "<video><source onerror=__xss=1></video>",
    "<marquee onstart=__xss=1>x</marquee>",
    '<a href="https://ok.example" onmouseover="__xss=1">x</a>',
    "<a href=https://ok.example onfocus=__xss=1 autofocus>x</a>",
    "<span onpointerenter=__xss=1>x</span>",
    "<div onmousemove=__xss=1>x</div>",
    "<table><tr><td onclick=__xss=1>x</td></tr></table>",
    '<abbr title="x" onclick=__xss=1>x</abbr>',
    "<kbd onmouseover=__xss=1>x</kbd>",
    "<details><summary onclick=__xss=1>x</summary>y</details>",
    "<ol start=1 onclick=__xss=1><li>x</li></ol>",
    "<img src=x one\x00rror=__xss=1>",
    "<svg onload=alert(1)>",
]

SCRIPTS = [
    "<script>__xss=1</script>",
    "<SCRIPT>__xss=1</SCRIPT>",
    '<script src="/static/js/editor.js"></script>',
    "<script src=data:,__xss=1></script>",
    "<scr<script>ipt>__xss=1</scr</script>ipt>",
    "<script>/*</script><img src=x onerror=__xss=1>*/</script>",
    "<<script>__xss=1//<</script>",
    '<script type="text/javascript">__xss=1</script>',
    '<script/xss src="data:,__xss=1"></script>',
    "<script\x0c>__xss=1</script>",
]

SVG_MATHML = [
    "<svg onload=__xss=1>",
    "<svg><script>__xss=1</script></svg>",
    "<svg><animate onbegin=__xss=1 attributeName=x dur=1s>",
    '<svg><a xlink:href="javascript:__xss=1"><text x=20 y=20>x</text></a></svg>',
    '<svg><a href="javascript:__xss=1"><text x=20 y=20>x</text></a></svg>',
    "<svg><set attributeName=onmouseover to=__xss=1 /></svg>",
    "<svg><animate attributeName=href values=javascript:__xss=1 /><a><text>x</text></a></svg>",
    '<svg><foreignObject><iframe srcdoc="<script>parent.__xss=1</script>"></iframe>'
    "</foreignObject></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=__xss=1>",
    '<math href="javascript:__xss=1">x</math>',
    "<math><maction actiontype=statusline xlink:href=javascript:__xss=1>x</maction></math>",
    "<svg><style><img src=x onerror=__xss=1></style></svg>",
    "<svg><title><img src=x onerror=__xss=1></title></svg>",
    '<math><mi xlink:href="data:x,<script>__xss=1</script>">x</mi></math>',
    "<svg><desc><img src=x onerror=__xss=1></desc></svg>",
]

MXSS = [
    '<noscript><p title="</noscript><img src=x onerror=__xss=1>">',
    "<style><img src=x onerror=__xss=1></style>",
    "<textarea><img src=x onerror=__xss=1></textarea>",
    "<title><img src=x onerror=__xss=1></title>",
    "<xmp><img src=x onerror=__xss=1></xmp>",
    "<iframe><img src=x onerror=__xss=1></iframe>",
    "<noembed><img src=x onerror=__xss=1></noembed>",
    "<noframes><img src=x onerror=__xss=1></noframes>",
    "<!--><img src=x onerror=__xss=1>-->",
    "<!---><img src=x onerror=__xss=1>-->",
    "<!-- --!><img src=x onerror=__xss=1>-->",
    '<!--<img src="--><img src=x onerror=__xss=1>">',
    "<![CDATA[><img src=x onerror=__xss=1>]]>",
    "<? ><img src=x onerror=__xss=1> ?>",
    "<form><math><mtext></form><form><mglyph><style></math><img src=x onerror=__xss=1>",
    '<svg></p><style><a id="</style><img src=x onerror=__xss=1>">',
    "<table><caption><svg><desc><table><caption><img src=x onerror=__xss=1>",
    '<a title="<img src=x onerror=__xss=1>">x</a>',
    '<div title="&quot;><img src=x onerror=__xss=1>">x</div>',
    '<select><template><style><!--</style><a rel="--></style></template></select>'
    '<img src=x onerror=__xss=1>">',
    '<img src="x` `<script>__xss=1</script>"` `>',
    "<p>`<img src=x onerror=__xss=1>`</p>",
    "<listing><img src=x onerror=__xss=1></listing>",
    "<template><img src=x onerror=__xss=1></template>",
    "<plaintext><img src=x onerror=__xss=1>",
]

BASE_META_FORMS = [
    '<base href="https://evil.example/">',
    '<base href="javascript:__xss=1//">',
    '<meta http-equiv="refresh" content="0;url=javascript:__xss=1">',
    f'<meta http-equiv="refresh" content="0; url=data:text/html;base64,{_B64_SCRIPT}">',
    '<meta charset="x-imap4-modified-utf7">',
    '<link rel="stylesheet" href="javascript:__xss=1">',
    '<link rel=import href="data:text/html,<script>__xss=1</script>">',
    '<form action="javascript:__xss=1"><input type=submit value=go></form>',
    '<form id=f1></form><button form=f1 formaction="javascript:__xss=1">x</button>',
    "<form><button formaction=javascript:__xss=1>x</button></form>",
    "<input type=image src=x onerror=__xss=1>",
    "<isindex action=javascript:__xss=1 type=image>",
    '<form action="/logout" method="post"><button>Log out</button></form>',
    '<object data="javascript:__xss=1"></object>',
    f'<object data="data:text/html;base64,{_B64_SCRIPT}"></object>',
    '<embed src="javascript:__xss=1">',
    f'<embed src="data:image/svg+xml;base64,{_B64_SVG}">',
    '<iframe src="javascript:__xss=1"></iframe>',
    '<iframe srcdoc="&lt;script&gt;parent.__xss=1&lt;/script&gt;"></iframe>',
    "<frameset onload=__xss=1>",
    '<applet code="x"></applet>',
    '<portal src="javascript:__xss=1"></portal>',
]

BROKEN_AND_NESTED = [
    '<img src="x" onerror="__xss=1"',
    '<img """><script>__xss=1</script>">',
    '<a href="https://ok.example"onclick=__xss=1>x</a>',
    "<a href='https://ok.example'onclick='__xss=1'>x</a>",
    "<a href=https://ok.example/ onclick=__xss=1//>x</a>",
    "<img src=x onerror=__xss=1 <b>",
    '<a "href=javascript:__xss=1">x</a>',
    '<img src=x id=x onerror= "__xss=1">',
    '<div><div><div><a href="javascript:__xss=1">deep</a></div></div></div>',
    '<b><i><a href="javascript:__xss=1">x</a></i></b>',
    '<a href="https://ok.example"><a href="javascript:__xss=1">x</a></a>',
    "**<img src=x onerror=__xss=1>**",
    "> <img src=x onerror=__xss=1>",
    "- <img src=x onerror=__xss=1>",
    "| a |\n|---|\n| <img src=x onerror=__xss=1> |",
    "Note[^xss]\n\n[^xss]: <img src=x onerror=__xss=1>",
    "# <img src=x onerror=__xss=1>",
    '## Heading <script>__xss=1</script> {#"onmouseover="__xss=1}',
    "- [x] <img src=x onerror=__xss=1>",
    "`<img src=x onerror=__xss=1>`",
    "```html\n<script>__xss=1</script>\n```",
    '```python title="<img src=x onerror=__xss=1>"\nx = 1\n```',
    "```mermaid\ngraph TD; A[<img src=x onerror=__xss=1>] --> B\n```",
    '```mermaid\n%%{init: {"securityLevel": "loose"}}%%\ngraph TD; A-->B; '
    'click A href "javascript:__xss=1"\n```',
    "```mermaid\ngraph TD; A-->B; click A call __xss()\n```",
    "$<img src=x onerror=__xss=1>$",
    "```math\n\\href{javascript:__xss=1}{x}\n```",
    "$\\url{javascript:__xss=1}$ and $\\htmlId{content}{x}$",
    "[TOC]\n\n# One <img src=x onerror=__xss=1>\n\n## Two",
]

CSS_AND_CLOBBERING = [
    '<div style="background:url(javascript:__xss=1)">x</div>',
    '<div style="width: expression(__xss=1)">x</div>',
    "<style>@import 'javascript:__xss=1';</style>",
    '<div style="behavior: url(x.htc)">x</div>',
    '<style>*{background:url("javascript:__xss=1")}</style>',
    '<div style="-moz-binding:url(x.xml#xss)">x</div>',
    '<span style="position:fixed;inset:0" class="modal">overlay</span>',
    '<table background="javascript:__xss=1"><tr><td>x</td></tr></table>',
    '<a id="content" href="#">x</a>',
    '<img name="csrf-token" src=x>',
    '<form name="body"></form>',
    '<div id="live-preview">x</div>',
    '<div class="site-header flash">x</div>',
]

ENCODINGS = [
    "&lt;script&gt;__xss=1&lt;/script&gt;",
    "&#60;img src=x onerror=__xss=1&#62;",
    "\\u003cimg src=x onerror=__xss=1\\u003e",
    "＜img src=x onerror=__xss=1＞",
    "%3Cimg%20src=x%20onerror=__xss=1%3E",
    '<a href="javas&#99;ript:__xss=1">x</a>',
    '<a href=" &#14;  javascript:__xss=1">x</a>',
    '<a href="java&Tab;script:__xss=1">x</a>',
    '<a href="java&NewLine;script:__xss=1">x</a>',
    '<a href="javascript&#0058;__xss=1">x</a>',
    '<a href="&#x6A;avascript&colon;__xss=1">x</a>',
    '<a href="\x00javascript:__xss=1">x</a>',
    "{{ config.SECRET_KEY }} {% raw %}{{7*7}}{% endraw %} ${7*7} #{7*7}",
]

BODY_VECTORS: list[str] = (
    MARKDOWN_URLS
    + WIKI_LINKS
    + EVENT_HANDLERS
    + SCRIPTS
    + SVG_MATHML
    + CSS_AND_CLOBBERING
    + ENCODINGS
    + BASE_META_FORMS
    + BROKEN_AND_NESTED
    # Vectors that may swallow the rest of a page come last, so they hide nothing.
    + MXSS
)

# Front matter whose values are shown on the page (tags, learning card, stale notice).
FRONT_MATTER_TAGS = [
    "<img src=x onerror=__xss=1>",
    '"><svg onload=__xss=1>',
    "javascript:__xss=1",
    "a/../../etc",
    "x' onmouseover='__xss=1",
]
FRONT_MATTER = (
    "---\n"
    "tags: [{tags}]\n"
    'level: "<script>__xss=1</script>"\n'
    "verified_with: \"<img src=x onerror=__xss=1> & 'quotes'\"\n"
    "last_verified: 2001-01-01\n"
    "---\n"
)

# Valid titles (quotes, ampersands, scheme-looking text): they must show as text everywhere.
TITLE_VECTORS = [
    'Xss "double" quote',
    "Xss 'single' quote",
    'x" onmouseover="xssTitle=1',
    "x' onfocus='xssTitle=1' autofocus='",
    "javascript:xssTitle=1",
    "data:text/html,xssTitle=1",
    "&lt;img src=x onerror=xssTitle=1&gt;",
    "&amp;lt;script&amp;gt;xssTitle=1",
    "Xss/javascript:xssTitle=1",
    "$(xssTitle=1) `tick`",
    "' or 1=1 --",
    "x&quot;onmouseover=&quot;xssTitle=1",
]
# Titles that break the title rules: answered with 400, the message escaped.
INVALID_TITLE_VECTORS = [
    '"><img src=x onerror=__xss=1>',
    "<script>__xss=1</script>",
    "x%22onmouseover=__xss=1",
    "[[x]]",
]

SUMMARY_VECTORS = [
    "<script>__xss=1</script>",
    "<img src=x onerror=__xss=1>",
    '"><svg onload=__xss=1>',
    "javascript:__xss=1",
    "</textarea><script>__xss=1</script>",
    "</title><script>__xss=1</script>",
    "]]></summary><script>__xss=1</script>",
    "&lt;b&gt;escaped twice?&lt;/b&gt;",
    "x' onmouseover='__xss=1",
    "<!--<script>__xss=1</script>-->",
    "\u202e<script>__xss=1</script>",
]

# Usernames are letters, digits and _ . -: every one of these must be refused, and the
# refusal page must echo them as text.
USERNAME_VECTORS = [
    "<img src=x onerror=__xss=1>",
    '"><svg onload=__xss=1>',
    "x' onmouseover='__xss=1",
    "javascript:__xss=1",
    "a&lt;b&gt;",
    "../../admin",
    "al\u0131ce",
]

SEARCH_VECTORS = [
    "<script>__xss=1</script>",
    '"><img src=x onerror=__xss=1>',
    "onerror __xss",
    "javascript:__xss=1",
    'title:"<svg onload=__xss=1>"',
    "</mark><script>__xss=1</script>",
]


def batches(vectors: list[str], size: int) -> list[list[str]]:
    """``vectors`` cut into runs of ``size``, in order."""
    return [vectors[i : i + size] for i in range(0, len(vectors), size)]


def batch_body(vectors: list[str], number: int) -> str:
    """A page body holding ``vectors``, each in its own block, after hostile front matter."""
    tags = ", ".join(
        '"' + t.replace("\\", "\\\\").replace('"', '\\"') + '"' for t in FRONT_MATTER_TAGS
    )
    blocks = [f"Vector batch {number} links to [[Xss target]]."]
    blocks += [f"{vector}\n\nend of vector {number}.{i}" for i, vector in enumerate(vectors)]
    return FRONT_MATTER.format(tags=tags) + "\n\n".join(blocks) + "\n"
