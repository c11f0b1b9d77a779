//! Change detection from git: in a git work tree, a build whose state was
//! restored into a fresh clone reads only the post files git's index does
//! not vouch for (new, modified, untracked, racily clean); whatever git's
//! index says, the output equals a clean build's byte for byte, and an
//! index that cannot be used costs a full read and a note, never wrong
//! feeds or a failure. Runs the `git` program, configured hermetically.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use serde_json::Value;
use sha1::{Digest, Sha1};

use crate::harness::{copy_tree, feedgen, output_tree, put, run, Run, NOW};

const CONFIG: &str =
    "title: Git\nurl: https://git.example.com\ntimezone: Asia/Shanghai\nlang: en\nfeedgen:\n  archive: [old_post]\n";
/// Post files of [`Sandbox::committed`]: in `_posts/` and `old_post/`.
const POSTS: usize = 14;

fn post(title: &str, day: u32, category: &str) -> String {
    format!(
        "---\ntitle: {title}\ndate: 2024-05-{day:02} 10:00:00 +0800\ncategories: {category}\n---\n\n{title}: text.\n"
    )
}

/// Git and feedgen's own git runs see no system or user configuration
/// and a fixed author.
fn hermetic<'c>(cmd: &'c mut Command, home: &Path) -> &'c mut Command {
    for var in ["GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_CEILING_DIRECTORIES"] {
        cmd.env_remove(var);
    }
    cmd.env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("HOME", home)
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
}

/// A temp folder: the site's work tree at `work/` (the repository's root,
/// the content folder `work/content/` below it), and room for clones.
struct Sandbox {
    tmp: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Sandbox {
        Sandbox {
            tmp: tempfile::tempdir().expect("temp dir"),
        }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.tmp.path().join(rel)
    }

    fn work(&self) -> PathBuf {
        self.path("work")
    }

    fn content(&self) -> PathBuf {
        self.path("work/content")
    }

    /// `git <args>` in `dir`; its stdout.
    #[track_caller]
    fn git(&self, dir: &Path, args: &[&str]) -> String {
        let out = hermetic(Command::new("git").current_dir(dir).args(args), self.tmp.path())
            .output()
            .expect("run git");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "git {args:?} in {}: {err}", dir.display());
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `git <args>` in the work tree.
    #[track_caller]
    fn git_work(&self, args: &[&str]) -> String {
        self.git(&self.work(), args)
    }

    /// Write a file under the content folder.
    fn put(&self, rel: &str, text: &str) {
        put(&self.content(), rel, text);
    }

    /// The posts every test starts from: 12 in `_posts/` (two subfolders)
    /// and 2 archived in `old_post/`, in three categories.
    fn write_posts(&self) {
        put(&self.work(), ".gitignore", "/out/\n");
        self.put("_config.yml", CONFIG);
        for i in 0..12 {
            let folder = if i < 6 { "a" } else { "b" };
            let text = post(&format!("Post {i:02}"), i + 1, ["x", "y", "z"][i as usize % 3]);
            self.put(&format!("_posts/{folder}/2024-05-{:02}-p{i:02}.md", i + 1), &text);
        }
        self.put("old_post/2024-04-01-o1.md", &post("Old 1", 1, "x"));
        self.put("old_post/2024-04-02-o2.md", &post("Old 2", 2, "y"));
    }

    /// A repository at `work/` with the posts committed, built once: the
    /// state a CI job restores.
    fn committed() -> Sandbox {
        let sb = Sandbox::new();
        sb.write_posts();
        sb.git_work(&["init", "-q", "-b", "main"]);
        sb.git_work(&["add", "-A"]);
        sb.git_work(&["commit", "-q", "-m", "posts"]);
        let first = sb.build();
        assert_eq!(opened(&first), POSTS, "a first build reads every post");
        sb
    }

    /// What a CI job starts from: the work tree moved away, a fresh clone
    /// at its place (`options`: e.g. `--depth 1`), the state restored.
    /// Then, after a moment, `git status`, as any git command that
    /// refreshes the index does: in a clone of a few files every entry is
    /// as new as the index, racily clean, and git trusts none of them (a
    /// clone of 100k files has only its last few milliseconds so).
    fn fresh_clone(&self, options: &[&str]) {
        let orig = self.path("orig");
        fs::rename(self.work(), &orig).expect("move the work tree away");
        let url = format!("file://{}", orig.display());
        let mut args = vec!["clone", "-q", "--no-hardlinks"];
        args.extend_from_slice(options);
        args.extend([url.as_str(), "work"]);
        self.git(self.tmp.path(), &args);
        copy_tree(&orig.join("content/.feedgen"), &self.content().join(".feedgen"));
        self.settle();
    }

