//! Scoring: predicts every message of the inputs, in bounded chunks, in parallel, in order.
//!
//! Every input is read in two passes: the first sorts a few numbers per row to place it in its
//! thread (context features need whole threads; past a few megabytes the sort runs on disk),
//! the second scores bounded chunks. Parallelism
//! sits at one seam: [`crate::model::Model::predict_with`] runs on a chunk with rayon, and
//! chunks are taken and written in input order, so `--threads 1` and `--threads N` give
//! byte-identical output. Rows that cannot be read are reported (`path:line: problem`) and
//! counted, never dropped silently.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use rayon::prelude::*;
use serde::Serialize;

use crate::error::{Error, Result, THIS_OUTPUT};
use crate::features::{
    self,
    context::{self, Places, ThreadContext, Threads},
};
use crate::model::{Contribution, Model, Prediction};
use crate::pool::FreeOnPool;
use crate::read::table::{TableOptions, TableReader};
use crate::read::{Message, MessageStream, ReadReport};
use crate::report::{render_row, Format, RowWriter};
use crate::senders::{body_cues_given, BodyCues, Policy, SenderBook, Verdicts};

/// Messages predicted per chunk.
pub const CHUNK: usize = 2048;

/// One scored message, as written by every output format.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ScoredMessage {
    /// The message id.
    pub id: String,
    /// `file:line` of the row.
    pub source: String,
    /// Predicted label.
    pub label: String,
    /// Whether the predicted label is a flag (not the benign label).
    pub flagged: bool,
    /// Probability of each label.
    pub probabilities: BTreeMap<String, f64>,
    /// For flagged messages: the top contributing features.
    pub reasons: Vec<Contribution>,
}

impl ScoredMessage {
    /// CSV column names for a model's labels.
    pub fn csv_header(labels: &[String]) -> Vec<String> {
        let mut h = vec![
            "id".to_string(),
            "source".into(),
            "label".into(),
            "flagged".into(),
        ];
        h.extend(labels.iter().map(|l| format!("p_{l}")));
        h.push("reasons".into());
        h
    }
}

/// What to score and how.
#[derive(Debug, Clone)]
pub struct ScoreConfig {
    /// Input files.
    pub inputs: Vec<PathBuf>,
    /// How to read them.
    pub table: TableOptions,
    /// Output format.
    pub format: Format,
    /// Reasons per flagged message.
    pub reasons: usize,
    /// Show a progress line on stderr (when it is a terminal).
    pub progress: bool,
}

/// Counts for the summary line on stderr.
#[derive(Debug, Clone, Default)]
pub struct ScoreSummary {
    /// Rows scored and written.
    pub scored: usize,
    /// Rows flagged.
    pub flagged: usize,
    /// The inputs with threads but none of your messages, whose replies are unknown
    /// ([`context::Threads::replies_unknown`]).
    pub replies_unknown: Vec<PathBuf>,
    /// What reading reported (bad rows, invalid UTF-8).
    pub read: ReadReport,
}

