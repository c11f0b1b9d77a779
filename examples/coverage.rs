//! Coverage benchmark: how many posts does a feed subscriber actually see?
//!
//! ```text
//! bench/coverage [--hours 6] [--archive 20000] [--sources 2000] [--rate 30000]
//!     [--seed 1] [--config FILE] [--readers 3] [--periods 15,30,60] [--warmup 30] ...
//! ```
//!
//! (`bench/coverage` builds this example, `feedgen` and `gen_corpus` in release
//! mode and runs it; `--help` lists every option.)
//!
//! 1. `gen_corpus` writes an archive of about `--archive` posts (`--sources`
//!    sources, `--rate` posts a day), ending on a batch boundary `t0`, and
//!    `feedgen` builds it with `--now t0`.
//! 2. Every `--batch` minutes of simulated time (default 5: ~104 posts at
//!    30,000 a day) `gen_corpus --start-index` appends the posts whose time
//!    falls in that batch (the timeline continues exactly where the archive
//!    stopped), then the real `feedgen` binary rebuilds into the same output
//!    folder (incremental, its index is kept) with `--now` = the batch's end.
//!    Wall time of each rebuild is recorded.
//! 3. After each build every feed folder is stat'ed; a feed file whose size or
//!    mtime changed is parsed (the `rss` crate, or `atom_syndication` when
//!    only `atom.xml` is written) and its item ids are stored as a new version.
//! 4. Membership comes from the posts themselves: each new post's front matter
//!    (`date`, `categories`, `tags`, read the Jekyll way) says which feeds it
//!    belongs to; it *enters* them at the first build whose `--now` is not
//!    before its date.
//! 5. At the end, for each feed and each poll period P, `--readers` readers
//!    poll at `phase + k·P` (phase uniform in `[0, P)`, seeded), from the
//!    feed's first appearance to the end. A poll at time τ sees the feed as the
//!    latest build completed at or before τ left it. A reader's share is the
//!    fraction of the feed's measured posts it saw in any poll; measured posts
//!    are those that entered the feed after the warm-up and at least
//!    max(P) before the end (so every reader had one poll after them).
//!
//! The report (Markdown, on stdout and in `DIR/coverage-LABEL.md`) gives per
//! feed kind the minimum and median share over all (feed, reader) pairs of
//! feeds with at least one measured post, how many of them saw every post, the
//! largest feed file in bytes, and the rebuild time per batch. `DIR/batches.csv`
//! has one line per batch.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::fs;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Instant, SystemTime};

use anyhow::{bail, ensure, Context, Result};
use chrono::NaiveDateTime;
use clap::Parser;
use serde_norway::Value;

/// 2021-12-08 00:00:00 +08:00 (gen_corpus's first post) as Unix seconds.
const START_EPOCH: i64 = 18_969 * 86_400 - 8 * 3600;

#[derive(Debug, Parser)]
#[command(
    name = "coverage",
    about = "Replay a post stream through feedgen and measure what feed readers see"
)]
struct Opts {
    /// Simulated hours after the archive.
    #[arg(long, default_value_t = 6.0)]
    hours: f64,
    /// Posts in the pre-built archive (rounded up to a batch boundary).
    #[arg(long, default_value_t = 20_000)]
    archive: u64,
    /// Sources (Zipf-distributed), passed to gen_corpus.
    #[arg(long, default_value_t = 2000)]
    sources: usize,
    /// Posts per day.
    #[arg(long, default_value_t = 30_000)]
    rate: u64,
    /// Seed for the corpus and the readers' phases.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// feedgen configuration file (a full one: site keys and `feedgen:`);
    /// default: the `_config.yml` gen_corpus writes, i.e. feedgen's defaults.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Minutes between builds.
    #[arg(long = "batch", default_value_t = 5)]
    batch_minutes: u64,
    /// Poll periods in minutes, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "15,30,60")]
    periods: Vec<u64>,
    /// Readers per feed and poll period, each with its own random phase.
    #[arg(long, default_value_t = 3)]
    readers: u64,
    /// Minutes at the start whose posts are not measured.
    #[arg(long, default_value_t = 30)]
    warmup: u64,
    /// Average post body bytes, passed to gen_corpus.
    #[arg(long, default_value_t = 5000)]
    body_bytes: usize,
    /// Work folder (emptied first): content/, output/, the report.
    /// Default: $BENCH_DIR/coverage, BENCH_DIR defaulting to /tmp/feedgen-bench.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// Name of the report file (`coverage-LABEL.md`); default: the config
    /// file's stem, or `defaults`.
    #[arg(long)]
    label: Option<String>,
    /// feedgen binary (default: `feedgen` next to this example's folder).
    #[arg(long, value_name = "PATH")]
    feedgen: Option<PathBuf>,
    /// gen_corpus binary (default: next to this example).
    #[arg(long = "gen-corpus", value_name = "PATH")]
    gen_corpus: Option<PathBuf>,
}

