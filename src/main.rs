//! The `misar-scan` binary: parse flags, run, turn the outcome into an exit code.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = misar_scan::cli::Cli::parse();
    match misar_scan::cli::run(cli) {
        Ok(outcome) => ExitCode::from(outcome.exit_code()),
        Err(err) if misar_scan::cli::is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            misar_scan::cli::print_error(&err);
            ExitCode::from(2)
        }
    }
}
