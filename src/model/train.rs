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
//! Deterministic: folds come from a hash of each row, never from a random generator.

use std::collections::BTreeMap;

use linfa::prelude::*;
use linfa_logistic::MultiLogisticRegression;
use ndarray::{Array1, Array2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use xxhash_rust::xxh3::xxh3_64;

use super::sparse_logit::{self, Csr, LogitParams};
use super::{normalize, Model, TextModel, FORMAT, FORMAT_VERSION};
use crate::error::{Error, Result};
use crate::features::{self, text, FeatureSpec};
use crate::metrics;
use crate::read::Message;

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
    /// The flagged label of a two-label model (default `spam` when present, else the rarer label).
    pub positive: Option<String>,
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
            positive: None,
        }
    }
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
}

/// Checks `params` and trains a model on the labeled messages of `messages`.
pub fn train(messages: &[Message], source: &str, params: &TrainParams) -> Result<Model> {
    check_params(params)?;
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
                "label '{label}' has {n} rows, fewer than --cv {} folds",
                params.folds
            )));
        }
    }
    let ovr: Vec<usize> = match &positive {
        Some(p) => vec![labels.iter().position(|l| l == p).expect("positive label")],
        None => (0..labels.len()).collect(),
    };

    let texts: Vec<String> = labeled.iter().map(|m| features::full_text(m)).collect();
    let counts: Vec<Vec<(u32, f32)>> = texts
        .par_iter()
        .map(|t| text::hashed_counts(&params.text, t))
        .collect();
    let vocab = Vocabulary::fit(&counts, params.text.hash_bits, params.min_df);
    let x = vocab.transform(&counts);

    let folds = assign_folds(&labeled, &y, params.folds);
    let (oof, fits) = fit_text_models(&x, &y, &ovr, &folds, params)?;
    let converged = fits.iter().all(|f| f.converged);

    let spec = FeatureSpec::current(params.text.clone());
    // Context comes from every row (the owner's unlabeled replies included).
    let all_side = features::side_features(messages);
    let side: Vec<Vec<f64>> = labeled_idx.iter().map(|&i| all_side[i].clone()).collect();
    let dense = stack(&oof, &side);
    let combiner = MultiLogisticRegression::default()
        .alpha(params.combiner_alpha)
        .max_iterations(params.combiner_max_iterations)
        .fit(&Dataset::new(dense.clone(), Array1::from(y.clone())))
        .map_err(|e| Error::Training(format!("combiner did not fit: {e}")))?;

    let text_model = TextModel {
        buckets: vocab.buckets.clone(),
        idf: vocab.idf.clone(),
        classes: ovr.iter().map(|&c| labels[c].clone()).collect(),
        weights: fits.iter().map(|f| f.weights.clone()).collect(),
        intercepts: fits.iter().map(|f| f.intercept).collect(),
        lookup: Vec::new(),
    };
    let mut dense_names: Vec<String> = text_model
        .classes
        .iter()
        .map(|c| format!("text:{c}"))
        .collect();
    dense_names.extend(spec.side_names());
    let mut model = Model {
        format: FORMAT.into(),
        format_version: FORMAT_VERSION,
        created_by: format!("hardsell {}", env!("CARGO_PKG_VERSION")),
        labels: labels.clone(),
        positive,
        threshold: 0.5,
        features: spec,
        dense_names,
        text: text_model,
        combiner,
        training: TrainingSummary {
            source: source.to_string(),
            fingerprint: fingerprint(&labeled),
            rows_per_label,
            unlabeled_rows: messages.len() - labeled.len(),
            params: params.clone(),
            text_buckets: vocab.buckets.len(),
            converged,
            cross_validation: serde_json::Value::Null,
        },
    };
    let probs = model.combiner.predict_probabilities(&dense);
    if let Some(pos) = model.positive_index() {
        model.threshold = best_mcc_threshold(&y, pos, &probs);
    }
    model.training.cross_validation = crate::evaluate::metrics_json(&model, &y, &probs);
    model.text.index(model.features.text.hash_bits);
    Ok(model)
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
        _ => Ok((rows.keys().cloned().collect(), rows)),
    }
}

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
struct Vocabulary {
    buckets: Vec<u32>,
    idf: Vec<f32>,
    column: Vec<u32>,
}

