//! L2-regularised logistic regression on sparse rows, for the text evidence.
//!
//! linfa-logistic 0.8.1 takes dense `Array2` only (../shared/FACTS.md: 20,000 × 4,096 takes
//! 320 s and 655 MB), so the wide hashed n-gram space is fitted here instead: the same loss
//! as linfa-logistic (summed log-loss + alpha/2 ‖w‖², intercept not penalised), computed in
//! O(non-zeros) and handed to the same argmin L-BFGS with More–Thuente line search, divided
//! by the summed row weight so that its first step is not as long as the rows are many (see
//! `solve`). The dense combiner in [`crate::model`] is fitted by linfa-logistic on top of
//! these scores.
//!
//! [`fit_many`] fits every model of a training run at once: each keeps its own solver, and
//! their evaluations share passes over the rows (`model/shared_pass.rs`).

use argmin::core::{CostFunction, Executor, Gradient, State};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::LBFGS;
use ndarray::Array1;
use std::sync::{mpsc, Mutex};

use super::shared_pass::{self, Distinct, RowWeights, Scratch};

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

    /// An empty matrix of `ncols` columns with room for `rows` rows of `nnz` values in all.
    pub fn with_capacity(ncols: usize, rows: usize, nnz: usize) -> Self {
        let mut indptr = Vec::with_capacity(rows + 1);
        indptr.push(0);
        Csr {
            indptr,
            indices: Vec::with_capacity(nnz),
            values: Vec::with_capacity(nnz),
            ncols,
        }
    }

    /// Appends one row of `(column, value)` pairs, from a slice.
    pub fn push_pairs(&mut self, row: &[(u32, f32)]) {
        self.indices.extend(row.iter().map(|&(c, _)| c));
        self.values.extend(row.iter().map(|&(_, v)| v));
        self.indptr.push(self.indices.len());
    }

    /// Appends one row of `(column, value)` pairs.
    pub fn push_row(&mut self, row: impl IntoIterator<Item = (u32, f32)>) {
        for (col, value) in row {
            self.indices.push(col);
            self.values.push(value);
        }
        self.indptr.push(self.indices.len());
    }

    /// A matrix whose rows have the lengths `lengths` (in order) and are written, in
    /// parallel, by `fill(row, columns, values)`.
    pub fn from_rows_with(
        ncols: usize,
        lengths: impl Iterator<Item = usize>,
        fill: impl Fn(usize, &mut [u32], &mut [f32]) + Sync,
    ) -> Self {
        use rayon::prelude::*;
        let mut indptr = vec![0];
        for n in lengths {
            indptr.push(indptr[indptr.len() - 1] + n);
        }
        let nnz = indptr[indptr.len() - 1];
        let (mut indices, mut values) = (vec![0u32; nnz], vec![0f32; nnz]);
        // Each row's slots, split off in order, filled by whichever thread takes the row.
        let mut slots = Vec::with_capacity(indptr.len() - 1);
        let (mut ci, mut vi) = (&mut indices[..], &mut values[..]);
        for w in indptr.windows(2) {
            let (c, rest_c) = std::mem::take(&mut ci).split_at_mut(w[1] - w[0]);
            let (v, rest_v) = std::mem::take(&mut vi).split_at_mut(w[1] - w[0]);
            slots.push((c, v));
            (ci, vi) = (rest_c, rest_v);
        }
        slots
            .into_par_iter()
            .enumerate()
            .with_min_len(256)
            .for_each(|(i, (c, v))| fill(i, c, v));
        Csr {
            indptr,
            indices,
            values,
            ncols,
        }
    }

    /// Number of stored values.
    pub fn indices_len(&self) -> usize {
        self.indices.len()
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
    /// ... or by less than this per unit of row weight (class-balanced, so the job's row
    /// count), when that is larger (default 2e-7: the 1e-3 above holds up to 5,000 rows, so the
    /// public corpora fit as before; a job on 66,000 rows stops at 0.013). 0 in model files
    /// written before it was a parameter.
    #[serde(default)]
    pub cost_tolerance_per_row: f64,
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
            cost_tolerance_per_row: 2e-7,
        }
    }
}

/// A fitted sparse logistic regression.
#[derive(Debug, Clone, PartialEq)]
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

/// One logistic regression to fit on some of the rows of a shared matrix.
#[derive(Debug, Clone)]
pub struct Job {
    /// Whether each row of the matrix takes part.
    pub include: Vec<bool>,
    /// Whether each row is of the positive class.
    pub positive: Vec<bool>,
    /// Hyper-parameters.
    pub params: LogitParams,
}

