//! Finding `messages.csv`, `Invitations.csv` and `Connections.csv` in an unzipped folder or in
//! the zip as downloaded: names matched case-insensitively, at most four folders deep, the
//! shallowest `messages.csv` and the other files beside it (else the shallowest); two copies
//! equally near are an error naming both, never a silent pick. Files are found once and streamed once per pass; a zip entry is read
//! through a size guard so that a zip bomb (or a header that lies about the size) cannot run
//! forever.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The largest zip entry the reader accepts from an export (1 GiB).
pub(super) const MAX_FILE_BYTES: u64 = 1 << 30;

/// How many folders deep the files may sit (users re-zip the unzipped folder, or keep it in
/// a dated folder of downloads).
const MAX_DEPTH: usize = 4;

/// The three files the reader needs (the other CSVs of an export are ignored).
const WANTED: [&str; 3] = ["messages.csv", "invitations.csv", "connections.csv"];

/// One file of the export, found but not read: it is streamed once per pass.
#[derive(Debug, Clone)]
pub(super) struct ExportFile {
    /// Shown in messages: the file's path, or `<zip>/<entry>`.
    pub display: String,
    /// The file's own name, used in message ids.
    pub file_name: String,
    place: Place,
}

#[derive(Debug, Clone)]
enum Place {
    File(PathBuf),
    Zip { archive: PathBuf, index: usize },
}

/// The files found in an export.
#[derive(Debug, Clone)]
pub(super) struct ExportFiles {
    pub messages: ExportFile,
    pub invitations: Option<ExportFile>,
    pub connections: Option<ExportFile>,
}

impl ExportFile {
    /// Whether the file holds nothing but a byte-order mark and blank space (a download cut
    /// short, a file emptied by a spreadsheet; a file of only a header is not empty).
    pub fn is_empty(&self) -> Result<bool> {
        self.read(|input| {
            let mut buf = [0u8; 4096];
            let mut first = true;
            loop {
                let n = input
                    .read(&mut buf)
                    .map_err(|e| Error::io(Path::new(&self.display), e))?;
                if n == 0 {
                    return Ok(true);
                }
                let mut bytes = &buf[..n];
                if first {
                    bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
                    first = false;
                }
                if !bytes.iter().all(u8::is_ascii_whitespace) {
                    return Ok(false);
                }
            }
        })
    }

    /// Streams the file through `read` (a zip entry is decompressed as it is read; more than
    /// [`MAX_FILE_BYTES`] of it is refused, so a zip bomb cannot run forever).
    pub fn read<T>(&self, read: impl FnOnce(&mut dyn Read) -> Result<T>) -> Result<T> {
        match &self.place {
            // A file on disk is streamed whatever its size; only archives are guarded.
            Place::File(path) => {
                let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
                read(&mut file)
            }
            Place::Zip { archive, index } => {
                let file = File::open(archive).map_err(|e| Error::io(archive, e))?;
                let mut zip = zip::ZipArchive::new(file).map_err(|e| corrupt_zip(archive, &e))?;
                let mut entry = zip.by_index(*index).map_err(|e| corrupt_zip(archive, &e))?;
                check_declared_size(entry.size(), MAX_FILE_BYTES, &self.display)?;
                let exceeded = std::cell::Cell::new(false);
                let mut bounded = Bounded {
                    inner: &mut entry,
                    left: MAX_FILE_BYTES,
                    exceeded: &exceeded,
                };
                let out = read(&mut bounded);
                if exceeded.get() {
                    return Err(too_large(&self.display, MAX_FILE_BYTES, "holds"));
                }
                out.map_err(|e| match e {
                    Error::Io { source, .. } => Error::Export {
                        path: archive.clone(),
                        message: format!(
                            "cannot read {} from the archive: {source} (is the download complete?)",
                            self.file_name
                        ),
                    },
                    other => other,
                })
            }
        }
    }
}

/// A reader that fails after `left` bytes and says so in `exceeded`.
struct Bounded<'a> {
    inner: &'a mut dyn Read,
    left: u64,
    exceeded: &'a std::cell::Cell<bool>,
}

