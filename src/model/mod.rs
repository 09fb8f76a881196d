//! The model: a sparse text model whose per-class scores, with the cue and context features,
//! feed a linfa-logistic softmax combiner; saved as versioned JSON.
//!
//! Params → checked params → fitted model, as linfa does: [`train::TrainParams`] hold the
//! hyper-parameters with their defaults, [`train::train`] checks them and fits a [`Model`].
//! Loading checks the format version, the feature names and every width before linfa sees
//! a row, because linfa-logistic panics on a width mismatch.

mod combiner;
mod shared_pass;
pub mod sparse_logit;
pub mod train;
pub mod tune;

use std::path::Path;

use linfa_logistic::MultiFittedLogisticRegression;
use ndarray::Array2;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::features::{self, text, FeatureSpec};
use crate::read::Message;

/// Format name written in every model file.
pub const FORMAT: &str = "hardsell-model";
/// Version of the model file layout; a file of another version is refused.
pub const FORMAT_VERSION: u32 = 1;
/// models/default.json, trained by scripts/train-default.sh from data/ alone.
const DEFAULT_MODEL: &[u8] = include_bytes!("../../models/default.json");
/// Messages whose dense combiner rows are built at once by [`Model::predict`].
const PREDICT_CHUNK: usize = 8192;
/// Text-model scores are clipped to ±this before the combiner, to keep it well conditioned.
const LOGIT_CLIP: f64 = 20.0;

/// The fields of a model file checked before the rest: what it is and which layout it has.
#[derive(Debug, Default, Deserialize)]
struct Header {
    format: Option<serde_json::Value>,
    format_version: Option<serde_json::Value>,
}

impl Header {
    /// The header of model JSON (empty when the JSON is not an object holding one).
    fn read(bytes: &[u8]) -> std::result::Result<Header, String> {
        match serde_json::from_slice(bytes) {
            Ok(header) => Ok(header),
            Err(e) if e.is_data() => Ok(Header::default()),
            Err(e) => Err(format!(
                "not a complete model file (truncated or not JSON: {e})"
            )),
        }
    }

    /// Whether this build reads the file: a hardsell model of [`FORMAT_VERSION`].
    fn check(&self) -> std::result::Result<(), String> {
        if self.format.as_ref().and_then(|f| f.as_str()) != Some(FORMAT) {
            return Err("not a hardsell model file (no \"format\": \"hardsell-model\")".into());
        }
        match &self.format_version {
            Some(v) if v.as_u64() == Some(u64::from(FORMAT_VERSION)) => Ok(()),
            Some(v) => Err(format!(
                "model format version {v} is not supported by this hardsell (expects \
                 {FORMAT_VERSION}); retrain it with `hardsell train`"
            )),
            None => Err(format!(
                "the model file has no format_version (this hardsell reads version \
                 {FORMAT_VERSION}); retrain it with `hardsell train`"
            )),
        }
    }
}

/// A trained model, as saved.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Model {
    /// Always [`FORMAT`].
    pub format: String,
    /// Always [`FORMAT_VERSION`] for files this build writes.
    pub format_version: u32,
    /// The hardsell version that wrote it.
    pub created_by: String,
    /// The labels, sorted; probabilities are reported in this order.
    pub labels: Vec<String>,
    /// For a two-label model, the flagged label.
    pub positive: Option<String>,
    /// For a two-label model, the probability of `positive` at or above which a row is flagged.
    pub threshold: f64,
    /// How features are built.
    pub features: FeatureSpec,
    /// Names of the combiner's inputs, in order.
    pub dense_names: Vec<String>,
    /// What stands in for a side feature (cue, context, mail; in [`FeatureSpec::side_names`]
    /// order) whose value an input does not hold: its mean over the labeled training
    /// messages contacts wrote in a thread. Only the reply features are ever unknown
    /// ([`features::context::values`]). Empty in files written before it was recorded: 0
    /// stands in.
    #[serde(default)]
    pub side_means: Vec<f64>,
    /// The sparse text model.
    pub text: TextModel,
    /// The linfa-logistic combiner; its classes are indices into `labels`.
    pub combiner: MultiFittedLogisticRegression<f64, usize>,
    /// What it was trained on, how, and how well it did out of fold.
    pub training: train::TrainingSummary,
}

/// Hashed n-gram weights, one-vs-rest per class; only buckets seen in training are kept.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TextModel {
    /// Hash buckets with a weight, sorted.
    pub buckets: Vec<u32>,
    /// Inverse document frequency of each bucket.
    pub idf: Vec<f32>,
    /// The label each weight row scores (one-vs-rest).
    pub classes: Vec<String>,
    /// `weights[class][i]` is the weight of `buckets[i]`.
    pub weights: Vec<Vec<f32>>,
    /// One intercept per class.
    pub intercepts: Vec<f32>,
    /// Built at load time, never saved: for every bucket of the hashed space, its idf then one
    /// weight per class, [`TextModel::stride`] floats apart, zeros for a bucket the model does
    /// not know; scoring a bucket reads one cache line and no position table.
    #[serde(skip)]
    lookup: Vec<f32>,
}

/// One feature's share of a decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Contribution {
    /// Stable feature name (`text:spam`, `cue:generic_opener`, `ngram:free entry`, ...).
    pub feature: String,
    /// Its contribution to the predicted label's score (log-odds scale).
    pub contribution: f64,
}

/// What the model says of one message.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    /// Predicted label.
    pub label: String,
    /// Probability of each label, in `Model::labels` order.
    pub probabilities: Vec<f64>,
    /// Whether the message is flagged (predicted label is not the benign one).
    pub flagged: bool,
    /// Top contributing features when flagged.
    pub reasons: Vec<Contribution>,
}

