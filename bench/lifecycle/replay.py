#!/usr/bin/env python3
"""Driver of bench/lifecycle: replays the real site's CI job (issue #21).

Python 3 standard library only. bench/lifecycle/run builds the binaries and
calls this; see bench/lifecycle/README.md for what is measured and checked.
"""

import argparse
import copy
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import time

# gen_corpus's timeline: post i is dated START + i*86400/rate s (+-20 s jitter)
# in +08:00; START is 2021-12-08 00:00:00 +08:00.
START = 18969 * 86400 - 8 * 3600
TZ = dt.timezone(dt.timedelta(hours=8))
DAY = 86400
MODES = ("fresh", "normal", "older", "newer")

# One file Jekyll itself skips, as the real site's _posts/ holds one (a name
# without a date; its `date:` stops Jekyll's build as well).
UNDATED_NAME = "-202205262391921712.md"
UNDATED_TEXT = """---
layout: post
title: ""
date:  +0800
categories: emnews
tags: 东财滚动新闻
---
> 据霍尼韦尔官网消息，5月24日，霍尼韦尔宣布为蔚来旗下ET7新能源汽车提供HFO-1234yf(四氟丙烯)制冷剂。（上海证券报）

<p class="em_media">（文章来源：上海证券报）</p>

<>

[返回东财滚动新闻](//finews.withounder.com/emnews/)｜[返回首页](//finews.withounder.com/)
"""

NEWS_SETTINGS = """feedgen:
  limit: 20
  window: 2h
  max_bytes: 2MiB
  ttl: 15
  site:
    content: summary
  feeds_url: /feeds
"""


PHASES = {}


_LAST = [time.monotonic()]


def tick(name):
    """Adds the wall time since the last tick to PHASES[name]."""
    t = time.monotonic()
    PHASES[name] = PHASES.get(name, 0.0) + t - _LAST[0]
    _LAST[0] = t


def iso(epoch):
    return dt.datetime.fromtimestamp(epoch, TZ).isoformat()


def log(msg):
    print(msg, flush=True)


def run(cmd, cwd=None, env=None, check=True, capture=True, stdin=None):
    p = subprocess.run(
        cmd, cwd=cwd, env=env, input=stdin,
        stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
        stderr=subprocess.PIPE if capture else subprocess.DEVNULL,
    )
    if check and p.returncode != 0:
        err = p.stderr.decode(errors="replace") if capture else ""
        sys.exit(f"lifecycle: {' '.join(map(str, cmd))} exited {p.returncode}\n{err}")
    return p


def git(repo, *args, env=None, check=True, stdin=None):
    e = dict(os.environ)
    e.update({
        "GIT_AUTHOR_NAME": "lifecycle", "GIT_AUTHOR_EMAIL": "lifecycle@example.com",
        "GIT_COMMITTER_NAME": "lifecycle", "GIT_COMMITTER_EMAIL": "lifecycle@example.com",
        "GIT_CONFIG_NOSYSTEM": "1", "GIT_TERMINAL_PROMPT": "0",
    })
    if env:
        e.update(env)
    return run(["git", "-C", str(repo), *args], env=e, check=check, stdin=stdin)


def sim_env(epoch):
    d = f"@{epoch} +0800"
    return {"GIT_AUTHOR_DATE": d, "GIT_COMMITTER_DATE": d}


def rm(path):
    if os.path.lexists(path):
        subprocess.run(["rm", "-rf", "--", path], check=True)


def copytree(src, dst):
    rm(dst)
    subprocess.run(["cp", "-a", "--", src, dst], check=True)


def pack_bytes(bare):
    """Bytes of the object store: every pack and loose object file."""
    total = 0
    objects = os.path.join(bare, "objects")
    for d, _dirs, files in os.walk(objects):
        if d.endswith("info"):
            continue
        for f in files:
            if f.endswith((".pack", ".idx", ".rev")) or len(f) == 38:
                total += os.lstat(os.path.join(d, f)).st_size
    return total


def fmt_bytes(n):
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if abs(n) >= size:
            return f"{n / size:.2f} {unit}"
    return f"{n} B"


# ---------------------------------------------------------------- posts

DATE_RE = re.compile(rb"^date:\s*(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{2}):(\d{2})\s*([+-]\d{2}:?\d{2})?\s*$", re.M)
NAME_DATE_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})-")


class PostMeta:
    """What the replay needs of a post: its instant and its feed folders."""

    __slots__ = ("epoch", "dated", "cats", "tags")

    def __init__(self, epoch, dated, cats, tags):
        self.epoch, self.dated, self.cats, self.tags = epoch, dated, cats, tags


