//! The model: a sparse text model whose per-class scores, with the cue and context features,
//! feed a linfa-logistic softmax combiner; saved as versioned JSON.
//!
//! Params → checked params → fitted model, as linfa does: [`train::TrainParams`] hold the
//! hyper-parameters with their defaults, [`train::train`] checks them and fits a [`Model`].
//! Loading checks the format version, the feature names and every width before linfa sees
//! a row, because linfa-logistic panics on a width mismatch.

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
    #[serde(skip)]
    lookup: Vec<u32>,
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
    /// Builds the bucket → position table used when scoring.
    fn index(&mut self, bits: u32) {
        let mut lookup = vec![u32::MAX; 1usize << bits];
        for (i, &b) in self.buckets.iter().enumerate() {
            lookup[b as usize] = i as u32;
        }
        self.lookup = lookup;
    }

    /// TF-IDF of a message over the known buckets, L2-normalised: (positions, values).
    pub fn vectorize(&self, spec: &text::TextSpec, text: &str) -> Vec<(u32, f32)> {
        let mut row: Vec<(u32, f32)> = text::hashed_counts(spec, text)
            .into_iter()
            .filter_map(|(b, tf)| {
                let pos = self.lookup[b as usize];
                (pos != u32::MAX).then(|| (pos, tf * self.idf[pos as usize]))
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
}

/// Scales a sparse row to unit L2 norm (an empty row stays empty).
pub fn normalize(row: &mut [(u32, f32)]) {
    let norm = row
        .iter()
        .map(|&(_, v)| f64::from(v) * f64::from(v))
        .sum::<f64>()
        .sqrt();
    if norm > 0.0 {
        for (_, v) in row.iter_mut() {
            *v = (f64::from(*v) / norm) as f32;
        }
    }
}

impl Model {
    /// Reads and checks a model file.
    pub fn load(path: &Path) -> Result<Model> {
        let bytes = std::fs::read(path)
            .map_err(|e| Error::model(path, format!("cannot read the model file: {e}")))?;
        Self::from_json(&bytes, path)
    }

    /// The default model shipped with hardsell (models/default.json, embedded at build time).
    pub fn default_model() -> Result<Model> {
        Self::from_json(DEFAULT_MODEL, Path::new("<built-in models/default.json>"))
    }

    /// Parses and checks model JSON; `path` names it in errors.
    pub fn from_json(bytes: &[u8], path: &Path) -> Result<Model> {
        let probe: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
            Error::model(
                path,
                format!("not a complete model file (truncated or not JSON: {e})"),
            )
        })?;
        if probe.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
            return Err(Error::model(
                path,
                "not a hardsell model file (no \"format\": \"hardsell-model\")",
            ));
        }
        let version = probe.get("format_version").and_then(|v| v.as_u64());
        if version != Some(u64::from(FORMAT_VERSION)) {
            return Err(Error::model(
                path,
                format!(
                    "model format version {} is not supported by this hardsell (expects {FORMAT_VERSION}); retrain it with `hardsell train`",
                    version.map_or("missing".to_string(), |v| v.to_string())
                ),
            ));
        }
        let mut model: Model = serde_json::from_value(probe)
            .map_err(|e| Error::model(path, format!("model file is damaged: {e}")))?;
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
        let width = t.classes.len() + self.features.side_names().len();
        let (rows, cols) = self.combiner.params().dim();
        if rows != width
            || self.dense_names.len() != width
            || cols != self.labels.len()
            || self.combiner.intercept().len() != self.labels.len()
            || self.combiner.classes() != (0..self.labels.len()).collect::<Vec<_>>().as_slice()
        {
            return Err(format!(
                "combiner is {rows} × {cols} but the features say {width} × {} (damaged file)",
                self.labels.len()
            ));
        }
        if !(self.threshold > 0.0 && self.threshold < 1.0) {
            return Err(format!("threshold {} is outside 0..1", self.threshold));
        }
        Ok(())
    }

    /// Writes the model as JSON, atomically (a temporary file renamed into place).
    pub fn save(&self, path: &Path) -> Result<()> {
        let json = serde_json::to_vec(self).map_err(|e| Error::model(path, e.to_string()))?;
        crate::report::write_atomically(path, |w| w.write_all(&json))
    }

    /// The combiner inputs of a batch: text scores then cues and context, one row per message.
    pub fn dense_rows(&self, messages: &[Message]) -> Array2<f64> {
        self.dense_rows_with(messages, &features::side_features(messages))
    }

    /// The combiner inputs of `messages`, given their side features (computed over whole threads).
    fn dense_rows_with(&self, messages: &[Message], side: &[Vec<f64>]) -> Array2<f64> {
        let logits: Vec<Vec<f64>> = messages
            .par_iter()
            .map(|m| {
                self.text.logits(
                    &self
                        .text
                        .vectorize(&self.features.text, &features::full_text(m)),
                )
            })
            .collect();
        let width = self.dense_names.len();
        let mut x = Array2::<f64>::zeros((messages.len(), width));
        for (i, (l, s)) in logits.iter().zip(side).enumerate() {
            for (j, v) in l.iter().chain(s.iter()).enumerate() {
                x[[i, j]] = *v;
            }
        }
        x
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
        let x = self.dense_rows_with(messages, side);
        let probs = self.probabilities(&x);
        (0..messages.len())
            .into_par_iter()
            .map(|i| {
                let p: Vec<f64> = probs.row(i).to_vec();
                let k = self.decide(&p);
                let flagged = self.is_flag(k);
                let reasons = if flagged && reasons > 0 {
                    self.explain(&messages[i], x.row(i).as_slice().expect("row"), k, reasons)
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

    /// The `top` features that pushed row `x` towards label `k`, the text score broken into n-grams.
    pub fn explain(&self, message: &Message, x: &[f64], k: usize, top: usize) -> Vec<Contribution> {
        let w = self.combiner.params();
        let centred = |j: usize| w[[j, k]] - w.row(j).mean().unwrap_or(0.0);
        let mut out: Vec<Contribution> = (0..x.len())
            .map(|j| Contribution {
                feature: self.dense_names[j].clone(),
                contribution: centred(j) * x[j],
            })
            .filter(|c| c.contribution > 1e-6)
            .collect();
        out.sort_by(|a, b| b.contribution.total_cmp(&a.contribution));
        out.truncate(top);
        if let Some(class) = self.text.classes.iter().position(|c| *c == self.labels[k]) {
            out.extend(self.top_ngrams(message, class, centred(class), 3));
        }
        out
    }

    fn top_ngrams(
        &self,
        message: &Message,
        class: usize,
        scale: f64,
        top: usize,
    ) -> Vec<Contribution> {
        let text = features::full_text(message);
        // The row is sorted by position (buckets are kept sorted), so values are found by
        // binary search; only word n-grams are named, so character n-grams are not walked.
        let row = self.text.vectorize(&self.features.text, &text);
        let words_only = text::TextSpec {
            char_ngrams: (0, 0),
            ..self.features.text.clone()
        };
        let mut grams: Vec<Contribution> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        text::for_each_gram(&words_only, &text, |bucket, _, gram| {
            let pos = self.text.lookup[bucket as usize];
            if pos == u32::MAX || !seen.insert(pos) {
                return;
            }
            let Ok(at) = row.binary_search_by_key(&pos, |&(p, _)| p) else {
                return;
            };
            let c =
                f64::from(self.text.weights[class][pos as usize]) * f64::from(row[at].1) * scale;
            if c > 0.0 {
                grams.push(Contribution {
                    feature: format!("ngram:{gram}"),
                    contribution: c,
                });
            }
        });
        grams.sort_by(|a, b| b.contribution.total_cmp(&a.contribution));
        grams.truncate(top);
        grams
    }
}
