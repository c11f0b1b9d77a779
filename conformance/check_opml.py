"""Read every site's feeds.opml with listparser and feeds.json with the
standard library; both must list every feed the build wrote.

Usage: check_opml.py FEEDS
"""

import json
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

import listparser

problems = []
sites = [p for p in sorted(Path(sys.argv[1]).iterdir()) if p.is_dir()]
checked = 0
for site in sites:
    folders = sorted(
        {p.parent.relative_to(site).as_posix() for p in site.rglob("*") if p.name in ("rss.xml", "atom.xml", "feed.json")}
    )
    opml_path = site / "feeds.opml"
    if not opml_path.is_file():
        problems.append(f"{site.name}: no feeds.opml")
        continue
    index = json.loads((site / "feeds.json").read_text(encoding="utf-8"))
    # Where the output folder is served: the site feed's URL without its file name.
    site_feed = next(f for f in index["feeds"] if f["kind"] == "site")
    base = unquote(urlsplit(next(iter(site_feed["urls"].values()))).path).rsplit("/", 1)[0] + "/"

    def rel_of(url):
        path = unquote(urlsplit(url).path)
        return path[len(base):] if path.startswith(base) else path

    result = listparser.parse(opml_path.read_bytes())
    if result.bozo:
        problems.append(f"{site.name}: listparser: {result.bozo_exception}")
    seen = []
    for feed in result.feeds:
        rel = rel_of(feed.url)
        seen.append(rel.rsplit("/", 1)[0] if "/" in rel else ".")
        if not feed.title:
            problems.append(f"{site.name}: {feed.url} has no title")
    want = folders
    if sorted(seen) != want:
        problems.append(f"{site.name}: feeds.opml lists {sorted(seen)}, the build wrote {want}")
    groups = {c[0] for feed in result.feeds for c in feed.categories if c}
    if not groups:
        problems.append(f"{site.name}: feeds.opml has no groups")
    listed = sorted(f["folder"] or "." for f in index["feeds"])
    if listed != want:
        problems.append(f"{site.name}: feeds.json lists {listed}, the build wrote {want}")
    for f in index["feeds"]:
        for url in f["urls"].values():
            if not (site / rel_of(url)).is_file():
                problems.append(f"{site.name}: feeds.json points at {url}, which is not in the output")
    checked += 1
    print(f"opml: {site.name}: {len(result.feeds)} feeds in feeds.opml, groups {sorted(groups)}", file=sys.stderr)
for p in problems:
    print(f"opml: {p}", file=sys.stderr)
if checked == 0:
    print("opml: no site checked", file=sys.stderr)
    sys.exit(1)
sys.exit(1 if problems else 0)
