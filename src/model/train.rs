//! Training: hashed TF-IDF text model fitted out of fold, then the linfa-logistic combiner.
//!
//! 1. Every labeled message is hashed once; buckets seen in at least `min_df` messages are kept.
//! 2. K stratified folds: a sparse one-vs-rest logistic regression per class is fitted on
//!    K−1 folds and scores the held-out fold, so each message gets text scores from a model
//!    that never saw it (no leak into the combiner).
//! 3. linfa-logistic's `MultiLogisticRegression` (softmax) is fitted on those scores plus the
//!    cue and context features. Softmax sidesteps linfa 0.8.1's binary positive-class
//!    orientation trap (rust-ml/linfa#393): class indices are ours.
//! 4. The text model is refitted on all rows for scoring. A two-label model picks the
//!    threshold that maximises MCC on the out-of-fold probabilities.
//!
//! With [`TrainParams::tune`] (`--tune`), steps 1–3 run for every candidate of a small grid of
//! text hyper-parameters on the training rows alone, and step 4 for the candidate with the best
//! out-of-fold MCC; the model records every candidate's figures. The tuned model is the one
//! plain training with the winner's flags gives, plus that record.
//!
//! Deterministic: folds come from a hash of each row, never from a random generator, and
//! candidates are compared in grid order.

use std::collections::BTreeMap;

use ndarray::{Array2, ShapeBuilder};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use xxhash_rust::xxh3::xxh3_64;

use super::combiner;
use super::sparse_logit::{self, Csr, LogitParams};
use super::{normalize, Model, TextModel, FORMAT, FORMAT_VERSION};
use crate::error::{Error, Result};
use crate::features::{self, text, FeatureSpec};
use crate::metrics;
use crate::read::Message;

pub use super::tune::{TuneCandidate, TuneGrid, Tuning};

/// Training hyper-parameters, with documented defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainParams {
    /// Folds for the out-of-fold text scores (default 3, at least 2).
    pub folds: usize,
    /// The sparse text model's parameters.
    pub text_logit: LogitParams,
    /// How text is hashed.
    pub text: text::TextSpec,
    /// Buckets seen in fewer messages are dropped (default 2).
    pub min_df: u32,
    /// L2 strength of the linfa-logistic combiner (default 1.0).
    pub combiner_alpha: f64,
    /// Iteration cap of the combiner (default 300).
    pub combiner_max_iterations: u64,
    /// The combiner stops when the norm of its loss gradient, per training row, is smaller
    /// than this (default 1e-5; linfa-logistic is given it times the row count, as its loss
    /// is summed). 1e-4 moved the SMS tuning's choice; 1e-5 gave the same test MCC as running
    /// to the iteration cap on all four public corpora. Model files written before it was a
    /// parameter (trained to the cap) read as 1e-5.
    #[serde(default = "default_combiner_tolerance")]
    pub combiner_tolerance: f64,
    /// The flagged label of a two-label model (default `spam` when present, else the rarer label).
    pub positive: Option<String>,
    /// When set, `text` and `text_logit.alpha` are chosen from this grid by out-of-fold
    /// figures before the final fit (default: not set; `--tune`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tune: Option<TuneGrid>,
}

impl Default for TrainParams {
    fn default() -> Self {
        TrainParams {
            folds: 3,
            text_logit: LogitParams::default(),
            text: text::TextSpec::default(),
            min_df: 2,
            combiner_alpha: 1.0,
            combiner_max_iterations: 300,
            combiner_tolerance: default_combiner_tolerance(),
            positive: None,
            tune: None,
        }
    }
}

fn default_combiner_tolerance() -> f64 {
    1e-5
}

/// What a model was trained on and how well it did out of fold; saved in the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingSummary {
    /// Display name of the training input.
    pub source: String,
    /// SHA-256 over every training row's label, subject and text.
    pub fingerprint: String,
    /// Training rows per label.
    pub rows_per_label: BTreeMap<String, usize>,
    /// Input rows with no label (used as thread context only).
    pub unlabeled_rows: usize,
    /// The hyper-parameters used.
    pub params: TrainParams,
    /// Buckets kept in the text model.
    pub text_buckets: usize,
    /// Whether every sparse fit converged within its iteration cap.
    pub converged: bool,
    /// Out-of-fold metrics (text scores out of fold, combiner in sample), as `eval --format json` prints them.
    pub cross_validation: serde_json::Value,
    /// With `--tune`: the candidates tried, their out-of-fold figures and the winner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tuning: Option<Tuning>,
}

/// Checks `params` and trains a model on the labeled messages of `messages`; with
/// `params.tune`, first picks the text hyper-parameters by out-of-fold figures (see [`TuneGrid`]).
pub fn train(messages: &[Message], source: &str, params: &TrainParams) -> Result<Model> {
    train_showing(messages, source, params, &|_| {})
}

