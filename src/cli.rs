//! Command-line flags (clap), their translation into a validated
//! [`Config`], and the command each runs.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::cmd;
use crate::config::{Config, Mode, Only, Overrides, Verbosity};
use crate::diagnostics::escape_controls;
use crate::report::{print_stdout, ExitStatus};
use crate::taxonomy::Taxonomy;

#[derive(Debug, Parser)]
#[command(
    name = "feedgen",
    version,
    about = "Publish RSS 2.0 and Atom 1.0 feeds for a Jekyll-style post collection"
)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub build: BuildArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build the feeds (the default).
    Build(BuildArgs),
    /// Read every post and report problems; write nothing.
    Check(SourceArgs),
    /// List categories or tags: name, posts, newest date, feed paths.
    List(ListArgs),
    /// Tell the WebSub hub (`feedgen.hub`) which feeds changed since the last ping.
    Ping(PingArgs),
}

#[derive(Debug, Args)]
pub struct PingArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// Folder the feeds were written to (its state holds the list of changed feeds).
    #[arg(long, value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// feedgen's state folder, if the builds name one with --state: the list is there.
    #[arg(long, value_name = "DIR")]
    pub state: Option<PathBuf>,
}

#[derive(Debug, Args, Default)]
pub struct SourceArgs {
    /// Folder holding the posts.
    #[arg(long, value_name = "DIR")]
    pub content: Option<PathBuf>,
    /// Site configuration (default: feedgen.yaml, else _config.yml, in the content folder).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// "Now" for excluding future posts (default: SOURCE_DATE_EPOCH, else the clock).
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
    /// Include posts under _drafts/.
    #[arg(long)]
    pub drafts: bool,
    /// Treat warnings as errors: posts with any warning are rejected.
    #[arg(long)]
    pub strict: bool,
    /// Print only errors.
    #[arg(short, long, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Also print how long each phase of the run took (build and check).
    #[arg(short, long)]
    pub verbose: bool,
}

#[derive(Debug, Args, Default)]
pub struct BuildArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// Folder the feeds are written to.
    #[arg(long, value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// Folder for feedgen's state: index, manifest, lock (default: `.feedgen/` in the content folder).
    #[arg(long, value_name = "DIR")]
    pub state: Option<PathBuf>,
    /// Build only this category's feeds (repeatable).
    #[arg(long = "category", value_name = "NAME")]
    pub categories: Vec<String>,
    /// Build only this tag's feeds (repeatable).
    #[arg(long = "tag", value_name = "NAME")]
    pub tags: Vec<String>,
    /// Minimum items per feed, for every kind (default 20, or `feedgen.limit`).
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Write nothing; exit 1 if any feed on disk differs from what a build would write.
    #[arg(long)]
    pub check: bool,
    /// Also print the summary as JSON on stdout.
    #[arg(long, value_name = "FORMAT")]
    pub summary: Option<SummaryFormat>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SummaryFormat {
    Json,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    pub what: Taxonomy,
    #[command(flatten)]
    pub source: SourceArgs,
    #[arg(long, value_name = "DIR")]
    pub output: Option<PathBuf>,
}

fn overrides(source: &SourceArgs, output: Option<PathBuf>) -> Overrides {
    Overrides {
        content_dir: source.content.clone(),
        output_dir: output,
        state_dir: None,
        config_file: source.config.clone(),
        limit: None,
        now: source.now.clone(),
        drafts: source.drafts,
        strict: source.strict,
        only: Only::default(),
        progress: std::io::IsTerminal::is_terminal(&std::io::stderr()),
        verbosity: Some(if source.quiet {
            Verbosity::Quiet
        } else if source.verbose {
            Verbosity::Verbose
        } else {
            Verbosity::Normal
        }),
    }
}

fn load_config(flags: Overrides) -> Result<Config> {
    let config = Config::load(flags, std::env::var("SOURCE_DATE_EPOCH").ok())?;
    // Before any work: which Jekyll's rules every link follows, and why.
    if config.verbosity == Verbosity::Verbose {
        let _ = writeln!(
            std::io::stderr(),
            "feedgen: {}",
            escape_controls(&config.jekyll.describe())
        );
    }
    Ok(config)
}

/// Run the command and say how the process ends. An error that stops the
/// run is printed here, with its whole context chain.
pub fn run(cli: Cli) -> ExitStatus {
    match dispatch(cli) {
        Ok(status) => status,
        Err(err) => {
            let message = format!("{err:#}");
            let _ = writeln!(std::io::stderr(), "feedgen: error: {}", escape_controls(&message));
            ExitStatus::UsageOrConfig
        }
    }
}

fn dispatch(cli: Cli) -> Result<ExitStatus> {
    match cli.command {
        None => build_command(cli.build),
        Some(Command::Build(args)) => build_command(args),
        Some(Command::Check(source)) => {
            let config = load_config(overrides(&source, None))?;
            let report = cmd::check::run(&config);
            report.print(&config, Mode::CheckPosts);
            Ok(report.status())
        }
        Some(Command::List(args)) => {
            let config = load_config(overrides(&args.source, args.output.clone()))?;
            cmd::list::run(&config, args.what)?;
            Ok(ExitStatus::Success)
        }
        Some(Command::Ping(args)) => {
            let mut flags = overrides(&args.source, args.output.clone());
            flags.state_dir = args.state.clone();
            let config = load_config(flags)?;
            cmd::ping::run(&config)
        }
    }
}

fn build_command(args: BuildArgs) -> Result<ExitStatus> {
    let mut flags = overrides(&args.source, args.output.clone());
    flags.limit = args.limit;
    flags.state_dir = args.state.clone();
    flags.only = Only {
        categories: args.categories.clone(),
        tags: args.tags.clone(),
    };
    let config = load_config(flags)?;
    let mode = if args.check { Mode::CheckFeeds } else { Mode::Build };
    let report = cmd::build::run(&config, mode)?;
    report.print(&config, mode);
    if let Some(SummaryFormat::Json) = args.summary {
        let json = serde_json::to_string(&report.summary())?;
        print_stdout(|out| writeln!(out, "{json}")).context("cannot write the summary to stdout")?;
    }
    Ok(report.status())
}
