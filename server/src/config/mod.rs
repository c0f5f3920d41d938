//! Every setting Telltale reads from its environment, parsed and checked in
//! one place. A bad value stops start-up with an error naming the variable;
//! nothing falls back silently. An empty variable counts as unset.

mod parse;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use telltale_store::DatabaseTarget;

pub use parse::ConfigError;
use parse::Vars;

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
    /// Where the built site (`pkg/`, favicon) is; found next to the binary when unset.
    pub site_root: Option<PathBuf>,
    /// What keeps alerting honest against producers and their clocks.
    pub trust: TrustSettings,
}

/// Bounds that stop one producer, clock or receiver from silencing alerts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustSettings {
    /// An `eventAt` further than this ahead of receipt is shown as sent but
    /// judged at its receipt time (`MONITOR_CLOCK_SKEW_SECONDS`, 300).
    pub clock_skew: Duration,
    /// How long MISSED alerts are held while a scheduler that was online is
    /// silent (`MONITOR_SCHEDULER_HOLD_SECONDS`, 900).
    pub scheduler_hold: Duration,
    /// Fetched after evaluator ticks, at most once a minute: a dead man's
    /// switch for Telltale itself (`MONITOR_HEARTBEAT_URL`).
    pub heartbeat_url: Option<String>,
    /// The ingest key sent with the heartbeat when it goes to another
    /// Telltale's `/v1/events` (`MONITOR_HEARTBEAT_API_KEY`).
    pub heartbeat_api_key: Option<String>,
    /// Whether webhooks may target private and loopback addresses
    /// (`MONITOR_WEBHOOK_ALLOW_PRIVATE`, false). Link-local and cloud
    /// metadata addresses are refused either way.
    pub webhook_allow_private: bool,
    /// Logins hashing at once; more wait in a queue of
    /// `login_queue` (`MONITOR_LOGIN_CONCURRENCY`, 1; `MONITOR_LOGIN_QUEUE`, 32).
    pub login_concurrency: usize,
    pub login_queue: usize,
}

impl Default for TrustSettings {
    fn default() -> Self {
        Self {
            clock_skew: Duration::from_secs(300),
            scheduler_hold: Duration::from_secs(900),
            heartbeat_url: None,
            heartbeat_api_key: None,
            webhook_allow_private: false,
            login_concurrency: 1,
            login_queue: 32,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthConfig {
    pub enabled: bool,
    pub secret: Option<String>,
    pub base_url: Option<String>,
    pub trusted_origins: Vec<String>,
    /// Present whenever `enabled` is true.
    pub admin: Option<AdminSeed>,
    /// A session unused this long ends (`MONITOR_SESSION_IDLE_MINUTES`).
    pub session_idle: Duration,
    /// A session ends this long after login, used or not
    /// (`MONITOR_SESSION_MAX_HOURS`).
    pub session_max: Duration,
    /// Reverse proxies whose `X-Forwarded-For` / `X-Forwarded-Proto` are
    /// believed (`MONITOR_TRUSTED_PROXIES`); from anyone else they are ignored.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Sign-in by a header that an authenticating reverse proxy sets.
    pub proxy_auth: Option<ProxyAuth>,
}

/// `MONITOR_AUTH_PROXY_HEADER` / `MONITOR_AUTH_PROXY_TRUSTED`: the header
/// names the user (an email), honoured only from these addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyAuth {
    /// Lower-cased header name.
    pub header: String,
    pub trusted: Vec<ipnet::IpNet>,
}

#[derive(Clone, PartialEq, Eq)]
pub struct AdminSeed {
    pub email: String,
    pub password: String,
}

impl std::fmt::Debug for AdminSeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminSeed")
            .field("email", &self.email)
            .field("password", &"<redacted>")
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EmailConfig {
    /// `smtp://` or `smtps://` URL (`MONITOR_SMTP_URL`).
    pub smtp_url: Option<String>,
    /// The sender of alert email (`MONITOR_EMAIL_FROM`, else Resend's).
    pub from: Option<String>,
    /// Chief's HTTP email API, when both key and sender are set.
    pub resend: Option<ResendConfig>,
}

/// How alert deliveries are retried (`MONITOR_DELIVERY_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryTuning {
    /// Attempts per delivery, the first included.
    pub max_attempts: u32,
    /// The wait before the first retry; it doubles each time (with jitter),
    /// up to an hour.
    pub backoff: Duration,
    /// Per webhook request or SMTP command.
    pub timeout: Duration,
    /// Sends in flight at once.
    pub concurrency: usize,
}

impl Default for DeliveryTuning {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            backoff: Duration::from_secs(30),
            timeout: Duration::from_secs(10),
            concurrency: 8,
        }
    }
}