/// Scores every input into `out`, one file at a time in two passes: the first places every
/// row in its thread (when the file has thread columns), the second scores chunks of rows.
pub fn score_tables(model: &Model, cfg: &ScoreConfig, out: &mut dyn Write) -> Result<ScoreSummary> {
    let mut writer = RowWriter::new(cfg.format, out);
    writer
        .header(&ScoredMessage::csv_header(&model.labels))
        .map_err(|e| Error::output(THIS_OUTPUT, e))?;
    let mut summary = ScoreSummary::default();
    let bar = crate::report::progress(cfg.progress);
    for path in &cfg.inputs {
        let file = TableStream {
            path,
            options: &cfg.table,
        };
        let once = read_once(path);
        // A table without thread columns needs no first pass: no row has a place in a thread.
        let threaded = once || TableReader::open(path, &cfg.table)?.has_threads();
        let held;
        let table: &(dyn MessageStream + Sync) = if once {
            held = Held::read(&file)?;
            &held
        } else {
            &file
        };
        let mut places = match threaded {
            true => {
                let mut threads = first_pass(table)?;
                if threads.replies_unknown() {
                    summary.replies_unknown.push(path.clone());
                }
                Some(context::places(&mut threads)?)
            }
            false => None,
        };
        let mut done = 0usize;
        let mut score = |chunk: Vec<Message>, summary: &mut ScoreSummary| -> Result<()> {
            let placed = match &mut places {
                Some(places) => take_places(places, chunk.len())?,
                None => vec![context::unthreaded_place(); chunk.len()],
            };
            let side = features::side_features_placed(&chunk, &placed);
            let predictions = model.predict_with(&chunk, &side, cfg.reasons);
            summary.scored += chunk.len();
            summary.flagged += predictions.iter().filter(|p| p.flagged).count();
            for bytes in render(model, cfg.format, &chunk, predictions)? {
                writer
                    .rendered(&bytes)
                    .map_err(|e| Error::output(THIS_OUTPUT, e))?;
            }
            done += chunk.len();
            bar.inc(chunk.len() as u64);
            Ok(())
        };
        let report = read_ahead(table, |chunk| score(chunk, &mut summary))?;
        if places.is_some_and(|p| p.left() != 0) {
            return Err(changed_between_passes());
        }
        summary.read.merge(report);
    }
    bar.finish_and_clear();
    writer.finish().map_err(|e| Error::output(THIS_OUTPUT, e))?;
    Ok(summary)
}

/// A table whose rows name their senders, read as a stream for [`score_senders`].
pub struct SenderTable<'a> {
    rows: TableRows<'a>,
    /// Whether the rows carry timestamps (else they are taken in file order, untimed).
    pub timed: bool,
}

/// Where a [`SenderTable`]'s rows come from.
enum TableRows<'a> {
    /// A file, opened afresh for each pass.
    File(TableStream<'a>),
    /// Read once and held (standard input, a pipe).
    Held(Box<Held>),
}

impl<'a> SenderTable<'a> {
    /// Opens `path`, refusing a table whose rows do not say who sent them.
    pub fn open(path: &'a std::path::Path, options: &'a TableOptions) -> Result<Self> {
        let mut reader = TableReader::open(path, options)?;
        let timed = reader.has_timestamps();
        if !reader.has_threads() {
            return Err(Error::Usage(format!(
                "{}: --senders needs a column naming each row's sender (contact_profile_url, \
                 sender_profile_url, sender, from, From: (Address)) or its conversation \
                 (conversation_id, thread_id); without one, score it row by row",
                path.display()
            )));
        }
        let rows = match read_once(path) {
            true => {
                let mut messages = Vec::new();
                let report = drain(&mut reader, &mut |m| {
                    messages.push(m);
                    Ok(())
                })?;
                TableRows::Held(Box::new(Held(messages, report)))
            }
            false => TableRows::File(TableStream { path, options }),
        };
        Ok(SenderTable { rows, timed })
    }
}

impl MessageStream for SenderTable<'_> {
    fn each(&self, text: bool, visit: &mut dyn FnMut(Message) -> Result<()>) -> Result<ReadReport> {
        match &self.rows {
            TableRows::File(file) => file.each(text, visit),
            TableRows::Held(held) => held.each(text, visit),
        }
    }
}

/// Standard input, a pipe (`<(…)`) or a device cannot be read twice: such input is held in
/// memory.
fn read_once(path: &std::path::Path) -> bool {
    path.as_os_str() == "-" || !std::fs::metadata(path).is_ok_and(|m| m.is_file())
}

/// A delimited file read as a stream: opened afresh for each pass; rows that cannot be read
/// go to the pass's report.
struct TableStream<'a> {
    path: &'a std::path::Path,
    options: &'a TableOptions,
}

/// Messages read once and held, with what reading reported.
struct Held(Vec<Message>, ReadReport);

impl Held {
    fn read(source: &dyn MessageStream) -> Result<Held> {
        let mut messages = Vec::new();
        let report = source.each(true, &mut |m| {
            messages.push(m);
            Ok(())
        })?;
        Ok(Held(messages, report))
    }
}

