//! Finding `messages.csv`, `Invitations.csv` and `Connections.csv` in an unzipped folder or in
//! the zip as downloaded: names matched case-insensitively, at most two folders deep, the
//! shallowest copy wins. Every file is read through a size guard so that a zip bomb (or a
//! header that lies about the size) cannot exhaust memory.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The largest file the reader accepts from an export (1 GiB).
pub(super) const MAX_FILE_BYTES: u64 = 1 << 30;

/// How many folders deep the files may sit (users re-zip the unzipped folder).
const MAX_DEPTH: usize = 2;

/// The three files the reader needs (the other CSVs of an export are ignored).
const WANTED: [&str; 3] = ["messages.csv", "invitations.csv", "connections.csv"];

/// One file taken out of the export.
pub(super) struct ExportFile {
    /// Shown in messages: the file's path, or `<zip>/<entry>`.
    pub display: String,
    /// The file's own name, used in message ids.
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// The files found in an export.
pub(super) struct ExportFiles {
    pub messages: ExportFile,
    pub invitations: Option<ExportFile>,
    pub connections: Option<ExportFile>,
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
}

/// True for a `.zip` file, or a folder holding `messages.csv` (any case, ≤ 2 folders deep).
pub(super) fn is_export(path: &Path) -> bool {
    if path.is_file() {
        return has_zip_extension(path);
    }
    path.is_dir()
        && list_folder(path)
            .iter()
            .any(|c| c.base_name().eq_ignore_ascii_case(WANTED[0]))
}

/// Opens the export at `path` (a folder, a zip, or a `messages.csv` inside a folder).
pub(super) fn load(path: &Path) -> Result<ExportFiles> {
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
    let read = |c: &Candidate| -> Result<ExportFile> {
        let path = root.join(&c.relative);
        let file = File::open(&path).map_err(|e| Error::io(&path, e))?;
        let display = path.display().to_string();
        let bytes = read_bounded(file, MAX_FILE_BYTES, &display)?;
        Ok(ExportFile {
            display,
            file_name: c.base_name().to_string(),
            bytes,
        })
    };
    let messages = pick(&found, WANTED[0]).ok_or_else(|| missing_messages(root, &found))?;
    Ok(ExportFiles {
        messages: read(messages)?,
        invitations: pick(&found, WANTED[1]).map(read).transpose()?,
        connections: pick(&found, WANTED[2]).map(read).transpose()?,
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
            if kind.as_ref().is_ok_and(|k| k.is_dir()) {
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

/// The shallowest file named `wanted` (case-insensitive).
fn pick<'a>(found: &'a [Candidate], wanted: &str) -> Option<&'a Candidate> {
    found
        .iter()
        .filter(|c| c.base_name().eq_ignore_ascii_case(wanted))
        .min_by_key(|c| c.depth)
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
            "no messages.csv (looked up to {MAX_DEPTH} folders deep); found: {listing}. \
             Is this a LinkedIn data export (Basic_/Complete_LinkedInDataExport_*.zip)?"
        ),
    }
}

fn load_zip(path: &Path) -> Result<ExportFiles> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut archive = zip::ZipArchive::new(file).map_err(|e| corrupt_zip(path, &e))?;
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
    let messages = pick(&found, WANTED[0]).ok_or_else(|| missing_messages(path, &found))?;
    let mut read =
        |c: &Candidate| read_zip_entry(path, &mut archive, c.index, c.base_name().to_string());
    let messages = read(messages)?;
    let invitations = pick(&found, WANTED[1]).map(&mut read).transpose()?;
    let connections = pick(&found, WANTED[2]).map(&mut read).transpose()?;
    Ok(ExportFiles {
        messages,
        invitations,
        connections,
    })
}

fn read_zip_entry(
    path: &Path,
    archive: &mut zip::ZipArchive<File>,
    index: usize,
    file_name: String,
) -> Result<ExportFile> {
    let entry = archive.by_index(index).map_err(|e| corrupt_zip(path, &e))?;
    let display = format!("{}/{}", path.display(), entry.name());
    check_declared_size(entry.size(), MAX_FILE_BYTES, &display)?;
    let bytes = read_bounded(entry, MAX_FILE_BYTES, &display).map_err(|e| match e {
        Error::Io { source, .. } => Error::Export {
            path: path.into(),
            message: format!(
                "cannot read {file_name} from the archive: {source} (is the download complete?)"
            ),
        },
        other => other,
    })?;
    Ok(ExportFile {
        display,
        file_name,
        bytes,
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

/// Reads at most `limit` bytes; one byte more means the file is too large (whatever its
/// header said), so memory stays bounded.
fn read_bounded<R: Read>(input: R, limit: u64, display: &str) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    input
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(display, e))?;
    if bytes.len() as u64 > limit {
        return Err(too_large(display, limit, "holds"));
    }
    Ok(bytes)
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
    fn stops_reading_one_byte_past_the_limit() {
        let endless = std::io::repeat(b'x');
        let err = read_bounded(endless, 16, "bomb.csv")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("bomb.csv") && err.contains("more than 16 bytes"),
            "{err}"
        );
        assert_eq!(
            read_bounded(&b"0123456789abcdef"[..], 16, "ok.csv")
                .unwrap()
                .len(),
            16
        );
    }

    #[test]
    fn refuses_an_entry_declaring_more_than_a_gibibyte() {
        assert!(check_declared_size(MAX_FILE_BYTES, MAX_FILE_BYTES, "x").is_ok());
        let err = check_declared_size(MAX_FILE_BYTES + 1, MAX_FILE_BYTES, "a.zip/messages.csv")
            .unwrap_err();
        assert!(matches!(err, Error::Export { .. }), "{err}");
    }
}
