"""Serve a Jekyll-built site with its feeds, and follow every feed link.

Usage: served.py SERVE_ROOT SITE_URL FEEDS_DIR

SERVE_ROOT is what a web server publishes (Jekyll's `_site` sits in it at
the site's `baseurl`, the feeds at `feeds_url`); SITE_URL is the site's
`url`, whose scheme and host stand for this server. It starts Python's
http.server on 127.0.0.1 (a free port) and checks that:

- every feed's self link, and every item's link, answers 200;
- none of feedgen's state files (`.feedgen*`) is published: no such file
  or folder under SERVE_ROOT, and the old state paths answer 404.

Prints a summary line, one line per problem, and exits 1 if there is any.
"""

import functools
import http.server
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path

ATOM = "{http://www.w3.org/2005/Atom}"
# Where earlier versions kept the state, and the state folder's name.
STATE = (".feedgen-index", ".feedgen-manifest", ".feedgen.lock", ".feedgen/", ".feedgen/index")


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def links(path):
    """(self links, item links) of one feed file."""
    root = ET.parse(path).getroot()
    selfs, items = [], []
    if root.tag == "rss":
        channel = root.find("channel")
        selfs = [l.get("href") for l in channel.findall(ATOM + "link") if l.get("rel") == "self"]
        items = [(i.findtext("link") or "").strip() for i in channel.iter("item")]
    else:
        selfs = [l.get("href") for l in root.findall(ATOM + "link") if l.get("rel") == "self"]
        for entry in root.iter(ATOM + "entry"):
            for link in entry.findall(ATOM + "link"):
                if link.get("rel", "alternate") == "alternate":
                    items.append(link.get("href"))
    return selfs, items


def status(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as e:
        return e.code


def main():
    serve_root, site_url, feeds_dir = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
    origin = urllib.parse.urlsplit(site_url)
    handler = functools.partial(Quiet, directory=str(serve_root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    local = f"http://127.0.0.1:{server.server_address[1]}"
    problems = []

    def here(url):
        parts = urllib.parse.urlsplit(url)
        if (parts.scheme, parts.netloc) != (origin.scheme, origin.netloc):
            problems.append(f"{url}: not on the site {origin.scheme}://{origin.netloc}")
            return None
        return local + urllib.parse.urlunsplit(("", "", parts.path, parts.query, ""))

    feeds = sorted(p for p in feeds_dir.rglob("*.xml"))
    checked = {}
    for feed in feeds:
        selfs, items = links(feed)
        rel = feed.relative_to(feeds_dir).as_posix()
        if len(selfs) != 1:
            problems.append(f"{rel}: {len(selfs)} self links")
        for url in selfs + items:
            if url in checked:
                continue
            target = here(url)
            checked[url] = status(target) if target else None
            if target and checked[url] != 200:
                problems.append(f"{rel}: {url} answers {checked[url]}")
    for path in serve_root.rglob(".feedgen*"):
        problems.append(f"feedgen state is published: {path.relative_to(serve_root)}")
    feeds_url = local + "/" + feeds_dir.relative_to(serve_root).as_posix() + "/"
    for name in STATE:
        code = status(feeds_url + name)
        if code != 404:
            problems.append(f"{feeds_url}{name} answers {code}, not 404")
    server.shutdown()
    if not feeds:
        problems.append(f"no feeds under {feeds_dir}")
    for problem in problems:
        print(f"served: {problem}", file=sys.stderr)
    ok = sum(1 for code in checked.values() if code == 200)
    print(f"served: {site_url}: {len(feeds)} feeds, {ok} of {len(checked)} links answer 200: "
          f"{'ok' if not problems else 'FAILED'}")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
