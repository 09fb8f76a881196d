//! Report: the only stage that writes output — scored rows as CSV, JSON Lines or JSON, to
//! stdout or a file written atomically (a temporary file beside it, renamed into place).
//!
//! Row types are `#[derive(Serialize)]` structs defined in [`crate::score`] and shared by the
//! three writers; CSV flattens the per-label probabilities into `p_<label>` columns.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Error, Result, THIS_OUTPUT};

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
    produce_file(path, |w| write(w).map_err(|e| Error::output(path, e)))
}

/// Runs `work` against `path` and keeps what it wrote only when it succeeds:
///
/// - a regular file (new, or existing) is written as a temporary file beside it, renamed over
///   it at the end; a failure leaves the old file as it was and no temporary file behind;
/// - a symbolic link to a file keeps the link: the file it points to is replaced;
/// - a device, FIFO or socket (`/dev/null`, `/dev/stdout`, a named pipe) is written in place,
///   as the shell's `>` would, never replaced by a file.
pub fn produce_file<T>(path: &Path, work: impl FnOnce(&mut dyn Write) -> Result<T>) -> Result<T> {
    write_file(path, work).map_err(|e| e.naming_output(path))
}

/// [`produce_file`], whose output errors may still be named [`THIS_OUTPUT`].
fn write_file<T>(path: &Path, work: impl FnOnce(&mut dyn Write) -> Result<T>) -> Result<T> {
    if let Ok(meta) = std::fs::metadata(path) {
        if meta.is_dir() {
            return Err(Error::output(
                path,
                io::Error::other("is a folder; name a file to write"),
            ));
        }
        if !meta.is_file() {
            let file = std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .map_err(|e| Error::output(path, e))?;
            let mut buffered = io::BufWriter::new(file);
            let out = work(&mut buffered)?;
            buffered.flush().map_err(|e| Error::output(path, e))?;
            return Ok(out);
        }
    }
    let target = link_target(path)?;
    let path = target.as_path();
    let dir = folder_of(path);
    let mut tmp = tempfile::Builder::new()
        .prefix(".hardsell-")
        .tempfile_in(dir)
        .map_err(|e| {
            // tempfile names its own random file, which never came to be: name the output,
            // and keep what the system said.
            let said = e.to_string();
            let why = said.split(" at path ").next().unwrap_or(&said);
            let what = format!("cannot create a file in {}: {why}", dir.display());
            Error::output(path, io::Error::new(e.kind(), what))
        })?;
    let out = {
        let mut buffered = io::BufWriter::new(tmp.as_file_mut());
        let out = work(&mut buffered)?;
        buffered.flush().map_err(|e| Error::output(path, e))?;
        out
    };
    tmp.as_file()
        .sync_all()
        .map_err(|e| Error::output(path, e))?;
    #[cfg(unix)]
    {
        // Temporary files are created 0600; an output file should read like any other.
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o644));
    }
    tmp.persist(path)
        .map_err(|e| Error::output(path, e.error))?;
    Ok(out)
}

/// The folder a file of `path` is in (`.` for a bare file name).
pub(crate) fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// The file a path names once symbolic links are followed (the path itself when it is not a
/// link; a dangling link's target, to be created).
pub(crate) fn link_target(path: &Path) -> Result<PathBuf> {
    let mut target = path.to_path_buf();
    // A bounded walk: a loop of links ends in an error, as opening it would.
    for _ in 0..40 {
        match std::fs::symlink_metadata(&target) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let next = std::fs::read_link(&target).map_err(|e| Error::output(&target, e))?;
                target = match target.parent() {
                    Some(dir) if next.is_relative() => dir.join(next),
                    _ => next,
                };
            }
            _ => return Ok(target),
        }
    }
    Err(Error::output(
        path,
        io::Error::other("too many levels of symbolic links"),
    ))
}

/// Runs `write` against the sink: stdout directly (a closed pipe is success), a file atomically.
pub fn to_sink(sink: &Sink, write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<()> {
    produce(sink, |w| {
        write(w).map_err(|e| Error::output(THIS_OUTPUT, e))
    })
}

/// Runs `work` against the sink, keeping a file's output only when `work` succeeds (see
/// [`produce_file`]). On stdout, a reader that went away (a closed pipe) is left to the
/// caller: the error says so ([`Error::is_closed_pipe`]). Output errors `work` names
/// [`THIS_OUTPUT`] are given the sink's name.
pub fn produce<T>(sink: &Sink, work: impl FnOnce(&mut dyn Write) -> Result<T>) -> Result<T> {
    match sink {
        Sink::File(path) => produce_file(path, work),
        Sink::Stdout => {
            let stdout = io::stdout();
            let mut lock = io::BufWriter::new(stdout.lock());
            let out = work(&mut lock).map_err(|e| e.naming_output(Path::new("<stdout>")))?;
            lock.flush().map_err(|e| Error::output("<stdout>", e))?;
            Ok(out)
        }
    }
}

/// Streams rows in one of the formats; call [`RowWriter::finish`] at the end.
pub struct RowWriter<'a> {
    format: Format,
    out: &'a mut dyn Write,
    rows: usize,
}

impl<'a> RowWriter<'a> {
    /// A writer of `format` into `out` (buffered by the caller: see [`to_sink`]).
    pub fn new(format: Format, out: &'a mut dyn Write) -> Self {
        RowWriter {
            format,
            out,
            rows: 0,
        }
    }

