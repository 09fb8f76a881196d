//! Finding the mail in what the user points at, and handing each file to the reader as a
//! stream: an mbox file (Thunderbird, Takeout, anything starting with a `From ` line), a single
//! `.eml`, a folder (Apple Mail's `Name.mbox/mbox`, `.eml` files, maildirs with `cur/` and
//! `new/`, unzipped Takeout `*.mbox`), or a Takeout archive (`.zip`, `.tgz`, `.tar.gz`) read
//! entry by entry without unpacking. For labeled corpora every file below a folder counts and
//! the folder directly containing it names its label.

use std::fs::{self, File};
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use flate2::read::GzDecoder;

use crate::error::{Error, Result};

/// How a file holds its mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// Many messages behind `From ` separator lines.
    Mbox,
    /// One message (an mbox when it starts with a `From ` line).
    Single,
}

/// Which files count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Select {
    /// Mail files only: `*.mbox`, Apple's `mbox`, `*.eml`, maildir messages.
    Mail,
    /// Every file inside a folder (labeled corpora: `spam/…`, `ham/…`).
    Labeled,
}

/// One file handed to the reader.
pub(super) struct Entry<'a> {
    /// The file's path, or `<archive>/<entry>`.
    pub display: String,
    pub kind: Kind,
    /// The name of the folder directly containing the file, if any.
    pub folder: Option<String>,
    pub reader: &'a mut dyn Read,
}

/// Called once per file; an error stops the walk.
pub(super) type Visit<'v> = dyn FnMut(Entry<'_>) -> Result<()> + 'v;

/// What a [`visit`] went through.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Visited {
    /// Files handed to the visitor.
    pub files: usize,
    /// Files of a labeled corpus outside any label folder (at its top), left out.
    pub unlabeled: usize,
}

/// True for something [`visit`] can read mail from (see the module docs).
pub(super) fn is_mail(path: &Path) -> bool {
    if path.is_dir() {
        let mut walk = Walk::new(Select::Mail);
        walk.first_only = true;
        walk.dir(path, 0);
        return !walk.found.is_empty();
    }
    match archive_type(path) {
        Some(Archive::Zip) => zip_names(path).is_ok_and(|n| n.iter().any(|n| kind_of(n).is_some())),
        Some(Archive::TarGz) => tar_has_mail(path),
        None => file_kind(path).is_some(),
    }
}

/// Hands every file of `path` to `visit`; returns how many there were, and how many were
/// left out for want of a label folder.
pub(super) fn visit(path: &Path, select: Select, visit: &mut Visit<'_>) -> Result<Visited> {
    if path.is_dir() {
        let (files, unlabeled) = dir_files(path, select);
        for file in &files {
            let mut reader = File::open(&file.path).map_err(|e| Error::io(&file.path, e))?;
            visit(Entry {
                display: file.path.display().to_string(),
                kind: file.kind,
                folder: file.folder.clone(),
                reader: &mut reader,
            })?;
        }
        return Ok(Visited {
            files: files.len(),
            unlabeled,
        });
    }
    let metadata = fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if metadata.len() == 0 {
        return Err(Error::EmptyFile { path: path.into() });
    }
    match archive_type(path) {
        Some(Archive::Zip) => visit_zip(path, select, visit),
        Some(Archive::TarGz) => visit_tar(path, select, visit),
        None if select == Select::Labeled => Err(not_labeled(path)),
        None => visit_file(path, visit),
    }
}

fn visit_file(path: &Path, visit: &mut Visit<'_>) -> Result<Visited> {
    let Some(kind) = file_kind(path) else {
        return Err(Error::Export {
            path: path.into(),
            message: "not mail: expected an mbox file (starting with a `From ` line), an .eml \
                      file, a maildir or Apple Mail .mbox folder, or a Takeout .zip/.tgz"
                .into(),
        });
    };
    let mut reader = File::open(path).map_err(|e| Error::io(path, e))?;
    visit(Entry {
        display: path.display().to_string(),
        kind,
        folder: None,
        reader: &mut reader,
    })?;
    Ok(Visited {
        files: 1,
        unlabeled: 0,
    })
}

fn not_labeled(path: &Path) -> Error {
    Error::Export {
        path: path.into(),
        message: "a labeled mail corpus must be a folder (or .zip/.tar.gz) whose sub-folders \
                  are the labels, e.g. spam/ and ham/"
            .into(),
    }
}

