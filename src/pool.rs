//! Thread-pool helpers.

/// Rows made on the thread pool, freed there too, a batch at a time, once the thread that
/// took them is done with them: glibc's malloc frees memory made on another thread by its
/// slow path (under the other thread's arena lock), and the pool's threads reuse what they
/// free themselves. With one thread in the pool, rows are freed where they are dropped.
pub struct FreeOnPool<T: Send + 'static> {
    done: Vec<T>,
    batch: usize,
}

impl<T: Send + 'static> FreeOnPool<T> {
    /// Frees `batch` rows at a time.
    pub fn new(batch: usize) -> Self {
        FreeOnPool {
            done: Vec::new(),
            batch: batch.max(1),
        }
    }

    /// Takes a row that is no longer needed.
    pub fn free(&mut self, row: T) {
        self.done.push(row);
        if self.done.len() >= self.batch {
            self.flush();
        }
    }

    /// Takes rows that are no longer needed.
    pub fn free_all(&mut self, rows: Vec<T>) {
        if self.done.is_empty() && rows.len() >= self.batch {
            Self::send(rows);
        } else {
            rows.into_iter().for_each(|r| self.free(r));
        }
    }

    fn flush(&mut self) {
        if !self.done.is_empty() {
            Self::send(std::mem::take(&mut self.done));
        }
    }

    fn send(rows: Vec<T>) {
        if rayon::current_num_threads() > 1 {
            rayon::spawn(move || drop(rows));
        }
    }
}

impl<T: Send + 'static> Drop for FreeOnPool<T> {
    fn drop(&mut self) {
        self.flush();
    }
}