// ------------------------------------------------------------------ feeds

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Kind {
    Site,
    Category,
    Tag,
}

const KINDS: [Kind; 3] = [Kind::Site, Kind::Category, Kind::Tag];

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Site => "site",
            Kind::Category => "category",
            Kind::Tag => "tag",
        }
    }
}

/// File-modification stamp of a parsed feed file.
type Stamp = (SystemTime, u64);

struct Feed {
    kind: Kind,
    key: String,
    dir: PathBuf,
    /// First batch after which a feed file existed.
    appeared: Option<u32>,
    stamp: Option<Stamp>,
    /// (batch, item ids) each time the file changed.
    versions: Vec<(u32, Vec<u32>)>,
    /// (post, batch at which it entered the feed).
    members: Vec<(u32, u32)>,
    max_bytes: u64,
}

/// feedgen's folder name for a category or tag (`model::feed_key`): lower
/// case; `/`, `\`, controls and non-XML characters → `_`; a leading `.` → `_`;
/// at most 120 bytes.
fn feed_key(name: &str) -> String {
    let mut key = String::new();
    for c in name.trim().to_lowercase().chars() {
        let bad = c == '/' || c == '\\' || c.is_control() || matches!(c, '\u{FFFE}' | '\u{FFFF}');
        let c = if bad { '_' } else { c };
        if key.len() + c.len_utf8() > 120 {
            break;
        }
        key.push(c);
    }
    if key.starts_with('.') {
        key.replace_range(..1, "_");
    }
    if key.is_empty() {
        key.push('_');
    }
    key
}

struct Feeds {
    out: PathBuf,
    category_dir: String,
    tag_dir: String,
    list: Vec<Feed>,
    by_key: HashMap<(Kind, String), usize>,
    /// Parsed feed files and bytes parsed, for the report.
    parsed: u64,
    parsed_bytes: u64,
}

impl Feeds {
    fn get(&mut self, kind: Kind, key: &str) -> usize {
        if let Some(&i) = self.by_key.get(&(kind, key.to_string())) {
            return i;
        }
        let dir = match kind {
            Kind::Site => self.out.clone(),
            Kind::Category => self.out.join(&self.category_dir).join(key),
            Kind::Tag => self.out.join(&self.tag_dir).join(key),
        };
        self.list.push(Feed {
            kind,
            key: key.to_string(),
            dir,
            appeared: None,
            stamp: None,
            versions: Vec::new(),
            members: Vec::new(),
            max_bytes: 0,
        });
        self.by_key.insert((kind, key.to_string()), self.list.len() - 1);
        self.list.len() - 1
    }

    /// Look at every feed folder after build `batch`; parse what changed.
    fn scan(&mut self, batch: u32, ids: &mut Ids) -> Result<()> {
        let mut present = HashSet::new();
        present.insert(self.get(Kind::Site, ""));
        for (kind, sub) in [
            (Kind::Category, self.category_dir.clone()),
            (Kind::Tag, self.tag_dir.clone()),
        ] {
            let Ok(rd) = fs::read_dir(self.out.join(&sub)) else {
                continue;
            };
            for entry in rd {
                let entry = entry?;
                if entry.file_type()?.is_dir() {
                    let key = entry.file_name().to_string_lossy().into_owned();
                    present.insert(self.get(kind, &key));
                }
            }
        }
        for i in 0..self.list.len() {
            let feed = &mut self.list[i];
            let (rss, atom) = if present.contains(&i) {
                (
                    fs::metadata(feed.dir.join("rss.xml")).ok(),
                    fs::metadata(feed.dir.join("atom.xml")).ok(),
                )
            } else {
                (None, None)
            };
            let (file, meta) = match (&rss, &atom) {
                (Some(m), _) => ("rss.xml", m),
                (None, Some(m)) => ("atom.xml", m),
                _ => {
                    // Gone (or never there): readers see no items.
                    if feed.stamp.take().is_some() {
                        feed.versions.push((batch, Vec::new()));
                    }
                    continue;
                }
            };
            for m in [&rss, &atom].into_iter().flatten() {
                feed.max_bytes = feed.max_bytes.max(m.len());
            }
            feed.appeared.get_or_insert(batch);
            let stamp = (meta.modified()?, meta.len());
            if feed.stamp == Some(stamp) {
                continue;
            }
            let path = feed.dir.join(file);
            let items = if file == "rss.xml" {
                rss_ids(&path)?
            } else {
                atom_ids(&path)?
            };
            self.parsed += 1;
            self.parsed_bytes += meta.len();
            let items = items.iter().map(|link| ids.in_feed(post_id(link))).collect();
            feed.versions.push((batch, items));
            feed.stamp = Some(stamp);
        }
        Ok(())
    }
}