/// [`train`], telling `stage` each step as it starts (for a progress line; the tuning grid
/// prints its own lines instead).
pub fn train_showing(
    messages: &[Message],
    source: &str,
    params: &TrainParams,
    stage: &(dyn Fn(&str) + Sync),
) -> Result<Model> {
    check_params(params)?;
    stage(&format!(
        "preparing {} rows: labels, folds, cue and context features",
        messages.len()
    ));
    let mut prep = Prepared::new(messages, source, params)?;
    prep.stage = stage;
    match &params.tune {
        None => train_untuned(&prep, params),
        Some(grid) => super::tune::tune(&prep, params, grid),
    }
}

/// What every candidate shares: the labeled rows' texts, classes, folds and side features.
pub(super) struct Prepared<'a> {
    pub(super) source: &'a str,
    pub(super) unlabeled_rows: usize,
    pub(super) labels: Vec<String>,
    pub(super) rows_per_label: BTreeMap<String, usize>,
    pub(super) positive: Option<String>,
    /// Class index of every labeled row.
    pub(super) y: Vec<usize>,
    /// The classes that get a one-vs-rest text model.
    pub(super) ovr: Vec<usize>,
    /// Number of folds, and the fold of every labeled row.
    pub(super) k: usize,
    pub(super) folds: Vec<usize>,
    /// Cue, context and mail features of every labeled row (an unknown value replaced by
    /// its mean in `side_means`).
    pub(super) side: Vec<Vec<f64>>,
    /// What stands in for an unknown side value ([`Model::side_means`]).
    pub(super) side_means: Vec<f64>,
    pub(super) texts: Vec<String>,
    /// SHA-256 of the labeled rows (hashed once: every candidate's summary carries it).
    pub(super) fingerprint: String,
    /// Told each step of training as it starts ([`train_showing`]).
    pub(super) stage: &'a (dyn Fn(&str) + Sync),
}

impl<'a> Prepared<'a> {
    fn new(messages: &'a [Message], source: &'a str, params: &TrainParams) -> Result<Self> {
        let labeled_idx: Vec<usize> = (0..messages.len())
            .filter(|&i| messages[i].label.is_some())
            .collect();
        let labeled: Vec<&Message> = labeled_idx.iter().map(|&i| &messages[i]).collect();
        let (labels, rows_per_label) = count_labels(&labeled, source)?;
        let positive = choose_positive(&labels, &rows_per_label, params.positive.as_deref())?;
        let y: Vec<usize> = labeled
            .iter()
            .map(|m| {
                labels
                    .iter()
                    .position(|l| Some(l) == m.label.as_ref())
                    .expect("label")
            })
            .collect();
        for (label, &n) in &rows_per_label {
            if n < params.folds {
                return Err(Error::Training(format!(
                    "{source}: label '{label}' has {n} rows, fewer than --cv {} folds",
                    params.folds
                )));
            }
        }
        let ovr: Vec<usize> = match &positive {
            Some(p) => vec![labels.iter().position(|l| l == p).expect("positive label")],
            None => (0..labels.len()).collect(),
        };
        // The fingerprint and the folds (one thread each) while the pool works out the
        // features.
        let ((fingerprint, folds), (all_side, texts)) = rayon::join(
            || {
                rayon::join(
                    || fingerprint(&labeled),
                    || assign_folds(&labeled, &y, params.folds),
                )
            },
            || {
                // Context comes from every row (the owner's unlabeled replies included).
                let all_side = features::side_features(messages);
                let texts: Vec<String> = labeled
                    .par_iter()
                    .map(|m| features::full_text(m).into_owned())
                    .collect();
                (all_side, texts)
            },
        );
        let mut side: Vec<Vec<f64>> = labeled_idx.iter().map(|&i| all_side[i].clone()).collect();
        let side_means = side_means(&labeled, &side);
        for row in &mut side {
            for (v, &mean) in row.iter_mut().zip(&side_means) {
                if v.is_nan() {
                    *v = mean;
                }
            }
        }
        Ok(Prepared {
            side_means,
            fingerprint,
            source,
            unlabeled_rows: messages.len() - labeled.len(),
            labels,
            rows_per_label,
            positive,
            y,
            ovr,
            k: params.folds,
            folds,
            side,
            texts,
            stage: &|_| {},
        })
    }
}