    /// [`Sandbox::fresh_clone`] of the work tree as it is now (its state
    /// included), its changes committed first.
    fn fresh_clone_again(&self) {
        self.git_work(&["add", "-A"]);
        self.git_work(&["commit", "-q", "-m", "more"]);
        let _ = fs::remove_dir_all(self.path("orig"));
        self.fresh_clone(&[]);
    }

    /// Let the clock move past the last write, then let git refresh its index.
    fn settle(&self) {
        std::thread::sleep(Duration::from_millis(50));
        self.git_work(&["status", "--porcelain"]);
    }

    /// `feedgen` with `args`, run in the work tree, hermetic for git.
    fn feedgen(&self, args: &[&str]) -> Run {
        let mut cmd = feedgen();
        cmd.current_dir(self.work())
            .args(args)
            .args(["--now", NOW, "--summary", "json"]);
        run(hermetic(&mut cmd, self.tmp.path()))
    }

    /// A build with the state in `content/.feedgen`, into `work/out`.
    fn build(&self) -> Run {
        self.feedgen(&["--content", "content", "--output", "out"])
            .expect_code(0)
    }

    /// A build, then a clean build (no state) of the same content: the
    /// two outputs must be the same bytes. Returns the first.
    #[track_caller]
    fn build_as_clean(&self) -> Run {
        let built = self.build();
        let clean_out = self.path("clean-out");
        let state = self.path("clean-state");
        for dir in [&clean_out, &state] {
            let _ = fs::remove_dir_all(dir);
        }
        let (out_arg, state_arg) = (clean_out.display().to_string(), state.display().to_string());
        let clean = self.feedgen(&["--content", "content", "--output", &out_arg, "--state", &state_arg]);
        clean.expect_code(0);
        let (got, want) = (output_tree(&self.work().join("out")), output_tree(&clean_out));
        assert!(!want.is_empty(), "the clean build wrote feeds");
        assert_eq!(got.keys().collect::<Vec<_>>(), want.keys().collect::<Vec<_>>());
        for (rel, bytes) in &want {
            assert!(got[rel] == *bytes, "{rel} differs from a clean build's");
        }
        built
    }
}

/// The summary's `key`.
fn summary(run: &Run, key: &str) -> usize {
    let line = run
        .stdout
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .expect("summary line");
    let json: Value = serde_json::from_str(line).expect("summary JSON");
    json[key].as_u64().unwrap_or_else(|| panic!("no {key} in {line}")) as usize
}

/// How many post files a run read the bytes of.
fn opened(run: &Run) -> usize {
    summary(run, "opened")
}

fn notes(run: &Run) -> Vec<&str> {
    run.stderr.lines().filter(|l| l.contains(": note: ")).collect()
}

/// A note that git's index was not used.
fn git_note(run: &Run) -> bool {
    notes(run)
        .iter()
        .any(|l| l.starts_with("content: note: git's index was not used"))
}

#[test]
fn a_fresh_clone_with_its_state_reads_only_new_posts() {
    let sb = Sandbox::committed();
    sb.fresh_clone(&[]);
    sb.put("_posts/a/2024-05-20-new.md", &post("New", 20, "x"));
    sb.put("old_post/2024-04-03-o3.md", &post("Old 3", 3, "z"));
    let run = sb.build_as_clean();
    assert_eq!((opened(&run), summary(&run, "read")), (2, POSTS + 2));
    assert!(!git_note(&run), "{}", run.stderr);
    // The next run in the same folder knows every file by its stamp.
    assert_eq!(opened(&sb.build_as_clean()), 0);
}

#[test]
fn a_shallow_clone_reads_only_new_posts() {
    let sb = Sandbox::committed();
    sb.fresh_clone(&["--depth", "1"]);
    assert_eq!(sb.git_work(&["rev-parse", "--is-shallow-repository"]).trim(), "true");
    sb.put("_posts/b/2024-05-21-new.md", &post("New", 21, "y"));
    assert_eq!(opened(&sb.build_as_clean()), 1);
}

