//! The on-disk spool: what a worker has said but the server has not yet
//! acknowledged.
//!
//! One append-only file of JSON lines (one event per line) per process, so
//! writers never interleave. The owner holds an exclusive `flock` on its file
//! for its whole life; a file whose lock can be taken therefore belongs to a
//! process that is gone (it crashed, or exited while the server was down), and
//! any later process may adopt it and deliver what is in it.
//!
//! Delivery is in file order. The acknowledged prefix is kept in memory: when
//! all of a file is acknowledged it is truncated (our own) or removed (an
//! adopted one). After a crash a file is delivered again from its start; the
//! server stores each `eventId` once, so a repeat is counted as a duplicate,
//! never stored twice.
//!
//! Durability: an event is in the file (the OS page cache) before `append`
//! returns, so it survives the process being killed; it is not synced to the
//! disk, so a power cut may lose the newest lines. A line cut short by a crash
//! in the middle of a write has no newline and is ignored.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Spool files end with this; anything else in the directory is not ours.
const EXTENSION: &str = "jsonl";

/// Lines read back for one delivery attempt.
#[derive(Debug, Default, PartialEq)]
pub struct Batch {
    /// Complete lines that are JSON objects, oldest first.
    pub lines: Vec<String>,
    /// Lines in the range that were not JSON (damaged); passed over.
    pub damaged: usize,
    /// Offset just past the last line read: what `ack` takes once the lines
    /// are delivered.
    pub end: u64,
}

impl Batch {
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty() && self.damaged == 0
    }
}

#[derive(Debug)]
pub struct Spool {
    path: PathBuf,
    file: File,
    /// Bytes of complete lines; appends go here.
    len: u64,
    /// Bytes already delivered.
    acked: u64,
    adopted: bool,
}

impl Spool {
    /// A new, empty spool file in `dir` (created with mode 0700 if missing),
    /// locked for this process. `label` (a job or worker name) only helps a
    /// person tell files apart; names sort by creation time.
    pub fn create(dir: &Path, label: &str) -> io::Result<Spool> {
        create_private_dir(dir)?;
        let stem = format!(
            "{:020}-{}-{:08x}-{}",
            chrono::Utc::now().timestamp_micros(),
            std::process::id(),
            fastrand::u32(..),
            sanitize(label)
        );
        // Created and locked under a name no other process looks at, then
        // renamed: a scanning process must never adopt a file that is still
        // being born (it would find it empty and remove it).
        let tmp = dir.join(format!("{stem}.new"));
        let path = dir.join(format!("{stem}.{EXTENSION}"));
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        if !try_lock(&file)? {
            return Err(io::Error::other(format!(
                "{} was locked by another process as it was created",
                tmp.display()
            )));
        }
        fs::rename(&tmp, &path)?;
        Ok(Spool {
            path,
            file,
            len: 0,
            acked: 0,
            adopted: false,
        })
    }

