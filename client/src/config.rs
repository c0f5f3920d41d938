//! Where a worker's events go and what it already knows about itself, read
//! from the environment in one place. An empty variable counts as unset; a
//! bad value is an error naming the variable, never a silent fallback.

use std::path::PathBuf;
use std::time::Duration;

/// The server's own default address (`MONITOR_HOST`:`MONITOR_PORT`).
pub const DEFAULT_URL: &str = "http://127.0.0.1:7410";
/// How long `telltale run` and `telltale send` keep trying before they leave
/// what is undelivered in the spool and exit.
pub const DEFAULT_FLUSH_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{var}: {problem}")]
pub struct ConfigError {
    pub var: &'static str,
    pub problem: String,
}

impl ConfigError {
    fn new(var: &'static str, problem: impl Into<String>) -> Self {
        Self {
            var,
            problem: problem.into(),
        }
    }
}

#[derive(Clone, PartialEq, Eq)]
pub struct Config {
    /// Base URL of the server, without a trailing `/` or `/v1/...`.
    pub base_url: String,
    /// Sent as `x-api-key` when the server has `MONITOR_API_KEY` set.
    pub api_key: Option<String>,
    /// Where undelivered events wait (one file per process).
    pub spool_dir: PathBuf,
    pub flush_timeout: Duration,
    /// One HTTP request's limit; a hung server is treated as unreachable.
    pub request_timeout: Duration,
    pub context: Context,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("spool_dir", &self.spool_dir)
            .field("flush_timeout", &self.flush_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("context", &self.context)
            .finish()
    }
}

/// What the environment says about the work at hand: set by Chief for the
/// scripts it starts (`CHIEF_*`), or by `telltale run` for its command
/// (`TELLTALE_*`), so `telltale send` inside a wrapped script needs no flags.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    /// `TELLTALE_RUN_ID` (set by `telltale run` for its command), else
    /// `CHIEF_RUN_ID`: the run that `telltale send` reports on.
    pub run_id: Option<String>,
    /// `CHIEF_RUN_ID` alone: the run that `telltale run` reports as, under
    /// Chief. A `TELLTALE_RUN_ID` inherited from an outer `telltale run` is
    /// not reused, since a nested `telltale run` is a run of its own.
    pub chief_run_id: Option<String>,
    pub job_name: Option<String>,
    pub worker_id: Option<String>,
    pub script_path: Option<String>,
    /// When Chief meant the run to start (RFC 3339), kept as the producer said it.
    pub scheduled_for: Option<String>,
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads settings through `lookup` (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |k: &str| lookup(k).filter(|v| !v.trim().is_empty());
        let first = |keys: &[&'static str]| {
            keys.iter()
                .find_map(|&k| get(k).map(|v| (k, v)))
                .map(|(k, v)| (k, v.trim().to_owned()))
        };

        let base_url = match first(&["TELLTALE_URL", "CHIEF_MONITOR_ENDPOINT"]) {
            Some((var, url)) => base_url(var, &url)?,
            None => DEFAULT_URL.to_owned(),
        };
        let api_key = first(&["TELLTALE_API_KEY", "CHIEF_MONITOR_API_KEY"]).map(|(_, v)| v);
        let spool_dir = match get("TELLTALE_SPOOL_DIR") {
            Some(dir) => PathBuf::from(dir),
            None => default_spool_dir(&get),
        };
        let flush_timeout = match get("TELLTALE_FLUSH_TIMEOUT") {
            Some(v) => seconds("TELLTALE_FLUSH_TIMEOUT", &v)?,
            None => DEFAULT_FLUSH_TIMEOUT,
        };
        let context = Context {
            run_id: first(&["TELLTALE_RUN_ID", "CHIEF_RUN_ID"]).map(|(_, v)| v),
            chief_run_id: first(&["CHIEF_RUN_ID"]).map(|(_, v)| v),
            job_name: first(&["TELLTALE_JOB_NAME", "CHIEF_JOB_NAME"]).map(|(_, v)| v),
            worker_id: first(&["TELLTALE_WORKER_ID"]).map(|(_, v)| v),
            script_path: first(&["CHIEF_SCRIPT_PATH"]).map(|(_, v)| v),
            scheduled_for: first(&["CHIEF_SCHEDULED_FOR"]).map(|(_, v)| v),
        };
        Ok(Config {
            base_url,
            api_key,
            spool_dir,
            flush_timeout,
            request_timeout: Duration::from_secs(10),
            context,
        })
    }

    pub(crate) fn endpoint(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }
}

/// Accepts the server's base URL or, as Chief's `CHIEF_MONITOR_ENDPOINT` may
/// hold, the full address of its ingest endpoint.
fn base_url(var: &'static str, raw: &str) -> Result<String, ConfigError> {
    let url = reqwest::Url::parse(raw).map_err(|e| {
        ConfigError::new(
            var,
            format!("must be a URL such as {DEFAULT_URL} (got {raw:?}: {e})"),
        )
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ConfigError::new(
            var,
            format!(
                "must be an http:// or https:// URL (got scheme {:?})",
                url.scheme()
            ),
        ));
    }
    let mut base = raw.trim_end_matches('/').to_owned();
    for suffix in ["/v1/events/batch", "/v1/events", "/v1"] {
        if let Some(stripped) = base.strip_suffix(suffix) {
            base = stripped.to_owned();
            break;
        }
    }
    Ok(base)
}

fn seconds(var: &'static str, raw: &str) -> Result<Duration, ConfigError> {
    raw.trim()
        .parse::<f64>()
        .ok()
        // Finite, not negative, and within what a Duration holds (1e30
        // made `from_secs_f64` panic).
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
        .ok_or_else(|| {
            ConfigError::new(
                var,
                format!("must be a number of seconds such as 10 or 0.5 (got {raw:?})"),
            )
        })
}