/// Git's index in version 4 (paths compressed) and split in two (the
/// `link` extension and a shared index) vouches as version 2 does.
#[test]
fn index_version_4_and_a_split_index_are_read() {
    let sb = Sandbox::committed();
    sb.fresh_clone(&[]);
    sb.git_work(&["update-index", "--index-version", "4"]);
    sb.settle();
    let index = fs::read(sb.work().join(".git/index")).expect("index");
    assert_eq!(&index[4..8], &4u32.to_be_bytes());
    sb.put("_posts/a/2024-05-20-new.md", &post("New", 20, "x"));
    assert_eq!(opened(&sb.build_as_clean()), 1);
    sb.fresh_clone_again();
    sb.git_work(&["update-index", "--split-index"]);
    sb.settle();
    let shared = fs::read_dir(sb.work().join(".git")).expect("ls .git").flatten();
    assert!(shared
        .into_iter()
        .any(|e| e.file_name().to_string_lossy().starts_with("sharedindex.")));
    assert_eq!(opened(&sb.build_as_clean()), 0);
}

/// The content folder the repository's root: paths in git's index are
/// the content folder's own.
#[test]
fn a_content_folder_at_the_repository_root() {
    let sb = Sandbox::new();
    sb.write_posts();
    let content = sb.content();
    sb.git(&content, &["init", "-q", "-b", "main"]);
    sb.git(&content, &["add", "-A"]);
    sb.git(&content, &["commit", "-q", "-m", "posts"]);
    assert_eq!(opened(&sb.build()), POSTS);
    let orig = sb.path("orig-content");
    fs::rename(&content, &orig).expect("move the content folder away");
    let url = format!("file://{}", orig.display());
    sb.git(&sb.work(), &["clone", "-q", "--no-hardlinks", &url, "content"]);
    copy_tree(&orig.join(".feedgen"), &content.join(".feedgen"));
    std::thread::sleep(Duration::from_millis(50));
    sb.git(&content, &["status", "--porcelain"]);
    sb.put("_posts/b/2024-05-21-new.md", &post("New", 21, "y"));
    assert_eq!(opened(&sb.build_as_clean()), 1);
}

/// Staged, modified (not staged) and untracked files are read; the rest is not.
#[test]
fn staged_modified_and_untracked_posts_are_read() {
    let sb = Sandbox::committed();
    sb.fresh_clone(&[]);
    sb.put("_posts/a/2024-05-01-p00.md", &post("Staged change", 1, "x"));
    sb.git_work(&["add", "content/_posts/a/2024-05-01-p00.md"]);
    sb.put("_posts/a/2024-05-02-p01.md", &post("Unstaged change", 2, "y"));
    sb.put("_posts/b/2024-05-22-untracked.md", &post("Untracked", 22, "z"));
    sb.put("_posts/b/2024-05-23-staged.md", &post("Staged new", 23, "z"));
    sb.git_work(&["add", "content/_posts/b/2024-05-23-staged.md"]);
    // Intent to add: in the index with no blob git vouches for.
    sb.put("_posts/b/2024-05-24-intent.md", &post("Intent", 24, "x"));
    sb.git_work(&["add", "-N", "content/_posts/b/2024-05-24-intent.md"]);
    sb.put("old_post/2024-04-01-o1.md", &post("Old one changed", 1, "x"));
    let run = sb.build_as_clean();
    assert_eq!(opened(&run), 6, "{}", run.stderr);
}

#[test]
fn deleted_and_renamed_posts_leave_and_the_renamed_one_is_read() {
    let sb = Sandbox::committed();
    sb.fresh_clone(&[]);
    sb.git_work(&["rm", "-q", "content/_posts/a/2024-05-01-p00.md"]);
    fs::remove_file(sb.content().join("_posts/a/2024-05-02-p01.md")).expect("rm");
    sb.git_work(&[
        "mv",
        "content/_posts/b/2024-05-07-p06.md",
        "content/_posts/b/2024-05-07-p06-renamed.md",
    ]);
    sb.git_work(&[
        "mv",
        "content/_posts/a/2024-05-03-p02.md",
        "content/old_post/2024-05-03-p02.md",
    ]);
    sb.git_work(&["commit", "-q", "-m", "moves"]);
    let run = sb.build_as_clean();
    assert_eq!((opened(&run), summary(&run, "read")), (2, POSTS - 2));
}