def folder_name(term):
    """The feed folder feedgen makes for a term (README: Output layout)."""
    s = term.lower()
    s = "".join("_" if c in "/\\" or ord(c) < 32 or ord(c) == 127 else c for c in s)
    if s.startswith("."):
        s = "_" + s[1:]
    b = s.encode()
    if len(b) > 120:
        s = b[:120].decode(errors="ignore")
    return s


def read_meta(path, name):
    with open(path, "rb") as f:
        return meta_of_bytes(f.read(4096), name)


def meta_of_bytes(head, name):
    m = DATE_RE.search(head)
    nm = NAME_DATE_RE.match(name)
    if m:
        y, mo, d, h, mi, s = (int(x) for x in m.groups()[:6])
        off = m.group(7)
        tz = TZ
        if off:
            o = off.decode().replace(":", "")
            sign = -1 if o[0] == "-" else 1
            tz = dt.timezone(sign * dt.timedelta(hours=int(o[1:3]), minutes=int(o[3:5])))
        epoch = int(dt.datetime(y, mo, d, h, mi, s, tzinfo=tz).timestamp())
    elif nm:
        y, mo, d = (int(x) for x in nm.groups())
        epoch = int(dt.datetime(y, mo, d, tzinfo=TZ).timestamp())
    else:
        epoch = None
    cats, tags = [], []
    text = head.decode(errors="replace")
    for line in text.split("\n")[1:40]:
        if line.startswith("---"):
            break
        if line.startswith("categories:"):
            cats = line[len("categories:"):].split()
        elif line.startswith("tags:"):
            v = line[len("tags:"):].strip()
            if v.startswith("[") and v.endswith("]"):
                tags = [t.strip().strip("'\"") for t in v[1:-1].split(",") if t.strip()]
            elif v:
                tags = [v.strip("'\"")]
    return PostMeta(epoch, bool(nm), [folder_name(c) for c in cats], [folder_name(t) for t in tags])


# ---------------------------------------------------------------- feeds

CDATA_RE = re.compile(r"<!\[CDATA\[.*?\]\]>", re.S)
TITLE_RE = re.compile(r"<title[^>]*>([^<]*)</title>")
RSS_GUID_RE = re.compile(r"<guid[^>]*>([^<]*)</guid>")
RSS_LINK_RE = re.compile(r"<link>([^<]*)</link>")
ATOM_ID_RE = re.compile(r"<id>([^<]*)</id>")
ATOM_LINK_RE = re.compile(r"<link\b[^>]*\bhref=\"([^\"]*)\"[^>]*\brel=\"alternate\"|<link\b[^>]*\brel=\"alternate\"[^>]*\bhref=\"([^\"]*)\"")
KEY_DATE_RE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}-")


def unescape(s):
    return s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'").replace("&amp;", "&")


def post_key(link):
    """The post's file name (without date and extension) from its link:
    `/emnews/2021/12/08/2021…56.html` and `/old_post/2021-12-08-2021…56.html`
    both give `2021…56`."""
    from urllib.parse import unquote, urlsplit
    path = unquote(urlsplit(link).path).rstrip("/")
    last = path.rsplit("/", 1)[-1]
    for ext in (".html", ".htm"):
        if last.endswith(ext):
            last = last[: -len(ext)]
    return KEY_DATE_RE.sub("", last)


def parse_feed(path):
    """(title, [(item id, post key)]) of an RSS, Atom or JSON feed file."""
    with open(path, "rb") as f:
        return parse_feed_bytes(path, f.read())


def parse_feed_bytes(path, raw):
    if path.endswith(".json"):
        doc = json.loads(raw)
        items = [(str(i.get("id")), post_key(i.get("url") or str(i.get("id")))) for i in doc.get("items", [])]
        return doc.get("title"), items
    text = CDATA_RE.sub("", raw.decode("utf-8", errors="replace"))
    if path.endswith("atom.xml"):
        head, *entries = text.split("<entry>")
        id_re, link_re = ATOM_ID_RE, ATOM_LINK_RE
    else:
        head, *entries = text.split("<item>")
        id_re, link_re = RSS_GUID_RE, RSS_LINK_RE
    t = TITLE_RE.search(head)
    items = []
    for e in entries:
        i = id_re.search(e)
        m = link_re.search(e)
        link = (m.group(1) or (m.group(2) if m.lastindex and m.lastindex >= 2 else None)) if m else None
        ident = unescape(i.group(1)) if i else None
        if ident is None:
            continue
        items.append((ident, post_key(unescape(link) if link else ident)))
    return (unescape(t.group(1)) if t else None), items


FEED_FILES = ("rss.xml", "atom.xml", "feed.json")