impl Read for Bounded<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n as u64 > self.left {
            self.exceeded.set(true);
            return Err(std::io::Error::other("file too large"));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// A file inside the export, before it is read: its path relative to the root (`/`-separated).
struct Candidate {
    relative: String,
    depth: usize,
    /// The entry's index in a zip (unused for folders).
    index: usize,
}

impl Candidate {
    fn base_name(&self) -> &str {
        self.relative.rsplit('/').next().unwrap_or(&self.relative)
    }

    /// The folder holding the file, relative to the root (`""` at the top).
    fn folder(&self) -> &str {
        self.relative.rsplit_once('/').map_or("", |(dir, _)| dir)
    }
}

/// The three files chosen among `found`: `messages.csv` (required) and the others, each the
/// one beside it, else the shallowest.
fn choose<'a>(
    root: &Path,
    found: &'a [Candidate],
) -> Result<(&'a Candidate, Option<&'a Candidate>, Option<&'a Candidate>)> {
    let messages =
        pick(root, found, WANTED[0], None)?.ok_or_else(|| missing_messages(root, found))?;
    let near = Some(messages.folder());
    Ok((
        messages,
        pick(root, found, WANTED[1], near)?,
        pick(root, found, WANTED[2], near)?,
    ))
}

/// The file named `wanted` (case-insensitive): the one in the folder `near` when there is
/// one, else the shallowest; two equally shallow are an error naming both.
fn pick<'a>(
    root: &Path,
    found: &'a [Candidate],
    wanted: &str,
    near: Option<&str>,
) -> Result<Option<&'a Candidate>> {
    let named: Vec<&Candidate> = found
        .iter()
        .filter(|c| c.base_name().eq_ignore_ascii_case(wanted))
        .collect();
    if let Some(beside) = named.iter().find(|c| Some(c.folder()) == near) {
        return Ok(Some(beside));
    }
    let Some(depth) = named.iter().map(|c| c.depth).min() else {
        return Ok(None);
    };
    match named
        .iter()
        .filter(|c| c.depth == depth)
        .collect::<Vec<_>>()[..]
    {
        [one] => Ok(Some(one)),
        [a, b, ..] => Err(Error::Export {
            path: root.into(),
            message: format!(
                "two {wanted} files, {} and {}: which export is meant? Give its folder (or \
                 zip) alone",
                a.relative, b.relative
            ),
        }),
        [] => Ok(None),
    }
}

/// True for a `.zip` file, or a folder holding `messages.csv` (any case, ≤ 4 folders deep).
pub(super) fn is_export(path: &Path) -> bool {
    if path.is_file() {
        return has_zip_extension(path);
    }
    path.is_dir()
        && list_folder(path)
            .iter()
            .any(|c| c.base_name().eq_ignore_ascii_case(WANTED[0]))
}

/// Finds the files of the export at `path` (a folder, a zip, or a `messages.csv` inside a folder).
pub(super) fn locate(path: &Path) -> Result<ExportFiles> {
    if path.is_dir() {
        return load_folder(path);
    }
    if path.is_file()
        && !has_zip_extension(path)
        && path
            .file_name()
            .is_some_and(|n| n.eq_ignore_ascii_case(WANTED[0]))
    {
        return load_folder(path.parent().unwrap_or(Path::new(".")));
    }
    load_zip(path)
}

fn has_zip_extension(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("zip"))
}

fn load_folder(root: &Path) -> Result<ExportFiles> {
    let found = list_folder(root);
    let file = |c: &Candidate| ExportFile {
        display: root.join(&c.relative).display().to_string(),
        file_name: c.base_name().to_string(),
        place: Place::File(root.join(&c.relative)),
    };
    let (messages, invitations, connections) = choose(root, &found)?;
    Ok(ExportFiles {
        messages: file(messages),
        invitations: invitations.map(file),
        connections: connections.map(file),
    })
}