impl Vocabulary {
    fn fit(counts: &[Vec<(u32, f32)>], bits: u32, min_df: u32) -> Self {
        let mut df = vec![0u32; 1usize << bits];
        for row in counts {
            for &(b, _) in row {
                df[b as usize] += 1;
            }
        }
        let n = counts.len() as f64;
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

    fn transform(&self, counts: &[Vec<(u32, f32)>]) -> Csr {
        let mut x = Csr::new(self.buckets.len());
        for row in counts {
            let mut r: Vec<(u32, f32)> = row
                .iter()
                .filter_map(|&(b, tf)| {
                    let c = self.column[b as usize];
                    (c != u32::MAX).then(|| (c, tf * self.idf[c as usize]))
                })
                .collect();
            normalize(&mut r);
            x.push_row(r);
        }
        x
    }
}

/// Stratified fold of every row. Rows of one thread share a fold (so a sender's other
/// messages never vouch for each other out of fold), and so do identical texts; a label with
/// too few groups to fill every fold twice (one spammer's whole mailbox, say) is split row by
/// row instead. Groups are ordered by label and a hash of their key, so the folds do not
/// depend on row order.
fn assign_folds(labeled: &[&Message], y: &[usize], k: usize) -> Vec<usize> {
    let key_of = |i: usize| -> String {
        let m = labeled[i];
        match &m.thread {
            Some(t) => format!("thread\n{}", t.conversation),
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

/// Fits the text models: one per (fold, class) for out-of-fold scores, and one per class on
/// all rows, all as one parallel batch. Returns the out-of-fold scores and the full fits
/// (the fold fits' convergence is folded into the full fits' flag).
fn fit_text_models(
    x: &Csr,
    y: &[usize],
    ovr: &[usize],
    folds: &[usize],
    params: &TrainParams,
) -> Result<(Array2<f64>, Vec<sparse_logit::SparseLogit>)> {
    let fold_ids = (0..params.folds).map(Some).chain(std::iter::once(None));
    let jobs: Vec<(Option<usize>, usize)> = fold_ids
        .flat_map(|f| ovr.iter().map(move |&c| (f, c)))
        .collect();
    let fitted: Vec<sparse_logit::SparseLogit> = jobs
        .par_iter()
        .map(|&(f, c)| {
            let train: Vec<usize> = (0..y.len()).filter(|&i| Some(folds[i]) != f).collect();
            let target: Vec<bool> = train.iter().map(|&i| y[i] == c).collect();
            let rows = if f.is_some() {
                x.select(&train)
            } else {
                x.clone()
            };
            sparse_logit::fit(&rows, &target, &params.text_logit)
        })
        .collect::<Result<_>>()?;
    let mut oof = Array2::<f64>::zeros((y.len(), ovr.len()));
    let mut all_converged = true;
    let mut full = Vec::new();
    for (&(f, c), fit) in jobs.iter().zip(fitted) {
        all_converged &= fit.converged;
        let col = ovr.iter().position(|&o| o == c).expect("class");
        match f {
            Some(f) => {
                for i in (0..y.len()).filter(|&i| folds[i] == f) {
                    let (cols, vals) = x.row(i);
                    oof[[i, col]] = fit.decision(cols, vals).clamp(-20.0, 20.0);
                }
            }
            None => full.push(fit),
        }
    }
    for fit in &mut full {
        fit.converged = all_converged;
    }
    Ok((oof, full))
}

fn stack(text: &Array2<f64>, side: &[Vec<f64>]) -> Array2<f64> {
    let width = text.ncols() + side.first().map_or(0, |s| s.len());
    let mut x = Array2::<f64>::zeros((text.nrows(), width));
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
    let score = |t: f64| {
        let flagged: Vec<bool> = p.iter().map(|&v| v >= t).collect();
        metrics::binary(&truth, &flagged, &p).mcc
    };
    candidates
        .into_iter()
        .map(|t| (score(t), -(t - 0.5).abs(), t))
        .max_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)))
        .map_or(0.5, |(_, _, t)| t)
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