def changed_files(repo, old, new):
    """[status, path] of every file that differs between two commits. With
    -z, as git otherwise quotes non-ASCII paths (every tag feed's)."""
    out = git(repo, "diff-tree", "-z", "-r", "--no-renames", "--name-status", old, new).stdout
    f = out.decode("utf-8", errors="surrogateescape").split("\0")
    return [[f[i], f[i + 1]] for i in range(0, len(f) - 1, 2) if f[i]]


def feed_parts(rel, outdir):
    """('category', name, file) for OUTPUT/category/<name>/rss.xml, ('site',
    '', file) for OUTPUT/rss.xml, None for any other file."""
    parts = rel.split("/")
    if parts[0] != outdir or parts[-1] not in FEED_FILES:
        return None
    if len(parts) == 2:
        return ("site", "", parts[-1])
    if len(parts) == 4 and parts[1] in ("category", "tag"):
        return (parts[1], parts[2], parts[3])
    return None


class Checks:
    """What subscribers see over the published history of one origin."""

    def __init__(self):
        self.titles = {}        # feed file -> title last seen
        self.current = {}       # feed file -> set of item ids
        self.left = {}          # feed file -> ids that were in it and left
        self.ids_by_post = {}   # (format, post key) -> set of ids
        self.dup_posts = set()
        self.returned = set()   # (feed folder, post key, run)
        self.flipped = set()    # (feed folder, run)
        self.vanished = []      # (run, feed folder)

    def see(self, rel, parsed, run_no, counts):
        title, items = parsed
        folder = rel.rsplit("/", 1)[0]
        fmt = rel.rsplit("/", 1)[1]
        old_title = self.titles.get(rel)
        if old_title is not None and title != old_title and (folder, run_no) not in self.flipped:
            self.flipped.add((folder, run_no))
            counts["flips"] += 1
            counts["flip_list"].append(f"{folder}: {old_title!r} -> {title!r}")
        self.titles[rel] = title
        ids = {i for i, _ in items}
        keys = dict(items)
        prev = self.current.get(rel)
        left = self.left.setdefault(rel, set())
        if prev is not None:
            back = ids & left
            for i in sorted(back):
                ev = (folder, keys[i], run_no)
                if ev not in self.returned:
                    self.returned.add(ev)
                    counts["returning"] += 1
                    counts["return_list"].append(f"{folder}: {i}")
            left -= ids
            left |= prev - ids
        self.current[rel] = ids
        for i, k in items:
            s = self.ids_by_post.setdefault((fmt, k), set())
            if i not in s:
                s.add(i)
                if len(s) == 2 and (fmt, k) not in self.dup_posts:
                    self.dup_posts.add((fmt, k))
                    counts["dups"] += 1
                    counts["dup_list"].append(f"{fmt} {k}: {sorted(s)}")


def new_counts():
    return {"vanished": 0, "dups": 0, "returning": 0, "flips": 0, "mismatch": 0,
            "vanish_list": [], "dup_list": [], "return_list": [], "flip_list": [], "mismatch_list": []}


# ---------------------------------------------------------------- replay