impl TextModel {
    /// Floats per bucket in the scoring table: the idf and one weight per class, rounded up
    /// to a power of two so that a bucket of a one- or three-class model never straddles a
    /// cache line.
    fn stride(&self) -> usize {
        (self.classes.len() + 1).next_power_of_two()
    }

    /// Builds the bucket-indexed scoring table from the saved buckets, idf and weights.
    fn index(&mut self, bits: u32) {
        let stride = self.stride();
        let mut lookup = vec![0.0f32; stride << bits];
        for (i, &b) in self.buckets.iter().enumerate() {
            let slot = &mut lookup[b as usize * stride..][..stride];
            slot[0] = self.idf[i];
            for (w, class) in slot[1..].iter_mut().zip(&self.weights) {
                *w = class[i];
            }
        }
        self.lookup = lookup;
    }

    /// The idf and class weights of `bucket` (all zero when the model does not know it).
    #[inline]
    fn slot(&self, bucket: u32) -> &[f32] {
        let stride = self.stride();
        &self.lookup[bucket as usize * stride..][..stride]
    }

    /// TF-IDF of a message over the known buckets, L2-normalised: (positions, values).
    /// The reference for [`TextModel::scores`], which scores without building it.
    pub fn vectorize(&self, spec: &text::TextSpec, text: &str) -> Vec<(u32, f32)> {
        let mut row: Vec<(u32, f32)> = text::hashed_counts(spec, text)
            .into_iter()
            .filter_map(|(b, tf)| {
                // Buckets are sorted (checked at load), so positions are found by bisection.
                let pos = self.buckets.binary_search(&b).ok()?;
                Some((pos as u32, tf * self.idf[pos]))
            })
            .collect();
        normalize(&mut row);
        row
    }

    /// One score per class (log-odds, clipped) for an already vectorised message.
    pub fn logits(&self, row: &[(u32, f32)]) -> Vec<f64> {
        self.weights
            .iter()
            .zip(&self.intercepts)
            .map(|(w, &b)| {
                let dot: f64 = row
                    .iter()
                    .map(|&(p, v)| f64::from(w[p as usize]) * f64::from(v))
                    .sum();
                (dot + f64::from(b)).clamp(-LOGIT_CLIP, LOGIT_CLIP)
            })
            .collect()
    }

    /// One score per class (log-odds, clipped) of the text `parts` (subject then body, see
    /// [`text::with_gram_counts`]) into `out`: `logits(&vectorize(..))` up to the order of
    /// summation, with no sort and no allocation.
    pub fn scores(&self, spec: &text::TextSpec, parts: &[&str], out: &mut [f64]) {
        self.scores_then(spec, parts, out, |_, _, _| ())
    }

    /// [`TextModel::scores`], then `then(counts, norm, scores)` on the same n-gram counts (and
    /// the L2 norm of the message's TF-IDF, and the scores), so that nothing is counted twice.
    pub fn scores_then<R>(
        &self,
        spec: &text::TextSpec,
        parts: &[&str],
        out: &mut [f64],
        then: impl FnOnce(&text::GramCounts<'_>, f64, &[f64]) -> R,
    ) -> R {
        assert_eq!(out.len(), self.classes.len(), "one score per class");
        text::with_gram_counts(spec, parts, |counts| {
            // Two passes, as `vectorize` rounds each normalised value to f32 before the dot
            // product: one pass dividing at the end would differ from it by about 1e-8.
            let mut known = KNOWN.take();
            let norm = self.known_values(counts, &mut known);
            match self.stride() {
                2 => self.dot_products::<2>(&known, norm, out),
                4 => self.dot_products::<4>(&known, norm, out),
                8 => self.dot_products::<8>(&known, norm, out),
                _ => self.dot_products_any(&known, norm, out),
            }
            KNOWN.set(known);
            for (o, &b) in out.iter_mut().zip(&self.intercepts) {
                *o = (*o + f64::from(b)).clamp(-LOGIT_CLIP, LOGIT_CLIP);
            }
            then(counts, norm, out)
        })
    }

    /// The TF-IDF value and bucket of each bucket of the message the model knows, into
    /// `known`, and their L2 norm.
    fn known_values(&self, counts: &text::GramCounts<'_>, known: &mut Vec<(f32, u32)>) -> f64 {
        let stride = self.stride();
        let buckets = counts.buckets();
        // The table reads first, alone: with nothing waiting on them, many cache misses are
        // in flight at once.
        known.clear();
        known.extend(
            buckets
                .iter()
                .map(|&b| (self.lookup[b as usize * stride], b)),
        );
        let (mut kept, mut squares) = (0, 0.0);
        for i in 0..known.len() {
            // An unknown bucket's idf is 0: it adds exactly nothing to the norm, and the
            // next known bucket takes its place.
            let (idf, b) = known[i];
            let v = counts.tf(b) * idf;
            squares += f64::from(v) * f64::from(v);
            known[kept] = (v, b);
            kept += usize::from(idf != 0.0);
        }
        known.truncate(kept);
        squares.sqrt()
    }

    /// The dot products of the normalised TF-IDF with each class's weights, for a table of
    /// `S` floats per bucket: the sums stay in registers.
    fn dot_products<const S: usize>(&self, known: &[(f32, u32)], norm: f64, out: &mut [f64]) {
        let mut sums = [0.0f64; S];
        for &(v, b) in known {
            let slot = &self.lookup[b as usize * S..][..S];
            let v = f64::from(normalized(v, norm));
            for (sum, &w) in sums[1..].iter_mut().zip(&slot[1..]) {
                *sum += f64::from(w) * v;
            }
        }
        out.copy_from_slice(&sums[1..=out.len()]);
    }

    /// [`TextModel::dot_products`] for any number of classes.
    fn dot_products_any(&self, known: &[(f32, u32)], norm: f64, out: &mut [f64]) {
        out.fill(0.0);
        for &(v, b) in known {
            let v = f64::from(normalized(v, norm));
            for (o, &w) in out.iter_mut().zip(&self.slot(b)[1..]) {
                *o += f64::from(w) * v;
            }
        }
    }

    /// L2 norm of the message's TF-IDF over the known buckets.
    fn norm(&self, counts: &text::GramCounts<'_>) -> f64 {
        let mut known = KNOWN.take();
        let norm = self.known_values(counts, &mut known);
        KNOWN.set(known);
        norm
    }
}

thread_local! {
    /// Per thread, reused from message to message: [`TextModel::known_values`].
    static KNOWN: std::cell::Cell<Vec<(f32, u32)>> = const { std::cell::Cell::new(Vec::new()) };
}

/// `value` divided by `norm` as [`normalize`] does it (a zero norm leaves it as it is).
#[inline]
fn normalized(value: f32, norm: f64) -> f32 {
    if norm > 0.0 {
        (f64::from(value) / norm) as f32
    } else {
        value
    }
}

/// Scales a sparse row to unit L2 norm (an empty row stays empty).
pub fn normalize(row: &mut [(u32, f32)]) {
    let norm = row
        .iter()
        .map(|&(_, v)| f64::from(v) * f64::from(v))
        .sum::<f64>()
        .sqrt();
    for (_, v) in row.iter_mut() {
        *v = normalized(*v, norm);
    }
}

/// The largest weight, intercept or idf a model file may hold ([`Model::check`]).
const MAX_MAGNITUDE: f64 = 1e6;
/// The most of a model read from a device or pipe: far beyond any model `train` writes
/// (the default one is 2 MB).
const STREAMED_MODEL_LIMIT: u64 = 256 << 20;

impl Model {
    /// Reads and checks a model file.
    pub fn load(path: &Path) -> Result<Model> {
        let bytes = crate::read::read_bounded(path, STREAMED_MODEL_LIMIT)
            .map_err(|e| Error::model(path, format!("cannot read the model file: {e}")))?;
        Self::from_json(&bytes, path)
    }

