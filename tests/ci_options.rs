//! `ci github` used to build a `scan --git` command line and parse it: the
//! scan options it builds now must be the ones that command line gives.

use std::path::Path;

use clap::Parser;
use misar_scan::ci::github::scan_options;
use misar_scan::cli::ci::CiSystem;
use misar_scan::cli::scan::ScanArgs;

#[derive(Parser)]
struct Scan {
    #[command(flatten)]
    scan: ScanArgs,
}

#[derive(Parser)]
struct Ci {
    #[command(subcommand)]
    system: CiSystem,
}

fn scan(argv: &str) -> String {
    let argv = format!("misar-scan --git /r {argv} --color never");
    let args = Scan::try_parse_from(argv.split_whitespace()).unwrap();
    format!("{:?}", args.scan.options().unwrap())
}

fn ci(argv: &str, range: Option<&str>) -> String {
    let argv = format!("misar-scan github {argv}");
    let CiSystem::Github(args) = Ci::try_parse_from(argv.split_whitespace()).unwrap().system;
    let range = range.map(str::to_string);
    format!(
        "{:?}",
        scan_options(&args.options(), Path::new("/r"), range)
    )
}

#[test]
fn scan_options_of_ci_github_are_those_of_scan_git() {
    assert_eq!(ci("", None), scan(""));
    assert_eq!(
        ci("--verify true --baseline b.json --rules r", Some("aa..bb")),
        // Paths joined as the platform joins them (`/r\b.json` on Windows).
        scan(&format!(
            "--range aa..bb --verify --baseline {} --rules {}",
            Path::new("/r").join("b.json").display(),
            Path::new("/r").join("r").display()
        ))
    );
}
