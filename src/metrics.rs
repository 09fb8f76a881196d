//! Classification metrics: accuracy, precision, recall, F1, MCC, ROC AUC, false-positive
//! rate and the confusion matrix, for a binary model (of its positive label) or per class
//! with macro averages.
//!
//! Pure functions of truths, predictions and scores; they know nothing of files or models.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The metrics of one label, treated as the positive class against all others.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BinaryMetrics {
    /// Share of rows predicted right (over all labels).
    pub accuracy: f64,
    /// Of the rows flagged, the share that were positive.
    pub precision: f64,
    /// Of the positive rows, the share flagged.
    pub recall: f64,
    /// Harmonic mean of precision and recall.
    pub f1: f64,
    /// Matthews correlation coefficient.
    pub mcc: f64,
    /// Area under the ROC curve of the score (ties count half).
    pub roc_auc: f64,
    /// Of the negative rows, the share flagged.
    pub false_positive_rate: f64,
    /// Counts: true positives, false positives, true negatives, false negatives.
    pub confusion: Confusion,
}

/// A 2 × 2 confusion count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Confusion {
    /// Positives flagged.
    pub tp: u64,
    /// Negatives flagged.
    pub fp: u64,
    /// Negatives not flagged.
    pub tn: u64,
    /// Positives not flagged.
    pub r#fn: u64,
}

/// Metrics of `truth` (is positive) against `flagged` (predicted positive) and `score`.
pub fn binary(truth: &[bool], flagged: &[bool], score: &[f64]) -> BinaryMetrics {
    let mut c = Confusion::default();
    for (&t, &f) in truth.iter().zip(flagged) {
        match (t, f) {
            (true, true) => c.tp += 1,
            (false, true) => c.fp += 1,
            (false, false) => c.tn += 1,
            (true, false) => c.r#fn += 1,
        }
    }
    let (tp, fp, tn, fneg) = (c.tp as f64, c.fp as f64, c.tn as f64, c.r#fn as f64);
    // 0 when nothing was flagged (scikit-learn's convention), but NaN (JSON null) for what
    // needs a class the truth does not hold: recall without positives, the false-positive
    // rate without negatives, and MCC and ROC AUC without either.
    let ratio = |a: f64, b: f64| if b == 0.0 { 0.0 } else { a / b };
    let defined = |ok: bool, v: f64| if ok { v } else { f64::NAN };
    let (has_pos, has_neg) = (tp + fneg > 0.0, tn + fp > 0.0);
    let precision = ratio(tp, tp + fp);
    let recall = defined(has_pos, ratio(tp, tp + fneg));
    let denom = ((tp + fp) * (tp + fneg) * (tn + fp) * (tn + fneg)).sqrt();
    BinaryMetrics {
        accuracy: ratio(tp + tn, tp + tn + fp + fneg),
        precision,
        recall,
        f1: defined(has_pos, ratio(2.0 * precision * recall, precision + recall)),
        mcc: defined(has_pos && has_neg, ratio(tp * tn - fp * fneg, denom)),
        roc_auc: roc_auc(truth, score),
        false_positive_rate: defined(has_neg, ratio(fp, fp + tn)),
        confusion: c,
    }
}

/// ROC AUC by the rank-sum (Mann–Whitney) formula, ties averaged; NaN when a class is absent.
pub fn roc_auc(truth: &[bool], score: &[f64]) -> f64 {
    let mut order: Vec<usize> = (0..score.len()).collect();
    order.sort_by(|&a, &b| score[a].total_cmp(&score[b]));
    let mut rank_sum_pos = 0.0;
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && score[order[j + 1]] == score[order[i]] {
            j += 1;
        }
        let avg_rank = (i + j) as f64 / 2.0 + 1.0;
        rank_sum_pos += order[i..=j].iter().filter(|&&k| truth[k]).count() as f64 * avg_rank;
        i = j + 1;
    }
    let n_pos = truth.iter().filter(|&&t| t).count() as f64;
    let n_neg = truth.len() as f64 - n_pos;
    if n_pos == 0.0 || n_neg == 0.0 {
        return f64::NAN;
    }
    (rank_sum_pos - n_pos * (n_pos + 1.0) / 2.0) / (n_pos * n_neg)
}

/// Multi-class metrics: each label against the rest, their macro averages, and the matrix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MultiMetrics {
    /// Share of rows predicted right.
    pub accuracy: f64,
    /// Mean of the per-label precision.
    pub macro_precision: f64,
    /// Mean of the per-label recall.
    pub macro_recall: f64,
    /// Mean of the per-label F1.
    pub macro_f1: f64,
    /// Multi-class Matthews correlation (Gorodkin's R_K).
    pub mcc: f64,
    /// Mean of the per-label one-vs-rest ROC AUC.
    pub macro_roc_auc: f64,
    /// Per label, one-vs-rest metrics.
    pub per_label: BTreeMap<String, BinaryMetrics>,
    /// `confusion[truth][predicted]` counts.
    pub confusion: BTreeMap<String, BTreeMap<String, u64>>,
}

