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
    let cli = cli::Cli::parse();
    match commands::run(cli) {
        Ok(code) => code,
        Err(e) => {
            output::error(&format!("{e:#}"));
            ExitCode::from(2)
        }
    }
}

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