fn rss_ids(path: &Path) -> Result<Vec<String>> {
    let file = fs::File::open(path).with_context(|| format!("open {}", path.display()))?;
    let channel = rss::Channel::read_from(BufReader::new(file)).with_context(|| format!("parse {}", path.display()))?;
    channel
        .items()
        .iter()
        .map(|item| {
            item.guid()
                .map(|g| g.value().to_string())
                .or_else(|| item.link().map(str::to_string))
                .with_context(|| format!("{}: an item has neither guid nor link", path.display()))
        })
        .collect()
}

fn atom_ids(path: &Path) -> Result<Vec<String>> {
    let file = fs::File::open(path).with_context(|| format!("open {}", path.display()))?;
    let feed =
        atom_syndication::Feed::read_from(BufReader::new(file)).with_context(|| format!("parse {}", path.display()))?;
    Ok(feed.entries().iter().map(|e| e.id().to_string()).collect())
}

/// A post's id in a feed is its permalink, whose last segment is the file
/// name without the `YYYY-MM-DD-` prefix and extension (`:title`).
fn post_id(link: &str) -> &str {
    let last = link.trim_end_matches('/').rsplit('/').next().unwrap_or(link);
    last.strip_suffix(".html").unwrap_or(last)
}

/// Post ids as small integers.
#[derive(Default)]
struct Ids {
    map: HashMap<String, u32>,
    /// Ids found in feeds that no post file has.
    unknown: usize,
}

impl Ids {
    fn intern(&mut self, id: &str) -> u32 {
        if let Some(&n) = self.map.get(id) {
            return n;
        }
        let n = self.map.len() as u32;
        self.map.insert(id.to_string(), n);
        n
    }

    /// An id read from a feed: every post in a feed was read from its file
    /// first, so a new one means the benchmark misreads feedgen's ids.
    fn in_feed(&mut self, id: &str) -> u32 {
        let before = self.map.len();
        let n = self.intern(id);
        self.unknown += self.map.len() - before;
        n
    }
}

// ------------------------------------------------------------------ posts

struct Post {
    id: u32,
    /// Unix seconds.
    date: i64,
    feeds: Vec<(Kind, String)>,
}

/// Jekyll: a list is taken item by item, a string is split on whitespace.
fn terms(value: &str, out: &mut Vec<String>) {
    let v = value.trim();
    if let Some(inner) = v.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
        out.extend(inner.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()));
    } else {
        out.extend(v.split_whitespace().map(str::to_string));
    }
}

/// Reads the front matter of one gen_corpus post (flat `key: value` lines).
fn read_post(path: &Path, ids: &mut Ids) -> Result<Post> {
    let text = fs::read_to_string(path).with_context(|| format!("read {}", path.display()))?;
    let fm = text
        .strip_prefix("---\n")
        .and_then(|t| t.split("\n---\n").next())
        .with_context(|| format!("{}: no front matter", path.display()))?;
    let (mut date, mut cats, mut tags) = (None, Vec::new(), Vec::new());
    for line in fm.lines() {
        if let Some(v) = line.strip_prefix("date: ") {
            date = parse_date(v.trim());
        } else if let Some(v) = line.strip_prefix("categories: ") {
            terms(v, &mut cats);
        } else if let Some(v) = line.strip_prefix("tags: ") {
            terms(v, &mut tags);
        }
    }
    let date = date.with_context(|| format!("{}: no usable date", path.display()))?;
    let name = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
    let id = ids.intern(name.get(11..).unwrap_or(name));
    let mut feeds = vec![(Kind::Site, String::new())];
    feeds.extend(cats.iter().map(|c| (Kind::Category, feed_key(c))));
    feeds.extend(tags.iter().map(|t| (Kind::Tag, feed_key(t))));
    feeds.sort();
    feeds.dedup();
    Ok(Post { id, date, feeds })
}