    /// The default model shipped with hardsell (models/default.json, embedded at build time).
    pub fn default_model() -> Result<Model> {
        Self::from_json(DEFAULT_MODEL, Path::new("<built-in models/default.json>"))
    }

    /// Parses and checks model JSON; `path` names it in errors.
    pub fn from_json(bytes: &[u8], path: &Path) -> Result<Model> {
        // An editor may have saved it with a UTF-8 byte order mark.
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        // Straight into the model, no JSON tree in between; only a file that does not fit
        // is read again, for its header, to say why.
        let mut model: Model = match serde_json::from_slice(bytes) {
            Ok(model) => model,
            Err(damage) => {
                let header = Header::read(bytes).map_err(|m| Error::model(path, m))?;
                header.check().map_err(|m| Error::model(path, m))?;
                return Err(Error::model(
                    path,
                    format!("model file is damaged: {damage}"),
                ));
            }
        };
        let header = Header {
            format: Some(model.format.as_str().into()),
            format_version: Some(model.format_version.into()),
        };
        header.check().map_err(|m| Error::model(path, m))?;
        model.check().map_err(|m| Error::model(path, m))?;
        model.text.index(model.features.text.hash_bits);
        Ok(model)
    }

    fn check(&self) -> std::result::Result<(), String> {
        let current = FeatureSpec::current(self.features.text.clone());
        if current.cues != self.features.cues
            || current.context != self.features.context
            || current.mail != self.features.mail
        {
            return Err(
                "its feature list differs from this hardsell's; retrain it with `hardsell train`"
                    .into(),
            );
        }
        if current.cue_phrases != self.features.cue_phrases {
            return Err(
                "its cues were computed from other phrase lists (it was trained by another \
                 version of hardsell); retrain it with `hardsell train`"
                    .into(),
            );
        }
        if !(10..=24).contains(&self.features.text.hash_bits) {
            return Err(format!(
                "hash_bits {} is outside 10..=24",
                self.features.text.hash_bits
            ));
        }
        let t = &self.text;
        if t.idf.len() != t.buckets.len()
            || t.weights.len() != t.classes.len()
            || t.intercepts.len() != t.classes.len()
            || t.weights.iter().any(|w| w.len() != t.buckets.len())
            || t.buckets
                .iter()
                .any(|&b| b >= 1 << self.features.text.hash_bits)
        {
            return Err("text model widths do not match (damaged file)".into());
        }
        if t.buckets.windows(2).any(|w| w[0] >= w[1]) {
            return Err("text model buckets are not sorted (damaged file)".into());
        }
        self.check_labels()?;
        self.check_text_spec()?;
        self.check_magnitudes()?;
        let sides = self.features.side_names().len();
        if !self.side_means.is_empty() && self.side_means.len() != sides {
            return Err(format!(
                "the model has {} side feature means for {sides} side features (damaged file)",
                self.side_means.len()
            ));
        }
        if let Some(v) = self.side_means.iter().find(|v| !v.is_finite()) {
            return Err(format!("a side feature mean is {v} (damaged file)"));
        }
        let width = t.classes.len() + sides;
        let (rows, cols) = self.combiner.params().dim();
        let labels = self.labels.len();
        if rows != width || self.dense_names.len() != width {
            return Err(format!(
                "the combiner has {rows} weights per label and {} feature names, but the \
                 features are {width} (damaged file)",
                self.dense_names.len()
            ));
        }
        let names = t.classes.iter().map(|c| format!("text:{c}"));
        let names = names.chain(self.features.side_names());
        if let Some((saved, want)) = self.dense_names.iter().zip(names).find(|(a, b)| **a != *b) {
            return Err(format!(
                "a feature is named '{saved}' where this hardsell names it '{want}' (damaged \
                 file)"
            ));
        }
        if cols != labels
            || self.combiner.intercept().len() != labels
            || self.combiner.classes() != (0..labels).collect::<Vec<_>>().as_slice()
        {
            return Err(format!(
                "the combiner has {cols} label columns, {} intercepts and classes {:?}, but the \
                 model has {labels} labels (damaged file)",
                self.combiner.intercept().len(),
                self.combiner.classes()
            ));
        }
        if !(self.threshold > 0.0 && self.threshold < 1.0) {
            return Err(format!(
                "threshold {} must lie strictly between 0 and 1",
                self.threshold
            ));
        }
        Ok(())
    }

