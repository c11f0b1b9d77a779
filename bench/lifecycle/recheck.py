#!/usr/bin/env python3
"""Re-runs checks 1-4 of bench/lifecycle (vanished feeds, duplicate ids,
returning ids, title flips) over the published history of replayed origins,
reading every commit's feeds from git instead of a checkout.

    python3 bench/lifecycle/recheck.py WORKDIR MODE...   # e.g. /tmp/feedgen-lifecycle normal newer

Same rules and counts as replay.py; the seed (WORKDIR/seed) primes the
checks. Useful after a change to the checks, without replaying.
"""

import os
import subprocess
import sys
from types import SimpleNamespace

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import replay as R  # noqa: E402


class Blobs:
    def __init__(self, repo):
        self.p = subprocess.Popen(["git", "-C", repo, "cat-file", "--batch"], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE)

    def read(self, spec):
        self.p.stdin.write(spec.encode("utf-8", errors="surrogateescape") + b"\n")
        self.p.stdin.flush()
        head = self.p.stdout.readline().split()
        if len(head) < 3:
            return None
        data = self.p.stdout.read(int(head[2]))
        self.p.stdout.read(1)
        return data


def main():
    workdir, modes = sys.argv[1], sys.argv[2:]
    outdir = os.environ.get("OUTPUT_DIR", "feeds")
    rep = object.__new__(R.Replay)
    rep.a = SimpleNamespace(output_dir=outdir)
    rep.seed_dir = os.path.join(workdir, "seed")
    rep.meta = {}
    base = rep.seed_checks()
    seed_head = R.git(os.path.join(rep.seed_dir, "origin.git"), "rev-parse", "main").stdout.decode().strip()
    print("| mode | commits | vanished | dup ids | returning | title flips |\n|---|---:|---:|---:|---:|---:|")
    details = []
    for mode in modes:
        origin = os.path.join(workdir, mode, "origin.git")
        blobs = Blobs(origin)
        checks = R.copy.deepcopy(base)
        log = R.git(origin, "log", "--reverse", "--format=%H %s", f"{seed_head}..main").stdout.decode().splitlines()
        tot = R.new_counts()
        for line in log:
            commit, subject = line.split(" ", 1)
            r = int(subject.split()[1].rstrip(":"))
            c = R.new_counts()
            outlets = None
            gone = set()
            for status, rel in R.changed_files(origin, commit + "~1", commit):
                parts = R.feed_parts(rel, outdir)
                if not parts:
                    continue
                if status == "D":
                    if parts[0] in ("category", "tag"):
                        if outlets is None:
                            outlets = {"category": set(), "tag": set()}
                            names = R.git(origin, "ls-tree", "-r", "-z", "--name-only", commit, "--",
                                          "_posts", "old_post").stdout.decode().split("\0")
                            for path in filter(None, names):
                                name = path.rsplit("/", 1)[-1]
                                m = rep.meta.get(name)
                                if m is None:
                                    m = R.meta_of_bytes((blobs.read(f"{commit}:{path}") or b"")[:4096], name)
                                    rep.meta[name] = m
                                if m.dated:
                                    outlets["category"].update(m.cats)
                                    outlets["tag"].update(m.tags)
                        folder = (parts[0], parts[1])
                        if parts[1] in outlets[parts[0]] and folder not in gone:
                            gone.add(folder)
                            c["vanished"] += 1
                            c["vanish_list"].append(f"{parts[0]}/{parts[1]}")
                    continue
                raw = blobs.read(f"{commit}:{rel}")
                checks.see(rel, R.parse_feed_bytes(rel, raw), r, c)
            for k in ("vanished", "dups", "returning", "flips"):
                tot[k] += c[k]
            for k in ("vanish_list", "dup_list", "return_list", "flip_list"):
                tot[k].extend(f"run {r}: {x}" for x in c[k])
        print(f"| {mode} | {len(log)} | {tot['vanished']} | {tot['dups']} | {tot['returning']} | {tot['flips']} |")
        details.append((mode, tot))
    for mode, tot in details:
        for k in ("vanish_list", "dup_list", "return_list", "flip_list"):
            if tot[k]:
                print(f"\n{mode} {k} ({len(tot[k])}):")
                for x in tot[k][:12]:
                    print("  " + x)


if __name__ == "__main__":
    main()
