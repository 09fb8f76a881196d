//! Sorting more rows than memory should hold: rows are gathered in runs of bounded size, each
//! run is sorted in memory (on the thread pool) and, once full, written to an anonymous
//! temporary file; the runs are then merged back in key order. Rows are fixed-width records,
//! so a run on disk is its rows end to end. A sorter that never fills a run does no I/O.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, Write};

use rayon::prelude::*;

use crate::error::{Error, Result};

/// Bytes of rows a sorter holds in memory before it writes a run out.
pub const RUN_BYTES: usize = 8 << 20;

/// Bytes read ahead from each run on disk while merging.
const READ_AHEAD: usize = 1 << 16;

/// A row a [`Sorter`] can write out and read back: a fixed number of bytes, and a key that
/// orders the rows totally (no two rows of one sort share a key).
pub trait Record: Copy + Send + Sync {
    /// Bytes of a written row.
    const SIZE: usize;
    /// What rows are sorted by.
    type Key: Ord + Copy + Send;
    /// This row's key.
    fn key(&self) -> Self::Key;
    /// Writes the row into `out` (`SIZE` bytes).
    fn put(&self, out: &mut [u8]);
    /// Reads a row written by [`Record::put`].
    fn get(bytes: &[u8]) -> Self;
}

/// Rows gathered for sorting, in runs of at most `run_rows` in memory; full runs go to disk.
#[derive(Debug)]
pub struct Sorter<T> {
    run_rows: usize,
    current: Vec<T>,
    runs: Vec<File>,
    /// The first error writing a run; reported by [`Sorter::sorted`].
    failed: Option<std::io::Error>,
    rows: usize,
}

impl<T: Record> Default for Sorter<T> {
    /// A sorter that keeps every row in memory.
    fn default() -> Self {
        Sorter::with_run_rows(usize::MAX)
    }
}

impl<T: Record> Sorter<T> {
    /// A sorter that writes a run out every `run_rows` rows (at least one).
    pub fn with_run_rows(run_rows: usize) -> Self {
        Sorter {
            run_rows: run_rows.max(1),
            current: Vec::new(),
            runs: Vec::new(),
            failed: None,
            rows: 0,
        }
    }

    /// A sorter that holds at most `RUN_BYTES` (8 MB) of rows in memory.
    pub fn bounded() -> Self {
        Sorter::with_run_rows(RUN_BYTES / size_of::<T>().max(1))
    }

    /// Adds a row; writes the run out when it is full (an error is kept for
    /// [`Sorter::sorted`]).
    pub fn push(&mut self, row: T) {
        if self.current.is_empty() && self.run_rows != usize::MAX {
            // Sized once: a doubling Vec would leave its old buffers behind as heap holes.
            self.current.reserve_exact(self.run_rows);
        }
        self.current.push(row);
        self.rows += 1;
        if self.current.len() >= self.run_rows && self.failed.is_none() {
            if let Err(e) = self.write_run() {
                self.failed = Some(e);
            }
        }
    }

    /// Rows added.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// True before the first row.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Runs written to disk so far.
    pub fn runs_on_disk(&self) -> usize {
        self.runs.len()
    }

    fn write_run(&mut self) -> std::io::Result<()> {
        self.current.par_sort_unstable_by_key(|r| r.key());
        let mut file = BufWriter::with_capacity(READ_AHEAD, tempfile::tempfile()?);
        let mut bytes = vec![0u8; T::SIZE];
        for row in &self.current {
            row.put(&mut bytes);
            file.write_all(&bytes)?;
        }
        let mut file = file.into_inner().map_err(|e| e.into_error())?;
        file.rewind()?;
        self.runs.push(file);
        self.current.clear();
        Ok(())
    }

    /// Every row added, in key order; the sorter is left empty.
    pub fn sorted(&mut self) -> Result<Sorted<T>> {
        if let Some(e) = self.failed.take() {
            return Err(temporary(e));
        }
        let mut memory = std::mem::take(&mut self.current);
        memory.par_sort_unstable_by_key(|r| r.key());
        self.rows = 0;
        let mut runs: Vec<Run<T>> = std::mem::take(&mut self.runs)
            .into_iter()
            .map(|f| Run::Disk(BufReader::with_capacity(READ_AHEAD, f), vec![0u8; T::SIZE]))
            .collect();
        runs.push(Run::Memory(memory.into_iter()));
        let mut merged = Sorted {
            runs,
            heads: Vec::new(),
            heap: BinaryHeap::new(),
        };
        for i in 0..merged.runs.len() {
            let head = merged.runs[i].next()?;
            merged.heads.push(head);
            if let Some(row) = head {
                merged.heap.push(Reverse((row.key(), i)));
            }
        }
        Ok(merged)
    }
}

/// One sorted run being merged.
enum Run<T> {
    Memory(std::vec::IntoIter<T>),
    Disk(BufReader<File>, Vec<u8>),
}

impl<T: Record> Run<T> {
    fn next(&mut self) -> Result<Option<T>> {
        match self {
            Run::Memory(rows) => Ok(rows.next()),
            Run::Disk(file, bytes) => match file.read_exact(bytes) {
                Ok(()) => Ok(Some(T::get(bytes))),
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(None),
                Err(e) => Err(Error::io(temporary_files(), e)),
            },
        }
    }
}

/// The rows of a [`Sorter`], merged from its runs in key order.
pub struct Sorted<T: Record> {
    runs: Vec<Run<T>>,
    /// Each run's next row.
    heads: Vec<Option<T>>,
    /// The runs with a row left, smallest key first.
    heap: BinaryHeap<Reverse<(T::Key, usize)>>,
}

