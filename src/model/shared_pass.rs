//! The loss and gradient of many sparse logistic regressions in one pass over their rows.
//!
//! The text models of one training run (every fold and class, every alpha of `--tune`) are
//! fitted on the same hashed rows. Evaluating them one by one reads every row once per model
//! and per solver step; here the rows are read once per step for all the models waiting:
//!
//! - identical rows are merged once, with per-model positive and negative weights (a spam
//!   campaign's copies cost one row);
//! - the weights of up to [`LANES`] models sit side by side per column, so a row's columns are
//!   gathered and scattered once per lane block, with the lanes' sums independent of each other;
//! - the rows are cut into a few fixed ranges (a function of the matrix alone) summed in
//!   parallel and added in range order, so results do not depend on the number of threads.

use multiversion::multiversion;
use ndarray::Array1;
use rayon::prelude::*;
use xxhash_rust::xxh3::xxh3_64;

use super::sparse_logit::Csr;

/// Models evaluated side by side in one lane block.
pub const LANES: usize = 4;

/// The distinct rows of a matrix, with columns renumbered by how many rows use them.
pub struct Distinct {
    /// The distinct rows, in order of first appearance, over renumbered columns: the most
    /// used columns first, so their weights share cache lines.
    pub x: Csr,
    /// The distinct row of each original row.
    pub of: Vec<u32>,
    /// The original column of each renumbered one.
    pub columns: Vec<u32>,
}

impl Distinct {
    /// Merges identical rows (same columns and values, bit for bit) of `x`.
    ///
    /// Rows are hashed in parallel as they are (sorted first only when their columns are out
    /// of order); merging by hash is the one serial step. Every merged row is then compared
    /// with the row it was merged into, and should two different rows ever share a hash the
    /// matrix is merged again by [`Self::exact`]. Only the distinct rows are renumbered and
    /// sorted.
    pub fn new(x: &Csr) -> Self {
        Self::merged(x, row_hash)
    }

    /// [`Self::new`] with rows hashed by `hash`.
    fn merged(x: &Csr, hash: impl Fn(&[(u32, f32)], &mut Vec<u8>) -> u64 + Sync) -> Self {
        let (columns, renumbered) = renumbering(x);
        let hashes: Vec<u64> = (0..x.nrows())
            .into_par_iter()
            .map_init(
                || (Vec::new(), Vec::new()),
                |(row, bytes), i| {
                    canonical_row(x, i, row);
                    hash(row, bytes)
                },
            )
            .collect();
        let mut first: std::collections::HashMap<u64, u32> = Default::default();
        let mut firsts: Vec<u32> = Vec::new();
        let of: Vec<u32> = hashes
            .iter()
            .enumerate()
            .map(|(i, &h)| {
                *first.entry(h).or_insert_with(|| {
                    firsts.push(i as u32);
                    firsts.len() as u32 - 1
                })
            })
            .collect();
        drop((first, hashes));
        let merged_right = (0..x.nrows())
            .into_par_iter()
            .map_init(
                || (Vec::new(), Vec::new()),
                |(row, kept), i| {
                    let u = of[i] as usize;
                    firsts[u] as usize == i || {
                        canonical_row(x, i, row);
                        canonical_row(x, firsts[u] as usize, kept);
                        same_pairs(row, kept)
                    }
                },
            )
            .all(|same| same);
        if !merged_right {
            return Self::exact(x);
        }
        let unique = Csr::from_rows_with(
            x.ncols,
            firsts.iter().map(|&i| x.row(i as usize).0.len()),
            |u, cols, vals| {
                ROW.with_borrow_mut(|(row, order)| {
                    sorted_row(x, &renumbered, firsts[u] as usize, row, order);
                    for ((c, v), &(col, value)) in
                        cols.iter_mut().zip(vals.iter_mut()).zip(row.iter())
                    {
                        (*c, *v) = (col, value);
                    }
                })
            },
        );
        Distinct {
            x: unique,
            of,
            columns,
        }
    }