/// New bytes of the same size with the old mtime put back: the ctime
/// (and git's index, which recorded the old one) tells.
#[test]
fn a_post_changed_after_checkout_with_its_size_and_mtime_kept_is_read() {
    let sb = Sandbox::committed();
    sb.fresh_clone(&[]);
    let path = sb.content().join("_posts/a/2024-05-04-p03.md");
    let before = fs::metadata(&path).expect("stat");
    let text = fs::read_to_string(&path).expect("read").replace("Post 03", "Post XY");
    fs::write(&path, &text).expect("write");
    set_mtime(&path, before.modified().expect("mtime"));
    let after = fs::metadata(&path).expect("stat");
    assert_eq!(
        (after.len(), after.modified().ok()),
        (before.len(), before.modified().ok())
    );
    let run = sb.build_as_clean();
    assert_eq!(opened(&run), 1);
}

/// An entry git recorded with the file's present stamp but other bytes
/// (a change within the tick of the index's write): as new as the index,
/// so racily clean, and not believed.
#[test]
fn a_racily_clean_entry_is_not_believed() {
    let sb = Sandbox::committed();
    let rel = "_posts/b/2024-05-08-p07.md";
    let path = sb.content().join(rel);
    let text = fs::read_to_string(&path).expect("read").replace("Post 07", "Post QQ");
    fs::write(&path, text).expect("write");
    // Git's index: the old blob, the new file's stamp, and the index's
    // mtime the file's.
    let index = sb.work().join(".git/index");
    stamp_entry(&index, &format!("content/{rel}"), &fs::metadata(&path).expect("stat"));
    set_mtime(&index, fs::metadata(&path).expect("stat").modified().expect("mtime"));
    let listed = sb.git_work(&["ls-files", "--debug", &format!("content/{rel}")]);
    let mtime = fs::metadata(&path).expect("stat").mtime();
    assert!(listed.contains(&format!("mtime: {mtime}:")), "{listed}");
    let run = sb.build_as_clean();
    assert_eq!(opened(&run), 1);
}

/// A sparse checkout (with a sparse index): the files left out are not
/// there to read, those in it are known; one put back by hand is read.
#[test]
fn a_sparse_checkout_reads_only_what_git_does_not_vouch_for() {
    let sb = Sandbox::committed();
    sb.fresh_clone(&[]);
    sb.git_work(&["sparse-checkout", "set", "--cone", "--sparse-index", "content/_posts/a"]);
    assert!(!sb.content().join("_posts/b").exists(), "b is left out");
    assert!(!sb.content().join("old_post").exists(), "old_post is left out");
    sb.settle();
    let run = sb.build_as_clean();
    assert_eq!((opened(&run), summary(&run, "read")), (0, 6));
    sb.put("_posts/b/2024-05-07-p06.md", &post("Post 06 by hand", 7, "x"));
    let run = sb.build_as_clean();
    assert_eq!((opened(&run), summary(&run, "read")), (1, 7));
}

/// A work tree with no commit: staged files are known by git's index, the
/// others are read; with nothing staged there is no index file at all.
#[test]
fn a_work_tree_with_no_commits() {
    let sb = Sandbox::new();
    sb.write_posts();
    sb.git_work(&["init", "-q", "-b", "main"]);
    assert_eq!(opened(&sb.build_as_clean()), POSTS);
    // New stamps on the same bytes, for staged and untracked files alike.
    for folder in ["_posts/a", "_posts/b"] {
        renew(&sb.content().join(folder));
    }
    assert!(!sb.work().join(".git/index").exists());
    let run = sb.build_as_clean();
    assert_eq!(opened(&run), 12, "nothing staged: nothing known");
    assert!(!git_note(&run), "{}", run.stderr);
    renew(&sb.content().join("_posts/a"));
    renew(&sb.content().join("_posts/b"));
    sb.git_work(&["add", "content/_posts/a"]);
    sb.settle();
    let run = sb.build_as_clean();
    assert_eq!(opened(&run), 6, "only the untracked ones");
}

/// Every file in `dir` written anew: the same bytes, a new stamp.
fn renew(dir: &Path) {
    for entry in fs::read_dir(dir).expect("ls").flatten() {
        let bytes = fs::read(entry.path()).expect("read");
        fs::remove_file(entry.path()).expect("rm");
        fs::write(entry.path(), bytes).expect("write");
    }
}

