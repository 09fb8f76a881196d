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
            positive: None,
            tune: None,
        }
    }
}

/// The text hyper-parameters `--tune` tries: every combination of character n-gram range,
/// character limit and text-model alpha. Each candidate is scored out of fold on the
/// training rows alone (the same folds, combiner and threshold as the final model); the
/// best out-of-fold MCC wins, then the best ROC AUC, then the earlier candidate in grid order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TuneGrid {
    /// Character n-gram ranges (default 2–5, 2–4).
    pub char_ngrams: Vec<(usize, usize)>,
    /// Characters of each message that feed character n-grams (default 3,000, 10,000).
    pub char_limits: Vec<usize>,
    /// L2 strengths of the text model (default 0.1, 0.03, 0.3).
    pub alphas: Vec<f64>,
    /// Print one line per candidate on stderr (default false; not saved).
    #[serde(skip)]
    pub progress: bool,
}

impl Default for TuneGrid {
    fn default() -> Self {
        TuneGrid {
            char_ngrams: vec![(2, 5), (2, 4)],
            char_limits: vec![3_000, 10_000],
            alphas: vec![0.1, 0.03, 0.3],
            progress: false,
        }
    }
}

/// One candidate of a [`TuneGrid`] and its out-of-fold figures, as saved in the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TuneCandidate {
    /// Character n-gram range.
    pub char_ngrams: (usize, usize),
    /// Character limit.
    pub char_limit: usize,
    /// L2 strength of the text model.
    pub alpha: f64,
    /// Out-of-fold MCC (text scores out of fold, combiner in sample, at its own threshold).
    pub mcc: f64,
    /// Out-of-fold ROC AUC (macro for more than two labels).
    pub roc_auc: f64,
    /// Out-of-fold F1 (macro for more than two labels).
    pub f1: f64,
    /// Buckets its text model keeps.
    pub text_buckets: usize,
    /// The earlier candidate (index) with the same hashed text and alpha, whose fits it
    /// shares: a character limit no message reaches changes nothing.
    pub same_as: Option<usize>,
}

/// What `--tune` tried and which candidate won; saved in the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tuning {
    /// How the winner was chosen.
    pub criterion: String,
    /// Every candidate, in grid order.
    pub candidates: Vec<TuneCandidate>,
    /// Index of the winner in `candidates`; the model was fitted with its parameters.
    pub chosen: usize,
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
    check_params(params)?;
    let prep = Prepared::new(messages, source, params)?;
    match &params.tune {
        None => train_untuned(&prep, params),
        Some(grid) => tune(&prep, params, grid),
    }
}

/// What every candidate shares: the labeled rows' texts, classes, folds and side features.
struct Prepared<'a> {
    source: &'a str,
    unlabeled_rows: usize,
    labels: Vec<String>,
    rows_per_label: BTreeMap<String, usize>,
    positive: Option<String>,
    /// Class index of every labeled row.
    y: Vec<usize>,
    /// The classes that get a one-vs-rest text model.
    ovr: Vec<usize>,
    /// Number of folds, and the fold of every labeled row.
    k: usize,
    folds: Vec<usize>,
    /// Cue, context and mail features of every labeled row.
    side: Vec<Vec<f64>>,
    texts: Vec<String>,
    /// SHA-256 of the labeled rows (hashed once: every candidate's summary carries it).
    fingerprint: String,
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
                    "label '{label}' has {n} rows, fewer than --cv {} folds",
                    params.folds
                )));
            }
        }
        let ovr: Vec<usize> = match &positive {
            Some(p) => vec![labels.iter().position(|l| l == p).expect("positive label")],
            None => (0..labels.len()).collect(),
        };
        let folds = assign_folds(&labeled, &y, params.folds);
        // Context comes from every row (the owner's unlabeled replies included).
        let all_side = features::side_features(messages);
        let side = labeled_idx.iter().map(|&i| all_side[i].clone()).collect();
        let texts = labeled.par_iter().map(|m| features::full_text(m)).collect();
        Ok(Prepared {
            fingerprint: fingerprint(&labeled),
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
        })
    }
}

/// The labeled texts hashed with one [`text::TextSpec`]: the vocabulary kept and the TF-IDF rows.
struct HashedText {
    vocab: Vocabulary,
    x: Csr,
    /// A digest of the raw hashed counts: two specs with the same digest give the same rows.
    digest: u128,
}