    /// Every weight, intercept and idf finite and at most [`MAX_MAGNITUDE`] in size: a
    /// trained model's are below 100, and a larger one would turn probabilities into NaN.
    fn check_magnitudes(&self) -> std::result::Result<(), String> {
        let t = &self.text;
        let text = t
            .weights
            .iter()
            .flatten()
            .chain(&t.idf)
            .chain(&t.intercepts);
        let combiner = self
            .combiner
            .params()
            .iter()
            .chain(self.combiner.intercept());
        // An idf is at least 1 (and 0 marks a bucket the model does not know).
        if let Some(v) = t.idf.iter().find(|&&v| v.is_nan() || v <= 0.0) {
            return Err(format!("an idf is {v}, not positive (damaged file)"));
        }
        let sane = |v: f64| v.is_finite() && v.abs() <= MAX_MAGNITUDE;
        match (
            text.map(|&v| f64::from(v)).find(|&v| !sane(v)),
            combiner.copied().find(|&v| !sane(v)),
        ) {
            (Some(v), _) => Err(format!(
                "a text-model value is {v:e}, beyond ±{MAX_MAGNITUDE:e} (damaged file)"
            )),
            (_, Some(v)) => Err(format!(
                "a combiner value is {v:e}, beyond ±{MAX_MAGNITUDE:e} (damaged file)"
            )),
            _ => Ok(()),
        }
    }

    /// Labels: at least two, no repeats; the flagged one among them; one text model per
    /// label (or, for two labels, one for the flagged label), in label order.
    fn check_labels(&self) -> std::result::Result<(), String> {
        let labels = &self.labels;
        if labels.len() < 2 {
            return Err(format!("it has {} label(s), fewer than two", labels.len()));
        }
        if labels.iter().any(|l| l.trim().is_empty()) {
            return Err("a label is empty (damaged file)".into());
        }
        if let Some(l) = labels
            .iter()
            .enumerate()
            .find_map(|(i, l)| labels[..i].contains(l).then_some(l))
        {
            return Err(format!("label '{l}' appears twice (damaged file)"));
        }
        if let Some(w) = labels.windows(2).find(|w| w[0] > w[1]) {
            return Err(format!(
                "its labels are not sorted ('{}' before '{}') (damaged file)",
                w[0], w[1]
            ));
        }
        let expected: Vec<String> = match &self.positive {
            Some(p) if !labels.contains(p) => {
                return Err(format!(
                    "its flagged label '{p}' is not one of its labels ({}) (damaged file)",
                    labels.join(", ")
                ))
            }
            Some(p) => vec![p.clone()],
            None => labels.clone(),
        };
        if self.text.classes != expected {
            return Err(format!(
                "its text models are for {:?} but its labels call for {expected:?} (damaged file)",
                self.text.classes
            ));
        }
        Ok(())
    }

    /// Text settings that `hardsell train` could have written.
    fn check_text_spec(&self) -> std::result::Result<(), String> {
        let spec = &self.features.text;
        let (lo, hi) = spec.char_ngrams;
        if (lo, hi) != (0, 0) && !(1 <= lo && lo <= hi && hi <= 16) {
            return Err(format!(
                "char_ngrams {lo}-{hi} is not 0-0 or MIN-MAX with 1 <= MIN <= MAX <= 16"
            ));
        }
        if !(1..=8).contains(&spec.word_ngrams) {
            return Err(format!("word_ngrams {} is outside 1..=8", spec.word_ngrams));
        }
        if hi > 0 && spec.char_limit == 0 {
            return Err("char_limit is 0 while character n-grams are on".into());
        }
        Ok(())
    }

    /// Writes the model as JSON, atomically (a temporary file renamed into place).
    pub fn save(&self, path: &Path) -> Result<()> {
        // Never write a file that loading would refuse.
        self.check().map_err(|e| {
            Error::model(
                path,
                format!("the trained model would not load: {e}; not written"),
            )
        })?;
        let json = serde_json::to_vec(self).map_err(|e| Error::model(path, e.to_string()))?;
        crate::report::write_atomically(path, |w| w.write_all(&json))
    }

    /// Whether this file predates [`Model::side_means`] while its combiner weighs a reply
    /// feature: it then reads an unknown reply (a message without a thread, an input without
    /// your messages) as none.
    pub fn reads_unknown_replies_as_none(&self) -> bool {
        let classes = self.text.classes.len();
        let params = self.combiner.params();
        self.side_means.is_empty()
            && (self.features.context.iter())
                .filter(|name| features::context::REPLY_FEATURES.contains(&name.as_str()))
                .filter_map(|name| {
                    let full = format!("context:{name}");
                    self.dense_names.iter().position(|n| *n == full)
                })
                .any(|j| j >= classes && params.row(j).iter().any(|&w| w != 0.0))
    }

    /// The combiner inputs of a batch: text scores then cues and context, one row per message.
    pub fn dense_rows(&self, messages: &[Message]) -> Array2<f64> {
        self.dense_rows_with(messages, &features::side_features(messages))
    }

    /// The combiner inputs of `messages`, given their side features (computed over whole threads).
    fn dense_rows_with(&self, messages: &[Message], side: &[Vec<f64>]) -> Array2<f64> {
        self.dense_rows_naming(messages, side, &[]).0
    }

