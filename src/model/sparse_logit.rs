//! L2-regularised logistic regression on sparse rows, for the text evidence.
//!
//! linfa-logistic 0.8.1 takes dense `Array2` only (../shared/FACTS.md: 20,000 × 4,096 takes
//! 320 s and 655 MB), so the wide hashed n-gram space is fitted here instead: the same loss
//! as linfa-logistic (summed log-loss + alpha/2 ‖w‖², intercept not penalised) handed to the
//! same argmin L-BFGS with More–Thuente line search, but computed in O(non-zeros). The dense
//! combiner in [`crate::model`] is fitted by linfa-logistic on top of these scores.

use argmin::core::{CostFunction, Executor, Gradient, State};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::LBFGS;
use ndarray::Array1;
use std::sync::Mutex;

use crate::error::{Error, Result};

/// Rows of a sparse matrix in compressed-row form, with `f32` values.
#[derive(Debug, Clone, Default)]
pub struct Csr {
    indptr: Vec<usize>,
    indices: Vec<u32>,
    values: Vec<f32>,
    /// Number of columns.
    pub ncols: usize,
}

impl Csr {
    /// An empty matrix of `ncols` columns.
    pub fn new(ncols: usize) -> Self {
        Csr {
            indptr: vec![0],
            indices: Vec::new(),
            values: Vec::new(),
            ncols,
        }
    }

    /// Appends one row of `(column, value)` pairs.
    pub fn push_row(&mut self, row: impl IntoIterator<Item = (u32, f32)>) {
        for (col, value) in row {
            self.indices.push(col);
            self.values.push(value);
        }
        self.indptr.push(self.indices.len());
    }

    /// Number of rows.
    pub fn nrows(&self) -> usize {
        self.indptr.len() - 1
    }

    /// Column indices and values of row `i`.
    pub fn row(&self, i: usize) -> (&[u32], &[f32]) {
        let (a, b) = (self.indptr[i], self.indptr[i + 1]);
        (&self.indices[a..b], &self.values[a..b])
    }

    /// A new matrix holding the rows `rows`, in that order.
    pub fn select(&self, rows: &[usize]) -> Csr {
        let mut out = Csr::new(self.ncols);
        for &i in rows {
            let (cols, vals) = self.row(i);
            out.push_row(cols.iter().copied().zip(vals.iter().copied()));
        }
        out
    }
}

/// Hyper-parameters of the sparse logistic regression.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LogitParams {
    /// L2 strength on the summed loss, 1/C of scikit-learn (default 0.1).
    pub alpha: f64,
    /// L-BFGS iteration cap (default 200).
    pub max_iterations: u64,
    /// Stop when the gradient norm falls below this (default 1e-4).
    pub gradient_tolerance: f64,
    /// Weigh classes inversely to their frequency (default true).
    pub balanced: bool,
    /// Stop when an iteration lowers the summed loss by less than this (default 1e-3: on the
    /// four public corpora it cut fit time by 30–45 % and moved no test metric by more than 0.0001).
    #[serde(default = "older_cost_tolerance")]
    pub cost_tolerance: f64,
}

/// The cost tolerance of model files written before it was a parameter.
fn older_cost_tolerance() -> f64 {
    1e-9
}

impl Default for LogitParams {
    fn default() -> Self {
        LogitParams {
            alpha: 0.1,
            max_iterations: 200,
            gradient_tolerance: 1e-4,
            balanced: true,
            cost_tolerance: 1e-3,
        }
    }
}

/// A fitted sparse logistic regression.
#[derive(Debug, Clone)]
pub struct SparseLogit {
    /// One weight per column.
    pub weights: Vec<f32>,
    /// The intercept.
    pub intercept: f32,
    /// L-BFGS iterations used.
    pub iterations: u64,
    /// Whether the gradient tolerance was reached before the iteration cap.
    pub converged: bool,
}

impl SparseLogit {
    /// The decision value (log-odds of the positive class) of a row.
    pub fn decision(&self, cols: &[u32], vals: &[f32]) -> f64 {
        let dot: f64 = cols
            .iter()
            .zip(vals)
            .map(|(&c, &v)| f64::from(self.weights[c as usize]) * f64::from(v))
            .sum();
        dot + f64::from(self.intercept)
    }
}

/// A parameter vector with its loss and gradient.
type Evaluation = (Array1<f64>, f64, Array1<f64>);

struct Problem<'a> {
    x: &'a Csr,
    target: Vec<f64>,
    sample_weight: Vec<f64>,
    alpha: f64,
    cache: Mutex<Option<Evaluation>>,
}