impl HashedText {
    fn new(texts: &[String], spec: &text::TextSpec, min_df: u32) -> Self {
        let counts: Vec<Vec<(u32, f32)>> = texts
            .par_iter()
            .map(|t| text::hashed_counts(spec, t))
            .collect();
        let mut digest = xxhash_rust::xxh3::Xxh3::new();
        for row in &counts {
            digest.update(&(row.len() as u64).to_le_bytes());
            for &(b, tf) in row {
                digest.update(&b.to_le_bytes());
                digest.update(&tf.to_bits().to_le_bytes());
            }
        }
        let vocab = Vocabulary::fit(&counts, spec.hash_bits, min_df);
        let x = vocab.transform(&counts);
        HashedText {
            vocab,
            x,
            digest: digest.digest128(),
        }
    }
}

/// The default path: one text spec, its fold fits and full fits in one parallel batch.
fn train_untuned(prep: &Prepared, params: &TrainParams) -> Result<Model> {
    let hashed = HashedText::new(&prep.texts, &params.text, params.min_df);
    let mut fits = fit_text_models(&hashed.x, prep, &[params.text_logit], true, true)?;
    let fits = fits.pop().expect("one candidate");
    let model = stacked_model(prep, params, &fits.oof)?;
    Ok(with_text(model, &hashed.vocab, fits))
}

/// The best candidate so far: its model (all but the text weights) and its fold fits.
struct Leader {
    index: usize,
    model: Model,
    fits: TextFits,
}

/// Scores every candidate of `grid` out of fold on the training rows, then fits the winner's
/// text model on all rows. Candidates of one text spec share its hashing and run as one
/// parallel batch; a spec whose hashed counts equal an earlier spec's (a character limit no
/// message reaches) reuses that spec's figures instead of fitting again.
fn tune(prep: &Prepared, params: &TrainParams, grid: &TuneGrid) -> Result<Model> {
    let started = std::time::Instant::now();
    let total = grid.char_ngrams.len() * grid.char_limits.len() * grid.alphas.len();
    let say = |line: String| {
        if grid.progress {
            eprintln!("{line} [{:.2} s]", started.elapsed().as_secs_f64());
        }
    };
    let mut candidates: Vec<TuneCandidate> = Vec::with_capacity(total);
    // (digest of a spec's hashed counts, index of its first candidate)
    let mut specs_seen: Vec<(u128, usize)> = Vec::new();
    let (mut leader, mut leader_text): (Option<Leader>, Option<HashedText>) = (None, None);
    for spec in grid_specs(&params.text, grid) {
        let hashed = HashedText::new(&prep.texts, &spec, params.min_df);
        if let Some(&(_, first)) = specs_seen.iter().find(|(d, _)| *d == hashed.digest) {
            for a in 0..grid.alphas.len() {
                let c = TuneCandidate {
                    char_ngrams: spec.char_ngrams,
                    char_limit: spec.char_limit,
                    same_as: Some(first + a),
                    ..candidates[first + a].clone()
                };
                say(describe(candidates.len(), total, &c));
                candidates.push(c);
            }
            continue;
        }
        specs_seen.push((hashed.digest, candidates.len()));
        let scored = score_spec(prep, params, &spec, &grid.alphas, &hashed.x)?;
        let mut leads = false;
        for (fits, model) in scored {
            let c = candidate_record(&model, hashed.vocab.buckets.len());
            say(describe(candidates.len(), total, &c));
            if leader
                .as_ref()
                .is_none_or(|l| beats(&c, &candidates[l.index]))
            {
                leader = Some(Leader {
                    index: candidates.len(),
                    model,
                    fits,
                });
                leads = true;
            }
            candidates.push(c);
        }
        if leads {
            leader_text = Some(hashed);
        }
    }
    let (leader, hashed) = leader.zip(leader_text).expect("a non-empty grid");
    let chosen = &candidates[leader.index];
    say(format!(
        "tune: chose {}/{total} (char {}-{}, limit {}, alpha {}); refitting its text model on all rows",
        leader.index + 1,
        chosen.char_ngrams.0,
        chosen.char_ngrams.1,
        chosen.char_limit,
        chosen.alpha
    ));
    let tuning = Tuning {
        criterion: "out-of-fold mcc, then out-of-fold roc_auc, then grid order".into(),
        chosen: leader.index,
        candidates,
    };
    refit_winner(prep, leader, &hashed, tuning)
}