    /// [`Model::dense_rows_with`], and for each message that may be flagged the n-grams that
    /// would explain a flag of each of `lanes` (found while the text is counted for its
    /// scores); `None` for a message that is clearly not flagged ([`Model::may_flag`]).
    fn dense_rows_naming(
        &self,
        messages: &[Message],
        side: &[Vec<f64>],
        lanes: &[NgramLane],
    ) -> (Array2<f64>, Vec<Option<Named>>) {
        let width = self.dense_names.len();
        let classes = self.text.classes.len();
        let mut x = Array2::<f64>::zeros((messages.len(), width));
        let mut named: Vec<Option<Named>> = messages.iter().map(|_| None).collect();
        x.as_slice_mut()
            .expect("a new array is contiguous")
            .par_chunks_mut(width)
            .zip(&mut named)
            .zip(messages)
            .zip(side)
            .for_each(|(((row, named), m), s)| {
                let (text_scores, rest) = row.split_at_mut(classes);
                for (j, (x, v)) in rest.iter_mut().zip(s).enumerate() {
                    *x = match v.is_nan() {
                        true => self.side_means.get(j).copied().unwrap_or(0.0),
                        false => *v,
                    };
                }
                let spec = &self.features.text;
                let parts = text_parts(m);
                *named =
                    self.text
                        .scores_then(spec, &parts, text_scores, |counts, norm, scores| {
                            let may_flag = !lanes.is_empty() && self.may_flag(scores, rest);
                            may_flag.then(|| self.best_ngrams(counts, norm, lanes, TOP_NGRAMS))
                        });
            });
        (x, named)
    }

    /// Whether the row of combiner inputs (`text_scores`, then `rest`) may be flagged: false
    /// only when the combiner's log-odds, summed here row by row (the batch product sums in
    /// another order, so the figures may differ in the last bits), put it clearly on the
    /// benign side of the decision. True whenever the combiner is not one this can read.
    fn may_flag(&self, text_scores: &[f64], rest: &[f64]) -> bool {
        /// How near the decision, in log-odds, a row may be and still be taken for benign.
        const MARGIN: f64 = 1e-6;
        const MOST: usize = 8;
        let (w, b) = (self.combiner.params(), self.combiner.intercept());
        let n = self.labels.len();
        let in_label_order = self.combiner.classes().iter().copied().eq(0..n);
        if n > MOST || !in_label_order || w.nrows() != text_scores.len() + rest.len() {
            return true;
        }
        let mut z = [0.0f64; MOST];
        for (zk, &bk) in z.iter_mut().zip(b) {
            *zk = bk;
        }
        for (j, &v) in text_scores.iter().chain(rest).enumerate() {
            if v != 0.0 {
                for (k, zk) in z[..n].iter_mut().enumerate() {
                    *zk += v * w[[j, k]];
                }
            }
        }
        match self.positive_index() {
            // probs[pos] >= threshold, as the log-odds of two labels.
            Some(pos) if n == 2 && self.threshold > 0.0 && self.threshold < 1.0 => {
                let t = self.threshold;
                z[pos] - z[1 - pos] >= (t / (1.0 - t)).ln() - MARGIN
            }
            Some(_) => true,
            None => {
                let best = |flag: bool| {
                    (0..n)
                        .filter(|&k| self.is_flag(k) == flag)
                        .map(|k| z[k])
                        .fold(f64::NEG_INFINITY, f64::max)
                };
                best(true) >= best(false) - MARGIN
            }
        }
    }

    /// Probabilities per label (in `labels` order) for each row of combiner inputs.
    pub fn probabilities(&self, x: &Array2<f64>) -> Array2<f64> {
        assert_eq!(x.ncols(), self.dense_names.len(), "width checked at load");
        self.combiner.predict_probabilities(x)
    }

    /// The label index chosen for one row of probabilities.
    pub fn decide(&self, probs: &[f64]) -> usize {
        match self.positive_index() {
            Some(pos) => {
                if probs[pos] >= self.threshold {
                    pos
                } else {
                    1 - pos
                }
            }
            None => (0..probs.len())
                .max_by(|&a, &b| probs[a].total_cmp(&probs[b]))
                .unwrap_or(0),
        }
    }

    /// Index of the flagged label of a two-label model.
    pub fn positive_index(&self) -> Option<usize> {
        let pos = self.positive.as_ref()?;
        self.labels.iter().position(|l| l == pos)
    }

    /// Whether a predicted label index counts as flagged.
    pub fn is_flag(&self, label: usize) -> bool {
        match self.positive_index() {
            Some(pos) => label == pos,
            None => !matches!(self.labels[label].as_str(), "ok" | "ham" | "legit" | "0"),
        }
    }

    /// Predicts a batch of messages, with reasons for the flagged ones.
    /// Context features are computed over the whole batch (they need whole threads); the
    /// text scores and the combiner run a chunk at a time, so the dense matrix stays small.
    pub fn predict(&self, messages: &[Message], reasons: usize) -> Vec<Prediction> {
        let side = features::side_features(messages);
        let mut out = Vec::with_capacity(messages.len());
        for (chunk, side) in messages
            .chunks(PREDICT_CHUNK)
            .zip(side.chunks(PREDICT_CHUNK))
        {
            out.extend(self.predict_with(chunk, side, reasons));
        }
        out
    }