/// Every file under `root`, at most [`MAX_DEPTH`] folders deep, in a stable order.
fn list_folder(root: &Path) -> Vec<Candidate> {
    let mut out = Vec::new();
    let mut pending = vec![(PathBuf::new(), 0usize)];
    while let Some((relative, depth)) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(root.join(&relative)) else {
            continue;
        };
        let mut entries: Vec<_> = entries.flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let rel = relative.join(entry.file_name());
            let kind = entry.file_type();
            // A folder named like an export file is taken as that file, so that reading it
            // fails with its name, rather than the file being silently missing.
            let named_like_file = WANTED
                .iter()
                .any(|w| entry.file_name().to_string_lossy().eq_ignore_ascii_case(w));
            if kind.as_ref().is_ok_and(|k| k.is_dir()) && !named_like_file {
                if depth < MAX_DEPTH {
                    pending.push((rel, depth + 1));
                }
            } else {
                let relative = rel.to_string_lossy().replace('\\', "/");
                out.push(Candidate {
                    relative,
                    depth,
                    index: 0,
                });
            }
        }
    }
    out.sort_by(|a, b| (a.depth, &a.relative).cmp(&(b.depth, &b.relative)));
    out
}

fn missing_messages(path: &Path, found: &[Candidate]) -> Error {
    let mut names: Vec<&str> = found.iter().map(|c| c.relative.as_str()).take(20).collect();
    if found.len() > names.len() {
        names.push("...");
    }
    let listing = if names.is_empty() {
        "no files".to_string()
    } else {
        names.join(", ")
    };
    Error::Export {
        path: path.into(),
        message: format!(
            "no messages.csv (looked up to {MAX_DEPTH} folders deep) and no mail (*.mbox, \
             *.eml, a maildir); found: {listing}. Give a LinkedIn data export \
             (Basic_/Complete_LinkedInDataExport_*.zip or its folder), a mailbox, or tables"
        ),
    }
}

fn load_zip(path: &Path) -> Result<ExportFiles> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let archive = zip::ZipArchive::new(file).map_err(|e| corrupt_zip(path, &e))?;
    let found: Vec<Candidate> = (0..archive.len())
        .filter_map(|index| {
            let name = archive.name_for_index(index)?;
            let depth = name.trim_end_matches('/').matches('/').count();
            let keep = !name.ends_with('/') && depth <= MAX_DEPTH;
            keep.then(|| Candidate {
                relative: name.to_string(),
                depth,
                index,
            })
        })
        .collect();
    let (messages, invitations, connections) = choose(path, &found)?;
    let file = |c: &Candidate| ExportFile {
        display: format!("{}/{}", path.display(), c.relative),
        file_name: c.base_name().to_string(),
        place: Place::Zip {
            archive: path.to_path_buf(),
            index: c.index,
        },
    };
    Ok(ExportFiles {
        messages: file(messages),
        invitations: invitations.map(file),
        connections: connections.map(file),
    })
}

fn corrupt_zip(path: &Path, e: &zip::result::ZipError) -> Error {
    Error::Export {
        path: path.into(),
        message: format!("not a readable zip archive ({e}); is the download complete?"),
    }
}

/// Refuses an entry whose header declares more than `limit` bytes.
fn check_declared_size(declared: u64, limit: u64, display: &str) -> Result<()> {
    if declared > limit {
        return Err(too_large(display, limit, "declares"));
    }
    Ok(())
}

fn too_large(display: &str, limit: u64, verb: &str) -> Error {
    Error::Export {
        path: display.into(),
        message: format!(
            "the file {verb} more than {limit} bytes; refusing to read it (a zip bomb?)"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stops_reading_past_the_limit() {
        let exceeded = std::cell::Cell::new(false);
        let mut endless = std::io::repeat(b'x');
        let mut bounded = Bounded {
            inner: &mut endless,
            left: 16,
            exceeded: &exceeded,
        };
        let mut sink = Vec::new();
        assert!(bounded.read_to_end(&mut sink).is_err());
        assert!(exceeded.get() && sink.len() <= 16);
    }

    #[test]
    fn refuses_an_entry_declaring_more_than_a_gibibyte() {
        assert!(check_declared_size(MAX_FILE_BYTES, MAX_FILE_BYTES, "x").is_ok());
        let err = check_declared_size(MAX_FILE_BYTES + 1, MAX_FILE_BYTES, "a.zip/messages.csv")
            .unwrap_err();
        assert!(matches!(err, Error::Export { .. }), "{err}");
    }
}
