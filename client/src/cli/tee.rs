//! The command's stderr, passed to ours byte for byte as it comes, with the
//! newest bytes kept so the last lines can be reported verbatim as the
//! failure reason.

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Bytes of stderr kept; the reason is cut from their last lines.
const KEEP_BYTES: usize = 64 * 1024;

pub struct Tee {
    shared: Arc<(Mutex<Tail>, Condvar)>,
    _thread: JoinHandle<()>,
}

#[derive(Default)]
struct Tail {
    bytes: VecDeque<u8>,
    /// Older bytes were dropped: the first kept line may be partial.
    cut: bool,
    eof: bool,
}

impl Tee {
    /// Copies `from` to `to` (our stderr) on a thread of its own.
    pub fn start(
        mut from: impl Read + Send + 'static,
        mut to: impl Write + Send + 'static,
    ) -> std::io::Result<Tee> {
        let shared: Arc<(Mutex<Tail>, Condvar)> = Arc::default();
        let thread = {
            let shared = shared.clone();
            std::thread::Builder::new()
                .name("telltale-stderr".into())
                .spawn(move || {
                    let mut buf = vec![0u8; 16 * 1024];
                    let mut out_ok = true;
                    loop {
                        let n = match from.read(&mut buf) {
                            Ok(0) => break,
                            Ok(n) => n,
                            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                            Err(_) => break,
                        };
                        // Our stderr closed or broken: keep draining the
                        // pipe so the command never blocks on a write.
                        if out_ok {
                            out_ok = to.write_all(&buf[..n]).and_then(|()| to.flush()).is_ok();
                        }
                        let (lock, _) = &*shared;
                        let mut tail = lock.lock().unwrap_or_else(|e| e.into_inner());
                        tail.bytes.extend(&buf[..n]);
                        if tail.bytes.len() > KEEP_BYTES {
                            let excess = tail.bytes.len() - KEEP_BYTES;
                            tail.bytes.drain(..excess);
                            tail.cut = true;
                        }
                    }
                    let (lock, changed) = &*shared;
                    lock.lock().unwrap_or_else(|e| e.into_inner()).eof = true;
                    changed.notify_all();
                })?
        };
        Ok(Tee {
            shared,
            _thread: thread,
        })
    }

    /// The last `lines` lines of stderr, waiting up to `wait` for the pipe to
    /// close. A background process the command left behind may hold it open;
    /// then the tail so far is used and its later output still passes through.
    pub fn last_lines(&self, lines: usize, wait: Duration) -> Vec<u8> {
        let deadline = crate::deadline::after(wait);
        let (lock, changed) = &*self.shared;
        let mut tail = lock.lock().unwrap_or_else(|e| e.into_inner());
        while !tail.eof {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            tail = changed
                .wait_timeout(tail, deadline - now)
                .map(|(t, _)| t)
                .unwrap_or_else(|e| e.into_inner().0);
        }
        let bytes: Vec<u8> = tail.bytes.iter().copied().collect();
        last_lines(&bytes, lines, tail.cut).to_vec()
    }
}

/// The last `n` lines of `bytes` (a final newline does not start a line).
/// When `cut`, the first line may have lost its start and is left out,
/// unless it is all there is.
pub fn last_lines(bytes: &[u8], n: usize, cut: bool) -> &[u8] {
    if n == 0 {
        return &[];
    }
    let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    let mut seen = 0;
    for (i, &b) in body.iter().enumerate().rev() {
        if b == b'\n' {
            seen += 1;
            if seen == n {
                return &bytes[i + 1..];
            }
        }
    }
    if cut && let Some(i) = body.iter().position(|&b| b == b'\n') {
        return &bytes[i + 1..];
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_lines_verbatim() {
        let text = b"one\ntwo\nthree\nfour\n";
        assert_eq!(last_lines(text, 2, false), b"three\nfour\n");
        assert_eq!(last_lines(text, 10, false), text);
        assert_eq!(
            last_lines(b"no newline at end", 2, false),
            b"no newline at end"
        );
        assert_eq!(last_lines(b"a\nb", 1, false), b"b");
        assert_eq!(last_lines(b"", 3, false), b"");
        assert_eq!(last_lines(text, 0, false), b"");
        // Blank lines and trailing spaces are the producer's own.
        assert_eq!(last_lines(b"x\n\n  y  \n", 2, false), b"\n  y  \n");
    }

    #[test]
    fn a_partial_first_line_is_dropped_after_a_cut() {
        assert_eq!(last_lines(b"ial line\nfull\n", 5, true), b"full\n");
        assert_eq!(last_lines(b"only partial", 5, true), b"only partial");
    }

    #[test]
    fn the_tee_keeps_a_bounded_tail() {
        let mut input = Vec::new();
        for i in 0..20_000 {
            input.extend_from_slice(format!("line {i}\n").as_bytes());
        }
        let tee = Tee::start(std::io::Cursor::new(input), std::io::sink()).unwrap();
        let tail = tee.last_lines(3, Duration::from_secs(5));
        assert_eq!(tail, b"line 19997\nline 19998\nline 19999\n");
    }
}