/// The mean of each side feature over the labeled messages the contact wrote in a thread,
/// where it is known (not NaN): what stands in for it where an input does not hold it. 0 for
/// a feature known in no such message.
fn side_means(labeled: &[&Message], side: &[Vec<f64>]) -> Vec<f64> {
    let width = side.first().map_or(0, Vec::len);
    let mut sums = vec![(0.0f64, 0usize); width];
    let in_thread = labeled
        .iter()
        .zip(side)
        .filter(|(m, _)| m.thread.as_ref().is_some_and(|t| t.incoming));
    for (_, row) in in_thread {
        for ((sum, n), &v) in sums.iter_mut().zip(row) {
            if !v.is_nan() {
                *sum += v;
                *n += 1;
            }
        }
    }
    sums.iter()
        .map(|&(sum, n)| if n == 0 { 0.0 } else { sum / n as f64 })
        .collect()
}

/// The labeled texts hashed with one [`text::TextSpec`]: the vocabulary kept and the TF-IDF rows.
pub(super) struct HashedText {
    pub(super) vocab: Vocabulary,
    pub(super) x: Csr,
    /// A digest of the raw hashed counts: two specs with the same digest give the same rows.
    pub(super) digest: u128,
}

impl HashedText {
    pub(super) fn new(texts: &[String], spec: &text::TextSpec, min_df: u32) -> Self {
        // Each row's counts with a digest of them (the digests of all rows make the text's).
        let blocks: Vec<(CountBlock, Vec<u128>)> = texts
            .par_chunks(ROWS_PER_BLOCK)
            .map_init(Vec::new, |bytes, texts| {
                let mut block = CountBlock::default();
                let mut digests = Vec::with_capacity(texts.len());
                for t in texts {
                    let row = text::hashed_counts(spec, t);
                    bytes.clear();
                    for &(b, tf) in &row {
                        bytes.extend_from_slice(&b.to_le_bytes());
                        bytes.extend_from_slice(&tf.to_bits().to_le_bytes());
                    }
                    digests.push(xxhash_rust::xxh3::xxh3_128(bytes));
                    block.push(&row);
                }
                block.pairs.shrink_to_fit();
                (block, digests)
            })
            .collect();
        let mut digest = xxhash_rust::xxh3::Xxh3::new();
        for d in blocks.iter().flat_map(|(_, digests)| digests) {
            digest.update(&d.to_le_bytes());
        }
        let blocks: Vec<CountBlock> = blocks.into_iter().map(|(b, _)| b).collect();
        let vocab = Vocabulary::fit(&blocks, spec.hash_bits, min_df);
        let x = vocab.transform(blocks);
        HashedText {
            vocab,
            x,
            digest: digest.digest128(),
        }
    }
}

/// Rows hashed per [`CountBlock`] (about 1.5 MB of counts for mail-length texts).
const ROWS_PER_BLOCK: usize = 256;

/// The hashed counts of a block of rows, one row's `(bucket, tf)` pairs after another: one
/// allocation per block rather than one per row, so the rows cost their pairs and no more.
#[derive(Default)]
struct CountBlock {
    /// Where each row's pairs end.
    ends: Vec<usize>,
    pairs: Vec<(u32, f32)>,
}

impl CountBlock {
    fn push(&mut self, row: &[(u32, f32)]) {
        self.pairs.extend_from_slice(row);
        self.ends.push(self.pairs.len());
    }

    /// Each row's pairs, in order.
    fn rows(&self) -> impl Iterator<Item = &[(u32, f32)]> + '_ {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts.zip(&self.ends).map(|(a, &b)| &self.pairs[a..b])
    }

    /// Turns every row, in place, into TF-IDF over the columns of `vocab`: buckets it does not
    /// keep are dropped, and the row is scaled to unit L2 norm.
    fn weigh_by_idf(&mut self, vocab: &Vocabulary) {
        let (mut start, mut kept) = (0, 0);
        for end in self.ends.iter_mut() {
            let row_start = kept;
            for i in start..*end {
                let (b, tf) = self.pairs[i];
                let c = vocab.column[b as usize];
                if c != u32::MAX {
                    self.pairs[kept] = (c, tf * vocab.idf[c as usize]);
                    kept += 1;
                }
            }
            normalize(&mut self.pairs[row_start..kept]);
            (start, *end) = (*end, kept);
        }
        self.pairs.truncate(kept);
    }
}

/// The default path: one text spec, its fold fits and full fits in one parallel batch.
fn train_untuned(prep: &Prepared, params: &TrainParams) -> Result<Model> {
    (prep.stage)(&format!("hashing {} texts", prep.texts.len()));
    let hashed = HashedText::new(&prep.texts, &params.text, params.min_df);
    let mut fits = fit_text_models(&hashed.x, prep, &[params.text_logit], true, true)?;
    let fits = fits.pop().expect("one candidate");
    (prep.stage)("fitting the combiner (linfa-logistic)");
    let model = stacked_model(prep, params, &fits.oof)?;
    Ok(with_text(model, &hashed.vocab, fits))
}

