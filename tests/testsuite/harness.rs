//! The one harness of the integration tests: sites built in temp dirs, the
//! real `feedgen` binary run on them, output trees read back as bytes, and
//! the Rust readers every written feed must satisfy (a strict XML 1.0
//! parser, feed-rs, the rss and atom_syndication crates). Nothing here
//! needs more than the Rust toolchain; checks with other languages' parsers
//! live in `conformance/`.

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufReader, Read};
use std::path::{Component, Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde::Deserialize;

/// "Now" for every run, so no result depends on the clock.
pub const NOW: &str = "2030-01-01T00:00:00+08:00";
/// The same instant as epoch seconds, for `SOURCE_DATE_EPOCH`.
pub const NOW_EPOCH: &str = "1893427200";

/// A hang guard, not a speed claim: a run still going after this long
/// (debug build, shared 2-core machine) is killed and fails its test.
pub const HANG_GUARD: Duration = Duration::from_secs(180);

/// The crate's root folder.
pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The `tests/fixtures/core` folder.
pub fn core_fixtures() -> PathBuf {
    repo().join("tests/fixtures/core")
}

// ---- Sites ----

/// A folder holding `content/` and the output folders of its builds
/// (`out/` unless a test names another). Runs happen inside it, so paths in
/// diagnostics read `content/_posts/…`, as a user running there sees them.
pub struct Site {
    root: PathBuf,
    /// Removes the folder when the site is dropped (absent for a site that
    /// lives as long as the test binary).
    _tmp: Option<tempfile::TempDir>,
}

impl Site {
    /// An empty site: `content/_posts/` in a fresh temp dir.
    pub fn new() -> Site {
        let tmp = tempfile::tempdir().expect("create temp dir");
        let site = Site {
            root: tmp.path().to_path_buf(),
            _tmp: Some(tmp),
        };
        fs::create_dir_all(site.content().join("_posts")).expect("content folder");
        site
    }

    /// An empty site in `dir`, which is emptied first and kept afterwards:
    /// for a fixture built once and shared by every test of the binary.
    pub fn kept_at(dir: &Path) -> Site {
        if dir.exists() {
            fs::remove_dir_all(dir).unwrap_or_else(|e| panic!("clear {}: {e}", dir.display()));
        }
        fs::create_dir_all(dir.join("content/_posts")).expect("content folder");
        Site {
            root: dir.to_path_buf(),
            _tmp: None,
        }
    }

    /// `tests/fixtures/core/<name>` copied into a fresh temp dir.
    pub fn fixture(name: &str) -> Site {
        Site::copy_of(&core_fixtures().join(name))
    }

    /// Any folder (e.g. the bundled sample) copied into a fresh temp dir.
    pub fn copy_of(source: &Path) -> Site {
        let site = Site::new();
        copy_tree(source, &site.content());
        site
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn content(&self) -> PathBuf {
        self.root.join("content")
    }

    /// The default output folder.
    pub fn out(&self) -> PathBuf {
        self.root.join("out")
    }

    /// The default state folder of its builds: `content/.feedgen/`.
    pub fn state(&self) -> PathBuf {
        self.content().join(".feedgen")
    }

    /// A path inside the site's folder (another output folder, usually).
    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// Write a post (or any file) under `content/`.
    pub fn put(&self, rel: &str, bytes: impl AsRef<[u8]>) {
        put(&self.content(), rel, bytes);
    }

    /// The site configuration `content/_config.yml`: a minimal site, with
    /// `extra` appended verbatim.
    pub fn config(&self, extra: &str) {
        self.put(
            "_config.yml",
            format!("title: Safety\nurl: https://safe.example.com\ntimezone: Asia/Shanghai\nlang: en\n{extra}"),
        );
    }

    /// Rewrite a file under `content/`, replacing `from` with `to`.
    pub fn edit(&self, rel: &str, from: &str, to: &str) {
        let path = self.content().join(rel);
        let text = fs::read_to_string(&path).expect("read post");
        assert!(text.contains(from), "{rel} does not contain {from:?}");
        fs::write(&path, text.replace(from, to)).expect("write post");
    }

    /// `feedgen <args> --now NOW`, run in the site's folder.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = feedgen();
        cmd.current_dir(&self.root).args(args).args(["--now", NOW]);
        cmd
    }

    /// `feedgen --content content --output out --summary json <extra>`.
    pub fn build(&self, extra: &[&str]) -> Run {
        self.build_into("out", extra)
    }

    /// `feedgen --content content --output <out> --summary json <extra>`.
    pub fn build_into(&self, out: &str, extra: &[&str]) -> Run {
        let mut args = vec!["--content", "content", "--output", out, "--summary", "json"];
        args.extend_from_slice(extra);
        run(&mut self.command(&args))
    }
}

/// The binary under test, with no inherited `SOURCE_DATE_EPOCH` and no
/// `--now`: tests that set "now" another way start here.
pub fn feedgen() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_feedgen"));
    cmd.env_remove("SOURCE_DATE_EPOCH").env("NO_COLOR", "1");
    cmd
}

