//! Every setting Telltale reads from its environment, parsed and checked in
//! one place. A bad value stops start-up with an error naming the variable;
//! nothing falls back silently. An empty variable counts as unset.

mod auth;
mod database;
mod delivery;
mod email;
mod parse;
pub mod settings;
mod trust;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use telltale_store::DatabaseTarget;

pub use auth::{AdminSeed, AuthConfig, ProxyAuth};
pub use delivery::DeliveryTuning;
pub use email::{EmailConfig, ResendConfig};
pub use parse::ConfigError;
use parse::Vars;
pub use trust::TrustSettings;

pub const DEFAULT_PORT: u16 = 7410;
pub const DEFAULT_DB_PATH: &str = "./monitor.sqlite";
pub const DEFAULT_RESEND_API_BASE: &str = "https://api.resend.com";

#[derive(Debug, Clone)]
pub struct Config {
    pub host: IpAddr,
    /// `0` asks the OS for a free port (tests use this).
    pub port: u16,
    pub database: DatabaseTarget,
    /// The shared ingest + read key of Chief (`MONITOR_API_KEY`).
    pub api_key: Option<String>,
    /// A bearer token that opens `GET /metrics` alone, for Prometheus
    /// (`MONITOR_METRICS_TOKEN`).
    pub metrics_token: Option<String>,
    pub auth: AuthConfig,
    pub email: EmailConfig,
    pub delivery: DeliveryTuning,
    /// Base of links in alerts and the origin that browsers use.
    pub public_url: Option<String>,
    pub retention_days: u32,
    pub evaluator_interval: Duration,
    pub retention_interval: Duration,
    /// How often an instance that does not lead tries to (PostgreSQL only).
    pub leader_retry: Duration,
    /// How this process names itself in `/v1/health`, the logs and
    /// PostgreSQL's `pg_stat_activity`; the host name and port by default.
    pub instance_name: Option<String>,
    pub ingest: IngestLimits,
    /// Requests served at once; more wait (`MONITOR_MAX_CONCURRENT_REQUESTS`).
    pub max_concurrent_requests: usize,
    /// A request not answered within this is answered 503
    /// (`MONITOR_REQUEST_TIMEOUT_SECONDS`, 30).
    pub request_timeout: Duration,
    pub log_format: LogFormat,
    /// One log line per answered request, with its status, time taken and
    /// request id (`MONITOR_ACCESS_LOG`, off).
    pub access_log: bool,
    /// Where the built site (`pkg/`, favicon) is; found next to the binary when unset.
    pub site_root: Option<PathBuf>,
    /// What keeps alerting honest against producers and their clocks.
    pub trust: TrustSettings,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IngestLimits {
    pub max_body_bytes: usize,
    pub max_batch_events: usize,
    /// How much of a ping's body is kept (`MONITOR_PING_BODY_BYTES`, 100 KiB).
    pub ping_body_bytes: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Human,
    Json,
}

impl Config {
    /// Only the database settings, from the process environment: what the
    /// `backup`, `restore` and `migrate-to` commands need (they run without
    /// the server's other settings, such as the admin password).
    pub fn database_from_env() -> Result<DatabaseTarget, ConfigError> {
        database::database(&Vars::new(|name: &str| std::env::var(name).ok()))
    }

    /// Reads the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup` (the environment, or a map in tests).
    /// One group at a time, in a fixed order: when several values are bad,
    /// the error names the first one read.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let vars = Vars::new(lookup);
        let (host, port) = listen(&vars)?;
        let database = database::database(&vars)?;
        let api_key = vars.secret("MONITOR_API_KEY", 16)?;
        let metrics_token = auth::metrics_token(&vars)?;
        let auth = auth::auth_config(&vars, host)?;
        let email = email::email_config(&vars)?;
        let delivery = delivery::delivery_tuning(&vars)?;
        let log_format = log_format(&vars)?;
        Ok(Config {
            host,
            port,
            database,
            api_key,
            metrics_token,
            auth,
            email,
            delivery,
            public_url: vars.http_url("MONITOR_PUBLIC_URL")?,
            retention_days: vars.positive("MONITOR_RETENTION_DAYS")?.unwrap_or(30),
            evaluator_interval: Duration::from_secs(
                vars.positive("MONITOR_EVALUATOR_INTERVAL_SECONDS")?
                    .unwrap_or(15)
                    .into(),
            ),
            retention_interval: Duration::from_secs(
                vars.positive("MONITOR_RETENTION_INTERVAL_SECONDS")?
                    .unwrap_or(3600)
                    .into(),
            ),
            leader_retry: Duration::from_secs(
                vars.positive("MONITOR_LEADER_RETRY_SECONDS")?
                    .unwrap_or(5)
                    .into(),
            ),
            instance_name: vars.string("MONITOR_INSTANCE_NAME"),
            ingest: ingest_limits(&vars)?,
            max_concurrent_requests: vars
                .positive("MONITOR_MAX_CONCURRENT_REQUESTS")?
                .unwrap_or(256) as usize,
            request_timeout: Duration::from_secs(
                vars.positive("MONITOR_REQUEST_TIMEOUT_SECONDS")?
                    .unwrap_or(30)
                    .into(),
            ),
            log_format,
            access_log: vars.bool("MONITOR_ACCESS_LOG")?.unwrap_or(false),
            site_root: vars.string("MONITOR_SITE_ROOT").map(PathBuf::from),
            trust: trust::trust_settings(&vars)?,
        })
    }