    /// Takes over a spool file left by a process that is gone. `None` when
    /// its owner is still alive (the lock is held) or the file is already
    /// gone (another process delivered and removed it).
    pub fn adopt(path: &Path) -> io::Result<Option<Spool>> {
        let mut file = match OpenOptions::new().read(true).write(true).open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        if !try_lock(&file)? || unlinked(&file)? {
            return Ok(None);
        }
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        // A torn last line (no newline) is not part of the spool.
        let len = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1) as u64;
        Ok(Some(Spool {
            path: path.to_owned(),
            file,
            len,
            acked: 0,
            adopted: true,
        }))
    }

    /// Spool files in `dir` other than `except`, oldest first.
    pub fn list(dir: &Path, except: Option<&Path>) -> io::Result<Vec<PathBuf>> {
        let entries = match fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut paths = Vec::new();
        for entry in entries {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == EXTENSION) && Some(path.as_path()) != except {
                paths.push(path);
            }
        }
        paths.sort();
        Ok(paths)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn is_adopted(&self) -> bool {
        self.adopted
    }

    /// True when every line written so far has been acknowledged.
    pub fn is_drained(&self) -> bool {
        self.acked >= self.len
    }

    /// Appends one event (a single line of JSON, without the newline).
    /// Either the whole line is in the file when this returns, or nothing is.
    pub fn append(&mut self, line: &str) -> io::Result<()> {
        if line.contains('\n') {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "a spooled event must be one line",
            ));
        }
        let mut buf = Vec::with_capacity(line.len() + 1);
        buf.extend_from_slice(line.as_bytes());
        buf.push(b'\n');
        let written = self
            .file
            .seek(SeekFrom::Start(self.len))
            .and_then(|_| self.file.write_all(&buf));
        if let Err(e) = written {
            // Cut off what part of the line made it, so the next append
            // does not continue a torn line.
            let _ = self.file.set_len(self.len);
            return Err(e);
        }
        self.len += buf.len() as u64;
        Ok(())
    }

    /// The oldest unacknowledged lines: at most `max_events`, and at most
    /// `max_bytes` of them unless a single line is longer.
    pub fn pending(&mut self, max_events: usize, max_bytes: usize) -> io::Result<Batch> {
        let mut batch = Batch {
            end: self.acked,
            ..Batch::default()
        };
        if self.is_drained() || max_events == 0 {
            return Ok(batch);
        }
        let available = self.len - self.acked;
        let window = available.min(max_bytes.max(1) as u64);
        let mut bytes = self.read_range(self.acked, window)?;
        if window < available && !bytes.ends_with(b"\n") {
            match bytes.iter().rposition(|&b| b == b'\n') {
                Some(i) => bytes.truncate(i + 1),
                // One line longer than the window: read all of it.
                None => bytes = self.read_line_at(self.acked)?,
            }
        }
        let mut offset = self.acked;
        for raw in bytes.split_inclusive(|&b| b == b'\n') {
            if batch.lines.len() >= max_events {
                break;
            }
            offset += raw.len() as u64;
            let text = &raw[..raw.len() - 1];
            match serde_json::from_slice::<serde_json::Value>(text) {
                Ok(serde_json::Value::Object(_)) => {
                    // Valid JSON is valid UTF-8.
                    batch.lines.push(String::from_utf8_lossy(text).into_owned());
                }
                _ => batch.damaged += 1,
            }
        }
        batch.end = offset;
        Ok(batch)
    }

    /// Marks everything before `end` as delivered. When that is everything,
    /// our own file is truncated to nothing; an adopted one is removed.
    pub fn ack(&mut self, end: u64) -> io::Result<()> {
        self.acked = self.acked.max(end.min(self.len));
        if self.is_drained() && !self.adopted && self.len > 0 {
            self.file.set_len(0)?;
            self.len = 0;
            self.acked = 0;
        }
        Ok(())
    }

    /// Deletes the file (an adopted one once drained, or our own at exit
    /// when nothing is left in it).
    pub fn remove(self) -> io::Result<()> {
        match fs::remove_file(&self.path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    fn read_range(&mut self, from: u64, len: u64) -> io::Result<Vec<u8>> {
        self.file.seek(SeekFrom::Start(from))?;
        let mut bytes = Vec::with_capacity(len as usize);
        (&mut self.file).take(len).read_to_end(&mut bytes)?;
        Ok(bytes)
    }

    fn read_line_at(&mut self, from: u64) -> io::Result<Vec<u8>> {
        let bytes = self.read_range(from, self.len - from)?;
        let end = bytes
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |i| i + 1);
        Ok(bytes[..end].to_vec())
    }
}

fn sanitize(label: &str) -> String {
    let clean: String = label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    if clean.is_empty() {
        "events".into()
    } else {
        clean
    }
}

/// Events may carry paths and failure text: the directory is the user's own.
fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// An exclusive lock on `file` if nobody else holds one (`flock` on Unix,
/// `LockFileEx` on Windows), false if another process does.
fn try_lock(file: &File) -> io::Result<bool> {
    match file.try_lock() {
        Ok(()) => Ok(true),
        Err(fs::TryLockError::WouldBlock) => Ok(false),
        Err(fs::TryLockError::Error(e)) => Err(e),
    }
}

/// True when the file was removed after we opened it (another process
/// adopted, delivered and removed it in between).
#[cfg(unix)]
fn unlinked(file: &File) -> io::Result<bool> {
    use std::os::unix::fs::MetadataExt;
    Ok(file.metadata()?.nlink() == 0)
}

#[cfg(not(unix))]
fn unlinked(_file: &File) -> io::Result<bool> {
    Ok(false)
}

#[cfg(test)]
mod tests;