/// Write `bytes` to `dir/rel`, creating folders.
pub fn put(dir: &Path, rel: &str, bytes: impl AsRef<[u8]>) {
    assert!(
        Path::new(rel).components().all(|c| matches!(c, Component::Normal(_))),
        "test bug: {rel:?} is not a plain relative path"
    );
    let path = dir.join(rel);
    fs::create_dir_all(path.parent().expect("parent")).expect("create folders");
    fs::write(&path, bytes).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

/// Copy a folder tree (files and folders only).
pub fn copy_tree(from: &Path, to: &Path) {
    copy_tree_with(from, to, false);
}

/// [`copy_tree`], each file and folder given its source's modification
/// time, as `tar -x` (and so `actions/cache`) and `cp -p` restore them.
pub fn copy_tree_keeping_times(from: &Path, to: &Path) {
    copy_tree_with(from, to, true);
}

fn copy_tree_with(from: &Path, to: &Path, times: bool) {
    fs::create_dir_all(to).expect("create copy");
    for entry in fs::read_dir(from).expect("read fixture").flatten() {
        let target = to.join(entry.file_name());
        let kind = entry.file_type().expect("file type");
        if kind.is_dir() {
            copy_tree_with(&entry.path(), &target, times);
        } else if kind.is_file() {
            fs::copy(entry.path(), &target).expect("copy file");
            if times {
                set_mtime_like(&entry.path(), &target);
            }
        }
    }
    if times {
        set_mtime_like(from, to);
    }
}

/// Give `to` the modification time of `from`.
fn set_mtime_like(from: &Path, to: &Path) {
    let mtime = fs::metadata(from).and_then(|m| m.modified()).expect("mtime");
    let file = fs::File::open(to).expect("open copy");
    file.set_times(fs::FileTimes::new().set_modified(mtime))
        .expect("set mtime");
}

// ---- Runs ----

/// What one run of feedgen printed and returned.
#[derive(Debug, Clone)]
pub struct Run {
    /// `None` when the process was killed by a signal.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

/// Run `cmd` to the end, failing the test if it hangs past [`HANG_GUARD`].
pub fn run(cmd: &mut Command) -> Run {
    let started = Instant::now();
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start feedgen");
    finish(child, started)
}

/// Wait for `child` (started with piped output) and collect what it printed.
pub fn finish(mut child: Child, started: Instant) -> Run {
    let mut stdout = child.stdout.take().expect("piped stdout");
    let mut stderr = child.stderr.take().expect("piped stderr");
    let out = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = stdout.read_to_end(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = stderr.read_to_end(&mut s);
        s
    });
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for feedgen") {
            break status;
        }
        if started.elapsed() > HANG_GUARD {
            let _ = child.kill();
            let _ = child.wait();
            panic!("feedgen hangs: still running after {HANG_GUARD:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Run {
        code: status.code(),
        stdout: String::from_utf8_lossy(&out.join().expect("stdout reader")).into_owned(),
        stderr: String::from_utf8_lossy(&err.join().expect("stderr reader")).into_owned(),
        elapsed: started.elapsed(),
    }
}

/// The counts of `--summary json`, every key required.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
pub struct Summary {
    pub read: u64,
    pub published: u64,
    pub recovered: u64,
    pub rejected: u64,
    pub not_published: u64,
    pub written: u64,
    pub unchanged: u64,
    pub removed: u64,
    pub stale: u64,
    pub seconds: f64,
}

impl Run {
    /// Panics with the run's output unless it exited with `code`.
    #[track_caller]
    pub fn expect_code(self, code: i32) -> Run {
        assert_eq!(
            self.code,
            Some(code),
            "exit status\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout,
            self.stderr
        );
        self
    }

    /// The `--summary json` line on stdout, read with serde_json.
    #[track_caller]
    pub fn json(&self) -> Summary {
        let line = self
            .stdout
            .lines()
            .rev()
            .find(|l| l.starts_with('{'))
            .unwrap_or_else(|| panic!("no --summary json line on stdout: {:?}", self.stdout));
        serde_json::from_str(line).unwrap_or_else(|e| panic!("--summary json line {line:?}: {e}"))
    }

    /// The diagnostic lines (`path:line: severity: message`), in printed order.
    pub fn diagnostics(&self) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|l| [": note: ", ": warning: ", ": error: "].iter().any(|s| l.contains(s)))
            .filter(|l| !l.starts_with("feedgen:"))
            .collect()
    }

    /// Whether exactly `line` was printed on stderr.
    pub fn printed(&self, line: &str) -> bool {
        self.stderr.lines().any(|l| l == line)
    }

    /// Diagnostic lines that mention `path`.
    pub fn about(&self, path: &str) -> Vec<&str> {
        self.diagnostics()
            .into_iter()
            .filter(|l| l.starts_with(&format!("{path}:")))
            .collect()
    }

    /// The closing summary line on stderr.
    pub fn summary_line(&self) -> &str {
        self.stderr
            .lines()
            .rev()
            .find(|l| l.starts_with("feedgen: ") && l.contains("posts read"))
            .unwrap_or_else(|| panic!("no summary line in stderr:\n{}", self.stderr))
    }
}

