//! The server's output: copied to a capped log file and scanned for
//! panics and errors, each distinct one counted.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::sync::{Arc, Mutex};

/// The log file stops growing here; counting goes on.
const LOG_CAP_BYTES: u64 = 64 << 20;
/// Distinct error lines kept for the report.
const DISTINCT_CAP: usize = 40;

/// What the server's output said, across all its processes.
#[derive(Default, Debug, Clone, serde::Serialize)]
pub struct LogScan {
    pub lines: u64,
    pub panics: u64,
    pub errors: u64,
    pub warnings: u64,
    /// Each distinct panic or ERROR line (times and ids stripped), with how
    /// often it came; at most `DISTINCT_CAP`.
    pub distinct: BTreeMap<String, u64>,
    /// A panic's header line, waiting for the message on the next line.
    #[serde(skip)]
    panic_header: Option<String>,
}

pub struct LogSink {
    pub file: File,
    written: u64,
    scan: LogScan,
}

impl LogSink {
    pub fn new(file: File) -> LogSink {
        LogSink {
            file,
            written: 0,
            scan: LogScan::default(),
        }
    }

    pub fn scan(&self) -> LogScan {
        self.scan.clone()
    }
}

/// Copies one output stream of the child into the shared log, line by line,
/// on its own thread (the pipe must be drained or the server blocks).
pub fn pump(stream: impl Read + Send + 'static, sink: Arc<Mutex<LogSink>>) {
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stream);
        let mut line = Vec::new();
        loop {
            line.clear();
            match reader.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let text = String::from_utf8_lossy(&line);
            let Ok(mut s) = sink.lock() else { return };
            if s.written < LOG_CAP_BYTES {
                if s.file.write_all(&line).is_ok() {
                    s.written += line.len() as u64;
                }
                if s.written >= LOG_CAP_BYTES {
                    let _ = s.file.write_all(b"----- soak: log capped here -----\n");
                }
            }
            classify(&mut s.scan, &text);
        }
    });
}

fn classify(scan: &mut LogScan, line: &str) {
    scan.lines += 1;
    // Rust prints a panic as `thread '…' panicked at FILE:LINE:COL:` and
    // the message on the next line: both make its signature.
    if let Some(header) = scan.panic_header.take() {
        count_distinct(scan, format!("{header} {}", signature(line)));
    }
    if line.contains("panicked at") {
        scan.panics += 1;
        scan.panic_header = Some(signature(line));
        return;
    }
    if line.contains(" WARN ") {
        scan.warnings += 1;
    }
    if line.contains(" ERROR ") {
        scan.errors += 1;
        count_distinct(scan, signature(line));
    }
}

fn count_distinct(scan: &mut LogScan, key: String) {
    if let Some(n) = scan.distinct.get_mut(&key) {
        *n += 1;
    } else if scan.distinct.len() < DISTINCT_CAP {
        scan.distinct.insert(key, 1);
    }
}

/// A line without its timestamp and with digits folded, so that the same
/// fault on different jobs and times counts as one.
fn signature(line: &str) -> String {
    let line = line.trim();
    // Human format: `2026-01-01T00:00:00.000000Z ERROR target: message`.
    let rest = match line.split_once(' ') {
        Some((first, rest)) if first.contains('T') && first.ends_with('Z') => rest,
        _ => line,
    };
    let mut out = String::with_capacity(rest.len().min(300));
    let mut last_digit = false;
    for c in rest.chars().take(300) {
        if c.is_ascii_digit() {
            if !last_digit {
                out.push('N');
            }
            last_digit = true;
        } else {
            out.push(c);
            last_digit = false;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_fold_times_and_numbers() {
        let a = signature("2026-05-01T10:00:00.123Z ERROR engine: tick failed job=17");
        let b = signature("2026-05-01T11:22:33.456Z ERROR engine: tick failed job=4242");
        assert_eq!(a, b);
        assert_eq!(a, "ERROR engine: tick failed job=N");
    }

    #[test]
    fn panics_and_errors_are_counted() {
        let mut scan = LogScan::default();
        classify(
            &mut scan,
            "thread 'tokio-runtime-worker' panicked at model/src/x.rs:1:2:",
        );
        classify(&mut scan, "overflow in TimeDelta");
        classify(&mut scan, "2026-05-01T10:00:00Z  WARN x: slow");
        assert_eq!((scan.panics, scan.warnings, scan.errors), (1, 1, 0));
        let keys: Vec<_> = scan.distinct.keys().cloned().collect();
        assert_eq!(
            keys,
            ["thread 'tokio-runtime-worker' panicked at model/src/x.rs:N:N: overflow in TimeDelta"]
        );
    }
}
