//! Harness for the feed integration tests: fixture folders copied into temp
//! dirs, the real `feedgen` binary, whole output trees as bytes, and the
//! outside readers (xmllint, feed-rs, the rss and atom_syndication crates,
//! Python's feedparser) that every written feed must satisfy.

use std::collections::BTreeMap;
use std::fs;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

pub mod summary;

/// "Now" for every run, so no result depends on the clock.
pub const NOW: &str = "2030-01-01T00:00:00+08:00";
/// The same instant as epoch seconds, for `SOURCE_DATE_EPOCH`.
pub const NOW_EPOCH: &str = "1893427200";

/// The `tests/fixtures/core` folder.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/core")
}

/// A fixture site copied to `<tmp>/content`; outputs go next to it.
pub struct Site {
    pub tmp: TempDir,
    pub content: PathBuf,
}

impl Site {
    /// Copy `tests/fixtures/core/<name>` into a fresh temp dir.
    pub fn fixture(name: &str) -> Site {
        Site::copy_of(&fixtures().join(name))
    }

    /// Copy any folder (e.g. the bundled sample) into a fresh temp dir.
    pub fn copy_of(source: &Path) -> Site {
        let tmp = tempfile::tempdir().expect("create temp dir");
        let content = tmp.path().join("content");
        copy_dir(source, &content);
        Site { tmp, content }
    }

    /// A path inside the temp dir (an output folder, usually).
    pub fn path(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    /// `feedgen --content <content> --output <tmp>/<out> --now NOW <extra>`.
    pub fn build(&self, out: &str, extra: &[&str]) -> Run {
        let mut cmd = feedgen();
        cmd.arg("--content")
            .arg(&self.content)
            .arg("--output")
            .arg(self.path(out))
            .args(["--now", NOW])
            .args(extra);
        Run::of(&mut cmd)
    }

    /// Rewrite a post of the copied fixture, replacing `from` with `to`.
    pub fn edit(&self, rel: &str, from: &str, to: &str) {
        let path = self.content.join(rel);
        let text = fs::read_to_string(&path).expect("read post");
        assert!(text.contains(from), "{rel} does not contain {from:?}");
        fs::write(&path, text.replace(from, to)).expect("write post");
    }
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("create dir");
    for entry in fs::read_dir(from).expect("read fixture dir") {
        let entry = entry.expect("fixture entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).expect("copy fixture file");
        }
    }
}

/// The binary under test, with no inherited `SOURCE_DATE_EPOCH`.
pub fn feedgen() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_feedgen"));
    cmd.env_remove("SOURCE_DATE_EPOCH");
    cmd
}

/// What one run of the binary gave.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn of(cmd: &mut Command) -> Run {
        let out = cmd.output().expect("run feedgen");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Panics with the run's output unless it exited with `code`.
    pub fn expect_code(self, code: i32) -> Run {
        assert_eq!(
            self.code, code,
            "exit status\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// A number from the `--summary json` line on stdout.
    pub fn summary(&self, field: &str) -> u64 {
        summary::field(&self.stdout, field)
    }
}

/// Every file under `dir` (relative path → bytes), except the lock file,
/// which only serialises runs.
pub fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    files(dir)
        .into_iter()
        .filter(|rel| rel != ".feedgen.lock")
        .map(|rel| {
            let bytes = fs::read(dir.join(&rel)).expect("read output file");
            (rel, bytes)
        })
        .collect()
}

/// Relative paths of every file under `dir`, `/`-separated, sorted.
pub fn files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).expect("read output dir") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(dir).expect("inside").to_str().expect("UTF-8 path");
                out.push(rel.replace(std::path::MAIN_SEPARATOR, "/"));
            }
        }
    }
    out.sort();
    out
}

/// The `.xml` feeds under `dir`, relative, sorted.
pub fn feed_files(dir: &Path) -> Vec<String> {
    files(dir).into_iter().filter(|f| f.ends_with(".xml")).collect()
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

/// Strict XML 1.0 well-formedness of every file, by libxml2. A missing
/// xmllint is a failure, never a skip.
pub fn xmllint(paths: &[PathBuf]) {
    let out = Command::new("xmllint")
        .arg("--noout")
        .args(paths)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run xmllint ({e}); install it: apt-get install libxml2-utils (.ci/run does this)")
        });
    assert!(
        out.status.success(),
        "xmllint rejects feeds:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// What Python's feedparser made of one file.
#[derive(Debug)]
pub struct Parsed {
    pub path: String,
    /// `rss20` or `atom10`.
    pub version: String,
    pub bozo: String,
    pub links: Vec<String>,
}

const FEEDPARSER: &str = r#"
import sys, feedparser
for path in sys.argv[1:]:
    d = feedparser.parse(path)
    bozo = repr(d.get("bozo_exception")) if d.bozo else ""
    links = " ".join(e.get("link", "-") for e in d.entries)
    print("\t".join([path, d.version, bozo.replace("\t", " ").replace("\n", " "), links]))
"#;

/// Read every file with Python's feedparser. Missing python3 or feedparser
/// is a failure, never a skip.
pub fn feedparser(paths: &[PathBuf]) -> Vec<Parsed> {
    let probe = Command::new("python3")
        .args(["-c", "import feedparser"])
        .output()
        .unwrap_or_else(|e| panic!("cannot run python3 ({e}); install Python 3 and then: pip install feedparser"));
    assert!(
        probe.status.success(),
        "Python's feedparser is not importable; install it: pip install feedparser (.ci/run does this)\n{}",
        String::from_utf8_lossy(&probe.stderr)
    );
    let out = Command::new("python3")
        .args(["-c", FEEDPARSER])
        .args(paths)
        .output()
        .expect("run python3");
    assert!(
        out.status.success(),
        "feedparser script failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("UTF-8 from python")
        .lines()
        .map(|line| {
            let mut cols = line.split('\t');
            let mut next = || cols.next().unwrap_or_default().to_string();
            Parsed {
                path: next(),
                version: next(),
                bozo: next(),
                links: next().split_whitespace().map(str::to_string).collect(),
            }
        })
        .collect()
}
