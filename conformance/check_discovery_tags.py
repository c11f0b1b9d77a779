"""Read every HTML page Jekyll wrote for tests/fixtures/discovery-site and
check its feed discovery tags (see checks/35-discovery-tags).

    python3 check_discovery_tags.py SITE_DIR SITE_URL

Pages are parsed with Python's html.parser, feeds with xml.etree and json:
every `<link rel="alternate">` of a feed type names a file that exists
under SITE_DIR (URL path, percent-decoded) whose format matches the type;
every page links the site feed in each format; each category and tag page
links its own feed too, with the feed's title, and that feed's channel
link is the page itself.
"""

import json
import os
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from urllib.parse import unquote, urlsplit

FEED_TYPES = {
    "application/rss+xml": "rss.xml",
    "application/atom+xml": "atom.xml",
    "application/feed+json": "feed.json",
}
ATOM = "{http://www.w3.org/2005/Atom}"

# The fixture's category and tag pages (as Jekyll writes them, permalink
# `pretty`) and the feed folder each must announce.
OWN_FEEDS = {
    "category/haibin/index.html": "feeds/category/haibin/",
    "category/shandi/index.html": "feeds/category/shandi/",  # CRLF, no newline at the end
    "tag/港航/index.html": "feeds/tag/港航/",
}
SITE_FEED = "feeds/"


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "link" and (a.get("rel") or "").lower() == "alternate" and a.get("type") in FEED_TYPES:
            self.links.append(a)


def fail(problems, message):
    problems.append(message)


def main():
    site_dir, site_url = sys.argv[1], sys.argv[2].rstrip("/")
    problems = []

    def to_file(url):
        """The file under site_dir a URL on the site names (index.html for `/`)."""
        if not url.startswith(site_url + "/"):
            return None
        path = unquote(urlsplit(url).path).lstrip("/")
        if path == "" or path.endswith("/"):
            path += "index.html"
        return path

    pages = []
    for folder, _, files in os.walk(site_dir):
        rel_folder = os.path.relpath(folder, site_dir)
        if rel_folder == "feeds" or rel_folder.startswith("feeds/"):
            continue  # feedgen's own directory page, not Jekyll's
        for name in files:
            if name.endswith(".html"):
                pages.append(os.path.normpath(os.path.join(rel_folder, name)))
    pages.sort()
    if len(pages) < 8:
        fail(problems, f"only {len(pages)} HTML pages in {site_dir}: did Jekyll build the site?")

    checked = 0
    for page in pages:
        parser = Links()
        with open(os.path.join(site_dir, page), encoding="utf-8") as f:
            parser.feed(f.read())
        folders = {}
        for link in parser.links:
            checked += 1
            href, kind = link.get("href", ""), link["type"]
            rel = to_file(href)
            if rel is None or not os.path.isfile(os.path.join(site_dir, rel)):
                fail(problems, f"{page}: {kind} link {href} names no file under {site_dir}")
                continue
            if not rel.endswith("/" + FEED_TYPES[kind]) and rel != FEED_TYPES[kind]:
                fail(problems, f"{page}: {kind} link {href} is not a {FEED_TYPES[kind]}")
                continue
            if not link.get("title"):
                fail(problems, f"{page}: {href} has no title")
            folder = rel[: -len(FEED_TYPES[kind])]
            folders.setdefault(folder, {})[kind] = link.get("title")
        expected = {SITE_FEED}
        if page in OWN_FEEDS:
            expected.add(OWN_FEEDS[page])
        if set(folders) != expected:
            fail(problems, f"{page}: links the feeds of {sorted(folders)}, expected {sorted(expected)}")
        for folder in expected & set(folders):
            if set(folders[folder]) != set(FEED_TYPES):
                fail(problems, f"{page}: {folder} linked as {sorted(folders[folder])}, not every format")
            if page in OWN_FEEDS and folder == OWN_FEEDS[page]:
                check_own_feed(site_dir, page, folder, folders[folder], to_file, problems)

    for page in OWN_FEEDS:
        if page not in pages:
            fail(problems, f"Jekyll wrote no {page}")
    for problem in problems:
        print(f"discovery-tags: {problem}", file=sys.stderr)
    if problems:
        sys.exit(1)
    print(f"discovery-tags: {len(pages)} pages, {checked} feed links, all resolve; "
          f"{len(OWN_FEEDS)} category/tag pages link their own feeds", file=sys.stderr)


def check_own_feed(site_dir, page, folder, titles, to_file, problems):
    """The page's own feed: titled as its link says, and linking back to it."""
    rss = ET.parse(os.path.join(site_dir, folder, "rss.xml")).getroot().find("channel")
    atom = ET.parse(os.path.join(site_dir, folder, "atom.xml")).getroot()
    with open(os.path.join(site_dir, folder, "feed.json"), encoding="utf-8") as f:
        jf = json.load(f)
    alternate = next(
        (l.get("href") for l in atom.findall(ATOM + "link") if l.get("rel", "alternate") == "alternate"), None)
    feeds = {
        "rss": (rss.findtext("title"), rss.findtext("link")),
        "atom": (atom.findtext(ATOM + "title"), alternate),
        "json": (jf.get("title"), jf.get("home_page_url")),
    }
    for fmt, (title, link) in feeds.items():
        if title not in titles.values():
            fail(problems, f"{page}: {folder} {fmt} title {title!r}, but its link tags say {sorted(set(titles.values()))}")
        if to_file(link or "") != page:
            fail(problems, f"{page}: {folder} {fmt} links to {link}, not to this page")


if __name__ == "__main__":
    main()
