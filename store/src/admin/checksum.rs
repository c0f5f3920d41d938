//! The checksum that tells whether a table arrived whole in PostgreSQL.

use sha2::{Digest, Sha256};

/// SHA-256 over a table's rows in key order. Each value enters in its
/// PostgreSQL `::text` spelling (integers in decimal, booleans `true` or
/// `false`, text as stored), length-prefixed, so one row hashes the same
/// read from either database and no two rows can run into each other;
/// NULL is a marker no text can produce.
#[derive(Default)]
pub(crate) struct RowsDigest {
    hasher: Sha256,
    rows: u64,
}

impl RowsDigest {
    pub(crate) fn value(&mut self, text: Option<&str>) {
        match text {
            None => self.hasher.update([0u8]),
            Some(s) => {
                self.hasher.update([1u8]);
                self.hasher.update((s.len() as u64).to_le_bytes());
                self.hasher.update(s.as_bytes());
            }
        }
    }

    pub(crate) fn end_row(&mut self) {
        self.rows += 1;
    }

    /// Rows seen and the hex digest.
    pub(crate) fn finish(self) -> (u64, String) {
        (self.rows, hex::encode(self.hasher.finalize()))
    }
}
