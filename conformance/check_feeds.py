"""Read every feed feedgen built with Python's feedparser.

Usage: check_feeds.py FEEDS

FEEDS holds one output folder per site (`<site>/`) and the build's
`--summary json` line (`<site>.json`). For every site:

- the `*.xml` files on disk are exactly those in the manifest (in the
  state folder, `.feedgen/` of the site's content copy), every file it lists
  exists, and no state file is in the output folder;
- feedparser reads each without complaint (no bozo) and as the right
  format (`rss.xml` as rss20, `atom.xml` as atom10);
- it sees as many entries as the file has `<item>`/`<entry>` elements
  (counted by the standard library's XML parser), with the same links, and
  every entry has a link, a non-empty title and a date;
- an RSS feed and its Atom twin list the same links at the same instants,
  and a reader shows the same summary text and author for each item (RSS
  descriptions are read as HTML, Atom summaries are `type="text"`);
- the site-wide feeds list every published post (the builds use a limit
  above the number of posts).

Prints one line per problem and exits 1 if there is any.
"""

import calendar
import html
import json
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import feedparser

ATOM = "{http://www.w3.org/2005/Atom}"


def xml_links(path):
    """The entry links of a feed, read with the standard library."""
    root = ET.parse(path).getroot()
    if root.tag == "rss":
        return [(item.findtext("link") or "").strip() for item in root.iter("item")]
    links = []
    for entry in root.iter(ATOM + "entry"):
        href = ""
        for link in entry.findall(ATOM + "link"):
            if link.get("rel", "alternate") == "alternate":
                href = link.get("href", "")
                break
        links.append(href)
    return links


def shown_text(detail):
    """What a reader displays of a feedparser text construct."""
    value = detail.get("value", "") if detail else ""
    if detail and detail.get("type") == "text/html":
        value = html.unescape(re.sub(r"<[^>]*>", " ", value))
    return " ".join(value.split())


SHOWN = {}


def check_feed(path, rel, problems):
    """Check one feed; return its entries as (link, instant) pairs."""
    want = "rss20" if rel.endswith("rss.xml") else "atom10"
    d = feedparser.parse(str(path))
    if d.bozo:
        problems.append(f"{rel}: bozo: {d.get('bozo_exception')!r}")
    if d.version != want:
        problems.append(f"{rel}: read as {d.version!r}, not {want}")
    try:
        expected = xml_links(path)
    except ET.ParseError as e:
        problems.append(f"{rel}: not well-formed XML for Python's parser: {e}")
        expected = []
    if len(d.entries) != len(expected):
        problems.append(f"{rel}: feedparser sees {len(d.entries)} entries, the file has {len(expected)}")
    seen = []
    for n, e in enumerate(d.entries):
        link = e.get("link", "")
        date = e.get("published_parsed") or e.get("updated_parsed")
        if not link:
            problems.append(f"{rel}: entry {n} has no link")
        if not e.get("title", "").strip():
            problems.append(f"{rel}: entry {n} ({link}) has no title")
        if date is None:
            problems.append(f"{rel}: entry {n} ({link}) has no date")
        seen.append((link, calendar.timegm(date) if date else None))
        author = e.get("author_detail", {}).get("name") or e.get("author", "")
        if not author:
            problems.append(f"{rel}: entry {n} ({link}) has no author")
    SHOWN[rel] = [(shown_text(e.get("summary_detail")), e.get("author_detail", {}).get("name")) for e in d.entries]
    links = [link for link, _ in seen]
    if links != expected:
        problems.append(f"{rel}: feedparser sees other links than the file has: {links} vs {expected}")
    return seen


def check_site(site, problems):
    name = site.name
    before = len(problems)
    feeds = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.xml"))
    # The state stays out of what is served: in the content copy's `.feedgen/`.
    manifest = site.parent.parent / "sites" / name / ".feedgen" / "manifest"
    lines = manifest.read_text(encoding="utf-8").splitlines() if manifest.exists() else []
    # After the head, one path a line, then the xxh3 seal line.
    body = [l for l in lines[1:] if not l.startswith("# feedgen xxh3 ")]
    written = sorted(body) if lines and lines[0].startswith("# feedgen manifest of ") else []
    # The manifest also lists the discovery files (feeds.opml, …) and JSON Feeds.
    listed = [rel for rel in written if rel.endswith(".xml")]
    for rel in written:
        if not (site / rel).is_file():
            problems.append(f"{name}: the manifest lists {rel}, which is not on disk")
    served_state = sorted(p.name for p in site.rglob(".feedgen*"))
    if served_state:
        problems.append(f"{name}: feedgen's state is in the output folder: {served_state}")
    if feeds != listed:
        problems.append(f"{name}: feeds on disk {feeds} differ from the manifest {listed}")
    if not feeds:
        problems.append(f"{name}: no feeds")
    entries = {rel: check_feed(site / rel, f"{name}/{rel}", problems) for rel in feeds}
    for rel, seen in entries.items():
        if rel.endswith("rss.xml"):
            twin = rel[: -len("rss.xml")] + "atom.xml"
            if twin in entries and entries[twin] != seen:
                problems.append(f"{name}/{rel} and {twin} list other posts or dates")
            shown, shown_twin = SHOWN.get(f"{name}/{rel}"), SHOWN.get(f"{name}/{twin}")
            if twin in entries and shown != shown_twin:
                diff = next((a, b) for a, b in zip(shown or [], shown_twin or []) if a != b) if shown and shown_twin else None
                problems.append(f"{name}/{rel} and {twin} show other summaries or authors: {diff}")
    summary = json.loads((site.parent / f"{name}.json").read_text(encoding="utf-8"))
    for rel in ("rss.xml", "atom.xml"):
        if rel in entries and len(entries[rel]) != summary["published"]:
            problems.append(
                f"{name}/{rel}: {len(entries[rel])} entries, but {summary['published']} posts were published"
            )
    total = sum(len(e) for e in entries.values())
    status = "ok" if len(problems) == before else "FAILED"
    print(f"feedparser: {name}: {len(feeds)} feeds, {total} entries, {summary['published']} posts: {status}")


def main():
    feeds = Path(sys.argv[1])
    sites = sorted(p for p in feeds.iterdir() if p.is_dir())
    problems = []
    if not sites:
        problems.append(f"no sites under {feeds}")
    for site in sites:
        check_site(site, problems)
    for problem in problems:
        print(f"feedparser: {problem}", file=sys.stderr)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