impl Config {
    /// The delivery sender's settings: transport (SMTP first, then
    /// Resend), retries and the public address for links.
    pub fn delivery_config(&self) -> telltale_delivery::DeliveryConfig {
        let email = match (&self.email.smtp_url, &self.email.from, &self.email.resend) {
            (Some(url), Some(from), _) => Some(telltale_delivery::EmailConfig::Smtp {
                url: url.clone(),
                from: from.clone(),
            }),
            (_, _, Some(r)) => Some(telltale_delivery::EmailConfig::Resend {
                api_key: r.api_key.clone(),
                from: r.from_email.clone(),
                base: r.api_base.clone(),
            }),
            _ => None,
        };
        telltale_delivery::DeliveryConfig {
            public_url: self.public_url.clone(),
            email,
            max_attempts: self.delivery.max_attempts,
            backoff_base: self.delivery.backoff,
            timeout: self.delivery.timeout,
            concurrency: self.delivery.concurrency,
            webhook_allow_private: self.trust.webhook_allow_private,
            ..Default::default()
        }
    }
}

#[derive(Clone, PartialEq, Eq)]
pub struct ResendConfig {
    pub api_key: String,
    pub from_email: String,
    pub api_base: String,
}

impl std::fmt::Debug for ResendConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResendConfig")
            .field("api_key", &"<redacted>")
            .field("from_email", &self.from_email)
            .field("api_base", &self.api_base)
            .finish()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IngestLimits {
    pub max_body_bytes: usize,
    pub max_batch_events: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Human,
    Json,
}

fn proxy_auth<F: Fn(&str) -> Option<String>>(
    vars: &Vars<F>,
) -> Result<Option<ProxyAuth>, ConfigError> {
    let Some(header) = vars.string("MONITOR_AUTH_PROXY_HEADER") else {
        return Ok(None);
    };
    if axum::http::HeaderName::from_bytes(header.as_bytes()).is_err() {
        return Err(ConfigError::new(
            "MONITOR_AUTH_PROXY_HEADER",
            format!("{header:?} is not a header name"),
        ));
    }
    let trusted = vars.networks("MONITOR_AUTH_PROXY_TRUSTED")?;
    if trusted.is_empty() {
        return Err(ConfigError::new(
            "MONITOR_AUTH_PROXY_TRUSTED",
            "is required when MONITOR_AUTH_PROXY_HEADER is set: the addresses of the \
             proxy that sets it (anyone else could send the header too)",
        ));
    }
    Ok(Some(ProxyAuth {
        header: header.to_ascii_lowercase(),
        trusted,
    }))
}

/// `MONITOR_METRICS_TOKEN`: at least 16 characters, and only those a
/// header can carry as `Authorization: Bearer <token>` (visible ASCII, no
/// spaces), or Prometheus could never send it.
fn metrics_token<F: Fn(&str) -> Option<String>>(
    vars: &Vars<F>,
) -> Result<Option<String>, ConfigError> {
    const VAR: &str = "MONITOR_METRICS_TOKEN";
    let token = vars.secret(VAR, 16)?;
    if let Some(t) = &token
        && !t.bytes().all(|b| b.is_ascii_graphic())
    {
        return Err(ConfigError::new(
            VAR,
            "must be visible ASCII characters without spaces (it is sent as \
             `Authorization: Bearer <token>`)",
        ));
    }
    Ok(token)
}

/// `MONITOR_DATABASE_URL`, else SQLite at `MONITOR_DB_PATH`.
fn database<F: Fn(&str) -> Option<String>>(vars: &Vars<F>) -> Result<DatabaseTarget, ConfigError> {
    Ok(match vars.string("MONITOR_DATABASE_URL") {
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            DatabaseTarget::Postgres { url }
        }
        Some(url) => match url.strip_prefix("sqlite://") {
            // sqlx-style options (`?mode=rwc`) would silently become part of
            // the file's name: the file is created, WAL mode is ours.
            Some(path) if path.contains('?') => {
                return Err(ConfigError::new(
                    "MONITOR_DATABASE_URL",
                    "sqlite://PATH takes a file path only, no ?options \
                     (the file is created if missing)",
                ));
            }
            Some(path) if !path.is_empty() => DatabaseTarget::Sqlite { path: path.into() },
            _ => {
                return Err(ConfigError::new(
                    "MONITOR_DATABASE_URL",
                    "must be a postgres:// (or postgresql://) URL, or sqlite://PATH; \
                     leave it unset to use SQLite at MONITOR_DB_PATH",
                ));
            }
        },
        None => DatabaseTarget::Sqlite {
            path: vars
                .string("MONITOR_DB_PATH")
                .unwrap_or_else(|| DEFAULT_DB_PATH.to_owned())
                .into(),
        },
    })
}