    /// Predicts messages whose side features (cues, context, mail; see
    /// [`features::side_features`]) were computed by the caller, e.g. one chunk of a stream.
    pub fn predict_with(
        &self,
        messages: &[Message],
        side: &[Vec<f64>],
        reasons: usize,
    ) -> Vec<Prediction> {
        let lanes = if reasons > 0 {
            self.ngram_lanes()
        } else {
            Vec::new()
        };
        let (x, named) = self.dense_rows_naming(messages, side, &lanes);
        let probs = self.probabilities(&x);
        named
            .into_par_iter()
            .enumerate()
            .map(|(i, named)| {
                let p: Vec<f64> = probs.row(i).to_vec();
                let k = self.decide(&p);
                let flagged = self.is_flag(k);
                let reasons = if flagged && reasons > 0 {
                    let row = x.row(i);
                    let row = row.as_slice().expect("row");
                    let lane = lanes.iter().position(|l| l.label == k);
                    match named {
                        Some(named) => self.explain_known(
                            row,
                            k,
                            reasons,
                            |j| self.side_known(&side[i], j),
                            |_, _| lane.map_or_else(Vec::new, |at| named.contributions(at)),
                        ),
                        // Taken for benign while counted, after all flagged: counted again.
                        None => self.explain(&messages[i], &side[i], row, k, reasons),
                    }
                } else {
                    Vec::new()
                };
                Prediction {
                    label: self.labels[k].clone(),
                    probabilities: p,
                    flagged,
                    reasons,
                }
            })
            .collect()
    }

    /// The `top` features that pushed row `x` towards label `k`, the text score broken into
    /// n-grams. `side` is the message's side features as computed: one that is NaN (not known;
    /// its training mean stood in) is no reason.
    pub fn explain(
        &self,
        message: &Message,
        side: &[f64],
        x: &[f64],
        k: usize,
        top: usize,
    ) -> Vec<Contribution> {
        self.explain_known(
            x,
            k,
            top,
            |j| self.side_known(side, j),
            |class, scale| self.ngram_contributions(message, k, class, scale),
        )
    }

    /// Whether combiner input `j` is known, given the side features as computed: a text score
    /// always is, a side feature unless it is NaN.
    fn side_known(&self, side: &[f64], j: usize) -> bool {
        let classes = self.text.classes.len();
        j < classes || !side.get(j - classes).is_some_and(|v| v.is_nan())
    }

    /// The n-grams of `message` that pushed most toward label `k` through text class `class`
    /// (its combiner weight `scale`).
    fn ngram_contributions(
        &self,
        message: &Message,
        k: usize,
        class: usize,
        scale: f64,
    ) -> Vec<Contribution> {
        let lane = NgramLane {
            label: k,
            class,
            scale,
        };
        text::with_gram_counts(&self.features.text, &text_parts(message), |counts| {
            let norm = self.text.norm(counts);
            self.best_ngrams(counts, norm, &[lane], TOP_NGRAMS)
                .contributions(0)
        })
    }

    /// [`Model::explain`] over the inputs `known` keeps, the n-grams given by
    /// `ngrams(text class, scale)`.
    fn explain_known(
        &self,
        x: &[f64],
        k: usize,
        top: usize,
        known: impl Fn(usize) -> bool,
        ngrams: impl FnOnce(usize, f64) -> Vec<Contribution>,
    ) -> Vec<Contribution> {
        let mut pushed: Vec<(f64, usize)> = (0..x.len())
            .filter(|&j| known(j))
            .map(|j| (self.centred_weight(j, k) * x[j], j))
            .filter(|&(c, _)| c >= MIN_REASON)
            .collect();
        // Stable, as the names are unique: equal contributions stay in input order.
        pushed.sort_by(|a, b| b.0.total_cmp(&a.0));
        pushed.truncate(top);
        let mut out: Vec<Contribution> = pushed
            .into_iter()
            .map(|(contribution, j)| Contribution {
                feature: shown_name(&self.dense_names[j], x[j]),
                contribution,
            })
            .collect();
        if let Some(class) = self.text_class(k) {
            out.extend(ngrams(class, self.centred_weight(class, k)));
        }
        out
    }

    /// The combiner's weight of input `j` for label `k`, less its mean over the labels.
    fn centred_weight(&self, j: usize, k: usize) -> f64 {
        let w = self.combiner.params();
        w[[j, k]] - w.row(j).mean().unwrap_or(0.0)
    }

    /// The text class (and combiner input) of label `k`, if the text model scores it.
    fn text_class(&self, k: usize) -> Option<usize> {
        self.text.classes.iter().position(|c| *c == self.labels[k])
    }

    /// The flagged labels whose explanations name n-grams.
    fn ngram_lanes(&self) -> Vec<NgramLane> {
        (0..self.labels.len())
            .filter(|&k| self.is_flag(k))
            .filter_map(|k| {
                let class = self.text_class(k)?;
                Some(NgramLane {
                    label: k,
                    class,
                    scale: self.centred_weight(class, k),
                })
            })
            .collect()
    }

