use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    feedgen::cli::run(feedgen::cli::Cli::parse()).into()
}
