//! Who may sign in and how: the first admin, sessions, trusted proxies and
//! sign-in by a proxy's header, and the metrics token.

use std::net::IpAddr;
use std::time::Duration;

use super::parse::{self, ConfigError, Vars};

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

/// The `MONITOR_AUTH_*` and session settings. `host` is where the server
/// listens: auth off beyond this machine needs a second, explicit yes.
pub(super) fn auth_config<F: Fn(&str) -> Option<String>>(
    vars: &Vars<F>,
    host: IpAddr,
) -> Result<AuthConfig, ConfigError> {
    let enabled = vars.bool("MONITOR_AUTH_ENABLED")?.unwrap_or(true);
    let admin = if enabled {
        Some(admin_seed(vars)?)
    } else {
        None
    };
    // Spec §7: auth off is for local single-user use. Beyond loopback it
    // needs a second, explicit yes.
    if !enabled && !host.is_loopback() && !vars.bool("MONITOR_ALLOW_INSECURE")?.unwrap_or(false) {
        return Err(ConfigError::new(
            "MONITOR_AUTH_ENABLED",
            format!(
                "false is refused while listening on {host} (beyond this machine): \
                 anyone on the network could read and change everything; keep auth on, \
                 bind MONITOR_HOST=127.0.0.1, or set MONITOR_ALLOW_INSECURE=true"
            ),
        ));
    }
    Ok(AuthConfig {
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
        proxy_auth: proxy_auth(vars)?,
    })
}

/// The first admin, required while auth is on: an email address and a
/// password of at least 12 characters.
fn admin_seed<F: Fn(&str) -> Option<String>>(vars: &Vars<F>) -> Result<AdminSeed, ConfigError> {
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
    Ok(AdminSeed { email, password })
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
pub(super) fn metrics_token<F: Fn(&str) -> Option<String>>(
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
