//! The linfa-logistic combiner's fit, made smaller without changing the problem.
//!
//! linfa-logistic evaluates the softmax loss over a dense matrix of every training row, three
//! matrix products per solver step, on one thread. A column that is 0 in every training row
//! (the mail header cues on LinkedIn data, the context features of a plain table) adds nothing
//! to any product, and its gradient is `alpha * w`: it stays at its start, 0. Such columns are
//! left out of the fit and given weight 0: the fit linfa-logistic makes with them, bit for bit
//! (the public corpora's and the default model's files come out the same), in less time (a
//! third less on LinkedIn data, where 14 of 41 columns are 0). Bit for bit holds while the
//! matrix has at most 256 columns, matrixmultiply's depth block (a label's text score each,
//! then 40 side features); past that, leaving columns out moves the block edges, and the
//! weights may differ in their last bits.

use linfa::prelude::*;
use linfa_logistic::{MultiFittedLogisticRegression, MultiLogisticRegression};
use ndarray::{Array1, Array2, Axis, ShapeBuilder};

use crate::error::{Error, Result};

/// linfa-logistic's settings for the combiner.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// L2 strength.
    pub alpha: f64,
    /// Iteration cap.
    pub max_iterations: u64,
    /// Gradient-norm tolerance on the summed loss.
    pub gradient_tolerance: f64,
}

/// Fits the softmax combiner of classes `y` (0, 1, …) on the rows of `x`: the text scores,
/// then the side features. Its weights span every column of `x`.
pub fn fit(
    x: &Array2<f64>,
    y: &[usize],
    settings: Settings,
) -> Result<MultiFittedLogisticRegression<f64, usize>> {
    let kept = used_columns(x);
    let mut narrow = Array2::<f64>::zeros((x.nrows(), kept.len()).f());
    narrow.assign(&x.select(Axis(1), &kept));
    let dataset = Dataset::new(narrow, Array1::from(y.to_vec()));
    let fitted = MultiLogisticRegression::default()
        .alpha(settings.alpha)
        .max_iterations(settings.max_iterations)
        .gradient_tolerance(settings.gradient_tolerance)
        .fit(&dataset)
        .map_err(|e| Error::Training(format!("combiner did not fit: {e}")))?;
    widened(&fitted, &kept, x.ncols())
}

/// The columns holding a non-zero value in some row (the first column when none does, so
/// linfa always has one).
fn used_columns(x: &Array2<f64>) -> Vec<usize> {
    let kept: Vec<usize> = (0..x.ncols())
        .filter(|&j| x.column(j).iter().any(|&v| v != 0.0))
        .collect();
    if kept.is_empty() {
        vec![0]
    } else {
        kept
    }
}

/// `fitted`, whose weights are over the `kept` columns, as a combiner over all `width`
/// columns (weight 0 on the others).
///
/// linfa-logistic has no public constructor for a fitted model; its serde form (the one model
/// files hold) is built instead.
fn widened(
    fitted: &MultiFittedLogisticRegression<f64, usize>,
    kept: &[usize],
    width: usize,
) -> Result<MultiFittedLogisticRegression<f64, usize>> {
    let narrow = fitted.params();
    let mut params = Array2::<f64>::zeros((width, narrow.ncols()));
    for (row, &col) in kept.iter().enumerate() {
        params.row_mut(col).assign(&narrow.row(row));
    }
    let form = serde_json::json!({
        "intercept": fitted.intercept(),
        "params": params,
        "classes": fitted.classes(),
    });
    serde_json::from_value(form)
        .map_err(|e| Error::Training(format!("combiner could not be widened: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem_rows() -> (Array2<f64>, Vec<usize>) {
        // Column 1 is 0 everywhere; column 0 separates the classes with some overlap.
        let x = ndarray::array![
            [2.0, 0.0, 1.0],
            [1.5, 0.0, 0.0],
            [-0.5, 0.0, 1.0],
            [-2.0, 0.0, 0.0],
            [0.3, 0.0, 1.0],
            [-1.0, 0.0, 0.0],
        ];
        (x, vec![1, 1, 0, 0, 0, 1])
    }

    const SETTINGS: Settings = Settings {
        alpha: 1.0,
        max_iterations: 300,
        gradient_tolerance: 1e-9,
    };

    #[test]
    fn a_column_zero_in_every_row_gets_weight_zero_and_the_rest_match_the_full_fit() {
        let (x, y) = problem_rows();
        let ours = fit(&x, &y, SETTINGS).unwrap();
        assert_eq!(ours.params().dim(), (3, 2));
        assert_eq!(ours.params().row(1).to_vec(), vec![0.0, 0.0]);
        let full = MultiLogisticRegression::default()
            .alpha(SETTINGS.alpha)
            .max_iterations(SETTINGS.max_iterations)
            .gradient_tolerance(SETTINGS.gradient_tolerance)
            .fit(&Dataset::new(x.clone(), Array1::from(y.clone())))
            .unwrap();
        for (a, b) in ours.params().iter().zip(full.params()) {
            assert!((a - b).abs() < 1e-6, "{a} vs {b}");
        }
        for (a, b) in ours.intercept().iter().zip(full.intercept()) {
            assert!((a - b).abs() < 1e-6, "{a} vs {b}");
        }
        let (p, q) = (
            ours.predict_probabilities(&x),
            full.predict_probabilities(&x),
        );
        for (a, b) in p.iter().zip(&q) {
            assert!((a - b).abs() < 1e-6, "{a} vs {b}");
        }
    }

    #[test]
    fn with_every_column_zero_the_first_is_kept_so_linfa_has_one() {
        let x = Array2::<f64>::zeros((4, 3));
        assert_eq!(used_columns(&x), vec![0]);
        let y = vec![0, 1, 0, 1];
        let fitted = fit(&x, &y, SETTINGS).unwrap();
        assert_eq!(fitted.params().dim(), (3, 2));
        assert!(fitted.params().iter().all(|&w| w == 0.0));
    }
}