    /// For each lane, the `top` word n-grams of a message that push its text score towards
    /// the lane's label, best first, in one walk over the distinct buckets of the word
    /// n-grams (only word n-grams are named). A bucket contributes the same wherever it
    /// occurs, so each is named by its first n-gram, ties going to the earlier one.
    fn best_ngrams(
        &self,
        counts: &text::GramCounts<'_>,
        norm: f64,
        lanes: &[NgramLane],
        top: usize,
    ) -> Named {
        // `top` places per lane, best first; a contribution of 0 is an empty place (only
        // positive ones are kept).
        const INLINE: usize = 16;
        let places = lanes.len() * top;
        let (mut inline, mut spilled) = ([(0.0, ""); INLINE], Vec::new());
        let best: &mut [(f64, &str)] = if places <= INLINE {
            &mut inline[..places]
        } else {
            spilled.resize(places, (0.0, ""));
            &mut spilled
        };
        counts.for_each_word_bucket(|bucket, gram| {
            let slot = self.text.slot(bucket);
            let idf = slot[0];
            // A bucket the model does not know (idf 0) contributes nothing; with a positive
            // idf the value is positive, and lanes whose weight leans the other way need not
            // compute it.
            let leans = |lane: &NgramLane| f64::from(slot[1 + lane.class]) * lane.scale > 0.0;
            if idf == 0.0 || idf > 0.0 && !lanes.iter().any(leans) {
                return;
            }
            let value = f64::from(normalized(counts.tf(bucket) * idf, norm));
            for (lane, best) in lanes.iter().zip(best.chunks_mut(top)) {
                let c = f64::from(slot[1 + lane.class]) * value * lane.scale;
                // Ties go to the n-gram seen first.
                if let Some(at) = best.iter().position(|&(kept, _)| c > kept) {
                    best[at..].rotate_right(1);
                    best[at] = (c, gram);
                }
            }
        });
        let mut named = Named::default();
        for (i, &(contribution, gram)) in best.iter().enumerate() {
            if contribution >= MIN_REASON {
                let start = named.text.len();
                named.text.push_str(gram);
                named.picks.push(Pick {
                    lane: i / top,
                    contribution,
                    text: (start, named.text.len()),
                });
            }
        }
        named
    }
}

/// The word n-grams that would explain a flag of each lane, for one message (see
/// [`Model::best_ngrams`]): their text in one string, so that a message costs two
/// allocations at most, flagged or not.
#[derive(Debug, Default)]
struct Named {
    text: String,
    picks: Vec<Pick>,
}

/// One n-gram of [`Named`].
#[derive(Debug)]
struct Pick {
    lane: usize,
    contribution: f64,
    /// Its byte range in [`Named::text`].
    text: (usize, usize),
}

impl Named {
    /// The n-grams of lane `at`, best first.
    fn contributions(&self, at: usize) -> Vec<Contribution> {
        self.picks
            .iter()
            .filter(|p| p.lane == at)
            .map(|p| Contribution {
                feature: format!("ngram:{}", &self.text[p.text.0..p.text.1]),
                contribution: p.contribution,
            })
            .collect()
    }
}

/// A label whose explanations name n-grams: its text class and the combiner's (centred)
/// weight of that class's text score.
#[derive(Debug, Clone, Copy)]
struct NgramLane {
    label: usize,
    class: usize,
    scale: f64,
}

/// Word n-grams named in each explanation.
const TOP_NGRAMS: usize = 3;

/// The text a model reads, subject then body: the parts of [`features::full_text`], which
/// [`text::with_gram_counts`] reads without joining them.
fn text_parts(m: &Message) -> [&str; 2] {
    [&m.subject, &m.text]
}

/// The least contribution (log-odds) a combiner input needs to be listed as a reason: below
/// it, an input only fills a place ("cue:upper_case_share:+0.001").
const MIN_REASON: f64 = 0.01;

/// A combiner input's name as a reason: a text score below zero pushes away from its label,
/// so `text:ok` of a text that reads unlike ok is shown as `text:unlike ok`.
fn shown_name(name: &str, value: f64) -> String {
    match name.strip_prefix("text:") {
        Some(label) if value < 0.0 => format!("text:unlike {label}"),
        _ => name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lean_scores_match_the_reference_path() {
        let model = Model::default_model().unwrap();
        let spec = &model.features.text;
        for (subject, body) in [
            (
                "",
                "I'd like to add you to my professional network on LinkedIn.",
            ),
            (
                "Quick question",
                "We help SaaS teams boost your revenue: 15 minutes?",
            ),
            (
                "Re: ÉLARGIR",
                "Ich möchte mich mit Ihnen vernetzen: www.example.org, me@x.org",
            ),
            ("", ""),
        ] {
            let m = Message {
                subject: subject.into(),
                text: body.into(),
                ..Message::default()
            };
            let full = features::full_text(&m);
            let reference = model.text.logits(&model.text.vectorize(spec, &full));
            let mut lean = vec![0.0; model.text.classes.len()];
            model.text.scores(spec, &text_parts(&m), &mut lean);
            for (a, b) in reference.iter().zip(&lean) {
                assert!(
                    (a - b).abs() <= 1e-12 * a.abs().max(1.0),
                    "{full:?}: {a} vs {b}"
                );
            }
        }
    }

    #[test]
    fn batch_explanations_name_the_n_grams_explain_names() {
        let model = Model::default_model().unwrap();
        let texts = [
            "I'd like to add you to my professional network on LinkedIn.",
            "Thanks for connecting! We help SaaS teams boost revenue. Book a demo on our website.",
            "Following up again on my last message: our agency can double your leads, call me.",
            "Hi Anna, Sam Lee suggested I reach out about your talk at RustConf. Coffee sometime?",
        ];
        let messages: Vec<Message> = texts
            .iter()
            .map(|t| Message {
                text: t.to_string(),
                ..Message::default()
            })
            .collect();
        let predictions = model.predict(&messages, 5);
        let x = model.dense_rows(&messages);
        let side = features::side_features(&messages);
        let mut flagged = 0;
        for (i, p) in predictions.iter().enumerate() {
            let k = model.labels.iter().position(|l| *l == p.label).unwrap();
            let alone = if p.flagged {
                model.explain(&messages[i], &side[i], x.row(i).as_slice().unwrap(), k, 5)
            } else {
                Vec::new()
            };
            assert_eq!(p.reasons, alone, "{}", texts[i]);
            flagged += usize::from(p.flagged);
            let ngrams = p.reasons.iter().filter(|c| c.feature.starts_with("ngram:"));
            assert!(!p.flagged || ngrams.count() > 0, "{}", texts[i]);
        }
        assert!(flagged >= 2, "{predictions:?}");
    }

    #[test]
    fn a_reason_is_a_real_push_and_a_low_text_score_is_named_as_such() {
        let model = Model::default_model().unwrap();
        let pitch = Message {
            text: "Following up again: our agency can double your leads, book a call now.".into(),
            ..Message::default()
        };
        let p = &model.predict(std::slice::from_ref(&pitch), 10)[0];
        assert_eq!(p.label, "hard_sell");
        for c in &p.reasons {
            assert!(c.contribution >= MIN_REASON, "{c:?}");
            // A text that reads unlike ok pushes toward hard_sell: named so, not "text:ok".
            assert_ne!(c.feature, "text:ok", "{:?}", p.reasons);
        }
        assert_eq!(shown_name("text:ok", -2.0), "text:unlike ok");
        assert_eq!(shown_name("text:ok", 0.5), "text:ok");
        assert_eq!(shown_name("cue:words", 3.0), "cue:words");
    }

    #[test]
    fn only_rows_the_batch_leaves_unflagged_skip_naming_their_n_grams() {
        let path = Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/data/outreach/international.csv"
        ));
        let (rows, _) = crate::read::table::read_all(path, &Default::default()).unwrap();
        // The default model (three labels, the likeliest wins) and a two-label one (a
        // threshold on the flagged label).
        let two: Vec<Message> = rows
            .iter()
            .map(|m| Message {
                label: m.label.as_deref().map(|l| match l {
                    "hard_sell" => "spam".into(),
                    _ => "ham".into(),
                }),
                ..m.clone()
            })
            .collect();
        let binary = train::train(&two, "t", &Default::default()).unwrap();
        for (model, rows) in [(Model::default_model().unwrap(), &rows), (binary, &two)] {
            let side = features::side_features(rows);
            let (x, named) = model.dense_rows_naming(rows, &side, &model.ngram_lanes());
            let probs = model.probabilities(&x);
            let (mut flagged, mut skipped) = (0, 0);
            for (i, named) in named.iter().enumerate() {
                let k = model.decide(probs.row(i).as_slice().unwrap());
                let flag = model.is_flag(k);
                assert!(
                    !flag || named.is_some(),
                    "row {i} is flagged but was skipped"
                );
                flagged += usize::from(flag);
                skipped += usize::from(named.is_none());
            }
            // Both kinds are there, and most benign rows were skipped.
            assert!(flagged > 50, "{flagged} flagged");
            assert!(
                skipped * 10 > (rows.len() - flagged) * 9,
                "{skipped} skipped"
            );
        }
    }