/// When the site publishes a post: `2021-12-08 10:46:18 +0800` is that
/// instant. Without the offset the author meant corpus-zone time, but the
/// unquoted YAML timestamp is UTC to Jekyll, which publishes the post only
/// once that (8 hours later) instant has passed, and feedgen, following
/// the site's pages, waits as long: the post enters its feeds then.
fn parse_date(v: &str) -> Option<i64> {
    let local = NaiveDateTime::parse_from_str(v.get(..19)?, "%Y-%m-%d %H:%M:%S").ok()?;
    let rest = v[19..].trim();
    let offset = if rest.is_empty() {
        0
    } else {
        let sign = match rest.as_bytes().first()? {
            b'+' => 1,
            b'-' => -1,
            _ => return None,
        };
        let digits = rest[1..].replace(':', "");
        let h: i64 = digits.get(..2)?.parse().ok()?;
        let m: i64 = digits.get(2..4)?.parse().ok()?;
        sign * (h * 3600 + m * 60)
    };
    Some(local.and_utc().timestamp() - offset)
}

fn list_posts(dir: &Path) -> Result<HashSet<PathBuf>> {
    let mut out = HashSet::new();
    for entry in fs::read_dir(dir).with_context(|| format!("read {}", dir.display()))? {
        out.insert(entry?.path());
    }
    Ok(out)
}

// ------------------------------------------------------------------ running

struct Sim {
    opts: Opts,
    feedgen: PathBuf,
    gen_corpus: PathBuf,
    content: PathBuf,
    output: PathBuf,
    config: Option<PathBuf>,
}

impl Sim {
    /// Posts whose base time (gen_corpus: `floor(i * 86400 / rate)`) is
    /// before `t` seconds after the start.
    fn posts_before(&self, t: i64) -> u64 {
        let n = u128::from(t as u64) * u128::from(self.opts.rate);
        n.div_ceil(86_400) as u64
    }

