//! Running the `recal` binary from the command tests.

#![allow(dead_code)] // Each test file uses part of it.

use std::process::Command;

/// What a finished `recal` command printed.
#[derive(Debug)]
pub struct Run {
    /// Whether it exited with success.
    pub ok: bool,
    /// Its standard output.
    pub stdout: String,
    /// Its standard error.
    pub stderr: String,
}

impl Run {
    /// Standard output then standard error.
    pub fn text(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

/// A `recal` command of this build.
pub fn command(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_recal"));
    command.args(args).env_remove("RUST_BACKTRACE");
    command
}

/// Runs `recal args…` to the end.
pub fn recal(args: &[&str]) -> Run {
    let output = command(args).output().expect("the recal binary runs");
    Run {
        ok: output.status.success(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}