impl MessageStream for Held {
    fn each(&self, text: bool, visit: &mut dyn FnMut(Message) -> Result<()>) -> Result<ReadReport> {
        self.0.each(text, visit)?;
        Ok(self.1.clone())
    }
}

impl MessageStream for TableStream<'_> {
    fn each(
        &self,
        _text: bool,
        visit: &mut dyn FnMut(Message) -> Result<()>,
    ) -> Result<ReadReport> {
        drain(&mut TableReader::open(self.path, self.options)?, visit)
    }
}

/// Every row of `reader` to `visit`; rows that cannot be read go to the report.
fn drain(
    reader: &mut TableReader,
    visit: &mut dyn FnMut(Message) -> Result<()>,
) -> Result<ReadReport> {
    let mut bad = Vec::new();
    while let Some(row) = reader.next_message() {
        match row {
            Ok(m) => visit(m)?,
            Err(e) => bad.push(e.to_string()),
        }
    }
    let mut report = std::mem::take(&mut reader.report);
    report.bad_rows.extend(bad);
    report.me_unseen = reader.me_unseen().map(String::from);
    Ok(report)
}

/// The output rows of a batch of messages and their predictions (same order).
pub fn scored_rows(
    model: &Model,
    messages: &[Message],
    predictions: Vec<Prediction>,
) -> Vec<ScoredMessage> {
    messages
        .iter()
        .zip(predictions)
        .map(|(m, p)| ScoredMessage {
            id: m.id.clone(),
            source: m.origin.to_string(),
            label: p.label,
            flagged: p.flagged,
            probabilities: model.labels.iter().cloned().zip(p.probabilities).collect(),
            reasons: p.reasons,
        })
        .collect()
}

/// What scoring a stream of messages by sender found.
#[derive(Debug, Default)]
pub struct SenderScore {
    /// One verdict per sender, most certain flags first.
    pub reports: Option<Verdicts>,
    /// Messages read and scored.
    pub messages: usize,
    /// Messages the model flagged.
    pub flagged: usize,
    /// The input holds none of your messages: whether you replied is not known
    /// ([`context::Threads::replies_unknown`]).
    pub replies_unknown: bool,
    /// What reading reported (bad rows, invalid UTF-8, rows left out).
    pub read: ReadReport,
}

/// Where the per-message scores of [`score_senders`] go, if anywhere.
pub struct MessageRows<'a> {
    /// The writer.
    pub out: &'a mut dyn Write,
    /// Its format.
    pub format: Format,
    /// Reasons per flagged message.
    pub reasons: usize,
}