    /// [`Self::new`] one row at a time, comparing every row with each earlier distinct row
    /// of the same hash.
    fn exact(x: &Csr) -> Self {
        let (columns, renumbered) = renumbering(x);
        let mut seen: std::collections::HashMap<u64, Vec<u32>> = Default::default();
        let mut unique = Csr::new(x.ncols);
        let mut of = Vec::with_capacity(x.nrows());
        let (mut row, mut bytes, mut order) = (Vec::new(), Vec::new(), ColumnOrder::default());
        for i in 0..x.nrows() {
            sorted_row(x, &renumbered, i, &mut row, &mut order);
            let slot = seen.entry(row_hash(&row, &mut bytes)).or_default();
            let found = slot
                .iter()
                .copied()
                .find(|&u| same_row(&row, unique.row(u as usize)));
            let u = found.unwrap_or_else(|| {
                let u = unique.nrows() as u32;
                unique.push_row(row.iter().copied());
                slot.push(u);
                u
            });
            of.push(u);
        }
        Distinct {
            x: unique,
            of,
            columns,
        }
    }

    /// Weights over renumbered columns put back in the original column order.
    pub fn original_order(&self, weights: &[f32]) -> Vec<f32> {
        let mut out = vec![0.0; weights.len()];
        for (&w, &old) in weights.iter().zip(&self.columns) {
            out[old as usize] = w;
        }
        out
    }
}

thread_local! {
    /// A row being renumbered and sorted ([`Distinct::new`]).
    static ROW: std::cell::RefCell<(Vec<(u32, f32)>, ColumnOrder)> =
        std::cell::RefCell::new((Vec::new(), ColumnOrder::default()));
}

/// The columns by use, most used first, and the new number of each old column.
fn renumbering(x: &Csr) -> (Vec<u32>, Vec<u32>) {
    let rows_per_task = x.nrows().div_ceil(8).max(1024);
    let used = (0..x.nrows())
        .into_par_iter()
        .with_min_len(rows_per_task)
        .fold(
            || vec![0u32; x.ncols],
            |mut used, i| {
                x.row(i).0.iter().for_each(|&c| used[c as usize] += 1);
                used
            },
        )
        .reduce(
            || vec![0u32; x.ncols],
            |mut a, b| {
                a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
                a
            },
        );
    let mut columns: Vec<u32> = (0..x.ncols as u32).collect();
    columns.sort_by_key(|&c| (std::cmp::Reverse(used[c as usize]), c));
    let mut renumbered = vec![0u32; x.ncols];
    for (new, &old) in columns.iter().enumerate() {
        renumbered[old as usize] = new as u32;
    }
    (columns, renumbered)
}

/// Row `i` of `x` over the `renumbered` columns, sorted by column, into `row` (`order` is
/// scratch). A row that names a column twice (a matrix built by hand; hashed rows never do)
/// keeps both pairs, as a sort does.
fn sorted_row(
    x: &Csr,
    renumbered: &[u32],
    i: usize,
    row: &mut Vec<(u32, f32)>,
    order: &mut ColumnOrder,
) {
    let (c, v) = x.row(i);
    let pairs = c
        .iter()
        .map(|&c| renumbered[c as usize])
        .zip(v.iter().copied());
    if x.ncols > ColumnOrder::MAX_COLUMNS || !order.sort(pairs.clone(), x.ncols, row) {
        row.clear();
        row.extend(pairs);
        row.sort_unstable_by_key(|&(c, _)| c);
    }
}

/// Puts pairs of distinct columns in column order without comparing them: each value goes to
/// its column in a dense table and its column's bit is set in a bitmap, whose set bits are
/// then read back in order (a summary bit per 64-bit word skips the empty words). It takes
/// 2.5 % of the instructions off a 100k-row train, and 2–3 % off the public corpora's, against
/// sorting each row's pairs (the same rows, so the same models bit for bit).
#[derive(Default)]
struct ColumnOrder {
    values: Vec<f32>,
    words: Vec<u64>,
    summary: Vec<u64>,
}

