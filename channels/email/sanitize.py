"""Mail HTML made safe to show inside our pages, and its plain-text rendering (docs/architecture/email.md).

Two passes of nh3 (Rust, fast): `normalize_html` turns whatever a mailer produced into well-formed
markup that still carries the class/id/style hints quote detection needs; `sanitize_html` is the
final, strict pass applied to what we store. `html_for_display` runs at render time: it points
cid: images at our attachment URLs and holds back remote images until the agent asks for them.
"""

from __future__ import annotations

import html as htmllib
import re
from collections.abc import Mapping
from urllib.parse import unquote

import nh3

_URL_SCHEMES = {"http", "https", "mailto", "tel", "cid"}

# Tags whose content is dropped with them: code, styles, metadata, embedded documents, form
# controls. Everything else not allowed is unwrapped (its text kept).
_DROP_WITH_CONTENT = {
    "script", "style", "title", "noscript", "template", "xml", "svg", "math", "iframe", "object",
    "embed", "applet", "frameset", "frame", "noframes", "textarea", "select", "button", "audio",
    "video", "canvas",
}  # fmt: skip

_TAGS = (set(nh3.ALLOWED_TAGS) | {"font", "tfoot", "big", "caption", "center"}) - _DROP_WITH_CONTENT

_GENERIC_ATTRIBUTES = {"style", "title", "dir", "lang", "align", "valign", "width", "height", "bgcolor"}
_ATTRIBUTES: dict[str, set[str]] = {
    "*": _GENERIC_ATTRIBUTES,
    "a": {"href", "hreflang"},
    "img": {"src", "alt", "border", "hspace", "vspace"},
    "table": {"border", "cellpadding", "cellspacing", "summary"},
    "td": {"colspan", "rowspan", "nowrap", "headers", "scope"},
    "th": {"colspan", "rowspan", "nowrap", "headers", "scope"},
    "col": {"span"},
    "colgroup": {"span"},
    "font": {"color", "face", "size"},
    "ol": {"start", "type", "reversed"},
    "ul": {"type"},
    "li": {"value"},
    "hr": {"size", "noshade"},
    "bdo": {"dir"},
    "time": {"datetime"},
    "del": {"datetime"},
    "ins": {"datetime"},
}

# CSS properties a mail may keep: typography, colour, box and table layout. No positioning
# (an overlay over our page), no backgrounds (images, url()), no content/behaviour hooks.
_STYLE_PROPERTIES = {
    "color", "background-color", "font", "font-family", "font-size", "font-style", "font-weight",
    "font-variant", "text-align", "text-decoration", "text-indent", "text-transform",
    "letter-spacing", "word-spacing", "line-height", "white-space", "vertical-align", "direction",
    "margin", "margin-top", "margin-right", "margin-bottom", "margin-left",
    "padding", "padding-top", "padding-right", "padding-bottom", "padding-left",
    "border", "border-top", "border-right", "border-bottom", "border-left", "border-color",
    "border-style", "border-width", "border-collapse", "border-spacing", "border-radius",
    "border-top-color", "border-top-style", "border-top-width", "border-left-color",
    "border-left-style", "border-left-width",
    "width", "height", "max-width", "min-width", "max-height", "min-height",
    "list-style-type", "list-style-position", "table-layout", "caption-side", "empty-cells",
    "display", "overflow-wrap", "word-break", "word-wrap",
}  # fmt: skip
# Values that can fetch, run or smuggle something, whatever the property.
_UNSAFE_STYLE_VALUE = re.compile(
    r"url\s*\(|expression|javascript:|vbscript:|@import|behavior|binding|\\|/\*|<|image-set|var\(", re.I
)


def _clean_style(value: str) -> str | None:
    kept = []
    for declaration in value.split(";"):
        name, colon, property_value = declaration.partition(":")
        name = name.strip().lower()
        property_value = property_value.strip()
        if not colon or name not in _STYLE_PROPERTIES or not property_value:
            continue
        if _UNSAFE_STYLE_VALUE.search(property_value):
            continue
        kept.append(f"{name}:{property_value}")
    return ";".join(kept) or None


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    if attribute == "style":
        return _clean_style(value)
    return value


def sanitize_html(html: str) -> str:
    """HTML safe to show inside our pages: no scripts, event handlers, forms, frames, objects,
    styles blocks, javascript:/data:/vbscript: or relative URLs (they would point into our own
    site), no dangerous CSS; links open a new browsing context without opener or referrer."""
    if not html:
        return ""
    return nh3.clean(
        html,
        tags=_TAGS,
        clean_content_tags=_DROP_WITH_CONTENT,
        attributes=_ATTRIBUTES,
        attribute_filter=_attribute_filter,
        url_schemes=_URL_SCHEMES,
        url_relative="deny",
        link_rel="noopener noreferrer nofollow",
        set_tag_attribute_values={"a": {"target": "_blank"}},
        filter_style_properties=_STYLE_PROPERTIES,
    ).strip()


_NORMALIZE_ATTRIBUTES: dict[str, set[str]] = {
    **_ATTRIBUTES,
    "*": _GENERIC_ATTRIBUTES | {"class", "id"},
    "blockquote": {"type", "class", "id", "style"},
}


