//! The one helper of the integration tests: a temporary directory to write fixtures into,
//! and a way to run the real `hardsell` binary inside it that prints everything when an
//! expectation fails.
//!
//! Commands run with the temporary directory as their working directory, so tests name files
//! relatively (`train.csv`) and can expect exactly `train.csv:7` in messages.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// A temporary directory holding the fixtures of one test; removed when dropped.
pub struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    /// A fresh, empty directory.
    pub fn new() -> Self {
        Sandbox {
            dir: tempfile::tempdir().expect("create a temporary directory"),
        }
    }

    /// The absolute path of `name` inside the sandbox.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes `contents` to `name` (text or raw bytes), making its folders, and returns
    /// `self` for chaining.
    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> &Self {
        let path = self.path(name);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("folder of {name}: {e}"));
        }
        std::fs::write(path, contents).unwrap_or_else(|e| panic!("write {name}: {e}"));
        self
    }

    /// The bytes of `name`.
    pub fn read(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.path(name)).unwrap_or_else(|e| panic!("read {name}: {e}"))
    }

    /// `name` parsed as JSON.
    pub fn read_json(&self, name: &str) -> serde_json::Value {
        serde_json::from_slice(&self.read(name))
            .unwrap_or_else(|e| panic!("{name} is not JSON: {e}"))
    }

    /// Writes `value` as JSON to `name`.
    pub fn write_json(&self, name: &str, value: &serde_json::Value) -> &Self {
        self.write(name, serde_json::to_vec(value).expect("serialise JSON"))
    }

    /// Whether `name` exists.
    pub fn exists(&self, name: &str) -> bool {
        Path::new(&self.path(name)).exists()
    }

    /// Runs `hardsell ARGS...` in the sandbox and captures what it did.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with_stdin(args, Vec::new())
    }

    /// Runs `hardsell ARGS...` in the sandbox with `stdin` as its standard input.
    pub fn run_with_stdin(&self, args: &[&str], stdin: impl Into<Vec<u8>>) -> Run {
        let output = Command::cargo_bin("hardsell")
            .expect("the hardsell binary is built")
            .current_dir(self.dir.path())
            .env_remove("RUST_BACKTRACE")
            .args(args)
            .write_stdin(stdin.into())
            .output()
            .expect("run hardsell");
        Run {
            command: format!("hardsell {}", args.join(" ")),
            code: output.status.code(),
            stdout: output.stdout,
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

/// What one run of `hardsell` did. The `expect_*` methods panic with the command, its exit
/// code, stdout and stderr, so a failing test shows everything.
pub struct Run {
    /// The command line, for messages.
    pub command: String,
    /// Exit code (`None` when killed by a signal).
    pub code: Option<i32>,
    /// Standard output, raw.
    pub stdout: Vec<u8>,
    /// Standard error, as text.
    pub stderr: String,
}

impl Run {
    /// Standard output as text.
    pub fn stdout_text(&self) -> String {
        String::from_utf8(self.stdout.clone())
            .unwrap_or_else(|e| self.fail(&format!("stdout is not UTF-8: {e}")))
    }

    /// Standard output parsed as JSON.
    pub fn stdout_json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.stdout)
            .unwrap_or_else(|e| self.fail(&format!("stdout is not JSON: {e}")))
    }

    /// Panics with everything the run printed.
    pub fn fail(&self, why: &str) -> ! {
        panic!(
            "{why}\n--- command: {}\n--- exit code: {:?}\n--- stdout:\n{}\n--- stderr:\n{}",
            self.command,
            self.code,
            String::from_utf8_lossy(&self.stdout),
            self.stderr
        )
    }

    /// Expects exit code `code`.
    #[track_caller]
    pub fn expect_code(self, code: i32) -> Self {
        if self.code != Some(code) {
            self.fail(&format!("expected exit code {code}"));
        }
        self
    }

    /// Expects exit code 0.
    #[track_caller]
    pub fn expect_success(self) -> Self {
        self.expect_code(0)
    }

    /// Expects `needle` somewhere on stderr.
    #[track_caller]
    pub fn expect_stderr(self, needle: &str) -> Self {
        if !self.stderr.contains(needle) {
            self.fail(&format!("expected stderr to contain {needle:?}"));
        }
        self
    }

    /// Expects `needle` nowhere on stderr.
    #[track_caller]
    pub fn expect_no_stderr(self, needle: &str) -> Self {
        if self.stderr.contains(needle) {
            self.fail(&format!("expected stderr not to contain {needle:?}"));
        }
        self
    }

    /// Expects a clean failure: no panic message on stderr.
    #[track_caller]
    pub fn expect_no_panic(self) -> Self {
        self.expect_no_stderr("panicked")
    }
}