/// Header names a saved message commonly starts with (a raw `.txt` or extension-less file).
const FIRST_HEADERS: [&str; 12] = [
    "return-path",
    "received",
    "delivered-to",
    "from",
    "to",
    "subject",
    "date",
    "message-id",
    "mime-version",
    "dkim-signature",
    "authentication-results",
    "reply-to",
];

/// The kind of a plain file: by extension (`.csv`, `.tsv` and `.jsonl` are tables, never
/// mail); else an mbox when it starts with `From `, or a single message when its first line
/// is a common mail header (`From: …`, `Received: …`).
fn file_kind(path: &Path) -> Option<Kind> {
    let name = path.file_name()?.to_string_lossy();
    if let Some(kind) = kind_of(&name) {
        return Some(kind);
    }
    // A file named as a table is one, whatever its first line looks like (an Outlook CSV
    // whose first column is `From: (Address)`).
    let lower = name.to_ascii_lowercase();
    if [".csv", ".tsv", ".jsonl"]
        .iter()
        .any(|ext| lower.ends_with(ext))
    {
        return None;
    }
    // Only a regular file is sniffed: reading a pipe's first bytes would take them from the
    // reader that comes after.
    if !path.metadata().is_ok_and(|m| m.is_file()) {
        return None;
    }
    let mut head = Vec::with_capacity(512);
    File::open(path)
        .ok()?
        .take(512)
        .read_to_end(&mut head)
        .ok()?;
    if head.starts_with(b"From ") {
        return Some(Kind::Mbox);
    }
    opens_a_message(&head).then_some(Kind::Single)
}

/// Whether a file's first bytes open a mail message: its first line is a common first header
/// (`From: …`, `Received: …`, `X-…: …`), and its second line, when the head holds one, is
/// another header, a folded continuation or the blank line before the body, not a table's
/// second row (a CSV whose first column is named `From: (Address)`).
fn opens_a_message(head: &[u8]) -> bool {
    let mut lines = head.split(|&b| b == b'\n');
    let first_line = lines.next().unwrap_or_default();
    let field_of = |line: &[u8]| {
        let raw = line.split(|&b| b == b':').next().unwrap_or_default();
        let name = String::from_utf8_lossy(raw).to_ascii_lowercase();
        let named = line.len() > raw.len()
            && !name.is_empty()
            && !name.contains(|c: char| c.is_whitespace() || c == ',' || c == ';');
        named.then_some(name)
    };
    let Some(field) = field_of(first_line) else {
        return false;
    };
    let first_header = FIRST_HEADERS.contains(&field.as_str()) || field.starts_with("x-");
    // The second line, when the head holds the whole of it.
    let second = lines.next().filter(|_| lines.next().is_some());
    let continues = second.is_none_or(|line| {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        line.is_empty() || line[0] == b' ' || line[0] == b'\t' || field_of(line).is_some()
    });
    first_header && continues
}

/// The kind a mail file's name says: `*.mbox` and Apple's `mbox`, or `*.eml`.
fn kind_of(name: &str) -> Option<Kind> {
    let base = name.rsplit('/').next().unwrap_or(name).to_ascii_lowercase();
    if base == "mbox" || base.ends_with(".mbox") {
        Some(Kind::Mbox)
    } else if base.ends_with(".eml") {
        Some(Kind::Single)
    } else {
        None
    }
}

enum Archive {
    Zip,
    TarGz,
}

/// Whether `path` is named as a gzipped tar archive (`.tgz`, `.tar.gz`): only ever mail.
pub(super) fn is_tar_gz(path: &Path) -> bool {
    matches!(archive_type(path), Some(Archive::TarGz))
}

fn archive_type(path: &Path) -> Option<Archive> {
    let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
    if name.ends_with(".zip") {
        Some(Archive::Zip)
    } else if name.ends_with(".tgz") || name.ends_with(".tar.gz") {
        Some(Archive::TarGz)
    } else {
        None
    }
}

/// A file found in a folder.
struct DirFile {
    path: PathBuf,
    kind: Kind,
    folder: Option<String>,
}