// ---- Output trees ----

/// Every file under `dir`, not following symlinks (a symlink's bytes read
/// `<symlink>`), by `/`-separated relative path.
pub fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = fs::read_dir(&d) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            let kind = entry.file_type().expect("file type");
            if kind.is_dir() {
                stack.push(path);
            } else {
                let bytes = if kind.is_file() {
                    fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
                } else {
                    b"<symlink>".to_vec()
                };
                out.insert(rel_of(dir, &path), bytes);
            }
        }
    }
    out
}

fn rel_of(dir: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(dir).expect("inside");
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// Everything in an output folder (feedgen keeps its state elsewhere).
pub fn output_tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    tree(dir)
}

/// [`output_tree`]: the published files.
pub fn published_tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    output_tree(dir)
}

/// Append `extra` lines to the manifest at `path` and seal it again, as
/// an attacker who knows the format would (a merely damaged manifest
/// fails its seal and is not read at all).
pub fn tamper_manifest(path: &Path, extra: &str) {
    let text = fs::read_to_string(path).expect("manifest");
    let mut body: String = text
        .lines()
        .filter(|l| !l.starts_with("# feedgen xxh3 "))
        .map(|l| format!("{l}\n"))
        .collect();
    body.push_str(extra);
    let sum = xxhash_rust::xxh3::xxh3_64(body.as_bytes());
    fs::write(path, format!("{body}# feedgen xxh3 {sum:016x}\n")).expect("tamper");
}