class Replay:
    def __init__(self, a):
        self.a = a
        self.meta = {}          # post file name -> PostMeta (posts never change)
        self.interval = a.interval
        self.run_rate = a.per_run * DAY // a.interval
        base = a.seed_days * self.run_rate
        if base < a.posts:
            base = -(-a.posts // a.per_run) * a.per_run
        self.base = base
        self.t0 = START + base * DAY // self.run_rate
        self.seed_rate = -(-a.posts // a.seed_days)
        self.seed_dir = os.path.join(a.workdir, "seed")
        self.report = []

    # -- helpers
    def gen(self, dest, n, start, rate):
        rm(dest)
        run([self.a.gen_corpus, dest, str(n), "--sources", str(self.a.sources), "--seed", str(self.a.seed),
             "--start-index", str(start), "--rate", str(rate), "--threads", "2"])
        return os.path.join(dest, "_posts")

    def meta_of(self, posts_dir, name):
        m = self.meta.get(name)
        if m is None:
            m = read_meta(os.path.join(posts_dir, name), name)
            self.meta[name] = m
        return m

    def feedgen(self, site, state, now, log_path):
        cmd = [self.a.feedgen, "build", "--content", site, "--output", os.path.join(site, self.a.output_dir),
               "--state", state, "--now", iso(now)]
        t = time.monotonic()
        with open(log_path, "wb") as lf:
            p = subprocess.run(cmd, stdout=lf, stderr=lf)
        return time.monotonic() - t, p.returncode

    def config_text(self):
        text = ("title: 金融消息\ndescription: 金融消息聚合（feedgen 基准测试合成语料）\n"
                "url: https://finews.example.com\nlang: zh-CN\ntimezone: Asia/Shanghai\nauthor: ZNing\n")
        text += NEWS_SETTINGS
        if self.a.names_from_tags:
            text += "  names_from_tags: true\n"
        for s in self.a.set:
            text += "  " + s + "\n"
        if self.a.extra_config:
            with open(self.a.extra_config, encoding="utf-8") as f:
                extra = f.read()
            text += extra if extra.endswith("\n") else extra + "\n"
        return text

    # -- the seed: one origin every mode starts from
    def make_seed(self):
        a = self.a
        key = json.dumps({"posts": a.posts, "sources": a.sources, "seed": a.seed, "per_run": a.per_run,
                          "interval": a.interval, "seed_days": a.seed_days, "undated": a.undated,
                          "config": self.config_text(), "output": a.output_dir,
                          "feedgen": [a.feedgen, os.stat(a.feedgen).st_mtime],
                          "gen": [a.gen_corpus, os.stat(a.gen_corpus).st_mtime]}, sort_keys=True)
        stamp = os.path.join(self.seed_dir, "params.json")
        if os.path.exists(stamp) and open(stamp).read() == key:
            log(f"seed: reusing {self.seed_dir}")
            site = os.path.join(self.seed_dir, "site")
            for d in ("_posts", "old_post"):
                p = os.path.join(site, d)
                if os.path.isdir(p):
                    for n in os.listdir(p):
                        self.meta_of(p, n)
            return json.load(open(os.path.join(self.seed_dir, "seed-result.json")))
        rm(self.seed_dir)
        os.makedirs(self.seed_dir)
        t = time.monotonic()
        site = os.path.join(self.seed_dir, "site")
        staged = self.gen(os.path.join(self.seed_dir, "gen"), a.posts, 0, self.seed_rate)
        os.makedirs(os.path.join(site, "_posts"))
        for n in os.listdir(staged):
            os.rename(os.path.join(staged, n), os.path.join(site, "_posts", n))
        rm(os.path.join(self.seed_dir, "gen"))
        if a.undated:
            with open(os.path.join(site, "_posts", UNDATED_NAME), "w", encoding="utf-8") as f:
                f.write(UNDATED_TEXT)
        with open(os.path.join(site, "_config.yml"), "w", encoding="utf-8") as f:
            f.write(self.config_text())
        posts = os.path.join(site, "_posts")
        for n in os.listdir(posts):
            self.meta_of(posts, n)
        state = os.path.join(self.seed_dir, "state")
        secs, rc = self.feedgen(site, state, self.t0, os.path.join(self.seed_dir, "feedgen.log"))
        if rc not in (0, 1):
            sys.exit(f"lifecycle: the seed build exited {rc}; see {self.seed_dir}/feedgen.log")
        git(site, "init", "-q", "-b", "main")
        git(site, "add", "-A")
        git(site, "commit", "-q", "-m", "Seed: posts of the last days and their feeds", env=sim_env(self.t0))
        origin = os.path.join(self.seed_dir, "origin.git")
        git(self.seed_dir, "clone", "-q", "--bare", "--no-local", site, origin)
        for k, v in (("receive.unpackLimit", "1"), ("transfer.unpackLimit", "1"), ("gc.auto", "0"),
                     ("receive.autogc", "false"), ("core.logAllRefUpdates", "false")):
            git(origin, "config", k, v)
        result = {"seconds": secs, "rc": rc, "store": pack_bytes(origin), "gen_seconds": time.monotonic() - t}
        json.dump(result, open(os.path.join(self.seed_dir, "seed-result.json"), "w"))
        with open(stamp, "w") as f:
            f.write(key)
        log(f"seed: {a.posts} posts, {a.sources} sources, feeds built in {secs:.2f} s (exit {rc}), "
            f"origin {fmt_bytes(result['store'])}")
        return result

    def seed_checks(self):
        """Checks primed with the seed's committed feeds."""
        c = Checks()
        out = os.path.join(self.seed_dir, "site", self.a.output_dir)
        dummy = new_counts()
        for d, _dirs, files in os.walk(out):
            for f in files:
                rel = os.path.relpath(os.path.join(d, f), os.path.join(self.seed_dir, "site"))
                if feed_parts(rel, self.a.output_dir):
                    c.see(rel, parse_feed(os.path.join(d, f)), 0, dummy)
        return c

    # -- one mode
    def replay(self, mode, seed_checks):
        a = self.a
        mdir = os.path.join(a.workdir, mode)
        rm(mdir)
        os.makedirs(mdir)
        origin = os.path.join(mdir, "origin.git")
        copytree(os.path.join(self.seed_dir, "origin.git"), origin)
        caches = os.path.join(mdir, "cache")
        os.makedirs(caches)
        if mode != "fresh":
            copytree(os.path.join(self.seed_dir, "state"), os.path.join(caches, "0"))
        saved = [0] if mode != "fresh" else []
        checks = copy.deepcopy(seed_checks)
        published_next = self.base
        store0 = pack_bytes(origin)
        rows, totals = [], new_counts()
        totals.update(nonzero=0, pushed=0, feeds_bytes=0, posts_bytes=0, published=0, files=0, feed_files=0)
        head = ("| run | mode | cache | push | feedgen s | exit | files changed (feeds) | pushed | "
                "store + | cumulative | vanished | dup ids | returning | title flips | ≠ clean | run s |")
        sep = "|" + "---:|" * 2 + "---|---|" + "---:|" * 12
        log(f"\n### mode `{mode}`\n")
        log(head)
        log(sep)
        table = [head, sep]
        PHASES.clear()
        _LAST[0] = time.monotonic()
        for r in range(1, a.runs + 1):
            t_run = time.monotonic()
            now = self.t0 + r * self.interval
            runner = os.path.join(mdir, "runner")
            rm(runner)
            tick("cleanup")
            os.makedirs(runner)
            clone = os.path.join(runner, "site")
            state = os.path.join(runner, "state")
            logs = os.path.join(mdir, "logs")
            os.makedirs(logs, exist_ok=True)
            # 1. a fresh checkout
            tick("other")
            git(runner, "clone", "-q", origin, clone)
            tick("clone")
            git(clone, "config", "gc.auto", "0")
            # 2. the state from the cache
            restored = "none"
            if mode != "fresh" and saved:
                pick = saved[-1]
                if mode == "older" and r % a.older_every == 0:
                    want = r - a.older_k
                    older = [s for s in saved if s <= want]
                    pick = older[-1] if older else saved[0]
                copytree(os.path.join(caches, str(pick)), state)
                restored = f"run {pick}" if pick else "seed"
            tick("restore")
            # 3. new posts: everything up to this batch's end the origin lacks
            end = self.base + r * a.per_run
            posts = os.path.join(clone, "_posts")
            if end > published_next:
                staged = self.gen(os.path.join(mdir, "gen"), end - published_next, published_next, self.run_rate)
                for n in os.listdir(staged):
                    os.rename(os.path.join(staged, n), os.path.join(posts, n))
            tick("gen")
            # 4. the 3-day mover
            old = os.path.join(clone, "old_post")
            cutoff = now - a.archive_days * DAY
            moved = 0
            for n in sorted(os.listdir(posts)):
                m = self.meta_of(posts, n)
                if m.epoch is not None and m.epoch < cutoff:
                    os.makedirs(old, exist_ok=True)
                    os.rename(os.path.join(posts, n), os.path.join(old, n))
                    moved += 1
            tick("mover")
            # 5. feedgen
            secs, rc = self.feedgen(clone, state, now, os.path.join(logs, f"run-{r:03}.log"))
            if rc != 0:
                totals["nonzero"] += 1
            tick("feedgen")
            # 6. commit and push (a dropped push in `newer` mode)
            git(clone, "add", "-A")
            git(clone, "commit", "-q", "--allow-empty", "-m", f"Run {r}: new posts, old ones archived, feeds",
                env=sim_env(now))
            changes = changed_files(clone, "HEAD~1", "HEAD")
            feed_changes = [(s, p) for s, p in changes if p.startswith(a.output_dir + "/")]
            tick("commit")
            dropped = mode == "newer" and r % a.drop_every == 0 and r < a.runs
            pushed = store_plus = 0
            fb = pb = 0
            if not dropped:
                before = pack_bytes(origin)
                old_head = git(origin, "rev-parse", "main").stdout.decode().strip()
                p = git(clone, "push", "--progress", "origin", "HEAD:main")
                pushed = parse_pushed(p.stderr.decode(errors="replace"))
                store_plus = pack_bytes(origin) - before
                tick("push")
                fb, pb = self.attribute(origin, old_head, "main")
                tick("attribute")
                published_next = end
                totals["published"] += 1
                totals["pushed"] += pushed
                totals["feeds_bytes"] += fb
                totals["posts_bytes"] += pb
                totals["files"] += len(changes)
                totals["feed_files"] += len(feed_changes)
            tick("other")
            # 7. the state into the cache
            if mode != "fresh":
                copytree(state, os.path.join(caches, str(r)))
                saved.append(r)
                keep = a.older_k + 1
                for s in saved[:-keep]:
                    if s != 0:
                        rm(os.path.join(caches, str(s)))
                saved = [s for s in saved if s == 0 or s in saved[-keep:]]
            tick("save cache")
            # 8. checks on what subscribers get (published runs only)
            c = new_counts()
            if not dropped:
                self.check_published(checks, clone, feed_changes, r, c)
            tick("checks")
            if a.clean_check:
                self.check_clean(clone, runner, now, r, c)
            tick("clean build+diff")
            for k in ("vanished", "dups", "returning", "flips", "mismatch"):
                totals[k] += c[k]
            for k in ("vanish_list", "dup_list", "return_list", "flip_list", "mismatch_list"):
                totals[k].extend(f"run {r}: {x}" for x in c[k])
            cumulative = pack_bytes(origin) - store0
            row = (f"| {r} | {mode} | {restored} | {'dropped' if dropped else 'pushed'} | {secs:.2f} | {rc} | "
                   f"{len(changes)} ({len(feed_changes)}) | {fmt_bytes(pushed)} | {fmt_bytes(store_plus)} | "
                   f"{fmt_bytes(cumulative)} | {c['vanished']} | {c['dups']} | {c['returning']} | {c['flips']} | "
                   f"{c['mismatch']} | {time.monotonic() - t_run:.1f} |")
            log(row)
            table.append(row)
            rows.append({"run": r, "feedgen_s": secs, "rc": rc, "dropped": dropped, "moved": moved})
            rm(runner)
            tick("cleanup")
        totals["store"] = pack_bytes(origin) - store0
        log("phases (s): " + ", ".join(f"{k} {v:.1f}" for k, v in PHASES.items()))
        PHASES.clear()
        totals["feedgen_s"] = [x["feedgen_s"] for x in rows]
        return table, totals

    def attribute(self, origin, old, new):
        """Packed bytes of the objects a push added, split into the output
        folder's (feeds) and the rest (posts, trees above them, commits)."""
        objs = git(origin, "rev-list", "--objects", f"{old}..{new}").stdout.decode().splitlines()
        paths = {}
        for ln in objs:
            oid, _, path = ln.partition(" ")
            paths[oid] = path
        if not paths:
            return 0, 0
        out = git(origin, "cat-file", "--batch-check=%(objectname) %(objectsize:disk)",
                  stdin="\n".join(paths).encode() + b"\n").stdout.decode().split()
        feeds = posts = 0
        prefix = self.a.output_dir
        for oid, size in zip(out[0::2], out[1::2]):
            p = paths.get(oid, "")
            if p == prefix or p.startswith(prefix + "/"):
                feeds += int(size)
            else:
                posts += int(size)
        return feeds, posts

    def check_published(self, checks, clone, feed_changes, r, c):
        a = self.a
        outlets = None
        gone = set()
        for status, rel in feed_changes:
            parts = feed_parts(rel, a.output_dir)
            if not parts:
                continue
            if status == "D":
                if parts[0] in ("category", "tag"):
                    if outlets is None:
                        outlets = self.outlets(clone)
                    folder = (parts[0], parts[1])
                    if parts[1] in outlets[parts[0]] and folder not in gone:
                        gone.add(folder)
                        c["vanished"] += 1
                        c["vanish_list"].append(f"{parts[0]}/{parts[1]}")
                continue
            checks.see(rel, parse_feed(os.path.join(clone, rel)), r, c)

    def outlets(self, clone):
        """Feed folders of every category and tag with a post in _posts/ or old_post/."""
        out = {"category": set(), "tag": set()}
        for d in ("_posts", "old_post"):
            p = os.path.join(clone, d)
            if not os.path.isdir(p):
                continue
            for n in os.listdir(p):
                m = self.meta_of(p, n)
                if m.dated:
                    out["category"].update(m.cats)
                    out["tag"].update(m.tags)
        return out

    def check_clean(self, clone, runner, now, r, c):
        """Build the same checkout with no state; compare with the committed feeds."""
        out = os.path.join(clone, self.a.output_dir)
        committed = os.path.join(runner, "committed")
        if os.path.isdir(out):
            os.rename(out, committed)
        else:
            os.makedirs(committed)
        clean_state = os.path.join(runner, "clean-state")
        secs, rc = self.feedgen(clone, clean_state, now, os.path.join(runner, "clean.log"))
        p = subprocess.run(["diff", "-rq", committed, out], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        lines = [ln for ln in p.stdout.decode(errors="replace").splitlines() if ln]
        explained = 0
        for ln in lines:
            shown = ln.replace(committed, "committed").replace(out, "clean")
            m = re.match(r"Files (\S+) and (\S+) differ$", ln)
            if m and m.group(1).endswith(("rss.xml", "atom.xml")) and explained < 20:
                # Say which items differ, for the first few feeds a run.
                explained += 1
                ct, ci = parse_feed(m.group(1))
                lt, li = parse_feed(m.group(2))
                lack = sorted({k for _, k in li} - {k for _, k in ci})
                extra = sorted({k for _, k in ci} - {k for _, k in li})
                moved = sorted({i for i, _ in ci} - {i for i, _ in li})
                what = []
                if lack:
                    what.append(f"committed lacks {len(lack)} post(s) {lack[:3]}")
                if extra:
                    what.append(f"committed has {len(extra)} extra post(s) {extra[:3]}")
                if not lack and not extra and moved:
                    what.append(f"{len(moved)} item id(s) differ, e.g. {moved[0]}")
                if ct != lt:
                    what.append(f"title {ct!r} vs clean {lt!r}")
                shown += ": " + ("; ".join(what) or "same posts and title, other bytes")
            c["mismatch_list"].append(shown)
        c["mismatch"] += len(lines)


PUSH_RE = re.compile(r"Writing objects: 100% \(\d+/\d+\), ([\d.]+) (bytes|KiB|MiB|GiB)")


def parse_pushed(stderr):
    m = None
    for m in PUSH_RE.finditer(stderr):
        pass
    if not m:
        return 0
    mult = {"bytes": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30}[m.group(2)]
    return int(float(m.group(1)) * mult)


SUMMARY_HEAD = ("| mode | runs | pushed | exit ≠ 0 | feedgen s (median, max) | vanished | dup ids | returning | "
                "title flips | ≠ clean (files) | pushed / run | store growth | growth / day (pushed) | feeds share | "
                "posts alone / day |")
SUMMARY_SEP = "|---|---:|---:|---:|---|" + "---:|" * 10


def summary_row(mode, t, per_day):
    n = t["published"] or 1
    fs = sorted(t["feedgen_s"])
    med = fs[len(fs) // 2] if fs else 0
    attributed = t["feeds_bytes"] + t["posts_bytes"]
    share = t["feeds_bytes"] / attributed if attributed else 0
    per_run = t["pushed"] / n
    return (f"| {mode} | {len(fs)} | {t['published']} | {t['nonzero']} | {med:.2f}, {max(fs, default=0):.2f} | "
            f"{t['vanished']} | {t['dups']} | {t['returning']} | {t['flips']} | {t['mismatch']} | "
            f"{fmt_bytes(per_run)} | {fmt_bytes(t['store'])} | {fmt_bytes(per_run * per_day)} | "
            f"{share:.0%} | {fmt_bytes(per_run * (1 - share) * per_day)} |")


def main():
    env = os.environ.get
    ap = argparse.ArgumentParser(prog="bench/lifecycle/run", description=__doc__)
    ap.add_argument("--posts", type=int, default=int(env("POSTS", 20000)), help="posts in the seed (20000)")
    ap.add_argument("--sources", type=int, default=int(env("SOURCES", 2000)), help="outlets (2000)")
    ap.add_argument("--runs", type=int, default=int(env("RUNS", 36)), help="runs per mode (36 = 3 h)")
    ap.add_argument("--per-run", type=int, default=int(env("PER_RUN", 100)), help="new posts a run (100)")
    ap.add_argument("--modes", default=env("MODES", ",".join(MODES)), help="comma-separated: fresh,normal,older,newer")
    ap.add_argument("--feedgen", default=env("FEEDGEN"), help="feedgen binary (FEEDGEN)")
    ap.add_argument("--gen-corpus", default=env("GEN_CORPUS"), help="gen_corpus binary (GEN_CORPUS)")
    ap.add_argument("--workdir", default=env("WORKDIR", "/tmp/feedgen-lifecycle"), help="work folder")
    ap.add_argument("--output-dir", default=env("OUTPUT_DIR", "feeds"), help="output folder in the site (feeds)")
    ap.add_argument("--extra-config", default=env("EXTRA_CONFIG"), help="file appended to _config.yml after the feedgen: block")
    ap.add_argument("--set", action="append", default=[], metavar="'KEY: VALUE'",
                    help="one more feedgen setting, e.g. 'archive: [old_post]' (repeatable)")
    ap.add_argument("--no-names-from-tags", dest="names_from_tags", action="store_false",
                    help="leave out names_from_tags: true")
    ap.add_argument("--no-undated", dest="undated", action="store_false",
                    help=f"leave out _posts/{UNDATED_NAME} (a file Jekyll skips)")
    ap.add_argument("--no-clean-check", dest="clean_check", action="store_false",
                    help="skip the clean build after each run")
    ap.add_argument("--seed", type=int, default=1, help="gen_corpus --seed (1)")
    ap.add_argument("--interval", type=int, default=300, help="simulated seconds between runs (300)")
    ap.add_argument("--seed-days", type=int, default=3, help="days the seed posts span (3)")
    ap.add_argument("--archive-days", type=int, default=3, help="age at which posts move to old_post/ (3)")
    ap.add_argument("--older-every", type=int, default=4, help="`older`: every Nth run restores an old cache (4)")
    ap.add_argument("--older-k", type=int, default=3, help="`older`: that cache is the one saved K runs before (3)")
    ap.add_argument("--drop-every", type=int, default=4, help="`newer`: every Nth run's push is dropped (4)")
    a = ap.parse_args()
    if not a.feedgen or not a.gen_corpus:
        ap.error("--feedgen and --gen-corpus (or FEEDGEN, GEN_CORPUS) are needed; bench/lifecycle/run sets them")
    a.feedgen = os.path.abspath(a.feedgen)
    a.gen_corpus = os.path.abspath(a.gen_corpus)
    a.workdir = os.path.abspath(a.workdir)
    if a.extra_config:
        a.extra_config = os.path.abspath(a.extra_config)
    modes = [m.strip() for m in a.modes.split(",") if m.strip()]
    for m in modes:
        if m not in MODES:
            ap.error(f"unknown mode {m!r} (fresh, normal, older, newer)")
    if a.per_run * DAY % a.interval:
        ap.error("--per-run × 86400 must be a multiple of --interval")
    os.makedirs(a.workdir, exist_ok=True)
    started = time.monotonic()
    rep = Replay(a)
    header = [
        "# feedgen lifecycle replay",
        "",
        f"{dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M UTC}; feedgen `{a.feedgen}` "
        f"({run([a.feedgen, '--version'], check=False).stdout.decode().strip() or '?'}); "
        f"{a.posts} seed posts, {a.sources} sources, {a.runs} runs of {a.per_run} posts every "
        f"{a.interval // 60} simulated minutes from {iso(rep.t0 + a.interval)}; modes {', '.join(modes)}; "
        f"older: every {a.older_every}th run restores the cache of K={a.older_k} runs before; "
        f"newer: every {a.drop_every}th run's push is dropped.",
    ]
    for ln in header:
        log(ln)
    seed = rep.make_seed()
    log(f"config:\n```yaml\n{rep.config_text()}```")
    base_checks = rep.seed_checks()
    summaries, tables = [], []
    for mode in modes:
        table, t = rep.replay(mode, base_checks)
        tables.append((mode, table, t))
        summaries.append((mode, t))
        log(f"\nsummary of `{mode}`:\n\n{SUMMARY_HEAD}\n{SUMMARY_SEP}\n{summary_row(mode, t, DAY // a.interval)}")
        for k, label in (("vanish_list", "vanished"), ("dup_list", "duplicate ids"),
                         ("return_list", "returning ids"), ("flip_list", "title flips"),
                         ("mismatch_list", "clean-build mismatches")):
            if t[k]:
                log(f"\n{mode}: {label} ({len(t[k])}), first 10:")
                for x in t[k][:10]:
                    log(f"  {x}")
    per_day = DAY // a.interval
    summary = ["", "## Summary", "", SUMMARY_HEAD, SUMMARY_SEP]
    tot = new_counts()
    tot.update(nonzero=0, runs=0)
    for mode, t in summaries:
        summary.append(summary_row(mode, t, per_day))
        for k in ("vanished", "dups", "returning", "flips", "mismatch", "nonzero"):
            tot[k] += t[k]
        tot["runs"] += len(t["feedgen_s"])
    summary.append(
        f"| **total** | {tot['runs']} | | {tot['nonzero']} | | {tot['vanished']} | {tot['dups']} | "
        f"{tot['returning']} | {tot['flips']} | {tot['mismatch']} | | | | | |")
    summary += ["",
                f"Seed: feeds built in {seed['seconds']:.2f} s (exit {seed['rc']}), origin {fmt_bytes(seed['store'])}. "
                f"growth / day = pushed per published run × {per_day} runs a day; feeds share = packed bytes of the "
                f"objects under `{a.output_dir}/` among all objects the pushes added; posts alone = the rest "
                f"(posts, the trees above them, commits). Whole replay: {time.monotonic() - started:.0f} s."]
    for ln in summary:
        log(ln)
    path = os.path.join(a.workdir, f"results-{dt.datetime.now():%Y%m%d-%H%M%S}-{'-'.join(modes) or 'seed'}.md")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(header) + "\n\n")
        for mode, table, t in tables:
            f.write(f"### mode `{mode}`\n\n" + "\n".join(table) + "\n\n")
            for k in ("vanish_list", "dup_list", "return_list", "flip_list", "mismatch_list"):
                if t[k]:
                    f.write(f"{k} ({len(t[k])}):\n\n" + "".join(f"- `{x}`\n" for x in t[k][:50]) + "\n")
        f.write("\n".join(summary) + "\n")
    log(f"\nreport: {path}")
    bad = tot["nonzero"] + tot["vanished"] + tot["dups"] + tot["returning"] + tot["flips"] + tot["mismatch"]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