impl Config {
    /// Only the database settings, from the process environment: what the
    /// `backup`, `restore` and `migrate-to` commands need (they run without
    /// the server's other settings, such as the admin password).
    pub fn database_from_env() -> Result<DatabaseTarget, ConfigError> {
        database(&Vars::new(|name: &str| std::env::var(name).ok()))
    }

    /// Reads the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup` (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let vars = Vars::new(lookup);

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

        let database = database(&vars)?;

        let api_key = vars.secret("MONITOR_API_KEY", 16)?;
        let metrics_token = metrics_token(&vars)?;

        let enabled = vars.bool("MONITOR_AUTH_ENABLED")?.unwrap_or(true);
        let admin = if enabled {
            let email = vars.required_when(
                "MONITOR_AUTH_ADMIN_EMAIL",
                "MONITOR_AUTH_ENABLED is true (set MONITOR_AUTH_ENABLED=false for local single-user use)",
            )?;
            if !parse::looks_like_email(&email) {
                return Err(ConfigError::new(
                    "MONITOR_AUTH_ADMIN_EMAIL",
                    format!("{email:?} is not an email address"),
                ));
            }
            let password = vars.required_when(
                "MONITOR_AUTH_ADMIN_PASSWORD",
                "MONITOR_AUTH_ENABLED is true",
            )?;
            if password.chars().count() < 12 {
                return Err(ConfigError::new(
                    "MONITOR_AUTH_ADMIN_PASSWORD",
                    "must be at least 12 characters",
                ));
            }
            Some(AdminSeed { email, password })
        } else {
            None
        };
        // Spec §7: auth off is for local single-user use. Beyond loopback it
        // needs a second, explicit yes.
        if !enabled && !host.is_loopback() && !vars.bool("MONITOR_ALLOW_INSECURE")?.unwrap_or(false)
        {
            return Err(ConfigError::new(
                "MONITOR_AUTH_ENABLED",
                format!(
                    "false is refused while listening on {host} (beyond this machine): \
                     anyone on the network could read and change everything; keep auth on, \
                     bind MONITOR_HOST=127.0.0.1, or set MONITOR_ALLOW_INSECURE=true"
                ),
            ));
        }
        let auth = AuthConfig {
            enabled,
            secret: vars.secret("MONITOR_AUTH_SECRET", 32)?,
            base_url: vars.http_url("MONITOR_AUTH_BASE_URL")?,
            trusted_origins: vars.http_url_list("MONITOR_AUTH_TRUSTED_ORIGINS")?,
            admin,
            session_idle: Duration::from_secs(
                u64::from(vars.positive("MONITOR_SESSION_IDLE_MINUTES")?.unwrap_or(30)) * 60,
            ),
            session_max: Duration::from_secs(
                u64::from(vars.positive("MONITOR_SESSION_MAX_HOURS")?.unwrap_or(12)) * 3600,
            ),
            trusted_proxies: vars.networks("MONITOR_TRUSTED_PROXIES")?,
            proxy_auth: proxy_auth(&vars)?,
        };

