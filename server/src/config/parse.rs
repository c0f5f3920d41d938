//! Typed readers for environment variables, each error naming its variable.

use std::net::IpAddr;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{var}: {problem}")]
pub struct ConfigError {
    pub var: &'static str,
    pub problem: String,
}

impl ConfigError {
    pub fn new(var: &'static str, problem: impl Into<String>) -> Self {
        Self {
            var,
            problem: problem.into(),
        }
    }
}

pub struct Vars<F> {
    lookup: F,
}

impl<F: Fn(&str) -> Option<String>> Vars<F> {
    pub fn new(lookup: F) -> Self {
        Self { lookup }
    }

    /// The value, trimmed; `None` when unset or blank.
    pub fn string(&self, var: &str) -> Option<String> {
        (self.lookup)(var)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    pub fn required_when(&self, var: &'static str, condition: &str) -> Result<String, ConfigError> {
        self.string(var)
            .ok_or_else(|| ConfigError::new(var, format!("is required when {condition}")))
    }

    pub fn bool(&self, var: &'static str) -> Result<Option<bool>, ConfigError> {
        let Some(v) = self.string(var) else {
            return Ok(None);
        };
        match v.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Ok(Some(true)),
            "false" | "0" | "no" | "off" => Ok(Some(false)),
            _ => Err(ConfigError::new(
                var,
                format!("must be true or false (got {v:?})"),
            )),
        }
    }

    pub fn ip(&self, var: &'static str) -> Result<Option<IpAddr>, ConfigError> {
        let Some(v) = self.string(var) else {
            return Ok(None);
        };
        if v.eq_ignore_ascii_case("localhost") {
            return Ok(Some(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)));
        }
        v.parse().map(Some).map_err(|_| {
            ConfigError::new(
                var,
                format!("must be an IP address such as 127.0.0.1 or 0.0.0.0 (got {v:?})"),
            )
        })
    }

    pub fn port(&self, var: &'static str) -> Result<Option<u16>, ConfigError> {
        let Some(v) = self.string(var) else {
            return Ok(None);
        };
        v.parse().map(Some).map_err(|_| {
            ConfigError::new(
                var,
                format!("must be a port number from 0 to 65535 (got {v:?})"),
            )
        })
    }

    /// A whole number greater than zero.
    pub fn positive(&self, var: &'static str) -> Result<Option<u32>, ConfigError> {
        let Some(v) = self.string(var) else {
            return Ok(None);
        };
        match v.parse::<u32>() {
            Ok(n) if n > 0 => Ok(Some(n)),
            _ => Err(ConfigError::new(
                var,
                format!("must be a whole number greater than 0 (got {v:?})"),
            )),
        }
    }

    /// A secret of at least `min_len` characters. Never echoed in errors.
    pub fn secret(&self, var: &'static str, min_len: usize) -> Result<Option<String>, ConfigError> {
        let Some(v) = self.string(var) else {
            return Ok(None);
        };
        if v.chars().count() < min_len {
            return Err(ConfigError::new(
                var,
                format!("must be at least {min_len} characters"),
            ));
        }
        Ok(Some(v))
    }

    pub fn http_url(&self, var: &'static str) -> Result<Option<String>, ConfigError> {
        self.url_with_schemes(var, &["http", "https"])
    }

    pub fn url_with_schemes(
        &self,
        var: &'static str,
        schemes: &[&str],
    ) -> Result<Option<String>, ConfigError> {
        let Some(v) = self.string(var) else {
            return Ok(None);
        };
        check_url(var, &v, schemes)?;
        Ok(Some(v.trim_end_matches('/').to_owned()))
    }

    /// Comma-separated IP addresses or CIDR networks (`10.0.0.0/8`).
    pub fn networks(&self, var: &'static str) -> Result<Vec<ipnet::IpNet>, ConfigError> {
        self.list(var, |s| {
            s.parse::<ipnet::IpNet>()
                .or_else(|_| s.parse::<IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| {
                    ConfigError::new(
                        var,
                        format!("must list IP addresses or networks like 10.0.0.0/8 (got {s:?})"),
                    )
                })
        })
    }

    /// Comma-separated http(s) URLs.
    pub fn http_url_list(&self, var: &'static str) -> Result<Vec<String>, ConfigError> {
        self.list(var, |s| {
            check_url(var, s, &["http", "https"])?;
            Ok(s.trim_end_matches('/').to_owned())
        })
    }

    /// A comma-separated list, each non-blank item read by `item`.
    fn list<T>(
        &self,
        var: &str,
        item: impl Fn(&str) -> Result<T, ConfigError>,
    ) -> Result<Vec<T>, ConfigError> {
        let Some(v) = self.string(var) else {
            return Ok(Vec::new());
        };
        v.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(item)
            .collect()
    }
}

fn check_url(var: &'static str, value: &str, schemes: &[&str]) -> Result<(), ConfigError> {
    let wanted = schemes
        .iter()
        .map(|s| format!("{s}://"))
        .collect::<Vec<_>>()
        .join(" or ");
    let parsed = url::Url::parse(value)
        .map_err(|e| ConfigError::new(var, format!("is not a URL ({e}); expected {wanted}…")))?;
    if !schemes.contains(&parsed.scheme()) {
        return Err(ConfigError::new(
            var,
            format!("must start with {wanted} (got {}://)", parsed.scheme()),
        ));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(ConfigError::new(var, "has no host"));
    }
    Ok(())
}

pub use telltale_model::looks_like_email;