    /// The format written.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Writes a CSV header, or opens the JSON array.
    pub fn header(&mut self, names: &[String]) -> io::Result<()> {
        match self.format {
            Format::Csv => self.out.write_all(&render_row(Format::Csv, &(), names)?),
            Format::Json => self.out.write_all(b"["),
            Format::Jsonl => Ok(()),
        }
    }

    /// Writes one row: `flat` for CSV, `row` for the JSON formats.
    pub fn row<T: Serialize>(&mut self, row: &T, flat: &[String]) -> io::Result<()> {
        self.rendered(&render_row(self.format, row, flat)?)
    }

    /// Writes one row rendered by [`render_row`] in this writer's format.
    pub fn rendered(&mut self, bytes: &[u8]) -> io::Result<()> {
        if self.format == Format::Json {
            self.out
                .write_all(if self.rows > 0 { b",\n" } else { b"\n" })?;
        }
        self.out.write_all(bytes)?;
        if self.format == Format::Jsonl {
            self.out.write_all(b"\n")?;
        }
        self.rows += 1;
        Ok(())
    }

    /// Flushes, and closes the JSON array if any.
    pub fn finish(self) -> io::Result<()> {
        if self.format == Format::Json {
            self.out
                .write_all(if self.rows > 0 { b"\n]\n" } else { b"]\n" })?;
        }
        self.out.flush()
    }
}

/// The bytes [`RowWriter::row`] writes for one row, without what separates rows in a JSON
/// array: rows can be rendered on any thread and written in order by
/// [`RowWriter::rendered`].
pub fn render_row<T: Serialize>(format: Format, row: &T, flat: &[String]) -> io::Result<Vec<u8>> {
    match format {
        Format::Csv => {
            let mut w = csv::WriterBuilder::new()
                .has_headers(false)
                .buffer_capacity(256)
                .from_writer(Vec::new());
            w.write_record(flat)?;
            w.into_inner().map_err(|e| e.into_error())
        }
        Format::Json | Format::Jsonl => Ok(serde_json::to_vec(row)?),
    }
}

/// Writes the sender report in `format`, from batches of reports in order (each batch's rows
/// rendered in parallel).
pub fn write_senders(
    batches: impl Iterator<Item = Vec<crate::senders::SenderReport>>,
    format: Format,
    out: &mut dyn Write,
) -> io::Result<()> {
    use rayon::prelude::*;
    let mut writer = RowWriter::new(format, out);
    writer.header(&crate::senders::REPORT_COLUMNS.map(String::from))?;
    for batch in batches {
        let rendered = batch
            .par_iter()
            .map(|row| render_row(format, row, &row.csv_record()))
            .collect::<io::Result<Vec<_>>>()?;
        rendered
            .iter()
            .try_for_each(|bytes| writer.rendered(bytes))?;
    }
    writer.finish()
}

/// Writes one line to stderr; a closed or full stderr is ignored (messages for people must
/// never stop the work, nor panic as `eprintln!` does).
pub fn to_stderr(line: &str) {
    let _ = writeln!(io::stderr().lock(), "{line}");
}

/// A progress line on stderr (rows and rows/s), drawn only when `enabled` and stderr is a
/// terminal; otherwise a hidden bar that costs nothing.
pub fn progress(enabled: bool) -> indicatif::ProgressBar {
    spinner(
        enabled,
        "{spinner} {human_pos} rows scored ({per_sec}, {elapsed})",
    )
}

/// A line on stderr naming the step under way and the time so far, drawn only when
/// `enabled` and stderr is a terminal; otherwise a hidden bar that costs nothing.
pub fn stage_line(enabled: bool) -> indicatif::ProgressBar {
    spinner(enabled, "{spinner} {msg} ({elapsed})")
}

/// A spinner drawn with `template`, only when `enabled` and stderr is a terminal.
fn spinner(enabled: bool, template: &str) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if !enabled || !io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(
        indicatif::ProgressStyle::with_template(template)
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Row {
        id: &'static str,
        note: &'static str,
    }

    #[test]
    fn rows_rendered_apart_write_the_same_bytes_as_rows_written_in_turn() {
        let rows = [
            Row {
                id: "a",
                note: "plain",
            },
            Row {
                id: "b",
                note: "with, comma and \"quotes\"\nand a line",
            },
        ];
        let flat = |r: &Row| vec![r.id.to_string(), r.note.to_string()];
        let header = ["id".to_string(), "note".to_string()];
        for format in [Format::Csv, Format::Jsonl, Format::Json] {
            let (mut in_turn, mut apart) = (Vec::new(), Vec::new());
            let mut w = RowWriter::new(format, &mut in_turn);
            w.header(&header).unwrap();
            rows.iter().for_each(|r| w.row(r, &flat(r)).unwrap());
            w.finish().unwrap();
            let rendered: Vec<Vec<u8>> = rows
                .iter()
                .map(|r| render_row(format, r, &flat(r)).unwrap())
                .collect();
            let mut w = RowWriter::new(format, &mut apart);
            w.header(&header).unwrap();
            rendered.iter().for_each(|b| w.rendered(b).unwrap());
            w.finish().unwrap();
            assert_eq!(in_turn, apart, "{format:?}");
        }
        let mut csv = Vec::new();
        let mut w = RowWriter::new(Format::Csv, &mut csv);
        w.header(&header).unwrap();
        w.row(&rows[1], &flat(&rows[1])).unwrap();
        w.finish().unwrap();
        assert_eq!(
            String::from_utf8(csv).unwrap(),
            "id,note\nb,\"with, comma and \"\"quotes\"\"\nand a line\"\n"
        );
    }
}