/// A job's weights on the distinct rows: class-balanced sample weights, summed per row.
fn row_weights(job: &Job, distinct: &Distinct) -> Result<RowWeights> {
    let rows = job.include.iter().filter(|&&i| i).count();
    let n_pos = job
        .include
        .iter()
        .zip(&job.positive)
        .filter(|&(&i, &p)| i && p)
        .count();
    if n_pos == 0 || n_pos == rows {
        return Err(Error::Training(
            "a class has no rows in a training fold; use fewer --cv folds".into(),
        ));
    }
    let (w_pos, w_neg) = if job.params.balanced {
        (
            rows as f64 / (2.0 * n_pos as f64),
            rows as f64 / (2.0 * (rows - n_pos) as f64),
        )
    } else {
        (1.0, 1.0)
    };
    let mut weights = vec![[0.0f64; 2]; distinct.x.nrows()];
    for ((&u, &include), &positive) in distinct.of.iter().zip(&job.include).zip(&job.positive) {
        if include {
            let w = &mut weights[u as usize];
            if positive {
                w[0] += w_pos;
            } else {
                w[1] += w_neg;
            }
        }
    }
    Ok(RowWeights {
        weights,
        alpha: job.params.alpha,
    })
}

/// What a solver thread asks of the pass that serves every running job.
enum Request {
    /// Loss and gradient of job `.0` at `.1`, answered on `.2`.
    Evaluate(usize, Array1<f64>, mpsc::Sender<(f64, Array1<f64>)>),
    /// A job has stopped.
    Done,
}

/// The cost function one solver thread sees: each evaluation is answered by the shared pass,
/// then multiplied by `scale` (see [`solve`]).
struct Remote {
    id: usize,
    scale: f64,
    requests: mpsc::Sender<Request>,
    cache: Mutex<Option<Evaluation>>,
}

impl Remote {
    /// Loss and gradient at `p`; remembered, since the solver asks for both at one point.
    fn evaluate(
        &self,
        p: &Array1<f64>,
    ) -> std::result::Result<(f64, Array1<f64>), argmin::core::Error> {
        if let Some((cp, cost, grad)) = self.cache.lock().expect("cache lock").as_ref() {
            if cp == p {
                return Ok((*cost, grad.clone()));
            }
        }
        let (tx, rx) = mpsc::channel();
        self.requests
            .send(Request::Evaluate(self.id, p.clone(), tx))
            .map_err(|_| argmin::core::Error::msg("the shared pass has stopped"))?;
        let (cost, grad) = rx
            .recv()
            .map_err(|_| argmin::core::Error::msg("the shared pass has stopped"))?;
        let (cost, grad) = (cost * self.scale, grad * self.scale);
        *self.cache.lock().expect("cache lock") = Some((p.clone(), cost, grad.clone()));
        Ok((cost, grad))
    }
}

impl CostFunction for Remote {
    type Param = Array1<f64>;
    type Output = f64;
    fn cost(&self, p: &Self::Param) -> std::result::Result<f64, argmin::core::Error> {
        Ok(self.evaluate(p)?.0)
    }
}

impl Gradient for Remote {
    type Param = Array1<f64>;
    type Gradient = Array1<f64>;
    fn gradient(&self, p: &Self::Param) -> std::result::Result<Array1<f64>, argmin::core::Error> {
        Ok(self.evaluate(p)?.1)
    }
}

/// Tells the shared pass that a job stopped, however its thread ends.
struct DoneGuard(mpsc::Sender<Request>);

impl Drop for DoneGuard {
    fn drop(&mut self) {
        let _ = self.0.send(Request::Done);
    }
}

/// What a job's loss and gradient are multiplied by before the solver sees them: one over its
/// summed row weight (1 when that is 0).
fn per_row_scale(rows: f64) -> f64 {
    if rows > 0.0 {
        1.0 / rows
    } else {
        1.0
    }
}