    #[test]
    fn refuses_a_model_whose_labels_are_not_sorted() {
        let mut json: serde_json::Value = serde_json::from_slice(DEFAULT_MODEL).unwrap();
        json["labels"].as_array_mut().unwrap().swap(0, 2);
        let bytes = serde_json::to_vec(&json).unwrap();
        let err = Model::from_json(&bytes, Path::new("m.json")).unwrap_err();
        assert!(err.to_string().contains("labels are not sorted"), "{err}");
    }

    #[test]
    fn refuses_a_model_whose_buckets_are_not_sorted() {
        let mut json: serde_json::Value = serde_json::from_slice(DEFAULT_MODEL).unwrap();
        json["text"]["buckets"].as_array_mut().unwrap().swap(0, 1);
        let bytes = serde_json::to_vec(&json).unwrap();
        let err = Model::from_json(&bytes, Path::new("m.json")).unwrap_err();
        assert!(err.to_string().contains("not sorted"), "{err}");
    }

    #[test]
    fn an_unknown_side_value_reads_as_its_training_mean_and_as_0_in_an_older_file() {
        let mut model = Model::default_model().unwrap();
        let sides = model.features.side_names();
        let at = |name: &str| sides.iter().position(|n| n == name).unwrap();
        let replied = at("context:owner_ever_replied");
        assert!(model.side_means[replied] > 0.1 && model.side_means[replied] < 0.9);
        let m = Message {
            text: "Following up on my offer: are you free for a call?".into(),
            ..Message::default()
        };
        let mut side = features::side_features(std::slice::from_ref(&m));
        let classes = model.text.classes.len();
        side[0][replied] = f64::NAN;
        let unknown = model.dense_rows_with(std::slice::from_ref(&m), &side);
        assert_eq!(unknown[[0, classes + replied]], model.side_means[replied]);
        assert!(unknown.iter().all(|v| v.is_finite()));
        model.side_means.clear();
        let older = model.dense_rows_with(std::slice::from_ref(&m), &side);
        assert_eq!(older[[0, classes + replied]], 0.0);
    }

    #[test]
    fn refuses_side_means_that_do_not_fit_the_features() {
        for (damage, said) in [
            (serde_json::json!([0.5]), "1 side feature means for"),
            (serde_json::json!("not a list"), "expected a sequence"),
        ] {
            let mut json: serde_json::Value = serde_json::from_slice(DEFAULT_MODEL).unwrap();
            json["side_means"] = damage;
            let bytes = serde_json::to_vec(&json).unwrap();
            let err = Model::from_json(&bytes, Path::new("m.json")).unwrap_err();
            assert!(err.to_string().contains(said), "{err}");
        }
        let mut json: serde_json::Value = serde_json::from_slice(DEFAULT_MODEL).unwrap();
        json.as_object_mut().unwrap().remove("side_means");
        let bytes = serde_json::to_vec(&json).unwrap();
        let mut older = Model::from_json(&bytes, Path::new("m.json")).unwrap();
        assert!(
            older.side_means.is_empty(),
            "a file from before reads, with 0 standing in"
        );
        assert!(older.reads_unknown_replies_as_none());
        assert!(!Model::default_model()
            .unwrap()
            .reads_unknown_replies_as_none());
        // A model trained without threads gives the reply features no weight: nothing is lost.
        let classes = older.text.classes.len();
        let mut params = older.combiner.params().clone();
        for (j, name) in older.features.side_names().iter().enumerate() {
            let reply = name
                .strip_prefix("context:")
                .is_some_and(|n| features::context::REPLY_FEATURES.contains(&n));
            if reply {
                params.row_mut(classes + j).fill(0.0);
            }
        }
        let form = serde_json::json!({
            "intercept": older.combiner.intercept(),
            "params": params,
            "classes": older.combiner.classes(),
        });
        older.combiner = serde_json::from_value(form).unwrap();
        assert!(!older.reads_unknown_replies_as_none());
    }
}