def normalize_html(html: str) -> str:
    """Well-formed markup from any mail HTML, still carrying class, id and style (the hints of
    quoted history: gmail_quote, divRplyFwdMsg, border-top…). Internal only: what is shown is
    always passed through sanitize_html afterwards."""
    if not html:
        return ""
    return nh3.clean(
        html,
        tags=_TAGS,
        clean_content_tags=_DROP_WITH_CONTENT,
        attributes=_NORMALIZE_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        url_relative="deny",
        link_rel=None,
    )


_REMOTE_IMAGE = re.compile(r'<img\b[^>]*?\ssrc="https?:', re.I)
_IMG_TAG = re.compile(r"<img\b[^>]*>", re.I)
_SRC = re.compile(r'\ssrc="([^"]*)"', re.I)


def has_remote_images(html: str) -> bool:
    """Whether sanitized HTML loads images from the network (a tracking pixel tells the sender
    that and when the mail was read)."""
    return bool(_REMOTE_IMAGE.search(html))


def cid_references(html: str) -> set[str]:
    """The Content-IDs (lowercased, without brackets) that sanitized HTML shows as images."""
    found = set()
    for tag in _IMG_TAG.findall(html):
        match = _SRC.search(tag)
        if match:
            src = htmllib.unescape(match.group(1))
            if src[:4].lower() == "cid:":
                found.add(unquote(src[4:]).strip().strip("<>").lower())
    return found


def html_for_display(html: str, *, show_remote_images: bool, cid_urls: Mapping[str, str]) -> str:
    """Stored HTML ready for the ticket page: `cid:` images point at the given URLs (keys are
    Content-IDs without brackets, any case), and unless `show_remote_images`, http(s) images are
    blanked with the original kept in data-remote-src for a "show images" placeholder.
    Sanitizes again first, so it is safe on any input."""
    clean = sanitize_html(html)
    if "<img" not in clean:
        return clean
    lookup = {key.strip().strip("<>").lower(): url for key, url in cid_urls.items()}

    def rewrite(match: re.Match[str]) -> str:
        tag = match.group()
        src_match = _SRC.search(tag)
        if src_match is None:
            return tag
        src = htmllib.unescape(src_match.group(1))
        scheme = src.split(":", 1)[0].lower()
        if scheme == "cid":
            url = lookup.get(unquote(src[4:]).strip().strip("<>").lower())
            if url is None:
                return tag
            replacement = f' src="{htmllib.escape(url, quote=True)}"'
        elif scheme in ("http", "https") and not show_remote_images:
            replacement = f' src="" data-remote-src="{src_match.group(1)}"'
        else:
            return tag
        return tag[: src_match.start()] + replacement + tag[src_match.end() :]

    return _IMG_TAG.sub(rewrite, clean)


_TOKEN = re.compile(r"<[^>]*>|[^<]+")
_TAG_NAME = re.compile(r"</?([a-zA-Z][a-zA-Z0-9]*)")
_HREF = re.compile(r'\shref="([^"]*)"')
_BLOCK_TAGS = frozenset(
    {
        "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "table", "tr", "ul", "ol", "dl", "dt", "dd",
        "blockquote", "pre", "hr", "section", "article", "header", "footer", "center", "address",
        "figure", "figcaption", "caption", "thead", "tbody", "tfoot", "details", "summary", "nav", "aside",
    }
)  # fmt: skip
_SOFT = "\x00"


def html_to_text(html: str) -> str:
    """Readable plain text of (sanitized or normalized) HTML: one line per block or <br>, a blank
    line where the mail had one, list items as "- ", link targets in brackets when they differ
    from the link text."""
    if not html:
        return ""
    out: list[str] = []
    pre = 0
    link_href = ""
    link_start = 0
    for token in _TOKEN.findall(html):
        if token[0] != "<":
            text = htmllib.unescape(token)
            out.append(text if pre else re.sub(r"[ \t\r\n\f]+", " ", text))
            continue
        name_match = _TAG_NAME.match(token)
        if name_match is None:
            continue
        name = name_match.group(1).lower()
        closing = token[1] == "/"
        if name == "br":
            out.append("\n")
        elif name == "li" and not closing:
            out.extend((_SOFT, "- "))
        elif name in ("td", "th") and closing:
            out.append(" ")
        elif name == "a":
            if not closing:
                href_match = _HREF.search(token)
                link_href = htmllib.unescape(href_match.group(1)) if href_match else ""
                link_start = len(out)
            elif link_href:
                label = "".join(out[link_start:]).strip()
                if link_href.startswith(("http://", "https://")) and link_href.rstrip("/") != label.rstrip("/"):
                    out.append(f" ({link_href})")
                link_href = ""
        elif name == "img" and not closing:
            continue
        elif name in _BLOCK_TAGS:
            if name == "pre":
                pre = max(0, pre + (-1 if closing else 1))
            out.append(_SOFT)
    return _settle("".join(out))


def _settle(text: str) -> str:
    """Block boundaries (soft breaks) become one line break unless a line already ended there;
    a block holding only a non-breaking space (Outlook's empty paragraph) is a blank line."""
    out: list[str] = []
    ends_line = True
    for index, piece in enumerate(text.split(_SOFT)):
        if index and not ends_line:
            out.append("\n")
            ends_line = True
        if piece.strip(" \t"):
            out.append(piece)
            ends_line = piece.rstrip(" \t").endswith("\n")
    lines = [line.strip(" \t\xa0") for line in "".join(out).split("\n")]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip("\n")


_BLANK_RUNS = re.compile(r"\n{3,}")