/// Scores a stream in two passes and judges every sender: the first pass sorts a
/// [`ThreadRow`](context::ThreadRow) per message (no text) to place each message in its
/// thread and to order each sender's timeline; the second scores [`CHUNK`] messages at a
/// time in parallel and folds each into its sender's state. Memory holds per-sender state,
/// a few megabytes of rows and places (the rest in temporary files) and a few chunks of
/// messages, never the whole input.
pub fn score_senders(
    model: &Model,
    source: &(dyn MessageStream + Sync),
    policy: Policy,
    rows_out: Option<MessageRows<'_>>,
    progress: bool,
) -> Result<SenderScore> {
    let mut threads = first_pass(source)?;
    // Freed first, so that the per-sender state can take their room.
    threads.forget_keys();
    let mut book = SenderBook::new(&model.labels, &mut threads)?;
    let mut places = context::places(&mut threads)?;
    let replies_unknown = threads.replies_unknown();
    drop(threads);
    let bar = crate::report::progress(progress);
    let reasons = rows_out.as_ref().map_or(0, |r| r.reasons);
    let mut writer = match rows_out {
        Some(r) => {
            let mut w = RowWriter::new(r.format, r.out);
            w.header(&ScoredMessage::csv_header(&model.labels))
                .map_err(|e| Error::output(THIS_OUTPUT, e))?;
            Some(w)
        }
        None => None,
    };
    let mut result = SenderScore {
        replies_unknown,
        ..SenderScore::default()
    };
    let mut freed = FreeOnPool::new(CHUNK);
    let mut flush = |chunk: Vec<Message>, result: &mut SenderScore| -> Result<()> {
        let placed = take_places(&mut places, chunk.len())?;
        let (side, cues_of_bodies) = features::side_features_and_cues(&chunk, &placed);
        let predictions = model.predict_with(&chunk, &side, reasons);
        let body_cues: Vec<BodyCues> = chunk
            .par_iter()
            .zip(&cues_of_bodies)
            .map(|(m, c)| body_cues_given(m, c))
            .collect();
        for (((m, p), place), c) in chunk.iter().zip(&predictions).zip(&placed).zip(&body_cues) {
            book.observe(place, m, p, c);
        }
        result.messages += chunk.len();
        result.flagged += predictions.iter().filter(|p| p.flagged).count();
        if let Some(w) = &mut writer {
            for bytes in render(model, w.format(), &chunk, predictions)? {
                w.rendered(&bytes)
                    .map_err(|e| Error::output(THIS_OUTPUT, e))?;
            }
        }
        bar.inc(chunk.len() as u64);
        freed.free_all(chunk);
        Ok(())
    };
    result.read = read_ahead(source, |chunk| flush(chunk, &mut result))?;
    bar.finish_and_clear();
    if places.left() != 0 {
        return Err(changed_between_passes());
    }
    drop(places);
    if let Some(w) = writer {
        w.finish().map_err(|e| Error::output(THIS_OUTPUT, e))?;
    }
    result.reports = Some(book.reports(policy));
    Ok(result)
}

/// Reads `source` (with text) [`CHUNK`] messages at a time on a thread of its own, while
/// `on_chunk` takes the chunks already read, in order, on this thread; at most two chunks
/// wait between them, so memory stays at a few chunks. With one thread in the pool, reading
/// takes turns with `on_chunk` on this thread.
fn read_ahead(
    source: &(dyn MessageStream + Sync),
    mut on_chunk: impl FnMut(Vec<Message>) -> Result<()>,
) -> Result<ReadReport> {
    if rayon::current_num_threads() == 1 {
        let mut chunk = Vec::with_capacity(CHUNK);
        let report = source.each(true, &mut |m| {
            chunk.push(m);
            if chunk.len() == CHUNK {
                on_chunk(std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK)))?;
            }
            Ok(())
        })?;
        if !chunk.is_empty() {
            on_chunk(chunk)?;
        }
        return Ok(report);
    }
    let (sender, chunks) = std::sync::mpsc::sync_channel::<Vec<Message>>(2);
    std::thread::scope(|scope| {
        let reader = scope.spawn(move || {
            let mut chunk = Vec::with_capacity(CHUNK);
            let report = source.each(true, &mut |m| {
                chunk.push(m);
                if chunk.len() == CHUNK {
                    let full = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK));
                    sender.send(full).map_err(|_| scoring_stopped())?;
                }
                Ok(())
            })?;
            if !chunk.is_empty() {
                sender.send(chunk).map_err(|_| scoring_stopped())?;
            }
            Ok(report)
        });
        let scored = chunks.iter().try_for_each(&mut on_chunk);
        // On a scoring error the receiver is dropped here, so the reader stops at its next send.
        drop(chunks);
        let read = reader
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p));
        scored.and(read)
    })
}

/// Each row as [`RowWriter`] writes it in `format`, rendered in parallel.
fn render(
    model: &Model,
    format: Format,
    messages: &[Message],
    predictions: Vec<Prediction>,
) -> Result<Vec<Vec<u8>>> {
    let rendered = match format {
        Format::Csv => messages
            .par_chunks(CSV_BLOCK)
            .zip(predictions.par_chunks(CSV_BLOCK))
            .map(|(m, p)| csv_rows(m, p))
            .collect::<std::io::Result<_>>(),
        Format::Json | Format::Jsonl => scored_rows(model, messages, predictions)
            .par_iter()
            .map(|row| render_row(format, row, &[]))
            .collect::<std::io::Result<_>>(),
    };
    rendered.map_err(|e| Error::output(THIS_OUTPUT, e))
}