/// Fits the combiner on out-of-fold text scores and builds the model around it, all but the
/// text weights (see [`with_text`]): threshold and out-of-fold metrics included.
pub(super) fn stacked_model(
    prep: &Prepared,
    params: &TrainParams,
    oof: &Array2<f64>,
) -> Result<Model> {
    let labels = &prep.labels;
    let spec = FeatureSpec::current(params.text.clone());
    let x = stack(oof, &prep.side);
    let combiner = combiner::fit(
        &x,
        &prep.y,
        combiner::Settings {
            alpha: params.combiner_alpha,
            max_iterations: params.combiner_max_iterations,
            gradient_tolerance: params.combiner_tolerance * prep.y.len() as f64,
        },
    )?;
    let classes: Vec<String> = prep.ovr.iter().map(|&c| labels[c].clone()).collect();
    let mut dense_names: Vec<String> = classes.iter().map(|c| format!("text:{c}")).collect();
    dense_names.extend(spec.side_names());
    let mut model = Model {
        format: FORMAT.into(),
        format_version: FORMAT_VERSION,
        created_by: format!("hardsell {}", env!("CARGO_PKG_VERSION")),
        labels: labels.clone(),
        positive: prep.positive.clone(),
        threshold: 0.5,
        features: spec,
        dense_names,
        side_means: prep.side_means.clone(),
        text: TextModel {
            buckets: Vec::new(),
            idf: Vec::new(),
            classes,
            weights: Vec::new(),
            intercepts: Vec::new(),
            lookup: Vec::new(),
        },
        combiner,
        training: TrainingSummary {
            source: prep.source.to_string(),
            fingerprint: prep.fingerprint.clone(),
            rows_per_label: prep.rows_per_label.clone(),
            unlabeled_rows: prep.unlabeled_rows,
            params: params.clone(),
            text_buckets: 0,
            converged: false,
            cross_validation: serde_json::Value::Null,
            tuning: None,
        },
    };
    let probs = model.combiner.predict_probabilities(&x);
    if let Some(pos) = model.positive_index() {
        model.threshold = best_mcc_threshold(&prep.y, pos, &probs);
    }
    model.training.cross_validation = crate::evaluate::metrics_json(&model, &prep.y, &probs);
    Ok(model)
}

/// Completes a [`stacked_model`] with the text weights fitted on all rows.
pub(super) fn with_text(mut model: Model, vocab: &Vocabulary, fits: TextFits) -> Model {
    model.text.buckets = vocab.buckets.clone();
    model.text.idf = vocab.idf.clone();
    model.text.weights = fits.full.iter().map(|f| f.weights.clone()).collect();
    model.text.intercepts = fits.full.iter().map(|f| f.intercept).collect();
    model.training.text_buckets = vocab.buckets.len();
    model.training.converged = fits.converged;
    model.text.index(model.features.text.hash_bits);
    model
}

fn check_params(p: &TrainParams) -> Result<()> {
    if p.folds < 2 {
        return Err(Error::Usage(format!(
            "--cv must be at least 2 (got {})",
            p.folds
        )));
    }
    let positive = |a: f64| a > 0.0 && a.is_finite();
    if !positive(p.text_logit.alpha) || !positive(p.combiner_alpha) {
        return Err(Error::Usage(
            "regularisation (--alpha, --combiner-alpha) must be positive".into(),
        ));
    }
    if !(p.combiner_tolerance.is_finite() && p.combiner_tolerance > 0.0) {
        return Err(Error::Usage(format!(
            "--combiner-tolerance must be a positive number (got {})",
            p.combiner_tolerance
        )));
    }
    if let Some(grid) = &p.tune {
        super::tune::check_grid(grid)?;
    }
    if !(10..=24).contains(&p.text.hash_bits) {
        return Err(Error::Usage(format!(
            "--hash-bits must be within 10..=24 (got {})",
            p.text.hash_bits
        )));
    }
    Ok(())
}

