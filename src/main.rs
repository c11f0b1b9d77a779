use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = feedgen::cli::Cli::parse();
    match feedgen::cli::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("feedgen: error: {err:#}");
            ExitCode::from(2)
        }
    }
}
