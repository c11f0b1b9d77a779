//! Harness for the bad-input and safety tests: runs the real `feedgen`
//! binary on trees built in temp dirs, and reads what it wrote back with a
//! strict XML parser (xmllint) and a feed parser (feed-rs).

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs;
use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[path = "../common/summary.rs"]
mod summary;

/// "Now" for every run: posts are dated well before it.
pub const NOW: &str = "2030-01-01T00:00:00+08:00";

/// Longest any single run may take before the test fails (debug build).
pub const RUN_TIMEOUT: Duration = Duration::from_secs(120);

/// What one run of feedgen printed and returned.
#[derive(Debug, Clone)]
pub struct Run {
    /// `None` when the process was killed by a signal.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Run {
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
    pub fn summary(&self) -> &str {
        self.stderr
            .lines()
            .rev()
            .find(|l| l.starts_with("feedgen: ") && l.contains("posts read"))
            .unwrap_or_else(|| panic!("no summary line in stderr:\n{}", self.stderr))
    }

    /// A number from `--summary json` on stdout.
    pub fn json(&self, field: &str) -> u64 {
        summary::field(&self.stdout, field)
    }
}

/// The `feedgen` binary with `--now`, run in `dir` (so paths in diagnostics
/// read `content/_posts/…`, as a user running it there sees them).
pub fn command(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_feedgen"));
    cmd.current_dir(dir)
        .args(args)
        .args(["--now", NOW])
        .env_remove("SOURCE_DATE_EPOCH")
        .env("NO_COLOR", "1");
    cmd
}

/// `feedgen --content content --output out <extra>` in `dir`, with a timeout.
pub fn build(dir: &Path, extra: &[&str]) -> Run {
    build_into(dir, "out", extra)
}

/// `feedgen --content content --output <out> <extra>` in `dir`.
pub fn build_into(dir: &Path, out: &str, extra: &[&str]) -> Run {
    let mut args = vec!["--content", "content", "--output", out, "--summary", "json"];
    args.extend_from_slice(extra);
    run(command(dir, &args))
}

/// Run `cmd` to the end (failing the test after [`RUN_TIMEOUT`]).
pub fn run(mut cmd: Command) -> Run {
    let started = Instant::now();
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start feedgen");
    finish(child, started, RUN_TIMEOUT)
}