impl<T: Record> Sorted<T> {
    /// The next row in key order.
    pub fn next_row(&mut self) -> Result<Option<T>> {
        let Some(Reverse((_, i))) = self.heap.pop() else {
            return Ok(None);
        };
        let row = self.heads[i].take();
        let head = self.runs[i].next()?;
        self.heads[i] = head;
        if let Some(next) = head {
            self.heap.push(Reverse((next.key(), i)));
        }
        Ok(row)
    }

    /// The next row's key, without taking it.
    pub fn peek_key(&self) -> Option<T::Key> {
        self.heap.peek().map(|Reverse((key, _))| *key)
    }

    /// Calls `each` with every group of consecutive rows that `same` puts together, in order;
    /// one group is held at a time.
    pub fn each_group(
        mut self,
        same: impl Fn(&T, &T) -> bool,
        mut each: impl FnMut(&[T]),
    ) -> Result<()> {
        let mut group: Vec<T> = Vec::new();
        while let Some(row) = self.next_row()? {
            if group.last().is_some_and(|last| !same(last, &row)) {
                each(&group);
                group.clear();
            }
            group.push(row);
        }
        if !group.is_empty() {
            each(&group);
        }
        Ok(())
    }
}

/// Writes a record's fields one after another, little-endian, for [`Record::put`].
pub struct Put<'a> {
    out: &'a mut [u8],
    at: usize,
}

impl<'a> Put<'a> {
    /// Writes into `out` from its start.
    pub fn new(out: &'a mut [u8]) -> Self {
        Put { out, at: 0 }
    }

    /// Writes the next field's bytes (`to_le_bytes()`).
    pub fn field<const N: usize>(mut self, bytes: [u8; N]) -> Self {
        self.out[self.at..self.at + N].copy_from_slice(&bytes);
        self.at += N;
        self
    }
}

/// Reads the fields [`Put`] wrote, in the same order, for [`Record::get`].
pub struct Get<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Get<'a> {
    /// Reads `bytes` from their start.
    pub fn new(bytes: &'a [u8]) -> Self {
        Get { bytes, at: 0 }
    }

    /// The next field's bytes (for `from_le_bytes`).
    pub fn field<const N: usize>(&mut self) -> [u8; N] {
        let mut field = [0u8; N];
        field.copy_from_slice(&self.bytes[self.at..self.at + N]);
        self.at += N;
        field
    }
}

/// A failure to write the temporary files, named by their folder, with what to do.
fn temporary(e: std::io::Error) -> Error {
    let hint = format!("{e}; set TMPDIR to a writable folder with room");
    Error::output(temporary_files(), std::io::Error::new(e.kind(), hint))
}

/// How errors name the temporary files: by their folder.
fn temporary_files() -> std::path::PathBuf {
    std::env::temp_dir().join("hardsell's temporary files")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq)]
    struct Pair(u32, u64);

    impl Record for Pair {
        const SIZE: usize = 12;
        type Key = (u32, u64);
        fn key(&self) -> (u32, u64) {
            (self.0, self.1)
        }
        fn put(&self, out: &mut [u8]) {
            Put::new(out)
                .field(self.0.to_le_bytes())
                .field(self.1.to_le_bytes());
        }
        fn get(b: &[u8]) -> Self {
            let mut g = Get::new(b);
            Pair(u32::from_le_bytes(g.field()), u64::from_le_bytes(g.field()))
        }
    }

    fn rows(n: u64) -> Vec<Pair> {
        // A scrambled order with repeated first keys.
        (0..n)
            .map(|i| Pair((i * 7919 % 13) as u32, i * 104_729 % n))
            .collect()
    }

    fn sorted_by(run_rows: usize, input: &[Pair]) -> (Vec<Pair>, usize) {
        let mut sorter = Sorter::with_run_rows(run_rows);
        input.iter().for_each(|&r| sorter.push(r));
        let on_disk = sorter.runs_on_disk();
        let mut merged = sorter.sorted().unwrap();
        let mut out = Vec::new();
        while let Some(r) = merged.next_row().unwrap() {
            out.push(r);
        }
        (out, on_disk)
    }

    #[test]
    fn runs_written_to_disk_merge_back_into_the_same_order_as_one_in_memory() {
        let input = rows(10_007);
        let (whole, none) = sorted_by(usize::MAX, &input);
        assert_eq!(none, 0);
        let mut expected = input.clone();
        expected.sort_by_key(|r| r.key());
        assert_eq!(whole, expected);
        for run_rows in [1, 2, 999, 10_006, 10_007] {
            let (merged, on_disk) = sorted_by(run_rows, &input);
            assert_eq!(on_disk, 10_007 / run_rows, "run of {run_rows}");
            assert_eq!(merged, expected, "run of {run_rows}");
        }
    }

    #[test]
    fn groups_come_whole_and_in_order() {
        let mut sorter = Sorter::with_run_rows(3);
        rows(100).into_iter().for_each(|r| sorter.push(r));
        let mut groups = Vec::new();
        sorter
            .sorted()
            .unwrap()
            .each_group(|a, b| a.0 == b.0, |g| groups.push(g.to_vec()))
            .unwrap();
        assert_eq!(groups.len(), 13);
        assert_eq!(groups.iter().map(Vec::len).sum::<usize>(), 100);
        for (k, g) in groups.iter().enumerate() {
            assert!(g.iter().all(|r| r.0 == k as u32));
            assert!(g.windows(2).all(|w| w[0].1 < w[1].1));
        }
    }

    #[test]
    fn an_empty_sorter_gives_nothing() {
        let mut sorter: Sorter<Pair> = Sorter::bounded();
        assert!(sorter.is_empty());
        assert_eq!(sorter.sorted().unwrap().next_row().unwrap(), None);
    }
}