fn count_labels(
    labeled: &[&Message],
    source: &str,
) -> Result<(Vec<String>, BTreeMap<String, usize>)> {
    let mut rows: BTreeMap<String, usize> = BTreeMap::new();
    for m in labeled {
        *rows.entry(m.label.clone().expect("labeled")).or_default() += 1;
    }
    match rows.len() {
        0 => Err(Error::Training(format!(
            "{source}: no labeled rows to train on"
        ))),
        1 => {
            let (label, n) = rows.iter().next().expect("one label");
            Err(Error::SingleLabel {
                path: source.into(),
                label: label.clone(),
                rows: *n,
            })
        }
        _ if same_but_case(&rows).is_some() => {
            let (a, b) = same_but_case(&rows).expect("checked");
            Err(Error::Training(format!(
                "{source}: labels '{a}' ({} rows) and '{b}' ({} rows) differ only in case or \
                 width; if they are one label, say so with --label-map '{b}={a}'",
                rows[a], rows[b]
            )))
        }
        n if n > MAX_LABELS => {
            let first: Vec<&str> = rows.keys().take(5).map(String::as_str).collect();
            Err(Error::Training(format!(
                "{source}: {n} different labels ({}, …) in {} rows; a text model is fitted per \
                 label, and at most {MAX_LABELS} are taken. Is the label column the right one \
                 (--label-column)?",
                first.join(", "),
                labeled.len()
            )))
        }
        _ => Ok((rows.keys().cloned().collect(), rows)),
    }
}

/// Two labels that are one once case and width are folded (`Spam` and `spam`, a full-width
/// `ｓｐａｍ`), if any.
fn same_but_case(rows: &BTreeMap<String, usize>) -> Option<(&str, &str)> {
    use unicode_normalization::UnicodeNormalization;
    let mut folded: BTreeMap<String, &str> = BTreeMap::new();
    for label in rows.keys() {
        let key: String = label.nfkc().collect::<String>().to_lowercase();
        if let Some(first) = folded.insert(key, label) {
            return Some((first, label));
        }
    }
    None
}

/// The most labels a model is trained for: each takes a text model per fold, and a label
/// column with more is most likely another column (an id, a name).
const MAX_LABELS: usize = 100;

fn choose_positive(
    labels: &[String],
    rows: &BTreeMap<String, usize>,
    asked: Option<&str>,
) -> Result<Option<String>> {
    if let Some(p) = asked {
        if !labels.iter().any(|l| l == p) {
            return Err(Error::Usage(format!(
                "--positive '{p}' is not a label of the data ({})",
                labels.join(", ")
            )));
        }
        if labels.len() != 2 {
            return Err(Error::Usage(
                "--positive applies to two-label data only".into(),
            ));
        }
        return Ok(Some(p.to_string()));
    }
    if labels.len() != 2 {
        return Ok(None);
    }
    if labels.iter().any(|l| l == "spam") {
        return Ok(Some("spam".into()));
    }
    Ok(labels
        .iter()
        .min_by_key(|l| (rows[*l], (*l).clone()))
        .cloned())
}

/// The buckets kept, their inverse document frequencies, and the bucket → column map.
pub(super) struct Vocabulary {
    pub(super) buckets: Vec<u32>,
    pub(super) idf: Vec<f32>,
    pub(super) column: Vec<u32>,
}

impl Vocabulary {
    fn fit(blocks: &[CountBlock], bits: u32, min_df: u32) -> Self {
        let width = 1usize << bits;
        // Document frequencies counted by blocks of rows, then summed.
        let df = blocks
            .par_iter()
            .fold(
                || vec![0u32; width],
                |mut df, block| {
                    for &(b, _) in &block.pairs {
                        df[b as usize] += 1;
                    }
                    df
                },
            )
            .reduce(
                || vec![0u32; width],
                |mut a, b| {
                    a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
                    a
                },
            );
        let n = blocks.iter().map(|b| b.ends.len()).sum::<usize>() as f64;
        let mut column = vec![u32::MAX; df.len()];
        let (mut buckets, mut idf) = (Vec::new(), Vec::new());
        for (b, &d) in df.iter().enumerate() {
            if d >= min_df.max(1) {
                column[b] = buckets.len() as u32;
                buckets.push(b as u32);
                idf.push((((1.0 + n) / (1.0 + f64::from(d))).ln() + 1.0) as f32);
            }
        }
        Vocabulary {
            buckets,
            idf,
            column,
        }
    }

    /// The TF-IDF rows of the counts in `blocks` (each block turned in place, then copied
    /// into the matrix and freed).
    fn transform(&self, mut blocks: Vec<CountBlock>) -> Csr {
        blocks.par_iter_mut().for_each(|b| b.weigh_by_idf(self));
        let rows = blocks.iter().map(|b| b.ends.len()).sum();
        let nnz = blocks.iter().map(|b| b.pairs.len()).sum();
        let mut x = Csr::with_capacity(self.buckets.len(), rows, nnz);
        for block in blocks {
            block.rows().for_each(|row| x.push_pairs(row));
        }
        x
    }
}