/// `$XDG_STATE_HOME/telltale/spool`, else `~/.local/state/telltale/spool`,
/// else a per-user directory under the system's temporary directory (cron
/// and systemd units without a home still get a private, stable place).
fn default_spool_dir(get: &impl Fn(&str) -> Option<String>) -> PathBuf {
    if let Some(state) = get("XDG_STATE_HOME") {
        return PathBuf::from(state).join("telltale").join("spool");
    }
    if let Some(home) = get("HOME").filter(|h| h != "/") {
        return PathBuf::from(home)
            .join(".local")
            .join("state")
            .join("telltale")
            .join("spool");
    }
    std::env::temp_dir()
        .join(format!("telltale-{}", user_tag()))
        .join("spool")
}

#[cfg(unix)]
fn user_tag() -> String {
    rustix::process::geteuid().as_raw().to_string()
}

#[cfg(not(unix))]
fn user_tag() -> String {
    std::env::var("USERNAME").unwrap_or_else(|_| "user".into())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_point_at_a_local_server_and_a_private_spool() {
        let c = config(&[("HOME", "/home/render")]).unwrap();
        assert_eq!(c.base_url, DEFAULT_URL);
        assert_eq!(c.api_key, None);
        assert_eq!(
            c.spool_dir,
            PathBuf::from("/home/render/.local/state/telltale/spool")
        );
        assert_eq!(c.flush_timeout, DEFAULT_FLUSH_TIMEOUT);
        assert_eq!(c.context, Context::default());
        let c = config(&[("XDG_STATE_HOME", "/var/lib/w"), ("HOME", "/h")]).unwrap();
        assert_eq!(c.spool_dir, PathBuf::from("/var/lib/w/telltale/spool"));
    }

    #[test]
    fn telltale_variables_win_over_chiefs() {
        let c = config(&[
            ("TELLTALE_URL", "http://monitor:7410/"),
            ("CHIEF_MONITOR_ENDPOINT", "http://other:1"),
            ("CHIEF_MONITOR_API_KEY", "chief-key-0123456789"),
            ("CHIEF_RUN_ID", "run-7"),
            ("TELLTALE_JOB_NAME", "nightly"),
            ("CHIEF_JOB_NAME", "ignored"),
            ("CHIEF_SCRIPT_PATH", "/opt/jobs/nightly.sh"),
            ("CHIEF_SCHEDULED_FOR", "2026-11-25T02:00:00Z"),
            ("TELLTALE_SPOOL_DIR", "/srv/spool"),
            ("TELLTALE_FLUSH_TIMEOUT", "0.5"),
        ])
        .unwrap();
        assert_eq!(c.base_url, "http://monitor:7410");
        assert_eq!(c.api_key.as_deref(), Some("chief-key-0123456789"));
        assert_eq!(c.context.run_id.as_deref(), Some("run-7"));
        assert_eq!(c.context.chief_run_id.as_deref(), Some("run-7"));
        assert_eq!(c.context.job_name.as_deref(), Some("nightly"));
        assert_eq!(
            c.context.script_path.as_deref(),
            Some("/opt/jobs/nightly.sh")
        );
        assert_eq!(
            c.context.scheduled_for.as_deref(),
            Some("2026-11-25T02:00:00Z")
        );
        assert_eq!(c.spool_dir, PathBuf::from("/srv/spool"));
        assert_eq!(c.flush_timeout, Duration::from_millis(500));
    }

    #[test]
    fn https_is_accepted() {
        let c = config(&[("TELLTALE_URL", "https://monitor.example/")]).unwrap();
        assert_eq!(c.base_url, "https://monitor.example");
    }

    #[test]
    fn chiefs_endpoint_may_name_the_ingest_path() {
        for raw in [
            "http://monitor:7410/v1/events",
            "http://monitor:7410/v1/events/batch",
            "http://monitor:7410/v1/",
        ] {
            let c = config(&[("CHIEF_MONITOR_ENDPOINT", raw)]).unwrap();
            assert_eq!(c.base_url, "http://monitor:7410", "{raw}");
        }
    }

    #[test]
    fn bad_values_name_the_variable() {
        let cases = [
            ("TELLTALE_URL", "monitor:7410", "http:// or https:// URL"),
            ("TELLTALE_URL", "not a url", "must be a URL"),
            (
                "CHIEF_MONITOR_ENDPOINT",
                "ftp://x",
                "http:// or https:// URL",
            ),
            ("TELLTALE_FLUSH_TIMEOUT", "soon", "number of seconds"),
            ("TELLTALE_FLUSH_TIMEOUT", "-1", "number of seconds"),
            ("TELLTALE_FLUSH_TIMEOUT", "1e30", "number of seconds"),
            ("TELLTALE_FLUSH_TIMEOUT", "NaN", "number of seconds"),
            ("TELLTALE_FLUSH_TIMEOUT", "inf", "number of seconds"),
        ];
        for (var, value, expected) in cases {
            let err = config(&[(var, value)]).unwrap_err();
            assert_eq!(err.var, var);
            assert!(err.problem.contains(expected), "{var}={value}: {err}");
        }
    }

    #[test]
    fn empty_variables_count_as_unset() {
        let c = config(&[("TELLTALE_URL", " "), ("TELLTALE_API_KEY", "")]).unwrap();
        assert_eq!(c.base_url, DEFAULT_URL);
        assert_eq!(c.api_key, None);
    }

    #[test]
    fn the_api_key_is_not_printed() {
        let c = config(&[("TELLTALE_API_KEY", "secret-secret-secret")]).unwrap();
        assert!(!format!("{c:?}").contains("secret-secret"));
    }
}