/// Multi-class metrics from true and predicted label indices and per-label probabilities.
pub fn multi(
    labels: &[String],
    truth: &[usize],
    predicted: &[usize],
    probs: &[Vec<f64>],
) -> MultiMetrics {
    let k = labels.len();
    let mut matrix = vec![vec![0u64; k]; k];
    for (&t, &p) in truth.iter().zip(predicted) {
        matrix[t][p] += 1;
    }
    let per_label: BTreeMap<String, BinaryMetrics> = (0..k)
        .map(|c| {
            let t: Vec<bool> = truth.iter().map(|&x| x == c).collect();
            let f: Vec<bool> = predicted.iter().map(|&x| x == c).collect();
            let s: Vec<f64> = probs.iter().map(|p| p[c]).collect();
            let mut m = binary(&t, &f, &s);
            m.accuracy = accuracy(truth, predicted);
            (labels[c].clone(), m)
        })
        .collect();
    let mean = |f: fn(&BinaryMetrics) -> f64| per_label.values().map(f).sum::<f64>() / k as f64;
    MultiMetrics {
        accuracy: accuracy(truth, predicted),
        macro_precision: mean(|m| m.precision),
        macro_recall: mean(|m| m.recall),
        macro_f1: mean(|m| m.f1),
        mcc: multiclass_mcc(&matrix),
        macro_roc_auc: mean(|m| m.roc_auc),
        per_label,
        confusion: (0..k)
            .map(|t| {
                (
                    labels[t].clone(),
                    (0..k).map(|p| (labels[p].clone(), matrix[t][p])).collect(),
                )
            })
            .collect(),
    }
}

fn accuracy(truth: &[usize], predicted: &[usize]) -> f64 {
    let right = truth.iter().zip(predicted).filter(|(a, b)| a == b).count();
    if truth.is_empty() {
        0.0
    } else {
        right as f64 / truth.len() as f64
    }
}

fn multiclass_mcc(m: &[Vec<u64>]) -> f64 {
    let k = m.len();
    let s: f64 = m.iter().flatten().map(|&x| x as f64).sum();
    let c: f64 = (0..k).map(|i| m[i][i] as f64).sum();
    let t: Vec<f64> = (0..k).map(|i| m[i].iter().sum::<u64>() as f64).collect();
    let p: Vec<f64> = (0..k)
        .map(|j| m.iter().map(|r| r[j]).sum::<u64>() as f64)
        .collect();
    let tp: f64 = t.iter().zip(&p).map(|(a, b)| a * b).sum();
    let denom = ((s * s - p.iter().map(|x| x * x).sum::<f64>())
        * (s * s - t.iter().map(|x| x * x).sum::<f64>()))
    .sqrt();
    let truth_classes = t.iter().filter(|&&x| x > 0.0).count();
    if truth_classes < 2 {
        f64::NAN
    } else if denom == 0.0 {
        0.0
    } else {
        (c * s - tp) / denom
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perfect_and_inverted_predictions() {
        let truth = [true, false, true, false];
        let m = binary(&truth, &truth, &[0.9, 0.1, 0.8, 0.2]);
        assert_eq!((m.mcc, m.f1, m.roc_auc), (1.0, 1.0, 1.0));
        let inv: Vec<bool> = truth.iter().map(|t| !t).collect();
        let m = binary(&truth, &inv, &[0.1, 0.9, 0.2, 0.8]);
        assert_eq!((m.mcc, m.roc_auc, m.false_positive_rate), (-1.0, 0.0, 1.0));
    }

    #[test]
    fn roc_auc_counts_ties_as_half() {
        assert_eq!(roc_auc(&[true, false], &[0.5, 0.5]), 0.5);
        assert_eq!(
            roc_auc(&[true, false, true, false], &[0.9, 0.8, 0.3, 0.1]),
            0.75
        );
    }

    #[test]
    fn what_needs_a_class_the_truth_lacks_is_nan_not_a_flattering_number() {
        let m = binary(
            &[false, false, false],
            &[false, true, false],
            &[0.1, 0.9, 0.2],
        );
        assert!(m.mcc.is_nan() && m.roc_auc.is_nan() && m.recall.is_nan() && m.f1.is_nan());
        assert!((m.false_positive_rate - 1.0 / 3.0).abs() < 1e-12);
        let m = binary(&[true, true], &[true, false], &[0.9, 0.2]);
        assert!(m.mcc.is_nan() && m.roc_auc.is_nan() && m.false_positive_rate.is_nan());
        assert_eq!((m.recall, m.precision), (0.5, 1.0));
        // Both classes present, nothing flagged: defined, by convention 0.
        let m = binary(&[true, false], &[false, false], &[0.4, 0.3]);
        assert_eq!((m.mcc, m.precision, m.f1, m.roc_auc), (0.0, 0.0, 0.0, 1.0));
        let labels = vec!["a".to_string(), "b".to_string(), "c".to_string()];
        let probs = vec![vec![0.6, 0.3, 0.1]; 2];
        let m = multi(&labels, &[0, 0], &[0, 1], &probs);
        assert!(m.mcc.is_nan() && m.macro_roc_auc.is_nan());
    }

    #[test]
    fn known_mcc_value() {
        // tp=6 fp=2 tn=10 fn=2: mcc = (60-4)/sqrt(8*8*12*12) = 56/96
        let mut truth = vec![true; 8];
        truth.extend(vec![false; 12]);
        let mut flagged = vec![true; 6];
        flagged.extend([false, false, true, true]);
        flagged.extend(vec![false; 10]);
        let m = binary(&truth, &flagged, &[0.0; 20]);
        assert!((m.mcc - 56.0 / 96.0).abs() < 1e-12);
    }

    #[test]
    fn multiclass_mcc_matches_binary_on_two_classes() {
        let labels = vec!["a".to_string(), "b".to_string()];
        let truth = [0, 0, 1, 1, 1];
        let pred = [0, 1, 1, 1, 0];
        let probs: Vec<Vec<f64>> = pred
            .iter()
            .map(|&p| {
                if p == 1 {
                    vec![0.2, 0.8]
                } else {
                    vec![0.8, 0.2]
                }
            })
            .collect();
        let m = multi(&labels, &truth, &pred, &probs);
        let b = binary(
            &[false, false, true, true, true],
            &[false, true, true, true, false],
            &[0.2, 0.8, 0.8, 0.8, 0.2],
        );
        assert!((m.mcc - b.mcc).abs() < 1e-12);
    }
}
