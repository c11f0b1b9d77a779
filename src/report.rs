//! What a run found and did: the diagnostics and counts printed at the
//! end, the JSON summary, and the exit status they imply.

use std::io::{self, Write};
use std::process::ExitCode;
use std::time::Instant;

use serde::Serialize;

use crate::config::{Config, Mode, Verbosity};
use crate::diagnostics::{escape_controls, Diagnostic, Severity};

/// Counts for the closing summary line.
#[derive(Debug, Default, Clone)]
pub struct Report {
    pub diagnostics: Vec<Diagnostic>,
    pub read: usize,
    /// Post files whose bytes were read (the rest were known unchanged).
    pub opened: usize,
    pub published: usize,
    pub recovered: usize,
    pub rejected: usize,
    pub excluded: usize,
    pub written: usize,
    pub unchanged: usize,
    pub removed: usize,
    pub stale: Vec<String>,
    pub seconds: f64,
    /// Seconds spent in each phase, for `--verbose`.
    pub phases: Vec<(&'static str, f64)>,
}

impl Report {
    /// The exit status the run's outcome calls for: any `error:` line (a
    /// rejected post, a post that vanished mid-run) or stale feed is a 1.
    pub fn status(&self) -> ExitStatus {
        let errors = self.diagnostics.iter().any(|d| d.severity == Severity::Error);
        if self.rejected > 0 || !self.stale.is_empty() || errors {
            ExitStatus::PostsRejectedOrStale
        } else {
            ExitStatus::Success
        }
    }

    pub fn summary_line(&self, mode: Mode) -> String {
        let posts = format!(
            "{} posts read, {} published ({} recovered), {} rejected, {} not published",
            self.read, self.published, self.recovered, self.rejected, self.excluded
        );
        let feeds = match mode {
            Mode::Build => {
                format!(
                    "; {} feeds written, {} unchanged, {} removed",
                    self.written, self.unchanged, self.removed
                )
            }
            Mode::CheckFeeds => format!("; {} feeds stale, {} current", self.stale.len(), self.unchanged),
            Mode::CheckPosts => String::new(),
        };
        format!("feedgen: {posts}{feeds} in {:.2} s", self.seconds)
    }

    /// Close the report: diagnostics in path order, once each, and the
    /// time taken.
    pub fn finish(mut self, phases: Phases) -> Report {
        self.diagnostics.sort();
        self.diagnostics.dedup();
        (self.phases, self.seconds) = phases.end();
        self
    }

    /// The counts as `--summary json` prints them.
    pub fn summary(&self) -> Summary {
        Summary {
            read: self.read,
            published: self.published,
            recovered: self.recovered,
            rejected: self.rejected,
            not_published: self.excluded,
            written: self.written,
            unchanged: self.unchanged,
            removed: self.removed,
            stale: self.stale.len(),
            opened: self.opened,
            // Milliseconds are all a reader of the summary can use.
            seconds: (self.seconds * 1000.0).round() / 1000.0,
        }
    }

    /// Print the diagnostics, stale feeds, phase times (verbose) and the
    /// summary line to stderr. A closed stderr is no reason to fail.
    pub fn print(&self, config: &Config, mode: Mode) {
        let stderr = io::stderr();
        let mut err = stderr.lock();
        for d in &self.diagnostics {
            let shown = match config.verbosity {
                Verbosity::Quiet => d.severity == Severity::Error,
                Verbosity::Normal => d.severity >= Severity::Warning || d.severity == Severity::Note,
                Verbosity::Verbose => true,
            };
            if shown {
                let _ = writeln!(err, "{d}");
            }
        }
        for stale in &self.stale {
            let _ = writeln!(
                err,
                "{}: stale: differs from what a build would write",
                escape_controls(&config.output_dir.join(stale).display().to_string())
            );
        }
        if config.verbosity == Verbosity::Verbose {
            for (phase, seconds) in &self.phases {
                let _ = writeln!(err, "feedgen: {seconds:8.3} s  {phase}");
            }
        }
        if config.verbosity > Verbosity::Quiet {
            let _ = writeln!(err, "{}", self.summary_line(mode));
        }
    }
}

/// Seconds spent in each phase of a run, for `--verbose`.
pub struct Phases {
    started: Instant,
    lap: Instant,
    times: Vec<(&'static str, f64)>,
}

impl Phases {
    pub fn start() -> Phases {
        let now = Instant::now();
        Phases {
            started: now,
            lap: now,
            times: Vec::new(),
        }
    }

    /// Close the phase called `name`.
    pub fn lap(&mut self, name: &'static str) {
        self.times.push((name, self.lap.elapsed().as_secs_f64()));
        self.lap = Instant::now();
    }

    /// Phase times, and seconds since the start.
    pub fn end(self) -> (Vec<(&'static str, f64)>, f64) {
        (self.times, self.started.elapsed().as_secs_f64())
    }
}

/// The `--summary json` line: these keys, in this order.
#[derive(Debug, Serialize)]
pub struct Summary {
    pub read: usize,
    pub published: usize,
    pub recovered: usize,
    pub rejected: usize,
    pub not_published: usize,
    pub written: usize,
    pub unchanged: usize,
    pub removed: usize,
    pub stale: usize,
    /// Post files whose bytes were read, of `read`.
    pub opened: usize,
    pub seconds: f64,
}

/// How the process ends (SPEC §3), as fd and ripgrep type it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    Success = 0,
    /// Some posts were rejected (the rest was published), an `error:` line
    /// was printed, or `--check` found stale feeds.
    PostsRejectedOrStale = 1,
    /// A usage or configuration error, or any other error that stopped the
    /// run (an output folder that cannot be written, a closed stdout).
    UsageOrConfig = 2,
    /// `feedgen ping`: the hub did not accept every changed feed (the
    /// rest stays listed for the next ping).
    PingFailed = 3,
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> ExitCode {
        ExitCode::from(status as u8)
    }
}

/// Write `text` and a newline to stdout. A reader that went away (`| head`)
/// ends the output quietly; any other write error (a full disk) is an
/// error for the caller to report.
pub fn print_stdout(write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> io::Result<()> {
    let stdout = io::stdout();
    let mut out = stdout.lock();
    match write(&mut out).and_then(|()| out.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// Say what a long step is doing, on a terminal only.
pub fn progress(config: &Config, amount: usize, what: &str) {
    if config.progress && config.verbosity > Verbosity::Quiet && amount >= 5_000 {
        let _ = writeln!(std::io::stderr(), "feedgen: {what}…");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_keeps_its_keys_and_order() {
        let report = Report {
            read: 3,
            published: 2,
            rejected: 1,
            seconds: 0.0664,
            ..Report::default()
        };
        let json = serde_json::to_string(&report.summary()).expect("json");
        assert_eq!(
            json,
            "{\"read\":3,\"published\":2,\"recovered\":0,\"rejected\":1,\"not_published\":0,\"written\":0,\"unchanged\":0,\"removed\":0,\"stale\":0,\"opened\":0,\"seconds\":0.066}"
        );
    }

    #[test]
    fn an_error_line_is_never_exit_0() {
        let mut report = Report::default();
        assert_eq!(report.status(), ExitStatus::Success);
        report
            .diagnostics
            .push(Diagnostic::new("a.md", None, Severity::Warning, "w"));
        assert_eq!(report.status(), ExitStatus::Success);
        report
            .diagnostics
            .push(Diagnostic::new("a.md", None, Severity::Error, "vanished"));
        assert_eq!(report.status(), ExitStatus::PostsRejectedOrStale);
    }
}