    fn gen(&self, start: u64, n: u64) -> Result<()> {
        let out = Command::new(&self.gen_corpus)
            .arg(&self.content)
            .arg(n.to_string())
            .args(["--sources", &self.opts.sources.to_string()])
            .args(["--seed", &self.opts.seed.to_string()])
            .args(["--rate", &self.opts.rate.to_string()])
            .args(["--body-bytes", &self.opts.body_bytes.to_string()])
            .args(["--start-index", &start.to_string()])
            .output()
            .with_context(|| format!("run {}", self.gen_corpus.display()))?;
        ensure!(
            out.status.success(),
            "gen_corpus failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(())
    }

    /// One feedgen run with `--now` at `t`; returns wall seconds.
    fn build(&self, t: i64, warned: &mut bool) -> Result<f64> {
        let mut cmd = Command::new(&self.feedgen);
        cmd.arg("build")
            .arg("--content")
            .arg(&self.content)
            .arg("--output")
            .arg(&self.output)
            .args(["--now", &(START_EPOCH + t).to_string(), "-q"]);
        if let Some(c) = &self.config {
            cmd.arg("--config").arg(c);
        }
        let started = Instant::now();
        let out = cmd
            .output()
            .with_context(|| format!("run {}", self.feedgen.display()))?;
        let secs = started.elapsed().as_secs_f64();
        match out.status.code() {
            Some(0) => {}
            Some(1) if !*warned => {
                *warned = true;
                eprintln!(
                    "coverage: feedgen rejected some posts (exit 1): {}",
                    String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or("")
                );
            }
            Some(1) => {}
            _ => bail!(
                "feedgen failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ),
        }
        Ok(secs)
    }
}

fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Which settings the config file gives that the benchmark needs.
fn read_layout(file: &Path) -> Result<(String, String)> {
    let text = fs::read_to_string(file).with_context(|| format!("read {}", file.display()))?;
    let map: Value = serde_norway::from_str(&text).with_context(|| format!("{} is not YAML", file.display()))?;
    let zone = map.get("timezone").and_then(Value::as_str).unwrap_or("UTC");
    if !matches!(
        zone.trim(),
        "Asia/Shanghai" | "+08:00" | "+0800" | "Asia/Chongqing" | "PRC"
    ) {
        bail!(
            "{}: `timezone: {zone}`: the corpus writes naive dates in Asia/Shanghai, so the benchmark needs that zone",
            file.display()
        );
    }
    let ours = map.get("feedgen");
    let dir = |k: &str, d: &str| {
        ours.and_then(|o| o.get(k))
            .and_then(Value::as_str)
            .unwrap_or(d)
            .to_string()
    };
    Ok((dir("category_dir", "category"), dir("tag_dir", "tag")))
}

fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// Percent, rounded down to 0.1 so that "100%" means every post.
fn pct(x: f64) -> String {
    if x >= 1.0 {
        "100%".into()
    } else {
        format!("{:.1}%", (x * 1000.0).floor() / 10.0)
    }
}

fn run(opts: Opts) -> Result<()> {
    let wall = Instant::now();
    ensure!(
        opts.rate > 0 && opts.batch_minutes > 0 && opts.readers > 0,
        "--rate, --batch and --readers must be positive"
    );
    ensure!(
        !opts.periods.is_empty() && opts.periods.iter().all(|&p| p > 0),
        "--periods must be positive minutes"
    );
    let exe = std::env::current_exe()?;
    let exe_dir = exe.parent().context("exe folder")?.to_path_buf();
    let feedgen = match &opts.feedgen {
        Some(p) => p.clone(),
        None => exe_dir.parent().context("target folder")?.join("feedgen"),
    };
    let gen_corpus = opts.gen_corpus.clone().unwrap_or_else(|| exe_dir.join("gen_corpus"));
    for bin in [&feedgen, &gen_corpus] {
        ensure!(
            bin.is_file(),
            "{} not found (build with `cargo build --release --examples`)",
            bin.display()
        );
    }
    let dir = match &opts.dir {
        Some(d) => d.clone(),
        None => {
            PathBuf::from(std::env::var("BENCH_DIR").unwrap_or_else(|_| "/tmp/feedgen-bench".into())).join("coverage")
        }
    };
    let config = match &opts.config {
        Some(c) => Some(fs::canonicalize(c).with_context(|| format!("config {}", c.display()))?),
        None => None,
    };
    let label = opts.label.clone().unwrap_or_else(|| match &config {
        Some(c) => {
            let stem = c
                .file_stem()
                .map_or("config".into(), |s| s.to_string_lossy().into_owned());
            stem.strip_prefix("coverage-").map_or(stem.clone(), str::to_string)
        }
        None => "defaults".into(),
    });
    let content = dir.join("content");
    let output = dir.join("output");
    for d in [&content, &output] {
        if d.exists() {
            fs::remove_dir_all(d).with_context(|| format!("empty {}", d.display()))?;
        }
    }
    fs::create_dir_all(&dir)?;

    let batch_secs = opts.batch_minutes as i64 * 60;
    let batches = ((opts.hours * 3600.0) / batch_secs as f64).round() as u32;
    ensure!(batches > 0, "--hours is shorter than one batch");
    let archive_secs = (u128::from(opts.archive) * 86_400).div_ceil(u128::from(opts.rate)) as i64;
    let t0 = (archive_secs + batch_secs - 1) / batch_secs * batch_secs;
    let sim = Sim {
        opts,
        feedgen,
        gen_corpus,
        content: content.clone(),
        output: output.clone(),
        config,
    };
    let opts = &sim.opts;

    // ---- archive
    let archive_n = sim.posts_before(t0);
    let started = Instant::now();
    sim.gen(0, archive_n)?;
    let gen_secs = started.elapsed().as_secs_f64();
    let (category_dir, tag_dir) = read_layout(sim.config.as_deref().unwrap_or(&content.join("_config.yml")))?;
    let mut ids = Ids::default();
    let posts_dir = content.join("_posts");
    let mut known = list_posts(&posts_dir)?;
    let mut pending: Vec<Post> = Vec::new();
    for path in &known {
        let post = read_post(path, &mut ids)?;
        if post.date > START_EPOCH + t0 {
            pending.push(post);
        }
    }
    let mut warned = false;
    let archive_build = sim.build(t0, &mut warned)?;
    let mut feeds = Feeds {
        out: output.clone(),
        category_dir,
        tag_dir,
        list: Vec::new(),
        by_key: HashMap::new(),
        parsed: 0,
        parsed_bytes: 0,
    };
    feeds.scan(0, &mut ids)?;
    eprintln!(
        "coverage: archive of {archive_n} posts generated in {gen_secs:.1} s, built in {archive_build:.2} s; \
         {batches} batches of {} min follow",
        opts.batch_minutes
    );

    // ---- the stream
    let mut csv = String::from("batch,sim_minutes,posts_added,posts_entered,build_seconds,feeds_parsed\n");
    let mut build_secs = Vec::new();
    let mut added = 0u64;
    for b in 1..=batches {
        let (t_prev, t) = (t0 + (b as i64 - 1) * batch_secs, t0 + b as i64 * batch_secs);
        let (lo, hi) = (sim.posts_before(t_prev), sim.posts_before(t));
        if hi > lo {
            sim.gen(lo, hi - lo)?;
        }
        added += hi - lo;
        let now_listed = list_posts(&posts_dir)?;
        for path in now_listed.difference(&known) {
            pending.push(read_post(path, &mut ids)?);
        }
        known = now_listed;

        let secs = sim.build(t, &mut warned)?;
        build_secs.push(secs);

        let (entered, still): (Vec<Post>, Vec<Post>) = pending.into_iter().partition(|p| p.date <= START_EPOCH + t);
        pending = still;
        for post in &entered {
            for (kind, key) in &post.feeds {
                let i = feeds.get(*kind, key);
                feeds.list[i].members.push((post.id, b));
            }
        }
        let parsed_before = feeds.parsed;
        feeds.scan(b, &mut ids)?;
        let _ = writeln!(
            csv,
            "{b},{},{},{},{secs:.3},{}",
            (t - t0) / 60,
            hi - lo,
            entered.len(),
            feeds.parsed - parsed_before
        );
        if b % 12 == 0 || b == batches {
            eprintln!(
                "coverage: {:>5.1} h simulated, build median {:.3} s, {:.0} s elapsed",
                (t - t0) as f64 / 3600.0,
                median(&build_secs),
                wall.elapsed().as_secs_f64()
            );
        }
    }
    fs::write(dir.join("batches.csv"), csv)?;

    // ---- readers
    let unknown = ids.unknown;
    let end = batches as i64 * batch_secs;
    let max_period = *opts.periods.iter().max().unwrap_or(&60) as i64 * 60;
    let warmup = opts.warmup as i64 * 60;
    let measured = |entered: u32| {
        let at = entered as i64 * batch_secs;
        at > warmup && at <= end - max_period
    };
    ensure!(
        end - max_period > warmup,
        "--hours leaves no measured period after the warm-up and the longest poll period"
    );
    // shares[kind][period] = one share per (feed, reader)
    let mut shares: HashMap<(Kind, usize), Vec<f64>> = HashMap::new();
    let mut measured_posts: HashMap<Kind, (usize, usize)> = HashMap::new();
    let mut never_written = 0usize;
    for feed in &feeds.list {
        let mut targets: Vec<u32> = feed.members.iter().filter(|m| measured(m.1)).map(|m| m.0).collect();
        targets.sort_unstable();
        targets.dedup();
        let Some(appeared) = feed.appeared else {
            never_written += usize::from(!feed.members.is_empty());
            continue;
        };
        if targets.is_empty() {
            continue;
        }
        let e = measured_posts.entry(feed.kind).or_default();
        e.0 += 1;
        e.1 += targets.len();
        let key_hash = xxhash_rust::xxh3::xxh3_64(format!("{}/{}", feed.kind.name(), feed.key).as_bytes());
        for (pi, &minutes) in opts.periods.iter().enumerate() {
            let period = minutes as i64 * 60;
            for r in 0..opts.readers {
                let phase = (splitmix64(opts.seed ^ splitmix64(key_hash ^ splitmix64(minutes << 32 | r)))
                    % period as u64) as i64;
                // Versions this reader saw: the latest at or before each poll.
                let mut seen_versions = Vec::new();
                let first = appeared as i64 * batch_secs;
                let mut tau = phase + ((first - phase).max(0) + period - 1) / period * period;
                while tau <= end {
                    let batch = (tau / batch_secs) as u32;
                    let v = feed.versions.partition_point(|(vb, _)| *vb <= batch);
                    if v > 0 && seen_versions.last() != Some(&(v - 1)) {
                        seen_versions.push(v - 1);
                    }
                    tau += period;
                }
                let seen: HashSet<u32> = seen_versions
                    .iter()
                    .flat_map(|&v| feed.versions[v].1.iter().copied())
                    .collect();
                let got = targets.iter().filter(|id| seen.contains(id)).count();
                shares
                    .entry((feed.kind, pi))
                    .or_default()
                    .push(got as f64 / targets.len() as f64);
            }
        }
    }

    // ---- report
    let mut md = String::new();
    let posts_total = added as f64;
    let _ = writeln!(
        md,
        "Coverage, config `{}`: {} h simulated in {} batches of {} min after a {archive_n}-post archive; \
         {} sources, {} posts/day ({added} posts added, {:.0} a batch); {} readers per feed and poll period; \
         measured: posts entering a feed from minute {} to minute {}.\n",
        sim.config
            .as_ref()
            .map_or("defaults".to_string(), |c| c.display().to_string()),
        opts.hours,
        batches,
        opts.batch_minutes,
        opts.sources,
        opts.rate,
        posts_total / batches as f64,
        opts.readers,
        opts.warmup,
        (end - max_period) / 60,
    );
    let mut header = String::from("| kind | feeds | measured feeds | posts measured |");
    let mut rule = String::from("|---|---:|---:|---:|");
    for p in &opts.periods {
        let _ = write!(header, " {p}-min poller: min · median · all seen |");
        rule.push_str("---|");
    }
    header.push_str(" largest feed (bytes) |");
    rule.push_str("---:|");
    let _ = writeln!(md, "{header}\n{rule}");
    for kind in KINDS {
        let (nf, np) = measured_posts.get(&kind).copied().unwrap_or_default();
        let written = feeds
            .list
            .iter()
            .filter(|f| f.kind == kind && f.stamp.is_some())
            .count();
        let _ = write!(md, "| {} | {written} | {nf} | {np} |", kind.name());
        for pi in 0..opts.periods.len() {
            let v = shares.get(&(kind, pi)).cloned().unwrap_or_default();
            if v.is_empty() {
                md.push_str(" – |");
                continue;
            }
            let min = v.iter().copied().fold(f64::INFINITY, f64::min);
            let all = v.iter().filter(|&&s| s >= 1.0).count() as f64 / v.len() as f64;
            let _ = write!(md, " {} · {} · {} |", pct(min), pct(median(&v)), pct(all));
        }
        let largest = feeds.list.iter().filter(|f| f.kind == kind).max_by_key(|f| f.max_bytes);
        match largest {
            Some(f) if f.kind == Kind::Site => {
                let _ = writeln!(md, " {} |", f.max_bytes);
            }
            Some(f) => {
                let _ = writeln!(md, " {} (`{}`) |", f.max_bytes, f.key);
            }
            None => md.push_str(" – |\n"),
        }
    }
    let max_build = build_secs.iter().copied().fold(0.0, f64::max);
    const MIB2: u64 = 2 * 1024 * 1024;
    let over = feeds.list.iter().filter(|f| f.max_bytes > MIB2).count();
    let _ = writeln!(
        md,
        "\nfeedgen rebuild per batch: median {:.3} s, max {:.3} s ({} builds; archive build {:.2} s). \
         Feeds over 2 MiB at any point: {over}. Feed files parsed: {} ({:.0} MB). Whole run: {:.0} s.",
        median(&build_secs),
        max_build,
        build_secs.len(),
        archive_build,
        feeds.parsed,
        feeds.parsed_bytes as f64 / 1e6,
        wall.elapsed().as_secs_f64()
    );
    if unknown > 0 || never_written > 0 {
        let _ = writeln!(
            md,
            "\n**Warning**: {unknown} item ids in feeds match no post file; {never_written} feeds with posts were never written \
             (the benchmark's idea of feed folders differs from feedgen's)."
        );
    }
    print!("{md}");
    let report = dir.join(format!("coverage-{label}.md"));
    fs::write(&report, &md)?;
    eprintln!("coverage: report saved as {}", report.display());
    Ok(())
}

fn main() -> ExitCode {
    match run(Opts::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("coverage: {e:#}");
            ExitCode::FAILURE
        }
    }
}
