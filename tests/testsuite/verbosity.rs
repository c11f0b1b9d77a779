//! What `--quiet`, the default and `--verbose` print: notes print by
//! default, and `-v` adds how long each phase of the run took.

use crate::harness::{feedgen, run, Run, Site};

/// Two spellings of one category: a note, on every run.
fn site() -> Site {
    let site = Site::new();
    site.config("");
    for (file, category) in [("2022-01-01-a.md", "Markets"), ("2022-01-02-b.md", "markets")] {
        site.put(
            &format!("_posts/{file}"),
            format!("---\ntitle: {file}\ndate: 2022-01-01 10:00:00 +0800\ncategories: {category}\n---\n\nText.\n"),
        );
    }
    site
}

/// The phase-time lines of a run (`feedgen:    0.012 s  read posts`).
fn phase_lines(run: &Run) -> Vec<&str> {
    run.stderr
        .lines()
        .filter(|l| l.starts_with("feedgen: ") && l.ends_with("read posts") && l.contains(" s  "))
        .collect()
}

#[test]
fn notes_print_by_default_and_verbose_adds_phase_times() {
    let site = site();
    let note = "content/_posts/2022-01-02-b.md: note: category `markets` shares the feed of `Markets` (same folder name once lower-cased and made path-safe)";
    let normal = site.build(&[]).expect_code(0);
    assert!(normal.printed(note), "{}", normal.stderr);
    assert!(phase_lines(&normal).is_empty(), "{}", normal.stderr);
    normal.summary_line();

    let verbose = site.build(&["-v"]).expect_code(0);
    assert!(verbose.printed(note), "{}", verbose.stderr);
    assert_eq!(phase_lines(&verbose).len(), 1, "{}", verbose.stderr);
    assert_eq!(verbose.diagnostics(), normal.diagnostics());

    let check = run(&mut site.command(&["check", "--content", "content", "-v"])).expect_code(0);
    assert_eq!(phase_lines(&check).len(), 1, "{}", check.stderr);

    let quiet = site.build(&["-q"]).expect_code(0);
    assert_eq!(quiet.stderr, "", "--quiet prints only errors");
}

#[test]
fn the_verbose_help_says_what_it_adds() {
    let help = run(feedgen().arg("--help")).expect_code(0);
    let line = help
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("-v, --verbose"))
        .unwrap_or_else(|| panic!("no -v in --help:\n{}", help.stdout));
    assert!(line.contains("how long each phase"), "{line}");
    assert!(!line.contains("notes too"), "notes print without -v: {line}");
}