impl ColumnOrder {
    /// The widest matrix put in order this way (4 MB of values, 256 summary words a row);
    /// wider ones are sorted.
    const MAX_COLUMNS: usize = 1 << 20;

    /// The `pairs` (columns below `ncols`) in column order, into `out`; false, with `out`
    /// unspecified, when a column comes twice. Every bit set is cleared again as it is read,
    /// so the tables are ready for the next row either way.
    fn sort(
        &mut self,
        pairs: impl Iterator<Item = (u32, f32)>,
        ncols: usize,
        out: &mut Vec<(u32, f32)>,
    ) -> bool {
        let words = ncols.div_ceil(64);
        if self.values.len() < ncols {
            self.values.resize(ncols, 0.0);
            self.words.resize(words, 0);
            self.summary.resize(words.div_ceil(64), 0);
        }
        let mut distinct = true;
        for (c, v) in pairs {
            let c = c as usize;
            let bit = 1 << (c & 63);
            distinct &= self.words[c >> 6] & bit == 0;
            self.values[c] = v;
            self.words[c >> 6] |= bit;
            self.summary[c >> 12] |= 1 << ((c >> 6) & 63);
        }
        out.clear();
        for (s, summary) in self.summary.iter_mut().enumerate() {
            let mut marked = std::mem::take(summary);
            while marked != 0 {
                let w = (s << 6) | marked.trailing_zeros() as usize;
                marked &= marked - 1;
                let mut bits = std::mem::take(&mut self.words[w]);
                while bits != 0 {
                    let c = (w << 6) | bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    out.push((c as u32, self.values[c]));
                }
            }
        }
        distinct
    }
}

/// Row `i` of `x` as its pairs in column order: rows of the same pairs in any order come out
/// the same (rows already in order, as the TF-IDF rows are, are only copied).
fn canonical_row(x: &Csr, i: usize, row: &mut Vec<(u32, f32)>) {
    let (c, v) = x.row(i);
    row.clear();
    row.extend(c.iter().copied().zip(v.iter().copied()));
    if !c.is_sorted() {
        row.sort_unstable_by_key(|&(c, _)| c);
    }
}

/// True when two rows hold the same columns and values (bit for bit), in the same order.
fn same_pairs(a: &[(u32, f32)], b: &[(u32, f32)]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(&(c, v), &(d, w))| c == d && v.to_bits() == w.to_bits())
}

/// True when `row` holds the columns and values (bit for bit) of `(cols, vals)`.
fn same_row(row: &[(u32, f32)], (cols, vals): (&[u32], &[f32])) -> bool {
    row.len() == cols.len()
        && row
            .iter()
            .zip(cols.iter().zip(vals))
            .all(|(&(c, v), (&a, &b))| c == a && v.to_bits() == b.to_bits())
}

/// The hash of a renumbered, sorted row (`bytes` is scratch).
fn row_hash(row: &[(u32, f32)], bytes: &mut Vec<u8>) -> u64 {
    bytes.clear();
    for &(c, v) in row {
        bytes.extend_from_slice(&c.to_le_bytes());
        bytes.extend_from_slice(&v.to_bits().to_le_bytes());
    }
    xxh3_64(bytes)
}

/// One model's view of the distinct rows: the summed sample weight of its positive and of its
/// negative rows merged into each (both 0 for rows it does not train on), and its L2 strength.
pub struct RowWeights {
    /// `[positive, negative]` weight per distinct row.
    pub weights: Vec<[f64; 2]>,
    /// L2 strength on the summed loss.
    pub alpha: f64,
}

impl RowWeights {
    /// The summed weight of every row, positive and negative.
    pub fn total(&self) -> f64 {
        self.weights.iter().map(|[p, n]| p + n).sum()
    }
}

/// Buffers kept from one evaluation to the next (they are as wide as the matrix, and
/// allocating them afresh each time costs page faults).
#[derive(Default)]
pub struct Scratch {
    weights: Vec<Vec<[f64; LANES]>>,
    sums: Vec<Sums>,
}

