//! `--tune`: picks the text hyper-parameters by out-of-fold figures on the training rows.
//!
//! Every candidate of a [`TuneGrid`] runs steps 1–3 of [`super::train`] (hashing, out-of-fold
//! text scores, the combiner and its threshold) on the training rows alone; the best
//! out-of-fold MCC wins (then ROC AUC, then grid order) and only the winner's text model is
//! fitted on all rows. The tuned model is the one plain training with the winner's flags
//! gives, plus the record of every candidate.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::sparse_logit::{Csr, LogitParams};
use super::train::{
    fit_text_models, stacked_model, with_text, HashedText, Prepared, TextFits, TrainParams,
};
use super::Model;
use crate::error::{Error, Result};
use crate::features::text;

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
    /// The earlier candidate (its 0-based index in `candidates`; the progress lines number
    /// them from 1) with the same hashed text and alpha, whose fits it shares: a character
    /// limit no message reaches changes nothing.
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
pub(super) fn tune(prep: &Prepared, params: &TrainParams, grid: &TuneGrid) -> Result<Model> {
    let started = std::time::Instant::now();
    let total = grid.char_ngrams.len() * grid.char_limits.len() * grid.alphas.len();
    let say = |line: String| {
        if grid.progress {
            crate::report::to_stderr(&format!(
                "{line} [{:.2} s]",
                started.elapsed().as_secs_f64()
            ));
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

pub(super) fn check_grid(grid: &TuneGrid) -> Result<()> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::train::train;
    use crate::read::Message;
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
}