/// Every alpha of one text spec: fold fits as one parallel batch, then their combiners.
fn score_spec(
    prep: &Prepared,
    params: &TrainParams,
    spec: &text::TextSpec,
    alphas: &[f64],
    x: &Csr,
) -> Result<Vec<(TextFits, Model)>> {
    let tried: Vec<TrainParams> = alphas
        .iter()
        .map(|&alpha| {
            let mut p = params.clone();
            p.text = spec.clone();
            p.text_logit.alpha = alpha;
            p
        })
        .collect();
    let logits: Vec<LogitParams> = tried.iter().map(|p| p.text_logit).collect();
    let fits = fit_text_models(x, prep, &logits, true, false)?;
    let models: Vec<Model> = tried
        .par_iter()
        .zip(&fits)
        .map(|(p, f)| stacked_model(prep, p, &f.oof))
        .collect::<Result<_>>()?;
    Ok(fits.into_iter().zip(models).collect())
}

/// The winner's text model fitted on all rows, completing its stacked model.
fn refit_winner(
    prep: &Prepared,
    leader: Leader,
    hashed: &HashedText,
    tuning: Tuning,
) -> Result<Model> {
    let logit = [leader.model.training.params.text_logit];
    let full = fit_text_models(&hashed.x, prep, &logit, false, true)?
        .pop()
        .expect("one candidate");
    let fits = TextFits {
        oof: leader.fits.oof,
        converged: leader.fits.converged && full.converged,
        full: full.full,
    };
    let mut model = with_text(leader.model, &hashed.vocab, fits);
    model.training.tuning = Some(tuning);
    Ok(model)
}

/// The text specs of a grid, in grid order (n-gram range, then character limit).
fn grid_specs(base: &text::TextSpec, grid: &TuneGrid) -> Vec<text::TextSpec> {
    grid.char_ngrams
        .iter()
        .flat_map(|&char_ngrams| {
            grid.char_limits
                .iter()
                .map(move |&char_limit| text::TextSpec {
                    char_ngrams,
                    char_limit,
                    ..base.clone()
                })
        })
        .collect()
}

/// A candidate's record, read from its stacked model's out-of-fold metrics.
fn candidate_record(model: &Model, text_buckets: usize) -> TuneCandidate {
    let t = &model.training;
    let figure = |k: &str| t.cross_validation[k].as_f64().unwrap_or(0.0);
    TuneCandidate {
        char_ngrams: t.params.text.char_ngrams,
        char_limit: t.params.text.char_limit,
        alpha: t.params.text_logit.alpha,
        mcc: figure("mcc"),
        roc_auc: figure("roc_auc"),
        f1: figure("f1"),
        text_buckets,
        same_as: None,
    }
}

/// Whether `a` is strictly better than `b`: higher MCC, or the same MCC and a higher ROC AUC.
fn beats(a: &TuneCandidate, b: &TuneCandidate) -> bool {
    a.mcc > b.mcc || (a.mcc == b.mcc && a.roc_auc > b.roc_auc)
}

/// One progress line per candidate.
fn describe(index: usize, total: usize, c: &TuneCandidate) -> String {
    let same = c
        .same_as
        .map_or(String::new(), |s| format!(" (same text as {})", s + 1));
    format!(
        "tune {}/{total}: char {}-{}, limit {}, alpha {}: out-of-fold mcc {:.4}, roc_auc {:.4}, f1 {:.4}{same}",
        index + 1,
        c.char_ngrams.0,
        c.char_ngrams.1,
        c.char_limit,
        c.alpha,
        c.mcc,
        c.roc_auc,
        c.f1
    )
}

/// Fits the combiner on out-of-fold text scores and builds the model around it, all but the
/// text weights (see [`with_text`]): threshold and out-of-fold metrics included.
fn stacked_model(prep: &Prepared, params: &TrainParams, oof: &Array2<f64>) -> Result<Model> {
    let labels = &prep.labels;
    let spec = FeatureSpec::current(params.text.clone());
    let dense = stack(oof, &prep.side);
    let combiner = MultiLogisticRegression::default()
        .alpha(params.combiner_alpha)
        .max_iterations(params.combiner_max_iterations)
        .fit(&Dataset::new(dense.clone(), Array1::from(prep.y.clone())))
        .map_err(|e| Error::Training(format!("combiner did not fit: {e}")))?;
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
    let probs = model.combiner.predict_probabilities(&dense);
    if let Some(pos) = model.positive_index() {
        model.threshold = best_mcc_threshold(&prep.y, pos, &probs);
    }
    model.training.cross_validation = crate::evaluate::metrics_json(&model, &prep.y, &probs);
    Ok(model)
}