/// The files of a folder that [`Select`] wants, in name order, however deep; and how many
/// files of a labeled corpus were left out at its top. A folder or file reached again through
/// a link (a loop, or an `Archive -> Inbox` link) is read once, where it is first met.
fn dir_files(root: &Path, select: Select) -> (Vec<DirFile>, usize) {
    let mut walk = Walk::new(select);
    walk.dir(root, 0);
    (walk.found, walk.unlabeled)
}

/// A folder walk under way.
struct Walk {
    select: Select,
    /// Stop at the first file found (the question is only whether there is one).
    first_only: bool,
    /// Folders and files already met, by what they are once links are followed.
    seen: std::collections::HashSet<Identity>,
    found: Vec<DirFile>,
    unlabeled: usize,
}

impl Walk {
    fn new(select: Select) -> Self {
        Walk {
            select,
            first_only: false,
            seen: std::collections::HashSet::new(),
            found: Vec::new(),
            unlabeled: 0,
        }
    }

    /// True the first time `path` (a folder or file, links followed) is met; a path that
    /// cannot be resolved (a dangling link) is always new.
    fn first_visit(&mut self, path: &Path) -> bool {
        identity(path).is_none_or(|id| self.seen.insert(id))
    }

    fn dir(&mut self, dir: &Path, depth: usize) {
        if !self.first_visit(dir) || (self.first_only && !self.found.is_empty()) {
            return;
        }
        let maildir = self.select == Select::Mail && is_maildir(dir);
        for path in sorted_entries(dir) {
            if self.first_only && !self.found.is_empty() {
                return;
            }
            let name = path
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .to_string();
            if path.is_dir() {
                if maildir && matches!(name.as_str(), "cur" | "new") {
                    if self.first_visit(&path) {
                        for file in sorted_entries(&path) {
                            if is_message_file(&file) && self.first_visit(&file) {
                                self.found.push(DirFile {
                                    path: file,
                                    kind: Kind::Single,
                                    folder: Some(name.clone()),
                                });
                            }
                        }
                    }
                } else if !(maildir && name == "tmp") {
                    self.dir(&path, depth + 1);
                }
                continue;
            }
            if !is_message_file(&path) {
                continue;
            }
            let kind = match self.select {
                Select::Mail => kind_of(&name),
                // cmds is SpamAssassin's list of file moves, not a message.
                Select::Labeled if name == "cmds" => None,
                Select::Labeled if depth == 0 => {
                    self.unlabeled += 1;
                    None
                }
                Select::Labeled => Some(Kind::Single),
            };
            if let Some(kind) = kind {
                if self.first_visit(&path) {
                    let folder = dir.file_name().map(|n| n.to_string_lossy().to_string());
                    self.found.push(DirFile { path, kind, folder });
                }
            }
        }
    }
}

/// What a path is once links are followed: its device and inode (one `stat`), or elsewhere
/// its canonical path.
#[cfg(unix)]
type Identity = (u64, u64);
#[cfg(not(unix))]
type Identity = PathBuf;

fn identity(path: &Path) -> Option<Identity> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        fs::canonicalize(path).ok()
    }
}

fn is_maildir(dir: &Path) -> bool {
    dir.join("cur").is_dir() || dir.join("new").is_dir()
}

/// A regular file that is not hidden (`.DS_Store`, editor droppings).
/// A file to read: a regular file, or a link to one that is missing (kept, so that opening
/// it reports it rather than the message going missing unnoticed); not a hidden file.
fn is_message_file(path: &Path) -> bool {
    let dangling =
        || fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) && !path.exists();
    (path.is_file() || dangling())
        && !path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'))
}

fn sorted_entries(dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    entries.sort();
    entries
}

/// What an archive member is to a walk.
enum Member {
    /// Mail of this kind, in this folder.
    Read(Kind, Option<String>),
    /// A file at the top of a labeled corpus: no label folder, left out.
    Unlabeled,
    /// Not mail (or a hidden file, or SpamAssassin's `cmds`).
    Skip,
}

/// What the archive member `name` is under `select`.
fn entry_kind(name: &str, select: Select) -> Member {
    let mut parts: Vec<&str> = name.split('/').filter(|p| !p.is_empty()).collect();
    let Some(base) = parts.pop() else {
        return Member::Skip;
    };
    let folder = parts.last().map(|f| f.to_string());
    if base.starts_with('.') {
        return Member::Skip;
    }
    match select {
        Select::Mail => kind_of(base).map_or(Member::Skip, |k| Member::Read(k, folder)),
        Select::Labeled if base == "cmds" => Member::Skip,
        Select::Labeled if folder.is_none() => Member::Unlabeled,
        Select::Labeled => Member::Read(Kind::Single, folder),
    }
}

