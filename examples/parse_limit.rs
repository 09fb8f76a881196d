//! The parse limit: one bare `csv` pass over a file, to hold `hardsell score`'s speed against.
//!
//! `cargo run --release --example parse_limit -- FILE`
//!
//! Reads the whole file into memory first (as `hardsell` reads an export; that read is not
//! timed), then, on one thread, reads every record into one reused `ByteRecord` with the
//! header row skipped and rows of any width accepted, and counts records and field bytes. No
//! UTF-8 check, no copies, no allocation per row: the fastest a CSV reader in this crate can
//! go, so `score MB/s ÷ parse_limit MB/s` is the share of that limit `hardsell` reaches.
//! Prints `records`, `bytes` (the file's size), `seconds` and `MB/s` (10^6 bytes per second),
//! one `name value` pair per line.

use std::process::ExitCode;
use std::time::Instant;

use csv::{ByteRecord, ReaderBuilder};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [path] = args.as_slice() else {
        eprintln!("usage: parse_limit FILE");
        return ExitCode::from(2);
    };
    let data = match std::fs::read(path) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("parse_limit: {path}: {e}");
            return ExitCode::from(3);
        }
    };
    let started = Instant::now();
    let mut reader = ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(data.as_slice());
    let mut record = ByteRecord::new();
    let mut records: u64 = 0;
    let mut field_bytes: u64 = 0;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {
                records += 1;
                field_bytes += record.as_slice().len() as u64;
            }
            Ok(false) => break,
            Err(e) => {
                eprintln!("parse_limit: {path}: {e}");
                return ExitCode::from(3);
            }
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    // Keeps the count observable so the loop cannot be optimised away.
    std::hint::black_box(field_bytes);
    println!("records {records}");
    println!("bytes {}", data.len());
    println!("seconds {seconds:.6}");
    println!("MB/s {:.1}", data.len() as f64 / 1e6 / seconds.max(1e-9));
    ExitCode::SUCCESS
}
