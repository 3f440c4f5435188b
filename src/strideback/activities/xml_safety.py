"""Hardened XML loading for GPX/TCX: no DTDs, no entities, no network, clear errors.

All parsing is done by lxml with `resolve_entities=False, no_network=True, load_dtd=False`;
documents that declare a DTD at all (where billion-laughs and external-entity attacks live)
are rejected before any reader sees them. The only text fix-ups are: dropping a UTF-8 BOM
and whitespace before the XML declaration, and declaring namespace prefixes a file uses
without declaring (Strava GPX `gpxdata:`): a declaration with a placeholder URI changes no
data, it only lets a namespace-aware parser read the file.
"""

from __future__ import annotations

import re

from lxml import etree

from strideback.activities.errors import ImportFailure

_UNBOUND = re.compile(r"Namespace prefix (\w[\w.-]*) (?:for|on) [\w.-]+ (?:on \w+ )?is not defined")
_PLACEHOLDER_NS = "urn:strideback:undeclared-prefix:"


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        recover=False,
    )


def clean_text(data: bytes) -> bytes:
    """Drop a UTF-8 BOM and leading whitespace (some exporters write them before <?xml)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return data.lstrip()


def _declare_prefixes(data: bytes, prefixes: set[str]) -> bytes:
    """Insert xmlns:<prefix> declarations into the root element's start tag."""
    match = re.search(rb"<(?![?!])[\w:.-]+", data)
    if match is None:
        return data
    decls = b"".join(f' xmlns:{p}="{_PLACEHOLDER_NS}{p}"'.encode() for p in sorted(prefixes))
    return data[: match.end()] + decls + data[match.end() :]


def _check_no_dtd(root: etree._Element) -> None:
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise ImportFailure("XML declares a DTD/entities, which are not allowed (unsafe XML)")


def parse_xml(data: bytes, what: str) -> tuple[etree._Element, bytes]:
    """Parse safely; return the root and the (cleaned) bytes that parsed."""
    data = clean_text(data)
    if not data:
        raise ImportFailure(f"empty {what} file")
    if b"<!DOCTYPE" in data[:4096].upper() or b"<!ENTITY" in data[:65536].upper():
        raise ImportFailure("XML declares a DTD/entities, which are not allowed (unsafe XML)")
    fixed: set[str] = set()
    for _ in range(10):
        try:
            root = etree.fromstring(data, parser=_parser())
        except etree.XMLSyntaxError as exc:
            missing = set(_UNBOUND.findall(str(exc))) - fixed
            if not missing:
                raise ImportFailure(f"malformed {what} XML: {exc}") from None
            fixed |= missing
            data = _declare_prefixes(data, missing)
            continue
        _check_no_dtd(root)
        return root, data
    raise ImportFailure(f"malformed {what} XML: too many undeclared namespace prefixes")


def local_name(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""