/// Completes a [`stacked_model`] with the text weights fitted on all rows.
fn with_text(mut model: Model, vocab: &Vocabulary, fits: TextFits) -> Model {
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
    if let Some(grid) = &p.tune {
        check_grid(grid)?;
    }
    if !(10..=24).contains(&p.text.hash_bits) {
        return Err(Error::Usage(format!(
            "--hash-bits must be within 10..=24 (got {})",
            p.text.hash_bits
        )));
    }
    Ok(())
}

fn check_grid(grid: &TuneGrid) -> Result<()> {
    if grid.char_ngrams.is_empty() || grid.char_limits.is_empty() || grid.alphas.is_empty() {
        return Err(Error::Usage(
            "the --tune grid has an empty dimension".into(),
        ));
    }
    if grid.alphas.iter().any(|&a| !(a > 0.0 && a.is_finite())) {
        return Err(Error::Usage(
            "the --tune grid's alphas must be positive".into(),
        ));
    }
    let valid = |&(a, b): &(usize, usize)| (a, b) == (0, 0) || (1 <= a && a <= b && b <= 8);
    if !grid.char_ngrams.iter().all(valid) {
        return Err(Error::Usage(
            "the --tune grid's character n-gram ranges must be MIN-MAX with 1 <= MIN <= MAX <= 8, or 0-0".into(),
        ));
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

/// The text models of one candidate: out-of-fold scores, and the fits on all rows when asked.
struct TextFits {
    oof: Array2<f64>,
    full: Vec<sparse_logit::SparseLogit>,
    /// Whether every fit of this candidate (fold fits included) converged.
    converged: bool,
}

/// Fits the text models of every candidate in `logits` on `x`, all as one parallel batch:
/// with `out_of_fold`, one per (fold, class) for the out-of-fold scores (else they stay 0);
/// with `full`, one per class on all rows.
fn fit_text_models(
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
    for a in 0..logits.len() {
        for &f in &fold_ids {
            jobs.extend(prep.ovr.iter().map(|&c| (a, f, c)));
        }
    }
    let fitted: Vec<sparse_logit::SparseLogit> = jobs
        .par_iter()
        .map(|&(a, f, c)| {
            let train: Vec<usize> = (0..y.len()).filter(|&i| Some(folds[i]) != f).collect();
            let target: Vec<bool> = train.iter().map(|&i| y[i] == c).collect();
            let rows = if f.is_some() {
                x.select(&train)
            } else {
                x.clone()
            };
            sparse_logit::fit(&rows, &target, &logits[a])
        })
        .collect::<Result<_>>()?;
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
    use crate::read::Origin;

    fn message(i: usize, label: &str, text: String) -> Message {
        Message {
            id: format!("r{i}"),
            origin: Origin {
                file: "synthetic".into(),
                line: i as u64 + 1,
            },
            label: Some(label.into()),
            subject: String::new(),
            text,
            thread: None,
            mail: None,
        }
    }

    /// 90 rows of the same ordinary words in both labels, plus one word per row that no other
    /// row shares: `win…` in spam, `rep…` in ham. Only character n-grams see the prefixes, so
    /// a word-only candidate is near chance and a character candidate is near perfect.
    fn corpus() -> Vec<Message> {
        let words = [
            "meeting", "report", "lunch", "project", "call", "team", "notes", "budget",
        ];
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as usize
        };
        (0..90)
            .map(|i| {
                let spam = i % 3 == 0;
                let mut text: Vec<String> = (0..6).map(|_| words[next() % 8].to_string()).collect();
                let tail: String = (0..5)
                    .map(|_| (b'a' + (next() % 26) as u8) as char)
                    .collect();
                let tell = format!("{}{tail}", if spam { "win" } else { "rep" });
                text.insert(next() % 6, tell);
                message(i, if spam { "spam" } else { "ham" }, text.join(" "))
            })
            .collect()
    }

    fn grid() -> TuneGrid {
        TuneGrid {
            char_ngrams: vec![(0, 0), (2, 4)],
            char_limits: vec![3_000, 10_000],
            alphas: vec![0.1, 1.0],
            progress: false,
        }
    }

    fn tuned() -> TrainParams {
        TrainParams {
            tune: Some(grid()),
            ..TrainParams::default()
        }
    }

    fn json(model: &Model) -> serde_json::Value {
        serde_json::to_value(model).unwrap()
    }

    #[test]
    fn tuning_picks_the_best_out_of_fold_candidate() {
        let model = train(&corpus(), "synthetic", &tuned()).unwrap();
        let tuning = model.training.tuning.as_ref().unwrap();
        let c = &tuning.candidates;
        let best = c
            .iter()
            .map(|c| (c.mcc, c.roc_auc))
            .fold((f64::MIN, f64::MIN), |a, b| if b > a { b } else { a });
        let first_best = c.iter().position(|c| (c.mcc, c.roc_auc) == best).unwrap();
        assert_eq!(tuning.chosen, first_best);
        assert!(
            c[0].mcc < c[tuning.chosen].mcc - 0.2,
            "word-only should lose: {c:?}"
        );
        let won = &c[tuning.chosen];
        assert_eq!(won.char_ngrams, (2, 4));
        assert_eq!(model.features.text.char_ngrams, won.char_ngrams);
        assert_eq!(model.features.text.char_limit, won.char_limit);
        assert_eq!(model.training.params.text_logit.alpha, won.alpha);
        assert_eq!(
            model.training.cross_validation["mcc"].as_f64(),
            Some(won.mcc)
        );
        assert_eq!(model.training.text_buckets, won.text_buckets);
    }

    #[test]
    fn summary_records_every_candidate_in_grid_order() {
        let model = train(&corpus(), "synthetic", &tuned()).unwrap();
        let tuning = model.training.tuning.as_ref().unwrap();
        let tried: Vec<((usize, usize), usize, f64)> = tuning
            .candidates
            .iter()
            .map(|c| (c.char_ngrams, c.char_limit, c.alpha))
            .collect();
        let mut expected = Vec::new();
        for n in [(0, 0), (2, 4)] {
            for limit in [3_000, 10_000] {
                for alpha in [0.1, 1.0] {
                    expected.push((n, limit, alpha));
                }
            }
        }
        assert_eq!(tried, expected);
        // No row reaches 3,000 characters: the 10,000 specs share the 3,000 specs' fits.
        let same: Vec<Option<usize>> = tuning.candidates.iter().map(|c| c.same_as).collect();
        assert_eq!(
            same,
            [None, None, Some(0), Some(1), None, None, Some(4), Some(5)]
        );
        assert_eq!(model.training.params.tune, Some(grid()));
        let saved = json(&model);
        assert_eq!(
            saved["training"]["tuning"]["candidates"]
                .as_array()
                .unwrap()
                .len(),
            8
        );
        let back = Model::from_json(&serde_json::to_vec(&model).unwrap(), "m".as_ref()).unwrap();
        assert_eq!(back.training.tuning, model.training.tuning);
    }

    #[test]
    fn tuning_is_deterministic_whatever_the_threads() {
        let on = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| serde_json::to_vec(&train(&corpus(), "s", &tuned()).unwrap()).unwrap())
        };
        let one = on(1);
        assert_eq!(one, on(2));
        assert_eq!(one, on(2));
    }

    #[test]
    fn tuned_model_is_the_untuned_model_of_the_winner() {
        let tuned_model = train(&corpus(), "s", &tuned()).unwrap();
        let winner = TrainParams {
            tune: None,
            ..tuned_model.training.params.clone()
        };
        let plain = train(&corpus(), "s", &winner).unwrap();
        let mut a = json(&tuned_model);
        a["training"].as_object_mut().unwrap().remove("tuning");
        a["training"]["params"]
            .as_object_mut()
            .unwrap()
            .remove("tune");
        assert_eq!(a, json(&plain));
    }

    #[test]
    fn untuned_model_file_has_no_tuning_fields() {
        let model = train(&corpus(), "s", &TrainParams::default()).unwrap();
        let saved = json(&model);
        assert!(saved["training"].get("tuning").is_none());
        assert!(saved["training"]["params"].get("tune").is_none());
    }

    #[test]
    fn refuses_an_empty_or_bad_grid() {
        for grid in [
            TuneGrid {
                alphas: vec![],
                ..grid()
            },
            TuneGrid {
                alphas: vec![0.0],
                ..grid()
            },
            TuneGrid {
                char_ngrams: vec![(3, 2)],
                ..grid()
            },
        ] {
            let params = TrainParams {
                tune: Some(grid),
                ..TrainParams::default()
            };
            assert!(matches!(
                train(&corpus(), "s", &params),
                Err(Error::Usage(_))
            ));
        }
    }

    #[test]
    fn threshold_mcc_agrees_with_the_metrics_module() {
        let truth = [true, true, false, false, true, false, false];
        let flagged = [true, false, false, true, true, false, false];
        let m = metrics::binary(&truth, &flagged, &[0.0; 7]);
        assert_eq!(mcc(&m.confusion), m.mcc);
        assert_eq!(mcc(&metrics::Confusion::default()), 0.0);
    }
}