/// Loss and gradient of each model at its parameters (`ncols` weights, then the intercept).
pub fn evaluate(
    x: &Csr,
    models: &[(&RowWeights, &Array1<f64>)],
    scratch: &mut Scratch,
) -> Vec<(f64, Array1<f64>)> {
    let n = x.ncols;
    let lane_groups: Vec<_> = models.chunks(LANES).collect();
    scratch
        .weights
        .resize_with(lane_groups.len().max(scratch.weights.len()), Vec::new);
    let blocks: Vec<Block> = scratch
        .weights
        .par_iter_mut()
        .zip(&lane_groups)
        .map(|(w, lanes)| Block::new(n, lanes, w))
        .collect();
    let ranges = row_ranges(x);
    let units = blocks.len() * ranges.len();
    scratch
        .sums
        .resize_with(units.max(scratch.sums.len()), Sums::default);
    let sums = &mut scratch.sums[..units];
    sums.par_iter_mut().enumerate().for_each(|(u, sums)| {
        let (blk, k) = (u / ranges.len(), u % ranges.len());
        block_sums(x, ranges[k].clone(), &blocks[blk], sums);
    });
    // Each block's ranges added in range order: the same sums whatever the threads.
    sums.par_chunks_mut(ranges.len()).for_each(|parts| {
        let (total, rest) = parts.split_first_mut().expect("at least one range");
        rest.iter().for_each(|part| total.add(part));
    });
    let sums = &*sums;
    models
        .par_iter()
        .enumerate()
        .map(|(j, (r, p))| {
            let (total, lane) = (&sums[(j / LANES) * ranges.len()], j % LANES);
            let mut grad = Array1::<f64>::zeros(n + 1);
            let mut loss = total.loss[lane];
            for c in 0..n {
                let wc = p[c];
                loss += 0.5 * r.alpha * wc * wc;
                grad[c] = total.g[c][lane] + r.alpha * wc;
            }
            grad[n] = total.gb[lane];
            (loss, grad)
        })
        .collect()
}

/// The fixed row ranges summed apart: more when the rows are many for the columns (each
/// range needs its own gradient of every column), from 2 to 8; a function of `x` alone.
fn row_ranges(x: &Csr) -> Vec<std::ops::Range<usize>> {
    let rows = x.nrows();
    let count = (x.indices_len() / (16 * x.ncols.max(1))).clamp(2, 8);
    let size = rows.div_ceil(count).max(1);
    (0..count)
        .map(|k| (k * size).min(rows)..((k + 1) * size).min(rows))
        .collect()
}

/// Columns handled per parallel task when interleaving weights or adding range sums.
const COLUMNS_PER_TASK: usize = 16_384;

/// Up to [`LANES`] models side by side: weights interleaved by column, intercepts, row weights.
struct Block<'a> {
    w: &'a [[f64; LANES]],
    b: [f64; LANES],
    rows: [&'a [[f64; 2]]; LANES],
}