/// Rows of CSV output [`render`] writes as one piece.
const CSV_BLOCK: usize = 256;

/// The CSV rows of scored messages (columns as [`ScoredMessage::csv_header`] names them:
/// probabilities in label order, reasons as `feature:+0.123` joined by `; `), written
/// straight from the messages and their predictions.
fn csv_rows(messages: &[Message], predictions: &[Prediction]) -> std::io::Result<Vec<u8>> {
    use std::fmt::Write as _;
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::with_capacity(messages.len() * 128));
    let mut field = String::new();
    // Formatting into a String cannot fail: `put` leaves the result aside.
    let mut put = |w: &mut csv::Writer<Vec<u8>>,
                   f: &mut dyn FnMut(&mut String) -> std::fmt::Result| {
        field.clear();
        let _ = f(&mut field);
        w.write_field(&field)
    };
    for (m, p) in messages.iter().zip(predictions) {
        w.write_field(&m.id)?;
        put(&mut w, &mut |f| write!(f, "{}", m.origin))?;
        w.write_field(&p.label)?;
        w.write_field(if p.flagged { "true" } else { "false" })?;
        for prob in &p.probabilities {
            put(&mut w, &mut |f| write!(f, "{prob:.6}"))?;
        }
        put(&mut w, &mut |f| {
            for (i, c) in p.reasons.iter().enumerate() {
                let sep = if i > 0 { "; " } else { "" };
                write!(f, "{sep}{}:{:+.3}", c.feature, c.contribution)?;
            }
            Ok(())
        })?;
        w.write_record(None::<&[u8]>)?;
    }
    w.into_inner().map_err(|e| e.into_error())
}

/// The places of the next `n` rows, which the first pass must have seen.
fn take_places(places: &mut Places, n: usize) -> Result<Vec<ThreadContext>> {
    if places.left() < n {
        return Err(changed_between_passes());
    }
    places.take(n)
}

/// The first pass: a compact row per message.
fn first_pass(source: &dyn MessageStream) -> Result<Threads> {
    let mut threads = Threads::bounded();
    let mut freed = FreeOnPool::new(CHUNK);
    source.each(false, &mut |m| {
        threads.push(&m);
        freed.free(m);
        Ok(())
    })?;
    Ok(threads)
}

fn scoring_stopped() -> Error {
    Error::Usage("scoring stopped".into())
}

fn changed_between_passes() -> Error {
    Error::InputChanged("the second pass saw different rows".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::Thread;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A source whose second pass has one row more than its first, as a file appended to
    /// while it is scored.
    struct Growing {
        passes: AtomicUsize,
    }

    impl MessageStream for Growing {
        fn each(
            &self,
            _text: bool,
            visit: &mut dyn FnMut(Message) -> Result<()>,
        ) -> Result<ReadReport> {
            let rows = 3 + self.passes.fetch_add(1, Ordering::SeqCst);
            for i in 0..rows {
                visit(Message {
                    id: format!("m{i}"),
                    text: "Hi, would you like to see our offer?".into(),
                    thread: Some(Thread {
                        conversation: "c1".into(),
                        contact: format!("https://www.linkedin.com/in/p{i}"),
                        contact_name: format!("P {i}"),
                        incoming: true,
                        timestamp: Some(1_700_000_000 + i as i64),
                        ..Thread::default()
                    }),
                    ..Message::default()
                })?;
            }
            Ok(ReadReport::default())
        }
    }

    #[test]
    fn an_input_that_changes_between_passes_is_an_input_error() {
        let model = Model::default_model().unwrap();
        let source = Growing {
            passes: AtomicUsize::new(0),
        };
        let Err(err) = score_senders(&model, &source, Policy::Balanced, None, false) else {
            panic!("the second pass saw a row more, yet scoring succeeded");
        };
        assert!(matches!(err, Error::InputChanged(_)), "{err}");
        assert_eq!(err.exit_code(), crate::error::EXIT_INPUT);
        assert!(err.to_string().contains("changed while it was being read"));
    }
}
