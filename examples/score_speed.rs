//! The text model's two scoring paths side by side: the reference (`vectorize` the full text,
//! then `logits`) and the lean one (`scores`, which counts n-grams in a per-thread table and
//! reads subject and body without joining them), checked for the same answers and timed.
//!
//! `cargo run --release --example score_speed -- MODEL FILE [TEXT_COLUMN [SUBJECT_COLUMN]]`
//!
//! MODEL is a model file or `default` (the built-in model); FILE a table `hardsell score`
//! reads (columns `text` and, when present, `subject` unless named). For every row and class
//! the two scores must agree within 1e-9 relative (floor 1e-9 absolute), and the n-grams
//! `Model::explain` names for every class must match those the reference row gives. Prints
//! `name value` lines: rows, the largest differences, each path's messages per second on one
//! thread, and exits 1 when anything differs.

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use hardsell::features::{self, text};
use hardsell::model::Model;
use hardsell::read::table::{self, ColumnRef, TableOptions};
use hardsell::read::Message;

/// Largest accepted difference, relative to the larger score (and at least this, absolute).
const TOLERANCE: f64 = 1e-9;
/// N-grams each explanation names.
const TOP_NGRAMS: usize = 3;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (model, file, text_column, subject_column) = match args.as_slice() {
        [m, f] => (m, f, None, None),
        [m, f, t] => (m, f, Some(t), None),
        [m, f, t, s] => (m, f, Some(t), Some(s)),
        _ => {
            eprintln!("usage: score_speed MODEL FILE [TEXT_COLUMN [SUBJECT_COLUMN]]");
            return ExitCode::from(2);
        }
    };
    let model = if model == "default" {
        Model::default_model()
    } else {
        Model::load(Path::new(model))
    };
    let model = match model {
        Ok(m) => m,
        Err(e) => {
            eprintln!("score_speed: {e}");
            return ExitCode::from(3);
        }
    };
    let opts = TableOptions {
        text: text_column.map_or(ColumnRef::Name("text".into()), |c| {
            ColumnRef::Name(c.clone())
        }),
        subject: subject_column.map(|c| ColumnRef::Name(c.clone())),
        require_label: false,
        ..TableOptions::default()
    };
    let messages = match table::read_all(Path::new(file), &opts) {
        Ok((m, _)) => m,
        Err(e) => {
            eprintln!("score_speed: {e}");
            return ExitCode::from(3);
        }
    };
    let classes = model.text.classes.len();
    let spec = &model.features.text;

    let started = Instant::now();
    let reference: Vec<Vec<f64>> = messages
        .iter()
        .map(|m| {
            let row = model.text.vectorize(spec, &features::full_text(m));
            model.text.logits(&row)
        })
        .collect();
    let reference_seconds = started.elapsed().as_secs_f64();

    let started = Instant::now();
    let mut lean = vec![0.0; messages.len() * classes];
    for (m, out) in messages.iter().zip(lean.chunks_mut(classes)) {
        model.text.scores(spec, &[&m.subject, &m.text], out);
    }
    let lean_seconds = started.elapsed().as_secs_f64();

    let (mut worst_abs, mut worst_rel, mut differing) = (0.0f64, 0.0f64, 0usize);
    for (old, new) in reference.iter().zip(lean.chunks(classes)) {
        for (&a, &b) in old.iter().zip(new) {
            let diff = (a - b).abs();
            let rel = diff / a.abs().max(b.abs()).max(f64::MIN_POSITIVE);
            worst_abs = worst_abs.max(diff);
            worst_rel = worst_rel.max(rel);
            differing += usize::from(diff > TOLERANCE * a.abs().max(b.abs()).max(1.0));
        }
    }
    let explanations_differing = check_explanations(&model, &messages);

    let rate = |s: f64| messages.len() as f64 / s.max(1e-9);
    println!("rows {}", messages.len());
    println!("classes {classes}");
    println!("max_abs_difference {worst_abs:.3e}");
    println!("max_rel_difference {worst_rel:.3e}");
    println!("scores_differing {differing}");
    println!("explanations_differing {explanations_differing}");
    println!("reference_msgs_per_s {:.0}", rate(reference_seconds));
    println!("lean_msgs_per_s {:.0}", rate(lean_seconds));
    println!("speedup {:.2}", reference_seconds / lean_seconds.max(1e-9));
    if differing == 0 && explanations_differing == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Messages for which `Model::explain` names other n-grams (or other values) than the
/// reference: the TF-IDF row of the full text, its word n-grams walked in order.
fn check_explanations(model: &Model, messages: &[Message]) -> usize {
    let x = model.dense_rows(messages);
    let side = hardsell::features::side_features(messages);
    let w = model.combiner.params();
    let mut differing = 0;
    for (i, m) in messages.iter().enumerate() {
        let row = x.row(i).to_vec();
        for (class, name) in model.text.classes.iter().enumerate() {
            let Some(k) = model.labels.iter().position(|l| l == name) else {
                continue;
            };
            let scale = w[[class, k]] - w.row(class).mean().unwrap_or(0.0);
            let expected = reference_ngrams(model, m, class, scale);
            // No dense feature's name starts with `ngram:`, so these are explain's n-grams.
            let got: Vec<(String, f64)> = model
                .explain(m, &side[i], &row, k, 0)
                .into_iter()
                .filter(|c| c.feature.starts_with("ngram:"))
                .map(|c| (c.feature, c.contribution))
                .collect();
            let same = got.len() == expected.len()
                && got.iter().zip(&expected).all(|((gn, gv), (en, ev))| {
                    gn == en && (gv - ev).abs() <= TOLERANCE * gv.abs().max(ev.abs()).max(1.0)
                });
            differing += usize::from(!same);
        }
    }
    differing
}

/// The n-grams explaining `class`, as the reference path finds them.
fn reference_ngrams(model: &Model, m: &Message, class: usize, scale: f64) -> Vec<(String, f64)> {
    let t = &model.text;
    let full = features::full_text(m);
    let row = t.vectorize(&model.features.text, &full);
    let words_only = text::TextSpec {
        char_ngrams: (0, 0),
        ..model.features.text.clone()
    };
    let mut seen = std::collections::HashSet::new();
    let mut out: Vec<(String, f64)> = Vec::new();
    text::for_each_gram(&words_only, &full, |bucket, _, gram| {
        let Ok(pos) = t.buckets.binary_search(&bucket) else {
            return;
        };
        if !seen.insert(pos) {
            return;
        }
        let Ok(at) = row.binary_search_by_key(&(pos as u32), |&(p, _)| p) else {
            return;
        };
        let c = f64::from(t.weights[class][pos]) * f64::from(row[at].1) * scale;
        if c > 0.0 {
            out.push((format!("ngram:{gram}"), c));
        }
    });
    out.sort_by(|a, b| b.1.total_cmp(&a.1));
    out.truncate(TOP_NGRAMS);
    out
}