impl<'a> Block<'a> {
    /// Lanes past the last model stay 0 and carry no row weight, so they add nothing.
    fn new(
        n: usize,
        lanes: &[(&'a RowWeights, &Array1<f64>)],
        w: &'a mut Vec<[f64; LANES]>,
    ) -> Self {
        w.clear();
        w.resize(n, [0.0; LANES]);
        let params: Vec<&[f64]> = lanes
            .iter()
            .map(|(_, p)| p.as_slice().expect("contiguous parameters"))
            .collect();
        // Wide matrices have many columns for few rows: interleave them in parallel too.
        w.par_chunks_mut(COLUMNS_PER_TASK)
            .enumerate()
            .for_each(|(k, chunk)| {
                let first = k * COLUMNS_PER_TASK;
                for (lane, p) in params.iter().enumerate() {
                    for (slot, &v) in chunk.iter_mut().zip(&p[first..]) {
                        slot[lane] = v;
                    }
                }
            });
        let (mut b, mut rows) = ([0.0; LANES], [&[][..]; LANES]);
        for (lane, (r, p)) in lanes.iter().enumerate() {
            b[lane] = p[n];
            rows[lane] = &r.weights;
        }
        Block { w, b, rows }
    }
}

/// One block's data-loss sums over some rows.
#[derive(Default)]
struct Sums {
    g: Vec<[f64; LANES]>,
    gb: [f64; LANES],
    loss: [f64; LANES],
}

impl Sums {
    fn add(&mut self, other: &Sums) {
        self.g
            .par_chunks_mut(COLUMNS_PER_TASK)
            .zip(other.g.par_chunks(COLUMNS_PER_TASK))
            .for_each(|(mine, theirs)| {
                for (a, b) in mine.iter_mut().zip(theirs) {
                    for l in 0..LANES {
                        a[l] += b[l];
                    }
                }
            });
        for l in 0..LANES {
            self.gb[l] += other.gb[l];
            self.loss[l] += other.loss[l];
        }
    }
}

/// The data-loss sums of one block over `rows`, compiled also for AVX2 and picked at run time
/// (plain multiplications and additions in the same order on every path: the same bits).
#[multiversion(targets("x86_64+avx2"))]
fn block_sums(x: &Csr, rows: std::ops::Range<usize>, block: &Block, s: &mut Sums) {
    s.g.clear();
    s.g.resize(x.ncols, [0.0; LANES]);
    s.gb = [0.0; LANES];
    s.loss = [0.0; LANES];
    for i in rows {
        let mut pw = [[0.0f64; 2]; LANES];
        for (l, r) in block.rows.iter().enumerate() {
            if let Some(&w) = r.get(i) {
                pw[l] = w;
            }
        }
        if pw.iter().all(|&[p, q]| p == 0.0 && q == 0.0) {
            continue;
        }
        let (cols, vals) = x.row(i);
        let z = margins(cols, vals, block.w, block.b);
        let mut r = [0.0f64; LANES];
        for l in 0..LANES {
            let [wp, wn] = pw[l];
            if wp == 0.0 && wn == 0.0 {
                continue;
            }
            // softplus(∓z) = ln(1 + e^{-|z|}) + max(∓z, 0); sigmoid from the same e^{-|z|}.
            let e = (-z[l].abs()).exp();
            let log1p = e.ln_1p();
            let sigmoid = if z[l] >= 0.0 {
                1.0 / (1.0 + e)
            } else {
                e / (1.0 + e)
            };
            s.loss[l] += wp * (log1p + (-z[l]).max(0.0)) + wn * (log1p + z[l].max(0.0));
            r[l] = wp * (sigmoid - 1.0) + wn * sigmoid;
        }
        for (&c, &v) in cols.iter().zip(vals) {
            let (v, gc) = (f64::from(v), &mut s.g[c as usize]);
            for l in 0..LANES {
                gc[l] += r[l] * v;
            }
        }
        for (gb, rl) in s.gb.iter_mut().zip(r) {
            *gb += rl;
        }
    }
}

/// Every lane's margin on one row: two running sums, so consecutive columns do not wait on
/// each other's additions.
#[inline(always)]
fn margins(cols: &[u32], vals: &[f32], w: &[[f64; LANES]], b: [f64; LANES]) -> [f64; LANES] {
    let (mut z, mut odd) = (b, [0.0f64; LANES]);
    let mut pairs = cols.chunks_exact(2).zip(vals.chunks_exact(2));
    for (c, v) in pairs.by_ref() {
        let (w0, w1) = (&w[c[0] as usize], &w[c[1] as usize]);
        let (v0, v1) = (f64::from(v[0]), f64::from(v[1]));
        for l in 0..LANES {
            z[l] += w0[l] * v0;
            odd[l] += w1[l] * v1;
        }
    }
    if cols.len() % 2 == 1 {
        let (c, v) = (
            cols[cols.len() - 1] as usize,
            f64::from(vals[vals.len() - 1]),
        );
        for l in 0..LANES {
            z[l] += w[c][l] * v;
        }
    }
    for l in 0..LANES {
        z[l] += odd[l];
    }
    z
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinct_rows_merge_in_parallel_as_one_row_at_a_time() {
        // Rows 0, 2 and 4 hold the same pairs in different orders; row 3 differs from row 1
        // by one value's last bit; rows 5 and 6 are empty.
        let mut x = Csr::new(5);
        let rows: [&[(u32, f32)]; 7] = [
            &[(1, 0.5), (3, 0.25)],
            &[(0, 1.0), (4, 0.75)],
            &[(3, 0.25), (1, 0.5)],
            &[(0, 1.0), (4, f32::from_bits(0.75f32.to_bits() + 1))],
            &[(1, 0.5), (3, 0.25)],
            &[],
            &[],
        ];
        for r in rows {
            x.push_row(r.iter().copied());
        }
        let (fast, exact) = (Distinct::new(&x), Distinct::exact(&x));
        assert_eq!(fast.of, [0, 1, 0, 2, 0, 3, 3]);
        assert_eq!(fast.of, exact.of);
        assert_eq!(fast.columns, exact.columns);
        assert_eq!(fast.x.nrows(), 4);
        for u in 0..4 {
            assert_eq!(fast.x.row(u), exact.x.row(u), "distinct row {u}");
        }
        // Columns by use: 0, 1, 3 and 4 are used twice or more, 2 never.
        assert_eq!(*fast.columns.last().unwrap(), 2);
        // Should every row share one hash, the merge checks itself and redoes it exactly.
        let colliding = Distinct::merged(&x, |_, _| 7);
        assert_eq!(colliding.of, exact.of);
        assert_eq!(colliding.x.nrows(), 4);
    }

    #[test]
    fn column_order_sorts_distinct_columns_as_a_sort_does_and_is_ready_for_the_next_row() {
        let mut order = ColumnOrder::default();
        let mut out = Vec::new();
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for ncols in [1usize, 63, 64, 65, 4095, 4096, 4097, 300_000] {
            for len in [0usize, 1, 2, 17, 400] {
                // Distinct pseudo-random columns below ncols.
                let mut cols: Vec<u32> = (0..len)
                    .map(|_| {
                        state ^= state << 13;
                        state ^= state >> 7;
                        state ^= state << 17;
                        (state % ncols as u64) as u32
                    })
                    .collect();
                cols.sort_unstable();
                cols.dedup();
                let pairs: Vec<(u32, f32)> =
                    cols.iter().rev().map(|&c| (c, c as f32 + 0.5)).collect();
                assert!(order.sort(pairs.iter().copied(), ncols, &mut out));
                let mut want = pairs.clone();
                want.sort_unstable_by_key(|&(c, _)| c);
                assert_eq!(out, want, "{ncols} columns, {len} drawn");
            }
        }
        assert!(order.words.iter().chain(&order.summary).all(|&w| w == 0));
        // A column named twice is refused, and the tables are left clear.
        assert!(!order.sort([(5, 1.0), (9, 2.0), (5, 3.0)].into_iter(), 10, &mut out));
        assert!(order.words.iter().chain(&order.summary).all(|&w| w == 0));
    }

    #[test]
    fn a_hand_built_row_naming_a_column_twice_keeps_both_pairs_when_rows_are_merged() {
        let mut x = Csr::new(3);
        x.push_row([(2, 1.0), (0, 0.5), (2, 0.25)]);
        x.push_row([(1, 1.0)]);
        let d = Distinct::new(&x);
        // Column 2 is used twice, so it is renumbered 0; column 0 (used once) becomes 1.
        let (cols, vals) = d.x.row(0);
        assert_eq!(cols.len(), 3);
        let mut pairs: Vec<(u32, f32)> = cols.iter().copied().zip(vals.iter().copied()).collect();
        pairs.sort_by(|a, b| a.partial_cmp(b).unwrap());
        assert_eq!(pairs, [(0, 0.25), (0, 1.0), (1, 0.5)]);
        assert!(cols.windows(2).all(|w| w[0] <= w[1]));
    }

    /// The loss and gradient of one model, row by row, straight from the definition.
    fn by_definition(x: &Csr, rw: &RowWeights, p: &Array1<f64>) -> (f64, Array1<f64>) {
        let n = x.ncols;
        let mut grad = Array1::<f64>::zeros(n + 1);
        let mut loss = 0.0;
        for i in 0..x.nrows() {
            let (cols, vals) = x.row(i);
            let z = p[n]
                + cols
                    .iter()
                    .zip(vals)
                    .map(|(&c, &v)| p[c as usize] * f64::from(v))
                    .sum::<f64>();
            let sig = 1.0 / (1.0 + (-z).exp());
            let [wp, wn] = rw.weights[i];
            loss += wp * (1.0 + (-z).exp()).ln() + wn * (1.0 + z.exp()).ln();
            let r = wp * (sig - 1.0) + wn * sig;
            for (&c, &v) in cols.iter().zip(vals) {
                grad[c as usize] += r * f64::from(v);
            }
            grad[n] += r;
        }
        for c in 0..n {
            loss += 0.5 * rw.alpha * p[c] * p[c];
            grad[c] += rw.alpha * p[c];
        }
        (loss, grad)
    }

    #[test]
    fn many_models_in_one_pass_match_each_computed_alone() {
        let mut x = Csr::new(5);
        for i in 0..23u32 {
            x.push_row([(i % 5, 1.0), ((i * 3 + 1) % 5, 0.5 + (i % 4) as f32 * 0.25)]);
        }
        let models: Vec<(RowWeights, Array1<f64>)> = (0..6)
            .map(|m| {
                let weights = (0..23)
                    .map(|i| match (i + m) % 3 {
                        0 => [0.0, 0.0],
                        1 => [1.5, 0.0],
                        _ => [0.0, 0.75 + m as f64],
                    })
                    .collect();
                let p =
                    Array1::from_iter((0..6).map(|c| (c as f64 - 2.5) * 0.3 * (m as f64 + 1.0)));
                (
                    RowWeights {
                        weights,
                        alpha: 0.1 * m as f64,
                    },
                    p,
                )
            })
            .collect();
        let batch: Vec<(&RowWeights, &Array1<f64>)> = models.iter().map(|(r, p)| (r, p)).collect();
        let mut scratch = Scratch::default();
        let first = evaluate(&x, &batch[..2], &mut scratch);
        let all = evaluate(&x, &batch, &mut scratch);
        assert_eq!(
            first,
            all[..2],
            "a model's figures do not depend on the others in the pass"
        );
        for ((loss, grad), (r, p)) in all.into_iter().zip(&models) {
            let (want_loss, want_grad) = by_definition(&x, r, p);
            assert!(
                (loss - want_loss).abs() < 1e-9 * want_loss.abs().max(1.0),
                "{loss} vs {want_loss}"
            );
            for (a, b) in grad.iter().zip(want_grad.iter()) {
                assert!((a - b).abs() < 1e-9, "{a} vs {b}");
            }
        }
    }

    #[test]
    fn identical_rows_are_merged_and_mapped_back() {
        let mut x = Csr::new(3);
        x.push_row([(0, 1.0), (2, 0.5)]);
        x.push_row([(1, 1.0)]);
        x.push_row([(0, 1.0), (2, 0.5)]);
        x.push_row([(0, 1.0), (2, 0.25)]);
        let d = Distinct::new(&x);
        assert_eq!(d.x.nrows(), 3);
        assert_eq!(d.of, vec![0, 1, 0, 2]);
        // Column 0 is in three rows, 2 in three, 1 in one: renumbered 0, 1, 2.
        assert_eq!(d.columns, vec![0, 2, 1]);
        assert_eq!(d.x.row(2), (&[0, 1][..], &[1.0, 0.25][..]));
        assert_eq!(d.original_order(&[5.0, 6.0, 7.0]), vec![5.0, 7.0, 6.0]);
    }
}