/// Stratified fold of every row. Rows of one sender share a fold, and so do rows of one
/// thread (so a sender's other messages never vouch for each other out of fold), and so do
/// identical texts; a label with too few groups to fill every fold twice (one spammer's whole
/// mailbox, say) is split row by row instead. Groups are ordered by label and a hash of their
/// key, so the folds do not depend on row order.
fn assign_folds(labeled: &[&Message], y: &[usize], k: usize) -> Vec<usize> {
    let threads = thread_groups(labeled);
    let key_of = |i: usize| -> String {
        let m = labeled[i];
        match &threads[i] {
            Some(conversation) => format!("thread\n{conversation}"),
            None => format!("text\n{}\n{}", m.subject, m.text),
        }
    };
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for i in 0..labeled.len() {
        groups.entry(key_of(i)).or_default().push(i);
    }
    let classes = y.iter().copied().max().map_or(0, |m| m + 1);
    let mut groups_per_class = vec![0usize; classes];
    for rows in groups.values() {
        groups_per_class[y[rows[0]]] += 1;
    }
    let mut order: Vec<(usize, u64, Vec<usize>)> = Vec::new();
    for (key, rows) in &groups {
        let class = y[rows[0]];
        if groups_per_class[class] >= 2 * k {
            order.push((class, xxh3_64(key.as_bytes()), rows.clone()));
        } else {
            for &i in rows {
                let row_key = format!("{key}\n{}\n{}\n{i}", labeled[i].subject, labeled[i].text);
                order.push((y[i], xxh3_64(row_key.as_bytes()), vec![i]));
            }
        }
    }
    order.sort();
    let mut fold = vec![0; y.len()];
    for (n, (_, _, rows)) in order.iter().enumerate() {
        for &i in rows {
            fold[i] = n % k;
        }
    }
    fold
}

/// For each row with a thread, the first (in byte order) conversation of its group: threads
/// that share a contact, directly or through other threads, are one group (a sender who
/// wrote in three conversations, a thread with two senders). Rows without a contact join by
/// conversation alone; rows with neither get `None`, like rows without a thread.
fn thread_groups<'m>(rows: &[&'m Message]) -> Vec<Option<&'m str>> {
    // Union-find over conversations and contacts, each a node.
    let mut ids: std::collections::HashMap<(bool, &'m str), usize> = Default::default();
    let mut parent: Vec<usize> = Vec::new();
    let mut node = |contact: bool, key: &'m str, parent: &mut Vec<usize>| -> usize {
        let next = ids.len();
        *ids.entry((contact, key)).or_insert_with(|| {
            parent.push(next);
            next
        })
    };
    fn root(parent: &mut [usize], mut a: usize) -> usize {
        while parent[a] != a {
            parent[a] = parent[parent[a]];
            a = parent[a];
        }
        a
    }
    let nodes: Vec<Option<usize>> = rows
        .iter()
        .map(|m| {
            // A row that names neither stands alone (grouped by its text, as without a thread).
            let t = m
                .thread
                .as_ref()
                .filter(|t| !(t.conversation.is_empty() && t.contact.is_empty()))?;
            let conversation = node(false, &t.conversation, &mut parent);
            if !t.contact.is_empty() {
                let contact = node(true, &t.contact, &mut parent);
                let (a, b) = (root(&mut parent, conversation), root(&mut parent, contact));
                parent[a.max(b)] = a.min(b);
            }
            Some(conversation)
        })
        .collect();
    let mut first: std::collections::HashMap<usize, &'m str> = Default::default();
    for (m, &n) in rows.iter().zip(&nodes) {
        if let (Some(t), Some(n)) = (&m.thread, n) {
            let group = first.entry(root(&mut parent, n)).or_insert(&t.conversation);
            if t.conversation.as_str() < *group {
                *group = &t.conversation;
            }
        }
    }
    nodes
        .iter()
        .map(|n| n.map(|n| first[&root(&mut parent, n)]))
        .collect()
}

/// The text models of one candidate: out-of-fold scores, and the fits on all rows when asked.
pub(super) struct TextFits {
    pub(super) oof: Array2<f64>,
    pub(super) full: Vec<sparse_logit::SparseLogit>,
    /// Whether every fit of this candidate (fold fits included) converged.
    pub(super) converged: bool,
}

