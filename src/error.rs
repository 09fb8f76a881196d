//! The one error type of the library, and the exit codes it maps to.
//!
//! Every variant carries what a user needs to fix the problem: the file, the line, the column,
//! the value found and what was expected. `main` prints the message and exits with
//! [`Error::exit_code`]; the codes are a documented contract (README, `--help`).

use std::path::PathBuf;

/// Exit code: success.
pub const EXIT_OK: i32 = 0;
/// Exit code: an unexpected failure (a bug).
pub const EXIT_FAILURE: i32 = 1;
/// Exit code: the command line was wrong (clap uses the same code).
pub const EXIT_USAGE: i32 = 2;
/// Exit code: an input file could not be read or parsed.
pub const EXIT_INPUT: i32 = 3;
/// Exit code: a model file is missing, truncated, or of another format version.
pub const EXIT_MODEL: i32 = 4;
/// Exit code: the training data cannot train a model (one label, too few rows).
pub const EXIT_TRAINING: i32 = 5;
/// Exit code: `eval --baseline` found a metric below the recorded baseline.
pub const EXIT_REGRESSION: i32 = 6;
/// Exit code: an output (or a temporary file) could not be written: a full disk, no permission.
pub const EXIT_OUTPUT: i32 = 7;

/// The name an output error carries until [`Error::naming_output`] gives it the file's.
pub const THIS_OUTPUT: &str = "<output>";

/// Shorthand for results in this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong, worded for the person who ran the command.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be opened, read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// An output or temporary file could not be written.
    #[error("{}: could not write: {source}", path.display())]
    Output {
        /// The file (or [`THIS_OUTPUT`] before the writer's caller names it).
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The file holds no data rows.
    #[error("{}: the file is empty (no header and no rows)", path.display())]
    EmptyFile {
        /// The file.
        path: PathBuf,
    },
    /// A column named on the command line is not in the header.
    #[error("{}: no column '{column}' (use {flag}); the columns are: {}", path.display(), available.join(", "))]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The column asked for.
        column: String,
        /// The flag that names this column.
        flag: String,
        /// The columns that exist.
        available: Vec<String>,
    },
    /// A row whose field count differs from the first row's (the header, when there is one).
    #[error(
        "{}:{line}: row has {got} fields, the first row has {expected} (fields split at {}; \
         --delimiter sets another){span}",
        path.display(),
        shown_delimiter(*delimiter)
    )]
    FieldCount {
        /// The file.
        path: PathBuf,
        /// 1-based line where the row starts.
        line: u64,
        /// Fields in the first row.
        expected: usize,
        /// Fields in this row.
        got: usize,
        /// The delimiter the fields were split at.
        delimiter: u8,
        /// The lines the row runs over, told when it spans several ([`crate::read::spanned_lines`]).
        span: String,
    },
    /// A row or value that cannot be parsed.
    #[error("{}:{line}: {message}", path.display())]
    BadRow {
        /// The file.
        path: PathBuf,
        /// 1-based line of the row.
        line: u64,
        /// What is wrong, with the column and value.
        message: String,
    },
    /// The training file has fewer than two labels.
    #[error("{}: training needs at least two labels, but the file has only '{label}' ({rows} rows)", path.display())]
    SingleLabel {
        /// The file.
        path: PathBuf,
        /// The only label.
        label: String,
        /// Its row count.
        rows: usize,
    },
    /// An export (folder or zip) that is not laid out as expected.
    #[error("{}: {message}", path.display())]
    Export {
        /// The export, or the file inside it.
        path: PathBuf,
        /// What is missing or wrong.
        message: String,
    },
    /// The training data is unusable for another reason.
    #[error("{0}")]
    Training(String),
    /// A model file that cannot be used.
    #[error("{}: {message}", path.display())]
    Model {
        /// The model file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// A flag value that is out of range or inconsistent.
    #[error("{0}")]
    Usage(String),
    /// An input that changed while it was being read (a second pass saw other rows).
    #[error("the input changed while it was being read ({0})")]
    InputChanged(String),
    /// An input larger than the reader can number (more than 2^32 - 1 rows in one stream).
    #[error("{0}")]
    TooLarge(String),
    /// `eval --baseline` found a regression.
    #[error("accuracy regressed below the baseline {}:\n{}", baseline.display(), failures.join("\n"))]
    Regression {
        /// The baseline file.
        baseline: PathBuf,
        /// One line per metric that fell too far.
        failures: Vec<String>,
    },
}

impl Error {
    /// The process exit code for this error (see the constants in this module).
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Io { .. } => EXIT_INPUT,
            Error::EmptyFile { .. }
            | Error::MissingColumn { .. }
            | Error::FieldCount { .. }
            | Error::BadRow { .. }
            | Error::Export { .. }
            | Error::InputChanged(_)
            | Error::TooLarge(_) => EXIT_INPUT,
            Error::SingleLabel { .. } | Error::Training(_) => EXIT_TRAINING,
            Error::Model { .. } => EXIT_MODEL,
            Error::Usage(_) => EXIT_USAGE,
            Error::Regression { .. } => EXIT_REGRESSION,
            Error::Output { .. } => EXIT_OUTPUT,
        }
    }

    /// Whether this is output to a reader that went away (`hardsell score … | head`): the
    /// reader has what it wanted, so it is not a failure.
    pub fn is_closed_pipe(&self) -> bool {
        matches!(self, Error::Output { source, .. } if source.kind() == std::io::ErrorKind::BrokenPipe)
    }

    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// A failure to write the output `path` ([`THIS_OUTPUT`] when the writer does not know it).
    pub fn output(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Output {
            path: path.into(),
            source,
        }
    }

    /// This error, an output error without a file name given `path` as its name.
    pub fn naming_output(self, path: &std::path::Path) -> Self {
        match self {
            Error::Output { path: p, source } if p.as_os_str() == THIS_OUTPUT => Error::Output {
                path: path.into(),
                source,
            },
            e => e,
        }
    }

    /// A model-file error on `path`.
    pub fn model(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Error::Model {
            path: path.into(),
            message: message.into(),
        }
    }
}

/// A delimiter as a message names it: `tabs`, or the character quoted.
fn shown_delimiter(d: u8) -> String {
    match d {
        b'\t' => "tabs".into(),
        d => format!("'{}'", char::from(d)),
    }
}
