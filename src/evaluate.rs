//! Evaluation: a model's metrics on labeled data, and the regression gate against a
//! recorded baseline.
//!
//! A two-label model reports the metrics of its flagged label with exactly the keys
//! `accuracy precision recall f1 mcc roc_auc false_positive_rate` at the top level (plus
//! `confusion`); a multi-label model reports per-label metrics, macro averages, and `f1` /
//! `roc_auc` as the macro values so one gate serves both.

use std::path::Path;

use ndarray::Array2;
use serde_json::{json, Value};

use crate::error::{Error, Result};
use crate::metrics;
use crate::model::Model;
use crate::read::Message;

/// The top-level metric keys of a two-label model, in display order.
pub const BINARY_METRICS: [&str; 7] = [
    "accuracy",
    "precision",
    "recall",
    "f1",
    "mcc",
    "roc_auc",
    "false_positive_rate",
];

/// The metrics the gate compares.
pub const GATED_METRICS: [&str; 3] = ["mcc", "f1", "roc_auc"];

/// The most of a baseline read from a device or pipe (one is a few hundred bytes).
const BASELINE_LIMIT: u64 = 64 << 20;

/// Metrics of `model` on labeled `messages`; every label must be one the model knows.
pub fn evaluate(model: &Model, messages: &[Message], source: &str) -> Result<Value> {
    // Context features need every row (the owner's unlabeled replies too); only labeled rows are measured.
    let labeled_idx: Vec<usize> = (0..messages.len())
        .filter(|&i| messages[i].label.is_some())
        .collect();
    let labeled: Vec<&Message> = labeled_idx.iter().map(|&i| &messages[i]).collect();
    if labeled.is_empty() {
        return Err(Error::Training(format!(
            "{source}: no labeled rows to evaluate"
        )));
    }
    let mut y = Vec::with_capacity(labeled.len());
    for m in &labeled {
        let label = m.label.as_deref().expect("labeled");
        match model.labels.iter().position(|l| l == label) {
            Some(k) => y.push(k),
            None => {
                return Err(Error::BadRow {
                    path: (*m.origin.file).into(),
                    line: m.origin.line,
                    message: format!(
                        "label '{label}' is not one the model knows ({})",
                        model.labels.join(", ")
                    ),
                })
            }
        }
    }
    let all = model.dense_rows(messages);
    let x = all.select(ndarray::Axis(0), &labeled_idx);
    let probs = model.probabilities(&x);
    let mut out = metrics_json(model, &y, &probs);
    out["rows"] = json!(labeled.len());
    out["data"] = json!(source);
    Ok(out)
}

/// The metrics JSON for true label indices `y` and probabilities `probs` (one row per message).
pub fn metrics_json(model: &Model, y: &[usize], probs: &Array2<f64>) -> Value {
    let rows: Vec<Vec<f64>> = probs.outer_iter().map(|r| r.to_vec()).collect();
    let predicted: Vec<usize> = rows.iter().map(|p| model.decide(p)).collect();
    match model.positive_index() {
        Some(pos) => {
            let truth: Vec<bool> = y.iter().map(|&t| t == pos).collect();
            let flagged: Vec<bool> = predicted.iter().map(|&p| p == pos).collect();
            let score: Vec<f64> = rows.iter().map(|p| p[pos]).collect();
            let m = metrics::binary(&truth, &flagged, &score);
            let mut v = serde_json::to_value(&m).expect("metrics serialise");
            v["positive"] = json!(model.labels[pos]);
            v["threshold"] = json!(model.threshold);
            v
        }
        None => {
            let m = metrics::multi(&model.labels, y, &predicted, &rows);
            let mut v = serde_json::to_value(&m).expect("metrics serialise");
            v["f1"] = json!(m.macro_f1);
            v["roc_auc"] = json!(m.macro_roc_auc);
            v
        }
    }
}

/// A recorded baseline: the gated metrics of a model on some data (`eval --write-baseline`).
#[derive(Debug)]
pub struct Baseline {
    path: std::path::PathBuf,
    /// The flagged label of a two-label model's baseline; `None` for a multi-label model's.
    positive: Option<String>,
    /// The value of each of [`GATED_METRICS`], in order.
    values: [f64; GATED_METRICS.len()],
    /// How far below its baseline value a metric may fall.
    max_drop: f64,
}

impl Baseline {
    /// Reads and checks a baseline file: JSON (a UTF-8 BOM is fine) with every gated metric a
    /// number in its range (mcc in -1..=1, f1 and roc_auc in 0..=1); `max_drop` must be a
    /// finite number of at least 0.
    pub fn load(path: &Path, max_drop: f64) -> Result<Self> {
        // NaN or infinity would let every metric through: the gate would gate nothing.
        if !(max_drop.is_finite() && max_drop >= 0.0) {
            return Err(Error::Usage(format!(
                "--max-drop must be a finite number of at least 0 (got {max_drop})"
            )));
        }
        let bad = |message: String| {
            Error::io(
                path,
                std::io::Error::new(std::io::ErrorKind::InvalidData, message),
            )
        };
        let bytes =
            crate::read::read_bounded(path, BASELINE_LIMIT).map_err(|e| Error::io(path, e))?;
        let text = String::from_utf8(bytes)
            .map_err(|_| bad("the baseline is not UTF-8 text".to_string()))?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        let v: Value = serde_json::from_str(text).map_err(|e| Error::BadRow {
            path: path.into(),
            line: e.line() as u64,
            message: format!("baseline is not valid JSON: {e}"),
        })?;
        if !v.is_object() {
            return Err(bad("the baseline is not a JSON object of metrics".into()));
        }
        let mut values = [0.0; GATED_METRICS.len()];
        for (value, name) in values.iter_mut().zip(GATED_METRICS) {
            let lowest = if name == "mcc" { -1.0 } else { 0.0 };
            *value = match v[name].as_f64() {
                Some(x) if (lowest..=1.0).contains(&x) => x,
                Some(x) => {
                    return Err(bad(format!(
                        "the baseline's '{name}' is {x}, outside {lowest}..=1"
                    )))
                }
                None => return Err(bad(format!("the baseline has no numeric '{name}'"))),
            };
        }
        let positive = match &v["positive"] {
            Value::Null => None,
            Value::String(p) => Some(p.clone()),
            other => {
                return Err(bad(format!(
                    "the baseline's 'positive' is not a label: {other}"
                )))
            }
        };
        Ok(Baseline {
            path: path.into(),
            positive,
            values,
            max_drop,
        })
    }

