#!/usr/bin/env python3
"""Jekyll parity: build sites with real Jekyll and with feedgen, then check
that every feed item's link names a file Jekyll wrote for one of its posts,
and that feedgen publishes exactly the posts Jekyll publishes, apart from the
exceptions docs/jekyll-parity.md lists (EXCEPTIONS below, cross-checked
against it).

    jekyll_parity.py FEEDGEN REPO WORK [FINEWS_DIR]

Sites: tests/fixtures/jekyll/sites/<name>, each built with its _config.yml and
again with each _variants/<v>.yml on top; `abort-*` sites must make Jekyll
fail and feedgen say so. FINEWS_DIR (a copy of shared/corpus/finews-sample)
must have all 63 links land. Prints one count line per build.
"""
import json
import os
import shutil
import subprocess
import sys
import urllib.parse
import xml.etree.ElementTree as ET

# Posts where feedgen and Jekyll differ on purpose, keyed by site and file
# (relative to the site). docs/jekyll-parity.md lists each kind;
# check_readme() makes sure it still does.
#   unstable: Jekyll publishes it at a URL made from the build date (its
#             YAML error); feedgen publishes it (recovered) at the URL the
#             front matter describes, so that item does not land today.
#   jekyll-only: Jekyll publishes it (build-date URL); feedgen rejects it
#             (front matter it cannot recover).
EXCEPTIONS = {
    ("frontmatter", "_posts/2022-01-16-yaml-error.md"): "unstable",
    ("frontmatter", "_posts/2022-01-30-list-front-matter.md"): "jekyll-only",
}
# Phrases of docs/jekyll-parity.md that must stay, one per kind of exception and decision.
README_PHRASES = {
    "unstable": "URL made from the build date",
    "jekyll-only": "front matter that is a list",
    "no-url": "feedgen needs `url`",
}

NOW = "2024-06-15T12:00:00+00:00"  # the fixtures' `time:` (Jekyll's site.time)
ATOM = "{http://www.w3.org/2005/Atom}"