/// Fits the text models of every candidate in `logits` on `x`, all as one parallel batch:
/// with `out_of_fold`, one per (fold, class) for the out-of-fold scores (else they stay 0);
/// with `full`, one per class on all rows.
pub(super) fn fit_text_models(
    x: &Csr,
    prep: &Prepared,
    logits: &[LogitParams],
    out_of_fold: bool,
    full: bool,
) -> Result<Vec<TextFits>> {
    let (y, folds) = (&prep.y, &prep.folds);
    let k = if out_of_fold { prep.k } else { 0 };
    let fold_ids: Vec<Option<usize>> = (0..k).map(Some).chain(full.then_some(None)).collect();
    let mut jobs: Vec<(usize, Option<usize>, usize)> = Vec::new();
    // One class's fold fits side by side: they share most rows (see `sparse_logit::fit_many`).
    for a in 0..logits.len() {
        for &c in &prep.ovr {
            jobs.extend(fold_ids.iter().map(|&f| (a, f, c)));
        }
    }
    let fit_jobs: Vec<sparse_logit::Job> = jobs
        .iter()
        .map(|&(a, f, c)| sparse_logit::Job {
            include: folds.iter().map(|&g| Some(g) != f).collect(),
            positive: y.iter().map(|&l| l == c).collect(),
            params: logits[a],
        })
        .collect();
    let n = fit_jobs.len();
    let what = format!(
        "{} text models ({} rows, {} columns)",
        n,
        x.nrows(),
        x.ncols
    );
    (prep.stage)(&format!("fitting {what}: merging identical rows"));
    let fitted = sparse_logit::fit_many_showing(x, &fit_jobs, &|done| {
        (prep.stage)(&format!("fitting {what}: {done} of {n} done"))
    })?;
    let mut out: Vec<TextFits> = (0..logits.len())
        .map(|_| TextFits {
            oof: Array2::<f64>::zeros((y.len(), prep.ovr.len())),
            full: Vec::new(),
            converged: true,
        })
        .collect();
    for (&(a, f, c), fit) in jobs.iter().zip(fitted) {
        let fits = &mut out[a];
        fits.converged &= fit.converged;
        let col = prep.ovr.iter().position(|&o| o == c).expect("class");
        match f {
            Some(f) => {
                for i in (0..y.len()).filter(|&i| folds[i] == f) {
                    let (cols, vals) = x.row(i);
                    fits.oof[[i, col]] = fit.decision(cols, vals).clamp(-20.0, 20.0);
                }
            }
            None => fits.full.push(fit),
        }
    }
    Ok(out)
}

fn stack(text: &Array2<f64>, side: &[Vec<f64>]) -> Array2<f64> {
    let width = text.ncols() + side.first().map_or(0, |s| s.len());
    let mut x = Array2::<f64>::zeros((text.nrows(), width).f());
    for i in 0..text.nrows() {
        for j in 0..text.ncols() {
            x[[i, j]] = text[[i, j]];
        }
        for (j, v) in side[i].iter().enumerate() {
            x[[i, text.ncols() + j]] = *v;
        }
    }
    x
}

/// The probability cut that maximises MCC of label `pos` (ties broken towards 0.5).
fn best_mcc_threshold(y: &[usize], pos: usize, probs: &Array2<f64>) -> f64 {
    let truth: Vec<bool> = y.iter().map(|&t| t == pos).collect();
    let p: Vec<f64> = probs.column(pos).to_vec();
    // Cuts outside 0.05..0.95 overfit the training folds' extremes; keep them out.
    let mut candidates: Vec<f64> = p
        .iter()
        .map(|v| (v * 1000.0).round() / 1000.0)
        .filter(|v| (0.05..=0.95).contains(v))
        .collect();
    candidates.push(0.5);
    candidates.sort_by(f64::total_cmp);
    candidates.dedup();
    // Counted in place: metrics::binary would also rank every row for the ROC AUC, per cut.
    let score = |t: f64| {
        let mut c = metrics::Confusion::default();
        for (&v, &positive) in p.iter().zip(&truth) {
            match (positive, v >= t) {
                (true, true) => c.tp += 1,
                (false, true) => c.fp += 1,
                (false, false) => c.tn += 1,
                (true, false) => c.r#fn += 1,
            }
        }
        mcc(&c)
    };
    candidates
        .into_iter()
        .map(|t| (score(t), -(t - 0.5).abs(), t))
        .max_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)))
        .map_or(0.5, |(_, _, t)| t)
}