    pub fn socket_addr(&self) -> SocketAddr {
        SocketAddr::new(self.host, self.port)
    }

    /// The store, as `config check` names it (no credentials).
    pub fn describe_database(&self) -> String {
        match &self.database {
            DatabaseTarget::Sqlite { path } => format!("SQLite file {}", path.display()),
            DatabaseTarget::Postgres { url } => {
                let place = url.rsplit_once('@').map_or(url.as_str(), |(_, p)| p);
                let place = place.split('?').next().unwrap_or(place);
                format!("PostgreSQL at {place}")
            }
        }
    }

    /// How alert email is sent, as `config check` names it.
    pub fn describe_email(&self) -> String {
        match (&self.email.smtp_url, &self.email.resend) {
            (Some(_), _) => format!(
                "SMTP, from {}",
                self.email.from.as_deref().unwrap_or("(unset)")
            ),
            (None, Some(_)) => "the Resend API".to_owned(),
            (None, None) => "none (webhooks and the dashboard only)".to_owned(),
        }
    }

    /// True when the server listens beyond this machine.
    pub fn exposed(&self) -> bool {
        !self.host.is_loopback()
    }
}

/// `MONITOR_HOST` and `MONITOR_PORT` (or `PORT`). Forge's
/// `FORGE_MONITOR_LAN` moves the default host from loopback to every address.
fn listen<F: Fn(&str) -> Option<String>>(vars: &Vars<F>) -> Result<(IpAddr, u16), ConfigError> {
    let lan = vars.bool("FORGE_MONITOR_LAN")?.unwrap_or(false);
    let host = match vars.ip("MONITOR_HOST")? {
        Some(ip) => ip,
        None if lan => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        None => IpAddr::V4(Ipv4Addr::LOCALHOST),
    };
    let port = match vars.port("MONITOR_PORT")? {
        Some(p) => p,
        None => vars.port("PORT")?.unwrap_or(DEFAULT_PORT),
    };
    Ok((host, port))
}

/// `MONITOR_MAX_BODY_BYTES`, `MONITOR_MAX_BATCH_EVENTS` and
/// `MONITOR_PING_BODY_BYTES`.
fn ingest_limits<F: Fn(&str) -> Option<String>>(
    vars: &Vars<F>,
) -> Result<IngestLimits, ConfigError> {
    let max_body_bytes = vars.positive("MONITOR_MAX_BODY_BYTES")?.unwrap_or(1 << 20) as usize;
    // Unset, it is 100 KiB, or all of a smaller request body limit.
    let ping_body_bytes = vars
        .positive("MONITOR_PING_BODY_BYTES")?
        .map_or((100 * 1024).min(max_body_bytes), |n| n as usize);
    let limits = IngestLimits {
        max_body_bytes,
        max_batch_events: vars.positive("MONITOR_MAX_BATCH_EVENTS")?.unwrap_or(1000) as usize,
        ping_body_bytes,
    };
    // A ping's body arrives under the same request body limit as ingest.
    if limits.ping_body_bytes > limits.max_body_bytes {
        return Err(ConfigError::new(
            "MONITOR_PING_BODY_BYTES",
            format!(
                "must not exceed MONITOR_MAX_BODY_BYTES ({} bytes), under which every body arrives",
                limits.max_body_bytes
            ),
        ));
    }
    Ok(limits)
}

/// `MONITOR_LOG_FORMAT`: human (the default) or json.
fn log_format<F: Fn(&str) -> Option<String>>(vars: &Vars<F>) -> Result<LogFormat, ConfigError> {
    match vars.string("MONITOR_LOG_FORMAT").as_deref() {
        None | Some("human") => Ok(LogFormat::Human),
        Some("json") => Ok(LogFormat::Json),
        Some(other) => Err(ConfigError::new(
            "MONITOR_LOG_FORMAT",
            format!("must be human or json (got {other:?})"),
        )),
    }
}

#[cfg(test)]
mod tests;