        let resend_key = vars.string("MONITOR_RESEND_API_KEY");
        let resend_from = vars.string("MONITOR_RESEND_FROM_EMAIL");
        let resend_base = vars
            .http_url("MONITOR_RESEND_API_BASE")?
            .unwrap_or_else(|| DEFAULT_RESEND_API_BASE.to_owned());
        let resend = match (resend_key, resend_from) {
            (Some(api_key), Some(from_email)) => {
                if !parse::looks_like_email(&from_email) {
                    return Err(ConfigError::new(
                        "MONITOR_RESEND_FROM_EMAIL",
                        format!("{from_email:?} is not an email address"),
                    ));
                }
                Some(ResendConfig {
                    api_key,
                    from_email,
                    api_base: resend_base,
                })
            }
            (Some(_), None) => {
                return Err(ConfigError::new(
                    "MONITOR_RESEND_FROM_EMAIL",
                    "is required when MONITOR_RESEND_API_KEY is set",
                ));
            }
            (None, Some(_)) => {
                return Err(ConfigError::new(
                    "MONITOR_RESEND_API_KEY",
                    "is required when MONITOR_RESEND_FROM_EMAIL is set",
                ));
            }
            (None, None) => None,
        };
        let smtp_url = vars.url_with_schemes("MONITOR_SMTP_URL", &["smtp", "smtps"])?;
        // SMTP needs a sender; Resend's sender serves when it is set.
        let from = vars
            .string("MONITOR_EMAIL_FROM")
            .or_else(|| resend.as_ref().map(|r| r.from_email.clone()));
        let from = match (&smtp_url, from) {
            (Some(_), None) => {
                return Err(ConfigError::new(
                    "MONITOR_EMAIL_FROM",
                    "is required when MONITOR_SMTP_URL is set (the sender address, \
                     e.g. Telltale <telltale@example.com>)",
                ));
            }
            (_, Some(from)) => {
                let address = from
                    .rsplit_once('<')
                    .map_or(from.as_str(), |(_, a)| a.trim_end_matches('>'));
                if !parse::looks_like_email(address.trim()) {
                    return Err(ConfigError::new(
                        "MONITOR_EMAIL_FROM",
                        format!("{from:?} is not an email address"),
                    ));
                }
                Some(from)
            }
            (None, None) => None,
        };
        let email = EmailConfig {
            smtp_url,
            from,
            resend,
        };
        let defaults = DeliveryTuning::default();
        let delivery = DeliveryTuning {
            max_attempts: vars
                .positive("MONITOR_DELIVERY_MAX_ATTEMPTS")?
                .unwrap_or(defaults.max_attempts),
            backoff: vars
                .positive("MONITOR_DELIVERY_BACKOFF_SECONDS")?
                .map_or(defaults.backoff, |s| Duration::from_secs(s.into())),
            timeout: vars
                .positive("MONITOR_DELIVERY_TIMEOUT_SECONDS")?
                .map_or(defaults.timeout, |s| Duration::from_secs(s.into())),
            concurrency: vars
                .positive("MONITOR_DELIVERY_CONCURRENCY")?
                .map_or(defaults.concurrency, |n| n as usize),
        };

        let log_format = match vars.string("MONITOR_LOG_FORMAT").as_deref() {
            None | Some("human") => LogFormat::Human,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(ConfigError::new(
                    "MONITOR_LOG_FORMAT",
                    format!("must be human or json (got {other:?})"),
                ));
            }
        };

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
            ingest: IngestLimits {
                max_body_bytes: vars.positive("MONITOR_MAX_BODY_BYTES")?.unwrap_or(1 << 20)
                    as usize,
                max_batch_events: vars.positive("MONITOR_MAX_BATCH_EVENTS")?.unwrap_or(1000)
                    as usize,
            },
            max_concurrent_requests: vars
                .positive("MONITOR_MAX_CONCURRENT_REQUESTS")?
                .unwrap_or(256) as usize,
            request_timeout: Duration::from_secs(
                vars.positive("MONITOR_REQUEST_TIMEOUT_SECONDS")?
                    .unwrap_or(30)
                    .into(),
            ),
            log_format,
            site_root: vars.string("MONITOR_SITE_ROOT").map(PathBuf::from),
            trust: trust_settings(&vars)?,
        })
    }

    pub fn socket_addr(&self) -> SocketAddr {
        SocketAddr::new(self.host, self.port)
    }

    /// True when the server listens beyond this machine.
    pub fn exposed(&self) -> bool {
        !self.host.is_loopback()
    }
}

fn trust_settings<F: Fn(&str) -> Option<String>>(
    vars: &Vars<F>,
) -> Result<TrustSettings, ConfigError> {
    let d = TrustSettings::default();
    let secs = |s: u32| Duration::from_secs(s.into());
    Ok(TrustSettings {
        clock_skew: vars
            .positive("MONITOR_CLOCK_SKEW_SECONDS")?
            .map_or(d.clock_skew, secs),
        scheduler_hold: vars
            .positive("MONITOR_SCHEDULER_HOLD_SECONDS")?
            .map_or(d.scheduler_hold, secs),
        heartbeat_url: vars.http_url("MONITOR_HEARTBEAT_URL")?,
        heartbeat_api_key: vars.string("MONITOR_HEARTBEAT_API_KEY"),
        webhook_allow_private: vars
            .bool("MONITOR_WEBHOOK_ALLOW_PRIVATE")?
            .unwrap_or(d.webhook_allow_private),
        login_concurrency: vars
            .positive("MONITOR_LOGIN_CONCURRENCY")?
            .map_or(d.login_concurrency, |n| n as usize),
        login_queue: vars
            .positive("MONITOR_LOGIN_QUEUE")?
            .map_or(d.login_queue, |n| n as usize),
    })
}

#[cfg(test)]
mod tests;