impl Problem<'_> {
    /// Loss and gradient in one pass over the non-zeros; remembered for the next call.
    fn evaluate(&self, p: &Array1<f64>) -> (f64, Array1<f64>) {
        if let Some((cp, cost, grad)) = self.cache.lock().expect("cache lock").as_ref() {
            if cp == p {
                return (*cost, grad.clone());
            }
        }
        let n = self.x.ncols;
        let (w, b) = (p.as_slice().expect("contiguous"), p[n]);
        let mut grad = Array1::<f64>::zeros(n + 1);
        let mut loss = 0.0;
        {
            let g = grad.as_slice_mut().expect("contiguous");
            for i in 0..self.x.nrows() {
                let (cols, vals) = self.x.row(i);
                let mut z = b;
                for (&c, &v) in cols.iter().zip(vals) {
                    z += w[c as usize] * f64::from(v);
                }
                let y = self.target[i];
                let yz = y * z;
                // log(1 + exp(-yz)), stable on both sides.
                loss += self.sample_weight[i]
                    * if yz > 0.0 {
                        (-yz).exp().ln_1p()
                    } else {
                        -yz + yz.exp().ln_1p()
                    };
                let r = -y * self.sample_weight[i] / (1.0 + yz.exp());
                for (&c, &v) in cols.iter().zip(vals) {
                    g[c as usize] += r * f64::from(v);
                }
                g[n] += r;
            }
            for j in 0..n {
                loss += 0.5 * self.alpha * w[j] * w[j];
                g[j] += self.alpha * w[j];
            }
        }
        *self.cache.lock().expect("cache lock") = Some((p.clone(), loss, grad.clone()));
        (loss, grad)
    }
}

impl CostFunction for Problem<'_> {
    type Param = Array1<f64>;
    type Output = f64;
    fn cost(&self, p: &Self::Param) -> std::result::Result<f64, argmin::core::Error> {
        Ok(self.evaluate(p).0)
    }
}

impl Gradient for Problem<'_> {
    type Param = Array1<f64>;
    type Gradient = Array1<f64>;
    fn gradient(&self, p: &Self::Param) -> std::result::Result<Array1<f64>, argmin::core::Error> {
        Ok(self.evaluate(p).1)
    }
}

/// Fits a logistic regression of `positive` on the rows of `x`.
pub fn fit(x: &Csr, positive: &[bool], params: &LogitParams) -> Result<SparseLogit> {
    let n_pos = positive.iter().filter(|&&p| p).count();
    let n = positive.len();
    if n_pos == 0 || n_pos == n {
        return Err(Error::Training(
            "a class has no rows in a training fold; use fewer --cv folds".into(),
        ));
    }
    let (w_pos, w_neg) = if params.balanced {
        (
            n as f64 / (2.0 * n_pos as f64),
            n as f64 / (2.0 * (n - n_pos) as f64),
        )
    } else {
        (1.0, 1.0)
    };
    let problem = Problem {
        x,
        target: positive
            .iter()
            .map(|&p| if p { 1.0 } else { -1.0 })
            .collect(),
        sample_weight: positive
            .iter()
            .map(|&p| if p { w_pos } else { w_neg })
            .collect(),
        alpha: params.alpha,
        cache: Mutex::new(None),
    };
    let solver = LBFGS::new(MoreThuenteLineSearch::new(), 10)
        .with_tolerance_grad(params.gradient_tolerance)
        .and_then(|s| s.with_tolerance_cost(params.cost_tolerance))
        .map_err(|e| Error::Training(format!("solver set-up: {e}")))?;
    let init = Array1::<f64>::zeros(x.ncols + 1);
    let result = Executor::new(problem, solver)
        .configure(|state| state.param(init).max_iters(params.max_iterations))
        .run()
        .map_err(|e| Error::Training(format!("text model did not fit: {e}")))?;
    let iterations = result.state().get_iter();
    let best =
        result.state().get_best_param().cloned().ok_or_else(|| {
            Error::Training("text model: the solver returned no parameters".into())
        })?;
    Ok(SparseLogit {
        weights: best.iter().take(x.ncols).map(|&v| v as f32).collect(),
        intercept: best[x.ncols] as f32,
        iterations,
        converged: iterations < params.max_iterations,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy() -> (Csr, Vec<bool>) {
        // Column 0 marks positives, column 1 negatives, column 2 is noise on all.
        let mut x = Csr::new(3);
        let mut y = Vec::new();
        for i in 0..40 {
            let pos = i % 4 == 0;
            x.push_row(vec![(if pos { 0 } else { 1 }, 1.0), (2, 0.5)]);
            y.push(pos);
        }
        (x, y)
    }

    #[test]
    fn separates_a_separable_toy_problem() {
        let (x, y) = toy();
        let model = fit(&x, &y, &LogitParams::default()).unwrap();
        for (i, &positive) in y.iter().enumerate() {
            let (c, v) = x.row(i);
            assert_eq!(model.decision(c, v) > 0.0, positive, "row {i}");
        }
        assert!(model.converged);
    }

    #[test]
    fn refuses_a_single_class() {
        let (x, _) = toy();
        assert!(fit(&x, &[true; 40], &LogitParams::default()).is_err());
    }

    #[test]
    fn is_deterministic() {
        let (x, y) = toy();
        let a = fit(&x, &y, &LogitParams::default()).unwrap();
        let b = fit(&x, &y, &LogitParams::default()).unwrap();
        assert_eq!(a.weights, b.weights);
    }
}
