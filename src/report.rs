//! Report: the only stage that writes output — scored rows as CSV, JSON Lines or JSON, to
//! stdout or a file written atomically (a temporary file beside it, renamed into place).
//!
//! Row types are `#[derive(Serialize)]` structs defined in [`crate::score`] and shared by the
//! three writers; CSV flattens the per-label probabilities into `p_<label>` columns.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Error, Result};

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Comma-separated values with a header.
    Csv,
    /// One JSON object per line.
    Jsonl,
    /// One JSON array.
    Json,
}

/// Where output goes: standard output, or a file replaced atomically when done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sink {
    /// Standard output.
    Stdout,
    /// A file path.
    File(PathBuf),
}

/// Runs `write` against a temporary file beside `path`, then renames it over `path`.
pub fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".hardsell-")
        .tempfile_in(dir)
        .map_err(|e| Error::io(dir, e))?;
    {
        let mut buffered = io::BufWriter::new(tmp.as_file_mut());
        write(&mut buffered).map_err(|e| Error::io(path, e))?;
        buffered.flush().map_err(|e| Error::io(path, e))?;
    }
    tmp.as_file().sync_all().map_err(|e| Error::io(path, e))?;
    #[cfg(unix)]
    {
        // Temporary files are created 0600; an output file should read like any other.
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o644));
    }
    tmp.persist(path).map_err(|e| Error::io(path, e.error))?;
    Ok(())
}

/// Runs `write` against the sink: stdout directly (a closed pipe is success), a file atomically.
pub fn to_sink(sink: &Sink, write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<()> {
    match sink {
        Sink::File(path) => write_atomically(path, write),
        Sink::Stdout => {
            let stdout = io::stdout();
            let mut lock = io::BufWriter::new(stdout.lock());
            match write(&mut lock).and_then(|_| lock.flush()) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
                Err(e) => Err(Error::io("<stdout>", e)),
            }
        }
    }
}

/// Streams rows in one of the formats; call [`RowWriter::finish`] at the end.
pub struct RowWriter<'a> {
    format: Format,
    out: Inner<'a>,
    rows: usize,
}

enum Inner<'a> {
    Csv(Box<csv::Writer<&'a mut dyn Write>>),
    Json(&'a mut dyn Write),
}

impl<'a> RowWriter<'a> {
    /// A writer of `format` into `out`.
    pub fn new(format: Format, out: &'a mut dyn Write) -> Self {
        let out = match format {
            Format::Csv => Inner::Csv(Box::new(
                csv::WriterBuilder::new()
                    .has_headers(false)
                    .from_writer(out),
            )),
            Format::Json | Format::Jsonl => Inner::Json(out),
        };
        RowWriter {
            format,
            out,
            rows: 0,
        }
    }

    /// Writes a CSV header, or opens the JSON array.
    pub fn header(&mut self, names: &[String]) -> io::Result<()> {
        match &mut self.out {
            Inner::Csv(w) => w.write_record(names)?,
            Inner::Json(w) if self.format == Format::Json => w.write_all(b"[")?,
            Inner::Json(_) => {}
        }
        Ok(())
    }

    /// Writes one row: `flat` for CSV, `row` for the JSON formats.
    pub fn row<T: Serialize>(&mut self, row: &T, flat: &[String]) -> io::Result<()> {
        match &mut self.out {
            Inner::Csv(w) => w.write_record(flat)?,
            Inner::Json(w) => {
                if self.format == Format::Json {
                    w.write_all(if self.rows > 0 { b",\n" } else { b"\n" })?;
                }
                serde_json::to_writer(&mut **w, row)?;
                if self.format == Format::Jsonl {
                    w.write_all(b"\n")?;
                }
            }
        }
        self.rows += 1;
        Ok(())
    }

    /// Flushes, and closes the JSON array if any.
    pub fn finish(self) -> io::Result<()> {
        match self.out {
            Inner::Csv(mut w) => w.flush(),
            Inner::Json(w) if self.format == Format::Json => {
                w.write_all(if self.rows > 0 { b"\n]\n" } else { b"]\n" })
            }
            Inner::Json(w) => w.flush(),
        }
    }
}

/// Writes the sender report in `format`.
pub fn write_senders(
    rows: impl Iterator<Item = crate::senders::SenderReport>,
    format: Format,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut writer = RowWriter::new(format, out);
    writer.header(&crate::senders::REPORT_COLUMNS.map(String::from))?;
    for row in rows {
        writer.row(&row, &row.csv_record())?;
    }
    writer.finish()
}

/// A progress line on stderr (rows and rows/s), drawn only when `enabled` and stderr is a
/// terminal; otherwise a hidden bar that costs nothing.
pub fn progress(enabled: bool) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if !enabled || !io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} {human_pos} rows scored ({per_sec}, {elapsed})",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
}