/// The files the manifest in `state` lists, without its header line.
pub fn manifest(state: &Path) -> Vec<String> {
    let text = fs::read_to_string(state.join("manifest")).expect("manifest");
    let mut lines = text.lines();
    assert!(
        lines.next().is_some_and(|h| h.starts_with("# feedgen manifest of /")),
        "manifest header"
    );
    lines
        .filter(|l| !l.starts_with("# feedgen xxh3 "))
        .map(str::to_string)
        .collect()
}

/// The feed files (`*.xml`) under `dir` with their bytes.
/// Whether a file in the output folder is one feedgen publishes: a feed
/// or a discovery file (never its state).
pub fn is_published_file(rel: &str) -> bool {
    rel.ends_with(".xml")
        || rel.ends_with("/feed.json")
        || ["feeds.json", "feeds.opml", "index.html", "feed.json"].contains(&rel)
}

pub fn feeds(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    tree(dir).into_iter().filter(|(rel, _)| rel.ends_with(".xml")).collect()
}

/// The relative paths of the feed files under `dir`, sorted.
pub fn feed_files(dir: &Path) -> Vec<String> {
    feeds(dir).into_keys().collect()
}

/// Everything under `root` (a test's site folder) is inside `content` or
/// `out`; nothing under `out` is a symlink, every path under it is plain
/// (no `.`/`..` parts) and every name fits a file system (≤ 255 bytes).
pub fn assert_inside(root: &Path, out: &Path) {
    for rel in tree(root).keys() {
        assert!(
            rel.starts_with("content/") || rel.starts_with("out/"),
            "feedgen wrote {rel}, outside its output folder"
        );
    }
    let canonical_out = out.canonicalize().expect("output folder");
    let mut stack = vec![out.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).expect("read output").flatten() {
            let path = entry.path();
            let kind = entry.file_type().expect("file type");
            assert!(!kind.is_symlink(), "{} is a symlink", path.display());
            let name = entry.file_name();
            assert!(name.len() <= 255, "name of {} bytes", name.len());
            assert!(
                path.components()
                    .all(|c| !matches!(c, Component::ParentDir | Component::CurDir)),
                "{}",
                path.display()
            );
            assert!(
                path.canonicalize().expect("canonical").starts_with(&canonical_out),
                "{} is outside {}",
                path.display(),
                out.display()
            );
            if kind.is_dir() {
                stack.push(path);
            }
        }
    }
    let head = format!("# feedgen manifest of {}", canonical_out.display());
    let manifest = fs::read_to_string(root.join("content/.feedgen/manifest")).unwrap_or_default();
    if manifest.lines().next() == Some(head.as_str()) {
        for line in manifest.lines().skip(1).filter(|l| !l.starts_with("# feedgen xxh3 ")) {
            assert!(
                Path::new(line).components().all(|c| matches!(c, Component::Normal(_))),
                "manifest entry {line:?} is not a plain relative path"
            );
            assert!(out.join(line).is_file(), "manifest lists {line}, which is not on disk");
        }
    }
}

// ---- Readers ----

/// Strict XML 1.0 well-formedness, as xmllint checks it: UTF-8, one root,
/// matched tags, declared entities and namespace prefixes only, and no
/// character XML 1.0 forbids (C0 controls, U+FFFE, U+FFFF), literal or as
/// a character reference. roxmltree also refuses a DTD, which no feed has.
pub fn well_formed(bytes: &[u8]) -> Result<(), String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8: {e}"))?;
    roxmltree::Document::parse(text).map(drop).map_err(|e| e.to_string())
}

/// Every `*.xml` under `out` is well-formed XML and a feed that feed-rs
/// reads. Panics naming the first bad file.
pub fn assert_feeds_parse(out: &Path) {
    let all = feeds(out);
    assert!(!all.is_empty(), "no feeds under {}", out.display());
    for (rel, bytes) in &all {
        if let Err(e) = well_formed(bytes) {
            panic!("{rel} is not well-formed XML: {e}");
        }
        if let Err(e) = feed_rs::parser::parse(&bytes[..]) {
            panic!("{rel} is not a feed feed-rs can read: {e}");
        }
    }
}