/// Outside git: today's path, no blob ids kept, no note.
#[test]
fn a_folder_in_no_git_work_tree_keeps_no_blob_ids() {
    let sb = Sandbox::new();
    sb.write_posts();
    let run = sb.build_as_clean();
    assert_eq!(opened(&run), POSTS);
    assert!(notes(&run).is_empty(), "{}", run.stderr);
    assert!(!sb.content().join(".feedgen/blobs").exists());
    sb.put("_posts/a/2024-05-20-new.md", &post("New", 20, "x"));
    assert_eq!(opened(&sb.build_as_clean()), 1);
    // In git, the same state gains them.
    sb.git_work(&["init", "-q", "-b", "main"]);
    sb.put("_posts/a/2024-05-21-new.md", &post("Newer", 21, "x"));
    sb.build();
    assert!(sb.content().join(".feedgen/blobs").exists());
}

/// A damaged index (a flipped byte) and one of an unknown version or cut
/// short: every post is read, with a note; the feeds are a clean build's.
#[test]
fn an_index_git_cannot_read_costs_a_full_read_and_a_note() {
    type Damage = fn(&mut Vec<u8>);
    let damage: [(&str, Damage); 3] = [
        ("flipped", |b| {
            let at = b.len() / 2;
            b[at] ^= 0x55;
        }),
        ("version 9", |b| b[4..8].copy_from_slice(&9u32.to_be_bytes())),
        ("cut short", |b| b.truncate(40)),
    ];
    for (what, damage) in damage {
        let sb = Sandbox::committed();
        sb.fresh_clone(&[]);
        let index = sb.work().join(".git/index");
        let mut bytes = fs::read(&index).expect("index");
        damage(&mut bytes);
        fs::write(&index, bytes).expect("write index");
        let run = sb.build_as_clean();
        assert_eq!(opened(&run), POSTS, "{what}");
        assert!(git_note(&run), "{what}: {}", run.stderr);
    }
}

/// A SHA-256 repository: blob ids are not SHA-1; a full read and a note.
#[test]
fn a_sha256_repository_costs_a_full_read_and_a_note() {
    let sb = Sandbox::new();
    sb.write_posts();
    sb.git_work(&["init", "-q", "-b", "main", "--object-format=sha256"]);
    sb.git_work(&["add", "-A"]);
    sb.build();
    sb.settle();
    // Every stamp new, the bytes the same.
    for rel in ["_posts/a/2024-05-01-p00.md", "old_post/2024-04-01-o1.md"] {
        let path = sb.content().join(rel);
        let bytes = fs::read(&path).expect("read");
        fs::remove_file(&path).expect("rm");
        fs::write(&path, bytes).expect("write");
    }
    let run = sb.build_as_clean();
    assert_eq!(opened(&run), 2);
    assert!(git_note(&run), "{}", run.stderr);
}

fn set_mtime(path: &Path, time: SystemTime) {
    let file = fs::File::options().write(true).open(path).expect("open");
    file.set_modified(time).expect("set mtime");
}

/// Give `rel`'s entry in git's index (version 2) the stamp of `meta`, and
/// the index its checksum again.
fn stamp_entry(index: &Path, rel: &str, meta: &fs::Metadata) {
    let mut bytes = fs::read(index).expect("index");
    assert_eq!((&bytes[..4], &bytes[4..8]), (&b"DIRC"[..], &2u32.to_be_bytes()[..]));
    let count = u32::from_be_bytes(bytes[8..12].try_into().expect("count"));
    let mut at = 12;
    let mut found = false;
    for _ in 0..count {
        let name_len = bytes[at + 62..].iter().position(|&b| b == 0).expect("name");
        if &bytes[at + 62..at + 62 + name_len] == rel.as_bytes() {
            let fields = [
                (0, meta.ctime() as u32),
                (4, meta.ctime_nsec() as u32),
                (8, meta.mtime() as u32),
                (12, meta.mtime_nsec() as u32),
                (20, meta.ino() as u32),
                (36, meta.size() as u32),
            ];
            for (offset, value) in fields {
                bytes[at + offset..at + offset + 4].copy_from_slice(&value.to_be_bytes());
            }
            found = true;
        }
        at += (62 + name_len + 8) / 8 * 8;
    }
    assert!(found, "{rel} in git's index");
    let body = bytes.len() - 20;
    let sum: [u8; 20] = Sha1::digest(&bytes[..body]).into();
    bytes[body..].copy_from_slice(&sum);
    fs::write(index, bytes).expect("write index");
}
