//! Sorting hashed buckets (near-uniform `u32`s below `2^bits`).

/// Sorts buckets below `2^bits` (hashes, so close to uniform): a distribution over about as
/// many bins as buckets for short lists, an LSD radix sort for long ones.
pub(super) fn sort_buckets(v: &mut Vec<u32>, tmp: &mut Vec<u32>, aux: &mut Vec<u32>, bits: u32) {
    let n = v.len();
    if n < 24 || bits > 24 {
        v.sort_unstable();
    } else if n < 640 {
        bin_sort(v, tmp, aux, bits);
    } else {
        radix_sort(v, tmp, aux, bits);
    }
}

/// Spreads `v` over `2^k ≥ n` bins by its top bits, then sorts within the bins (about one
/// value each).
fn bin_sort(v: &mut Vec<u32>, tmp: &mut Vec<u32>, ends: &mut Vec<u32>, bits: u32) {
    let n = v.len();
    let k = bits.min(usize::BITS - (n - 1).leading_zeros());
    let shift = bits - k;
    let bins = 1usize << k;
    ends.clear();
    ends.resize(bins, 0);
    for &x in v.iter() {
        ends[(x >> shift) as usize] += 1;
    }
    let mut sum = 0;
    for c in ends.iter_mut() {
        let n = *c;
        *c = sum;
        sum += n;
    }
    tmp.clear();
    tmp.resize(n, 0);
    for &x in v.iter() {
        let slot = &mut ends[(x >> shift) as usize];
        tmp[*slot as usize] = x;
        *slot += 1;
    }
    // Now ordered by top bits: one insertion pass moves each value within its bin only
    // (n < 640 bounds the worst case).
    insertion_sort(tmp);
    std::mem::swap(v, tmp);
}

fn insertion_sort(v: &mut [u32]) {
    for i in 1..v.len() {
        let x = v[i];
        let mut j = i;
        while j > 0 && v[j - 1] > x {
            v[j] = v[j - 1];
            j -= 1;
        }
        v[j] = x;
    }
}

/// LSD radix sort in two passes of at most 12 bits.
fn radix_sort(v: &mut Vec<u32>, tmp: &mut Vec<u32>, counts: &mut Vec<u32>, bits: u32) {
    let passes = bits.div_ceil(12).max(1);
    let digit = bits.div_ceil(passes);
    let radix = 1usize << digit;
    let mask = (radix - 1) as u32;
    counts.clear();
    counts.resize(radix, 0);
    tmp.clear();
    tmp.resize(v.len(), 0);
    for pass in 0..passes {
        let shift = pass * digit;
        counts.iter_mut().for_each(|c| *c = 0);
        for &x in v.iter() {
            counts[((x >> shift) & mask) as usize] += 1;
        }
        let mut sum = 0;
        for c in counts.iter_mut() {
            let n = *c;
            *c = sum;
            sum += n;
        }
        for &x in v.iter() {
            let d = ((x >> shift) & mask) as usize;
            tmp[counts[d] as usize] = x;
            counts[d] += 1;
        }
        std::mem::swap(v, tmp);
    }
}