pub fn read_rss(path: &Path) -> rss::Channel {
    let file = fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    rss::Channel::read_from(BufReader::new(file)).unwrap_or_else(|e| panic!("rss crate: {}: {e}", path.display()))
}

pub fn read_atom(path: &Path) -> atom_syndication::Feed {
    let file = fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    atom_syndication::Feed::read_from(BufReader::new(file))
        .unwrap_or_else(|e| panic!("atom_syndication: {}: {e}", path.display()))
}

pub fn read_feed_rs(path: &Path) -> feed_rs::model::Feed {
    let bytes = fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    feed_rs::parser::parse(&bytes[..]).unwrap_or_else(|e| panic!("feed-rs: {}: {e}", path.display()))
}

/// One entry of a feed, as feed-rs reads it.
#[derive(Debug, Clone)]
pub struct Item {
    pub title: String,
    /// The post's page (`rel="alternate"` in Atom, `<link>` in RSS).
    pub link: String,
    pub content: String,
    /// `rel="via"` (Atom) links: the source link.
    pub via: Vec<String>,
}

/// The entries of one feed file.
pub fn items(path: &Path) -> Vec<Item> {
    read_feed_rs(path)
        .entries
        .into_iter()
        .map(|e| Item {
            title: e.title.map(|t| t.content).unwrap_or_default(),
            link: e
                .links
                .iter()
                .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
                .map(|l| l.href.clone())
                .unwrap_or_default(),
            content: e.content.and_then(|c| c.body).unwrap_or_default(),
            via: e
                .links
                .iter()
                .filter(|l| l.rel.as_deref() == Some("via"))
                .map(|l| l.href.clone())
                .collect(),
        })
        .collect()
}

/// The titles of a feed's entries, in feed order.
pub fn titles(path: &Path) -> Vec<String> {
    items(path).into_iter().map(|i| i.title).collect()
}

#[cfg(test)]
mod tests {
    use super::well_formed;

    const OK: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss a=\"x &amp; y\"><t>a &lt; b &#x41;</t></rss>";

    #[test]
    fn the_checker_accepts_a_well_formed_document() {
        assert_eq!(well_formed(OK.as_bytes()), Ok(()));
    }

    #[test]
    fn the_checker_rejects_control_characters_in_text_and_attributes() {
        for bad in [
            "<rss><t>bell \u{7} here</t></rss>",
            "<rss><t>start of heading \u{1}</t></rss>",
            "<rss a=\"bell \u{7}\"/>",
            "<rss a=\"\u{1}\"/>",
            "<rss><t>&#x7;</t></rss>",
            "<rss a=\"&#1;\"/>",
            "<rss><t>\u{FFFE}</t></rss>",
            "<rss><t>\u{FFFF}</t></rss>",
            "<rss><t>NUL \u{0}</t></rss>",
        ] {
            assert!(well_formed(bad.as_bytes()).is_err(), "accepted {bad:?}");
        }
    }

    #[test]
    fn the_checker_rejects_undeclared_entities_and_mismatched_tags() {
        for bad in [
            "<rss><t>&nbsp;</t></rss>",
            "<rss a=\"&bogus;\"/>",
            "<rss><t>bare & ampersand</t></rss>",
            "<rss><t>x</u></rss>",
            "<rss><t>x</rss>",
            "<rss/><rss/>",
            "<rss><x:t>undeclared prefix</x:t></rss>",
            "<rss><![CDATA[never closed</rss>",
        ] {
            assert!(well_formed(bad.as_bytes()).is_err(), "accepted {bad:?}");
        }
        assert!(
            well_formed(b"<rss>\xFF</rss>").is_err(),
            "accepted bytes that are not UTF-8"
        );
    }
}