fn open_zip(path: &Path) -> Result<zip::ZipArchive<BufReader<File>>> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    zip::ZipArchive::new(BufReader::new(file)).map_err(|e| Error::Export {
        path: path.into(),
        message: format!("not a readable zip archive: {e}"),
    })
}

fn zip_names(path: &Path) -> Result<Vec<String>> {
    Ok(open_zip(path)?.file_names().map(str::to_string).collect())
}

fn visit_zip(path: &Path, select: Select, visit: &mut Visit<'_>) -> Result<Visited> {
    let mut archive = open_zip(path)?;
    let mut count = Visited::default();
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).map_err(|e| Error::Export {
            path: path.into(),
            message: format!("zip entry {index}: {e}"),
        })?;
        if entry.is_file() {
            let name = entry.name().to_string();
            visit_member(path, &name, select, &mut entry, visit, &mut count)?;
        }
    }
    Ok(count)
}

/// Visits one archive member when its name makes it mail (or a labeled message), counting
/// it in `count`.
fn visit_member(
    archive: &Path,
    name: &str,
    select: Select,
    reader: &mut dyn Read,
    visit: &mut Visit<'_>,
    count: &mut Visited,
) -> Result<()> {
    let (kind, folder) = match entry_kind(name, select) {
        Member::Read(kind, folder) => (kind, folder),
        Member::Unlabeled => {
            count.unlabeled += 1;
            return Ok(());
        }
        Member::Skip => return Ok(()),
    };
    visit(Entry {
        display: format!("{}/{name}", archive.display()),
        kind,
        folder,
        reader,
    })?;
    count.files += 1;
    Ok(())
}

fn open_tar(path: &Path) -> Result<tar::Archive<GzDecoder<BufReader<File>>>> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    Ok(tar::Archive::new(GzDecoder::new(BufReader::new(file))))
}

/// True when a `.tgz` holds an `*.mbox` (reads the archive up to the first one).
fn tar_has_mail(path: &Path) -> bool {
    let Ok(mut archive) = open_tar(path) else {
        return false;
    };
    let Ok(entries) = archive.entries() else {
        return false;
    };
    entries.map_while(|e| e.ok()).any(|e| {
        e.path()
            .is_ok_and(|p| kind_of(&p.to_string_lossy()).is_some())
    })
}

fn visit_tar(path: &Path, select: Select, visit: &mut Visit<'_>) -> Result<Visited> {
    let tar_error = |e: std::io::Error| Error::Export {
        path: path.into(),
        message: format!("not a readable .tar.gz archive: {e}"),
    };
    let mut archive = open_tar(path)?;
    let mut count = Visited::default();
    for entry in archive.entries().map_err(tar_error)? {
        let mut entry = entry.map_err(tar_error)?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let name = entry
            .path()
            .map_err(tar_error)?
            .to_string_lossy()
            .to_string();
        visit_member(path, &name, select, &mut entry, visit, &mut count)?;
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_opens_with_a_first_header_followed_by_a_header_a_fold_or_the_body() {
        let heads = [
            (
                &b"From: Jane <jane@x.example>\nTo: me@y.example\n\nhi\n"[..],
                true,
            ),
            (
                b"Received: from a.example\r\n\tby b.example; Mon, 1 Jan 2024\r\nFrom: a@b\r\n",
                true,
            ),
            (b"X-Mailer: thing\n\nbody\n", true),
            (b"Subject: only one line", true),
            // An Outlook CSV whose first column is the sender's address.
            (
                b"From: (Address),Body\na@x.example,book a demo: today\nb@y.example,hi\n",
                false,
            ),
            (b"Note: this is a list\nof things\n", false),
            (b"From, To, Subject\n", false),
            (b"hello there\n", false),
        ];
        for (head, mail) in heads {
            assert_eq!(
                opens_a_message(head),
                mail,
                "{}",
                String::from_utf8_lossy(head)
            );
        }
    }
}