    /// Fails with an input error when the baseline was recorded for another kind of model
    /// (another flagged label, or two labels against several): checked before the work.
    pub fn check_kind(&self, model: &Model) -> Result<()> {
        let flagged = model.positive_index().map(|i| model.labels[i].as_str());
        if self.positive.as_deref() != flagged {
            let kind = |p: Option<&str>| match p {
                Some(p) => format!("a two-label model flagging '{p}'"),
                None => "a model of several labels".to_string(),
            };
            return Err(Error::io(
                &self.path,
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!(
                        "the baseline was recorded for {}, but the model is {}; record a \
                         baseline for this model (--write-baseline)",
                        kind(self.positive.as_deref()),
                        kind(flagged)
                    ),
                ),
            ));
        }
        Ok(())
    }

    /// Fails with [`Error::Regression`] when a gated metric of `current` is more than
    /// `max_drop` below this baseline, or cannot be worked out; and with an input error when
    /// the baseline was recorded for another kind of model (another flagged label, or two
    /// labels against several).
    pub fn check(&self, model: &Model, current: &Value) -> Result<Vec<String>> {
        self.check_kind(model)?;
        let max_drop = self.max_drop;
        let mut lines = Vec::new();
        let mut failures = Vec::new();
        for (name, &base) in GATED_METRICS.iter().zip(&self.values) {
            // A metric that cannot be worked out (NaN: the data holds one label only) fails.
            let now = current[name].as_f64().unwrap_or(f64::NAN);
            let line = match now.is_nan() {
                true => format!(
                    "{name}: - (cannot be worked out: the data lacks a label; baseline \
                     {base:.4})"
                ),
                false => format!("{name}: {now:.4} (baseline {base:.4}, allowed drop {max_drop})"),
            };
            if now.is_nan() || now < base - max_drop {
                failures.push(line.clone());
            }
            lines.push(line);
        }
        if failures.is_empty() {
            Ok(lines)
        } else {
            Err(Error::Regression {
                baseline: self.path.clone(),
                failures,
            })
        }
    }
}

/// The gated metrics of `metrics` that cannot be worked out (the data lacks a label).
pub fn undefined_gated(metrics: &Value) -> Vec<&'static str> {
    GATED_METRICS
        .iter()
        .copied()
        .filter(|k| metrics[*k].as_f64().is_none_or(f64::is_nan))
        .collect()
}

/// Plain-text rendering of a metrics JSON for the terminal.
pub fn render_text(v: &Value) -> String {
    let mut out = String::new();
    let num = |k: &str| v[k].as_f64().map_or("-".to_string(), |x| format!("{x:.4}"));
    if let Some(pos) = v["positive"].as_str() {
        out.push_str(&format!(
            "rows {}  positive label '{pos}'  threshold {}\n",
            v["rows"],
            num("threshold")
        ));
        for k in BINARY_METRICS {
            out.push_str(&format!("{k:<20} {}\n", num(k)));
        }
        let c = &v["confusion"];
        out.push_str(&format!(
            "confusion            tp {}  fp {}  tn {}  fn {}\n",
            c["tp"], c["fp"], c["tn"], c["fn"]
        ));
    } else {
        out.push_str(&format!("rows {}\n", v["rows"]));
        for k in [
            "accuracy",
            "macro_precision",
            "macro_recall",
            "macro_f1",
            "mcc",
            "macro_roc_auc",
        ] {
            out.push_str(&format!("{k:<20} {}\n", num(k)));
        }
        out.push_str(&format!(
            "{:<14}{:>10}{:>10}{:>10}{:>10}{:>10}\n",
            "label", "precision", "recall", "f1", "roc_auc", "fpr"
        ));
        if let Some(per) = v["per_label"].as_object() {
            for (label, m) in per {
                let f = |k: &str| m[k].as_f64().map_or("-".to_string(), |x| format!("{x:.4}"));
                out.push_str(&format!(
                    "{label:<14}{:>10}{:>10}{:>10}{:>10}{:>10}\n",
                    f("precision"),
                    f("recall"),
                    f("f1"),
                    f("roc_auc"),
                    f("false_positive_rate")
                ));
            }
        }
        out.push_str("confusion (rows: truth, columns: predicted)\n");
        if let Some(conf) = v["confusion"].as_object() {
            let labels: Vec<&String> = conf.keys().collect();
            out.push_str(&format!("{:<14}", ""));
            for l in &labels {
                out.push_str(&format!("{l:>12}"));
            }
            out.push('\n');
            for t in &labels {
                out.push_str(&format!("{t:<14}"));
                for p in &labels {
                    out.push_str(&format!("{:>12}", conf[*t][*p].as_u64().unwrap_or(0)));
                }
                out.push('\n');
            }
        }
    }
    out
}