/// Matthews correlation of a confusion count, computed as [`metrics::binary`] does.
fn mcc(c: &metrics::Confusion) -> f64 {
    let (tp, fp, tn, fneg) = (c.tp as f64, c.fp as f64, c.tn as f64, c.r#fn as f64);
    let denom = ((tp + fp) * (tp + fneg) * (tn + fp) * (tn + fneg)).sqrt();
    if denom == 0.0 {
        0.0
    } else {
        (tp * tn - fp * fneg) / denom
    }
}

fn fingerprint(labeled: &[&Message]) -> String {
    let mut h = Sha256::new();
    for m in labeled {
        for part in [m.label.as_deref().unwrap_or(""), &m.subject, &m.text] {
            h.update(part.as_bytes());
            h.update([0u8]);
        }
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threshold_mcc_agrees_with_the_metrics_module() {
        let truth = [true, true, false, false, true, false, false];
        let flagged = [true, false, false, true, true, false, false];
        let m = metrics::binary(&truth, &flagged, &[0.0; 7]);
        assert_eq!(mcc(&m.confusion), m.mcc);
        assert_eq!(mcc(&metrics::Confusion::default()), 0.0);
    }

    #[test]
    fn training_tells_each_step_as_it_starts_and_counts_the_text_fits_done() {
        let messages: Vec<Message> = (0..24)
            .map(|i| Message {
                label: Some(if i % 2 == 0 { "spam" } else { "ham" }.into()),
                text: if i % 2 == 0 {
                    format!("buy cheap leads now offer {i}")
                } else {
                    format!("great to meet you at the meetup {i}")
                },
                ..Default::default()
            })
            .collect();
        let stages = std::sync::Mutex::new(Vec::new());
        train_showing(&messages, "toy", &TrainParams::default(), &|s| {
            stages.lock().unwrap().push(s.to_string())
        })
        .unwrap();
        let stages = stages.into_inner().unwrap();
        let first_words: Vec<&str> = stages
            .iter()
            .map(|s| s.split(' ').next().unwrap())
            .collect();
        assert_eq!(first_words[..2], ["preparing", "hashing"], "{stages:?}");
        assert!(stages[2].ends_with("merging identical rows"), "{stages:?}");
        // One class against the rest: three fold fits and the fit on all rows.
        let done: Vec<&String> = stages.iter().filter(|s| s.ends_with("done")).collect();
        assert_eq!(done.len(), 5, "{stages:?}");
        assert!(done[0].ends_with("0 of 4 done") && done[4].ends_with("4 of 4 done"));
        assert_eq!(
            stages.last().unwrap(),
            "fitting the combiner (linfa-logistic)"
        );
    }

    /// A labeled message in `conversation` with `contact` (no thread when both are empty).
    fn in_thread(conversation: &str, contact: &str, text: &str) -> Message {
        Message {
            text: text.into(),
            thread: (!conversation.is_empty()).then(|| crate::read::Thread {
                conversation: conversation.into(),
                contact: contact.into(),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn a_senders_conversations_share_a_fold_and_so_do_threads_joined_through_senders() {
        let mut rows = Vec::new();
        // Twelve senders of one thread each: enough groups that none is split row by row.
        for s in 0..12 {
            rows.push(in_thread(&format!("c{s}"), &format!("s{s}"), "hi"));
        }
        // Sender a wrote in three conversations; conversation x also holds sender b, who
        // also wrote in y: all five rows are one group.
        rows.push(in_thread("a1", "a", "pitch one"));
        rows.push(in_thread("a2", "a", "pitch two"));
        rows.push(in_thread("x", "a", "pitch three"));
        rows.push(in_thread("x", "b", "reply"));
        rows.push(in_thread("y", "b", "other"));
        // A thread naming neither conversation nor contact is no group.
        rows.push(Message {
            thread: Some(Default::default()),
            ..in_thread("", "", "alone")
        });
        let refs: Vec<&Message> = rows.iter().collect();
        let groups = thread_groups(&refs);
        assert_eq!(&groups[12..17], &[Some("a1"); 5]);
        assert_eq!(groups[17], None);
        assert_eq!(groups[3], Some("c3"), "a thread of its own keeps its name");
        let folds = assign_folds(&refs, &vec![0; rows.len()], 3);
        assert!(folds[12..17].iter().all(|&f| f == folds[12]), "{folds:?}");
        assert!((0..3).all(|f| folds.contains(&f)), "every fold is used");
    }

    #[test]
    fn side_means_are_over_the_contacts_threaded_messages_where_known() {
        let incoming = |conversation: &str| {
            let mut m = in_thread(conversation, "p", "hi");
            m.thread.as_mut().unwrap().incoming = true;
            m
        };
        let (a, b, yours, loose) = (
            incoming("c1"),
            incoming("c2"),
            in_thread("c1", "p", "thanks"),
            in_thread("", "", "no thread"),
        );
        let labeled = [&a, &b, &yours, &loose, &a];
        let side = vec![
            vec![1.0, 2.0],
            vec![3.0, f64::NAN],
            vec![100.0, 100.0],
            vec![100.0, 100.0],
            vec![5.0, f64::NAN],
        ];
        // Your own rows and rows without a thread do not count, nor unknown values; a
        // feature known nowhere stands at 0.
        assert_eq!(side_means(&labeled, &side), vec![3.0, 2.0]);
        let unknown = vec![vec![1.0, f64::NAN]; 5];
        assert_eq!(side_means(&labeled, &unknown), vec![1.0, 0.0]);
    }
}