def fail(msg):
    print(f"jekyll-parity: FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def destination(path):
    """Jekyll's Document#destination for a decoded URL path."""
    rel = path.lstrip("/")
    if path.endswith("/"):
        return rel + "index.html"
    return rel if rel.endswith(".html") else rel + ".html"


def merged_config(base, variant):
    """The base config with each top-level key the variant sets replaced (as
    Jekyll merges `--config a,b`), as one file feedgen can read."""
    lines = open(base, encoding="utf-8").read().splitlines()
    if variant:
        extra = open(variant, encoding="utf-8").read().splitlines()
        keys = {l.split(":", 1)[0] for l in extra if ":" in l and not l.startswith((" ", "#"))}
        lines = [l for l in lines if l.split(":", 1)[0] not in keys or l.startswith((" ", "#"))]
        lines += extra
    return "\n".join(lines) + "\n"


def jekyll_build(src, dest, configs, log):
    env = dict(os.environ, LC_ALL="C.UTF-8", LANG="C.UTF-8", TZ="UTC", JEKYLL_ENV="production")
    with open(log, "w") as out:
        return subprocess.run(
            ["jekyll", "build", "--disable-disk-cache", "-s", src, "-d", dest, "--config", ",".join(configs)],
            stdout=out, stderr=subprocess.STDOUT, env=env, timeout=300).returncode


def feedgen_build(feedgen, content, out, config, now):
    r = subprocess.run(
        [feedgen, "--content", content, "--output", out, "--config", config, "--now", now,
         "--limit", "1000000", "--summary", "json", "-v"],
        capture_output=True, text=True, timeout=300)
    # Debian's Jekyll here is 4.3: feedgen must be following 4.3's rules
    # (without a Gemfile it would follow GitHub Pages' 3.10).
    if r.returncode in (0, 1) and "feedgen: links follow Jekyll 4.3:" not in r.stderr:
        fail(f"{content}: feedgen does not follow Jekyll 4.3's rules:\n{r.stderr[:2000]}")
    return r.returncode, r.stderr


def feed_links(out):
    """(link, title) of every entry of the site Atom feed."""
    root = ET.parse(os.path.join(out, "atom.xml")).getroot()
    links = []
    for entry in root.iter(ATOM + "entry"):
        link = next((l.get("href") for l in entry.findall(ATOM + "link")
                     if l.get("rel", "alternate") == "alternate"), None)
        links.append((link, entry.findtext(ATOM + "title")))
    return links


def site_files(dest):
    files = set()
    for root, _, names in os.walk(dest):
        for n in names:
            files.add(os.path.relpath(os.path.join(root, n), dest))
    return files


def compare(label, site_key, dest, out, root_url):
    """The two assertions for one build; returns (landed, items, jekyll_posts)."""
    dump = json.load(open(os.path.join(dest, "posts.json"), encoding="utf-8"))
    written = site_files(dest)
    post_file = {}  # file Jekyll wrote -> the post's source path
    for p in dump["posts"]:
        f = destination(urllib.parse.unquote(p["url"]))
        if f not in written:
            fail(f"{label}: Jekyll's dump names {f} for {p['relative_path']}, not in _site")
        post_file[f] = p["relative_path"]
    prefix = root_url.rstrip("/") + "/"
    landed, missed = {}, []
    for link, title in feed_links(out):
        if not link or not link.startswith(prefix):
            missed.append((link, title))
            continue
        path = "/" + link[len(prefix):]
        if "?" in path or "#" in path:
            missed.append((link, title))
            continue
        f = destination(urllib.parse.unquote(path, errors="strict"))
        if f in post_file:
            if f in landed:
                fail(f"{label}: two items link to {f}")
            landed[f] = link
        else:
            missed.append((link, title))
    exceptions = {f: kind for (s, f), kind in EXCEPTIONS.items() if s == site_key}
    unlinked = sorted(src for f, src in post_file.items() if f not in landed)
    unexpected = [src for src in unlinked if src not in exceptions]
    if unexpected:
        fail(f"{label}: Jekyll publishes {unexpected} but no feed item links to its page")
    unstable_published = [src for src in unlinked if exceptions.get(src) == "unstable"]
    if len(missed) != len(unstable_published):
        fail(f"{label}: {len(missed)} item links land on no page of a Jekyll post: {missed}"
             f" (allowed: {len(unstable_published)}, for {unstable_published})")
    return len(landed), len(landed) + len(missed), len(post_file), len(exceptions)


def jekyll_root(dump):
    """The site root Jekyll's absolute_url starts every link with: `url`
    with scheme and host lower-cased and a default port dropped, then
    `baseurl` without its trailing slash. One documented difference: a `url`
    ending in `/` does not make feedgen write `//`."""
    url = urllib.parse.urlsplit(dump["url"] or "")
    host = (url.hostname or "").lower()
    default = {"http": 80, "https": 443}.get(url.scheme.lower())
    port = f":{url.port}" if url.port and url.port != default else ""
    base = (dump["baseurl"] or "").rstrip("/")
    if base and not base.startswith("/"):
        base = "/" + base
    base = urllib.parse.quote(base, safe="/-._~!$&'()*+,;=:@")
    return f"{url.scheme.lower()}://{host}{port}{url.path.rstrip('/')}{base}/"


def describe(label, landed, items, posts, exceptions):
    extra = f" ({exceptions} listed exceptions)" if exceptions else ""
    return f"{label}: {landed}/{items} links land; Jekyll publishes {posts} posts{extra}"


def check_readme(repo):
    text = open(os.path.join(repo, "docs", "jekyll-parity.md"), encoding="utf-8").read()
    for kind, phrase in README_PHRASES.items():
        if phrase not in text:
            fail(f"docs/jekyll-parity.md no longer says {phrase!r} (exception kind {kind}); keep it and EXCEPTIONS in step")


def main():
    feedgen, repo, work = sys.argv[1:4]
    finews = sys.argv[4] if len(sys.argv) > 4 else None
    check_readme(repo)
    sites_dir = os.path.join(repo, "tests/fixtures/jekyll/sites")
    override = os.path.join(work, "override.yml")
    with open(override, "w") as f:
        f.write("theme: false\n")
    dump_page = os.path.join(repo, "tests/fixtures/jekyll/posts.json")
    counts = []
    for name in sorted(os.listdir(sites_dir)):
        src = os.path.join(sites_dir, name)
        vdir = os.path.join(src, "_variants")
        variants = [None] + (sorted(v[:-4] for v in os.listdir(vdir) if v.endswith(".yml"))
                             if os.path.isdir(vdir) else [])
        for v in variants:
            label = name + ("." + v if v else "")
            base = os.path.join(work, label)
            dest, out, cfg = base + ".site", base + ".feeds", base + ".config.yml"
            configs = [os.path.join(src, "_config.yml")]
            if v:
                configs.append(os.path.join(vdir, v + ".yml"))
            config_text = merged_config(configs[0], configs[1] if v else None)
            if name.startswith("abort-") and "\nurl:" not in "\n" + config_text:
                config_text += "url: https://example.com\n"  # so feedgen reads the posts
            # Built here by Jekyll 4.3; with no Gemfile feedgen would take GitHub Pages' 3.10.
            config_text += "feedgen:\n  jekyll: 4\n"
            with open(cfg, "w", encoding="utf-8") as f:
                f.write(config_text)
            rc = jekyll_build(src, dest, configs + [override], base + ".log")
            status, stderr = feedgen_build(feedgen, src, out, cfg, NOW)
            if name.startswith("abort-"):
                if rc == 0:
                    fail(f"{label}: Jekyll was expected to stop the build, and built")
                if "Jekyll will not build the site" not in stderr and "Jekyll stops building the whole site" not in stderr:
                    fail(f"{label}: no feedgen diagnostic says Jekyll cannot build the site:\n{stderr}")
                counts.append(f"{label}: Jekyll stops the build (exit {rc}); feedgen says so (exit {status})")
                continue
            if rc != 0:
                fail(f"{label}: jekyll build failed (exit {rc}); see {base}.log")
            url = next((l.split(":", 1)[1].strip().strip('"') for l in config_text.splitlines()
                        if l.startswith("url:")), "")
            if not url:
                # Documented: feedgen needs `url` for absolute links.
                if status != 2 or "url" not in stderr:
                    fail(f"{label}: without `url` feedgen must refuse with exit 2, got {status}: {stderr}")
                counts.append(f"{label}: no `url`: feedgen refuses (exit 2), as documented")
                continue
            if status not in (0, 1):
                fail(f"{label}: feedgen exited {status}:\n{stderr}")
            root = checked_root(label, dest, out)
            counts.append(describe(label, *compare(label, name, dest, out, root)))
    if finews:
        label = "finews-sample"
        site = os.path.join(work, label + ".src")
        shutil.copytree(finews, site)
        shutil.copy(dump_page, os.path.join(site, "posts.json"))
        # The site's Jekyll is 4.3 here: say so as a real site would (feedgen reads the Gemfile).
        with open(os.path.join(site, "Gemfile"), "w") as f:
            f.write('source "https://rubygems.org"\ngem "jekyll", "~> 4.3"\n')
        dest, out = os.path.join(work, label + ".site"), os.path.join(work, label + ".feeds")
        rc = jekyll_build(site, dest, [os.path.join(site, "_config.yml"), override], os.path.join(work, label + ".log"))
        if rc != 0:
            fail(f"{label}: jekyll build failed (exit {rc})")
        dump = json.load(open(os.path.join(dest, "posts.json"), encoding="utf-8"))
        status, stderr = feedgen_build(feedgen, site, out, os.path.join(site, "_config.yml"), dump["site_time"])
        if status not in (0, 1):
            fail(f"{label}: feedgen exited {status}:\n{stderr}")
        landed, items, posts, exceptions = compare(label, label, dest, out, checked_root(label, dest, out))
        if (landed, items, posts) != (63, 63, 63):
            fail(f"{label}: {landed}/{items} links land, Jekyll publishes {posts} posts; want 63/63 of 63")
        counts.append(describe(label, landed, items, posts, exceptions))
    for line in counts:
        print(f"jekyll-parity: {line}")


def checked_root(label, dest, out):
    """feedgen's site root, which must be Jekyll's."""
    dump = json.load(open(os.path.join(dest, "posts.json"), encoding="utf-8"))
    ours, theirs = feedgen_root(out), jekyll_root(dump)
    if ours != theirs:
        fail(f"{label}: feedgen's site root {ours} is not Jekyll's {theirs}")
    return ours


def feedgen_root(out):
    """The site root feedgen used: the Atom feed's alternate link."""
    root = ET.parse(os.path.join(out, "atom.xml")).getroot()
    for l in root.findall(ATOM + "link"):
        if l.get("rel", "alternate") == "alternate":
            return l.get("href")
    fail(f"{out}/atom.xml has no alternate link")


if __name__ == "__main__":
    main()
