//! Logs through `tracing`: human-readable by default, one JSON object a line
//! with `MONITOR_LOG_FORMAT=json`; the level comes from `RUST_LOG`.
//!
//! Log fields carry producer text (job names, run ids, failure reasons,
//! error messages that quote them). In the human format that text must not
//! be able to end a line and write one of its own (`\n`, `\r`), or drive the
//! operator's terminal (ANSI escapes): [`OneLine`] escapes control
//! characters in every field, so no call site has to remember to. JSON
//! escapes them by itself.

use std::fmt::{self, Write as _};

use tracing::field::{Field, Visit};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::FormatFields;
use tracing_subscriber::fmt::format::Writer;

use crate::config::{ConfigError, LogFormat};

const DEFAULT_FILTER: &str = "info,sqlx=warn,sea_orm=warn,tower_http=info";

pub fn init(format: LogFormat) -> Result<(), ConfigError> {
    let filter = match std::env::var("RUST_LOG") {
        Ok(v) if !v.trim().is_empty() => EnvFilter::try_new(&v)
            .map_err(|e| ConfigError::new("RUST_LOG", format!("is not a valid filter ({e})")))?,
        _ => EnvFilter::new(DEFAULT_FILTER),
    };
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        LogFormat::Human => builder.fmt_fields(OneLine).init(),
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .init(),
    }
    Ok(())
}

/// The human format's fields, as tracing-subscriber writes them (`message`
/// bare, then `name=value`; `%` values as Display, the rest as Debug),
/// with every control character written as its escape (`\n`, `\u{1b}`).
#[derive(Debug, Clone, Copy, Default)]
pub struct OneLine;

impl<'w> FormatFields<'w> for OneLine {
    fn format_fields<R: RecordFields>(&self, writer: Writer<'w>, fields: R) -> fmt::Result {
        let mut visitor = OneLineVisitor {
            writer,
            first: true,
            result: Ok(()),
        };
        fields.record(&mut visitor);
        visitor.result
    }
}

struct OneLineVisitor<'w> {
    writer: Writer<'w>,
    first: bool,
    result: fmt::Result,
}

impl OneLineVisitor<'_> {
    fn write(&mut self, field: &Field, value: &dyn fmt::Debug) -> fmt::Result {
        if !std::mem::take(&mut self.first) {
            self.writer.write_char(' ')?;
        }
        let name = field.name();
        if name != "message" {
            write!(self.writer, "{}=", name.trim_start_matches("r#"))?;
        }
        write!(Escaping(&mut self.writer), "{value:?}")
    }
}

impl Visit for OneLineVisitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        // The message bare, other text quoted (as tracing-subscriber does).
        if field.name() == "message" {
            self.record_debug(field, &format_args!("{value}"));
        } else {
            self.record_debug(field, &value);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        // Bridged `log` records carry their metadata as `log.*` fields; the
        // formatter shows it as the event's own target and location.
        if self.result.is_err() || field.name().starts_with("log.") {
            return;
        }
        self.result = self.write(field, value);
    }
}

/// Writes through, control characters (and the Unicode line and paragraph
/// separators) as their Rust escapes.
struct Escaping<'a, W: fmt::Write>(&'a mut W);

impl<W: fmt::Write> fmt::Write for Escaping<'_, W> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for c in s.chars() {
            if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
                write!(self.0, "{}", c.escape_debug())?;
            } else {
                self.0.write_char(c)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::sync::{Arc, Mutex};

    use super::*;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0
                .lock()
                .map_err(|_| io::Error::other("poisoned"))?
                .extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn logged(log: impl FnOnce()) -> String {
        let out = Captured::default();
        let writer = out.clone();
        let subscriber = tracing_subscriber::fmt()
            .fmt_fields(OneLine)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::with_default(subscriber, log);
        let bytes = out.0.lock().unwrap().clone();
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn producer_text_cannot_split_forge_or_colour_a_line() {
        let job = "nightly\n2026-01-01T00:00:00Z  INFO forged: all clear";
        let reason = "disk full\r\x1b[31mred\x1b[0m\u{2028}";
        let out = logged(|| {
            let span = tracing::info_span!("ingest", run = %"run\n1");
            let _in = span.enter();
            tracing::warn!(job = %job, reason, "alert opened for {job}");
        });
        assert_eq!(out.matches('\n').count(), 1, "one line: {out:?}");
        assert!(out.ends_with('\n'));
        assert!(!out.contains('\r') && !out.contains('\x1b'), "{out:?}");
        assert!(
            out.contains(r"job=nightly\n2026-01-01T00:00:00Z  INFO forged: all clear"),
            "{out}"
        );
        assert!(out.contains(r"\u{1b}[31mred"), "{out}");
        assert!(out.contains(r#"ingest{run=run\n1}"#), "{out}");
        assert!(out.contains(r"alert opened for nightly\n2026"), "{out}");
    }

    #[test]
    fn plain_fields_read_as_before() {
        let out = logged(
            || tracing::info!(pruned = 3, cutoff = %"2026-01-01", name = "a b", "retention pruned"),
        );
        assert!(
            out.trim_end()
                .ends_with(r#"retention pruned pruned=3 cutoff=2026-01-01 name="a b""#),
            "{out}"
        );
    }
}
