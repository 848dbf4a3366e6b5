//! The `cverun` command line.
//!
//! This crate only parses arguments ([`cli`]), wires the library crates together
//! ([`commands`]) and prints ([`output`]). Rules live in the library crates.
//!
//! Exit status: 0 when nothing was found, 1 when findings call for action, 2 for
//! usage or input errors (including a partly failed run, which is never reported as
//! clean).

use std::process::ExitCode;

use clap::Parser;

mod cli;
mod commands;
mod output;

fn main() -> ExitCode {
    restore_sigpipe();
    let cli = cli::Cli::parse();
    if let Err(e) = cverun_inventory::read::check_env() {
        output::error(&e);
        return ExitCode::from(2);
    }
    match commands::run(cli) {
        Ok(code) => code,
        Err(e) => {
            output::error(&format!("{e:#}"));
            ExitCode::from(2)
        }
    }
}

/// Output piped into a command that stops reading (`cverun scan | head`) ends
/// cverun quietly, as it ends other Unix tools, instead of failing on the write.
fn restore_sigpipe() {
    #[cfg(unix)]
    // SAFETY: called first thing in `main`, before any thread exists; SIG_DFL is a
    // valid disposition for SIGPIPE.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