/// Runs argmin's L-BFGS (More–Thuente line search, as linfa-logistic) on one job whose
/// summed row weight is `rows`.
///
/// The solver sees the loss per unit of row weight (the summed loss and its L2 term, both
/// times [`per_row_scale`]), with both tolerances scaled alike: the same minimiser and the same
/// stopping rules as on the summed loss. What changes is argmin's first step, a unit step
/// along the gradient: on the summed loss it is as long as the rows are many (7,750 on 100,000
/// rows, where the fit ends near 90), and the line searches that follow take a third of all
/// evaluations. On the mean loss the 2-label 100k fits take 185 evaluations instead of 289.
fn solve(problem: Remote, ncols: usize, params: &LogitParams, rows: f64) -> Result<SparseLogit> {
    let scale = per_row_scale(rows);
    let cost_tolerance = params
        .cost_tolerance
        .max(params.cost_tolerance_per_row * rows);
    let solver = LBFGS::new(MoreThuenteLineSearch::new(), 10)
        .with_tolerance_grad(params.gradient_tolerance * scale)
        .and_then(|s| s.with_tolerance_cost(cost_tolerance * scale))
        .map_err(|e| Error::Training(format!("solver set-up: {e}")))?;
    let init = Array1::<f64>::zeros(ncols + 1);
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
        weights: best.iter().take(ncols).map(|&v| v as f32).collect(),
        intercept: best[ncols] as f32,
        iterations,
        converged: iterations < params.max_iterations,
    })
}

/// Memory allowed for the solver state of the jobs that run at once (the L-BFGS history
/// dominates: about 34 vectors of the matrix width per job).
const RUNNING_BUDGET: usize = 768 << 20;

/// Fits every job on rows of `x`; results in job order.
///
/// Each job runs argmin's L-BFGS on its own thread, but the threads' loss and gradient
/// evaluations are served together, one pass over the rows for all the jobs waiting, split
/// across the rayon pool by job. A job's result is bit-for-bit the one it would get alone.
pub fn fit_many(x: &Csr, jobs: &[Job]) -> Result<Vec<SparseLogit>> {
    fit_many_showing(x, jobs, &|_| {})
}

/// [`fit_many`], calling `done(0)` once identical rows are merged, then `done(n)` each time
/// another job has finished (`n` of them so far).
pub fn fit_many_showing(x: &Csr, jobs: &[Job], done: &dyn Fn(usize)) -> Result<Vec<SparseLogit>> {
    if jobs.is_empty() {
        return Ok(Vec::new());
    }
    let distinct = Distinct::new(x);
    done(0);
    let weights: Vec<RowWeights> = jobs
        .iter()
        .map(|job| row_weights(job, &distinct))
        .collect::<Result<_>>()?;
    // Per job and column: about 34 f64 of solver state, plus its share of the pass's buffers
    // (interleaved weights and up to 8 range sums).
    let per_job = (34 + 1 + 8) * 8 * (x.ncols + 1);
    let window = (RUNNING_BUDGET / per_job).clamp(1, jobs.len().max(1));
    let mut results: Vec<Option<Result<SparseLogit>>> = (0..jobs.len()).map(|_| None).collect();
    std::thread::scope(|s| {
        let (tx, rx) = mpsc::channel::<Request>();
        let mut handles = Vec::new();
        let start = |id: usize| {
            let requests = tx.clone();
            let params = jobs[id].params;
            let rows = weights[id].total();
            s.spawn(move || {
                let _done = DoneGuard(requests.clone());
                let problem = Remote {
                    id,
                    scale: per_row_scale(rows),
                    requests,
                    cache: Mutex::new(None),
                };
                (id, solve(problem, x.ncols, &params, rows))
            })
        };
        let mut next = 0;
        while next < window {
            handles.push(start(next));
            next += 1;
        }
        let (mut running, mut waiting, mut finished) = (window, Vec::new(), 0);
        let mut scratch = Scratch::default();
        while running > 0 {
            match rx.recv().expect("a sender is held here") {
                Request::Evaluate(id, p, reply) => waiting.push((id, p, reply)),
                Request::Done => {
                    running -= 1;
                    finished += 1;
                    done(finished);
                    if next < jobs.len() {
                        handles.push(start(next));
                        next += 1;
                        running += 1;
                    }
                }
            }
            if !waiting.is_empty() && waiting.len() == running {
                serve(
                    &distinct.x,
                    &weights,
                    std::mem::take(&mut waiting),
                    &mut scratch,
                );
            }
        }
        for handle in handles {
            match handle.join() {
                Ok((id, result)) => results[id] = Some(result),
                Err(_) => {
                    return Err(Error::Training(
                        "a text model's solver thread panicked".into(),
                    ))
                }
            }
        }
        Ok(())
    })?;
    results
        .into_iter()
        .map(|r| {
            let mut fit = r.expect("every job was run")?;
            fit.weights = distinct.original_order(&fit.weights);
            Ok(fit)
        })
        .collect()
}

/// A solver thread's request: its job, the parameters, where to answer.
type Waiting = (usize, Array1<f64>, mpsc::Sender<(f64, Array1<f64>)>);

