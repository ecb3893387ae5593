//! `misar-scan completions SHELL` and `misar-scan man`: shell completion
//! scripts (clap_complete) and a roff man page (clap_mangen), both generated
//! from the same clap definition as `--help`, so they never drift from it.

use std::io::Write;

use anyhow::{Context, Result};
use clap::{Args, CommandFactory};
use clap_complete::Shell;

use super::{Cli, Outcome};

/// Options of `completions`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  misar-scan completions bash > ~/.local/share/bash-completion/completions/misar-scan\n  misar-scan completions zsh > \"${fpath[1]}/_misar-scan\"\n  misar-scan completions fish > ~/.config/fish/completions/misar-scan.fish\n  misar-scan completions powershell >> $PROFILE\n  misar-scan completions elvish >> ~/.config/elvish/rc.elv"
)]
pub struct CompletionsArgs {
    /// The shell to write completions for.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// Options of `man`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  misar-scan man > ~/.local/share/man/man1/misar-scan.1 && man misar-scan\n  misar-scan man | man -l -"
)]
pub struct ManArgs {}

/// Write the completion script for `args.shell` to standard output.
pub fn completions(args: CompletionsArgs) -> Result<Outcome> {
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "misar-scan", &mut out);
    super::write_output(None, &out)?;
    Ok(Outcome::default())
}

/// Write the man page, `misar-scan(1)`, to standard output.
pub fn man(_args: ManArgs) -> Result<Outcome> {
    let mut out = Vec::new();
    render_man(&mut out)?;
    super::write_output(None, &out)?;
    Ok(Outcome::default())
}

/// The man page: the top-level page followed by a section per subcommand,
/// so `man misar-scan` documents every flag in one place.
pub fn render_man(out: &mut impl Write) -> Result<()> {
    let cmd = Cli::command();
    clap_mangen::Man::new(cmd.clone())
        .render(out)
        .context("failed to render the man page")?;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("misar-scan {}", sub.get_name());
        writeln!(out, ".SH \"{}\"", name.to_uppercase())?;
        let man = clap_mangen::Man::new(sub.clone().bin_name(name));
        man.render_synopsis_section(out)?;
        man.render_description_section(out)?;
        if sub.get_arguments().any(|a| !a.is_hide_set()) {
            man.render_options_section(out)?;
        }
        if sub.has_subcommands() {
            man.render_subcommands_section(out)?;
        }
        if sub.get_after_help().is_some() || sub.get_after_long_help().is_some() {
            man.render_extra_section(out)?;
        }
    }
    Ok(())
}