/// Wait for `child` (started with piped output) and collect what it printed.
pub fn finish(mut child: Child, started: Instant, timeout: Duration) -> Run {
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
        if started.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            panic!("feedgen did not finish within {timeout:?}");
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

/// A minimal site configuration; `extra` is appended verbatim.
pub fn site_config(content: &Path, extra: &str) {
    put(
        content,
        "_config.yml",
        format!("title: Safety\nurl: https://safe.example.com\ntimezone: Asia/Shanghai\nlang: en\n{extra}"),
    );
}

/// Copy a folder tree (files and folders only).
pub fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("create copy");
    for entry in fs::read_dir(from).expect("read fixture").flatten() {
        let target = to.join(entry.file_name());
        let kind = entry.file_type().expect("file type");
        if kind.is_dir() {
            copy_tree(&entry.path(), &target);
        } else if kind.is_file() {
            fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

/// Every file under `dir` (not following symlinks) with its bytes, by
/// `/`-separated relative path.
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
                let rel = rel_of(dir, &path);
                let bytes = if kind.is_file() {
                    fs::read(&path).unwrap_or_default()
                } else {
                    b"<symlink>".to_vec()
                };
                out.insert(rel, bytes);
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

/// The feed files (`*.xml`) under `dir`.
pub fn feeds(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    tree(dir).into_iter().filter(|(rel, _)| rel.ends_with(".xml")).collect()
}

/// `tree` without the bookkeeping files whose bytes legitimately differ
/// between equivalent runs (the rebuild index records mtimes).
pub fn published_tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    tree(dir)
        .into_iter()
        .filter(|(rel, _)| rel != ".feedgen-index" && rel != ".feedgen.lock")
        .collect()
}

/// Check `bytes` with `xmllint --noout` (strict XML 1.0 well-formedness).
/// Fails the test, never skips it, when xmllint is missing.
pub fn xmllint(bytes: &[u8]) -> Result<(), String> {
    let mut child = Command::new("xmllint")
        .args(["--noout", "--nonet", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("xmllint is needed for the XML checks and could not be run ({e}); install libxml2-utils")
        });
    let mut stdin = child.stdin.take().expect("xmllint stdin");
    let input = bytes.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().expect("xmllint output");
    writer.join().expect("xmllint writer");
    if out.status.success() && out.stderr.is_empty() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// Check many files under `dir` (plain ASCII names only: xmllint reads a
/// file argument as a URI) with one `xmllint --noout` run.
pub fn xmllint_files(dir: &Path, rels: &[&String]) -> Result<(), String> {
    assert!(
        rels.iter()
            .all(|r| r.bytes().all(|b| b.is_ascii_alphanumeric() || b"/._-".contains(&b))),
        "xmllint_files takes plain names only"
    );
    if rels.is_empty() {
        return Ok(());
    }
    let out = Command::new("xmllint")
        .current_dir(dir)
        .args(["--noout", "--nonet"])
        .args(rels.iter().map(|r| r.as_str()))
        .output()
        .unwrap_or_else(|e| {
            panic!("xmllint is needed for the XML checks and could not be run ({e}); install libxml2-utils")
        });
    if out.status.success() && out.stderr.is_empty() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// Every `*.xml` under `out` is well-formed XML (xmllint) and a feed that
/// feed-rs reads. Panics naming the first bad file.
pub fn assert_feeds_parse(out: &Path) {
    let all = feeds(out);
    assert!(!all.is_empty(), "no feeds under {}", out.display());
    for (rel, bytes) in &all {
        if let Err(e) = xmllint(bytes) {
            panic!("{rel} is not well-formed XML:\n{e}");
        }
        if let Err(e) = feed_rs::parser::parse(&bytes[..]) {
            panic!("{rel} is not a feed feed-rs can read: {e}");
        }
    }
}

/// Everything under `root` (a test's temp dir) is inside `content` or
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
    if let Ok(manifest) = fs::read_to_string(out.join(".feedgen-manifest")) {
        for line in manifest.lines() {
            assert!(
                Path::new(line).components().all(|c| matches!(c, Component::Normal(_))),
                "manifest entry {line:?} is not a plain relative path"
            );
            assert!(out.join(line).is_file(), "manifest lists {line}, which is not on disk");
        }
    }
}

/// One entry of a feed, as feed-rs reads it.
#[derive(Debug, Clone)]
pub struct Item {
    pub title: String,
    /// The post's page (`rel="alternate"` in Atom, `<link>` in RSS).
    pub link: String,
    /// RFC 3339 in UTC, as feed-rs gives it.
    pub published: String,
    pub content: String,
    /// `rel="via"` (Atom) links: the source link.
    pub via: Vec<String>,
    pub categories: Vec<String>,
}

/// The entries of one feed file.
pub fn items(path: &Path) -> Vec<Item> {
    let bytes = fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let feed = feed_rs::parser::parse(&bytes[..]).unwrap_or_else(|e| panic!("feed-rs: {}: {e}", path.display()));
    feed.entries
        .into_iter()
        .map(|e| Item {
            title: e.title.map(|t| t.content).unwrap_or_default(),
            link: e
                .links
                .iter()
                .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
                .map(|l| l.href.clone())
                .unwrap_or_default(),
            published: e.published.map(|d| d.to_rfc3339()).unwrap_or_default(),
            content: e.content.and_then(|c| c.body).unwrap_or_default(),
            via: e
                .links
                .iter()
                .filter(|l| l.rel.as_deref() == Some("via"))
                .map(|l| l.href.clone())
                .collect(),
            categories: e.categories.into_iter().map(|c| c.term).collect(),
        })
        .collect()
}

/// A temp dir holding `content/` and (after a build) `out/`.
pub struct Site {
    pub tmp: tempfile::TempDir,
}

impl Site {
    pub fn new() -> Site {
        let tmp = tempfile::tempdir().expect("temp dir");
        fs::create_dir_all(tmp.path().join("content/_posts")).expect("content folder");
        Site { tmp }
    }

    pub fn root(&self) -> &Path {
        self.tmp.path()
    }

    pub fn content(&self) -> PathBuf {
        self.root().join("content")
    }

    pub fn out(&self) -> PathBuf {
        self.root().join("out")
    }

    /// Write a post (or any file) under `content/`.
    pub fn put(&self, rel: &str, bytes: impl AsRef<[u8]>) {
        put(&self.content(), rel, bytes);
    }

    pub fn build(&self, extra: &[&str]) -> Run {
        build(self.root(), extra)
    }
}

impl Default for Site {
    fn default() -> Self {
        Site::new()
    }
}