/// Answers the waiting evaluations with one shared pass over the rows.
fn serve(x: &Csr, weights: &[RowWeights], mut waiting: Vec<Waiting>, scratch: &mut Scratch) {
    waiting.sort_by_key(|w| w.0);
    let batch: Vec<(&RowWeights, &Array1<f64>)> = waiting
        .iter()
        .map(|(id, p, _)| (&weights[*id], p))
        .collect();
    for ((_, _, reply), out) in waiting
        .iter()
        .zip(shared_pass::evaluate(x, &batch, scratch))
    {
        // A thread that has gone away has nothing left to answer.
        let _ = reply.send(out);
    }
}

/// Fits a logistic regression of `positive` on the rows of `x`.
pub fn fit(x: &Csr, positive: &[bool], params: &LogitParams) -> Result<SparseLogit> {
    let job = Job {
        include: vec![true; positive.len()],
        positive: positive.to_vec(),
        params: *params,
    };
    Ok(fit_many(x, &[job])?.pop().expect("one job"))
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
    fn a_per_row_cost_tolerance_stops_a_fit_on_many_rows_sooner_and_a_small_one_as_before() {
        // 6,000 rows over 300 columns, 12 per row, labels from hidden weights plus noise.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            (state >> 33) as u32
        };
        let hidden: Vec<f64> = (0..300)
            .map(|_| f64::from(next() % 200) / 100.0 - 1.0)
            .collect();
        let (mut x, mut y) = (Csr::new(300), Vec::new());
        for _ in 0..6_000 {
            let mut cols: Vec<u32> = (0..12).map(|_| next() % 300).collect();
            cols.sort_unstable();
            cols.dedup();
            let noise = f64::from(next() % 100) / 25.0 - 2.0;
            y.push(cols.iter().map(|&c| hidden[c as usize]).sum::<f64>() + noise > 0.0);
            x.push_row(cols.into_iter().map(|c| (c, 0.3)));
        }
        let with = |per_row: f64| LogitParams {
            cost_tolerance_per_row: per_row,
            ..LogitParams::default()
        };
        let absolute = fit(&x, &y, &with(0.0)).unwrap();
        // 6,000 rows at 1e-7 is under the absolute 1e-3: the same fit, bit for bit.
        assert_eq!(fit(&x, &y, &with(1e-7)).unwrap(), absolute);
        let per_row = fit(&x, &y, &with(1e-5)).unwrap();
        assert!(per_row.converged && per_row.iterations < absolute.iterations);
        let agree = (0..x.nrows())
            .filter(|&i| {
                let (c, v) = x.row(i);
                (absolute.decision(c, v) > 0.0) == (per_row.decision(c, v) > 0.0)
            })
            .count();
        assert!(
            agree >= x.nrows() - 30,
            "{agree} of {} rows agree",
            x.nrows()
        );
    }

    #[test]
    fn refuses_a_single_class() {
        let (x, _) = toy();
        assert!(fit(&x, &[true; 40], &LogitParams::default()).is_err());
    }

    #[test]
    fn a_fit_does_not_depend_on_the_fits_that_share_its_passes() {
        // Rows 0..40 of the toy, with a noisier copy of each so that fits differ by row set.
        let (mut x, mut y) = toy();
        for i in 0..40 {
            let pos = i % 3 == 0;
            x.push_row(vec![(if pos { 0 } else { 1 }, 0.5), (2, 1.0)]);
            y.push(i % 5 == 0);
        }
        let job = |skip: usize, alpha: f64| Job {
            include: (0..80).map(|i| i % 3 != skip).collect(),
            positive: y.clone(),
            params: LogitParams {
                alpha,
                ..LogitParams::default()
            },
        };
        let jobs = [
            job(0, 0.1),
            job(1, 0.1),
            job(2, 0.3),
            job(9, 0.03),
            job(0, 1.0),
        ];
        let together = fit_many(&x, &jobs).unwrap();
        for (j, fitted) in jobs.iter().zip(&together) {
            let alone = fit_many(&x, std::slice::from_ref(j))
                .unwrap()
                .pop()
                .unwrap();
            assert_eq!(alone.weights, fitted.weights);
            assert_eq!(alone.intercept, fitted.intercept);
        }
        assert_ne!(together[0].weights, together[1].weights, "the fits differ");
        assert!(fit_many(&x, &[]).unwrap().is_empty());
    }

    #[test]
    fn is_deterministic() {
        let (x, y) = toy();
        let a = fit(&x, &y, &LogitParams::default()).unwrap();
        let b = fit(&x, &y, &LogitParams::default()).unwrap();
        assert_eq!(a.weights, b.weights);
    }
}
