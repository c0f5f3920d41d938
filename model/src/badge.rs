//! Status badges: a job's health as a small image or a shields.io
//! endpoint answer, and whether it may be read without login.

use serde::{Deserialize, Serialize};

use crate::check::JobHealth;

/// What a badge says and in which colour: the state in words (never the
/// colour alone), its shields.io colour name and the hex it stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadgeLook {
    pub message: &'static str,
    pub color: &'static str,
    pub hex: &'static str,
}

impl BadgeLook {
    /// A job's badge by its health: a job whose FAILURE alert is open is
    /// red FAILING, never green, even when it runs on time.
    pub fn of(health: JobHealth) -> BadgeLook {
        let (color, hex) = match health {
            JobHealth::Up => ("brightgreen", "#4c1"),
            JobHealth::Late => ("yellow", "#dfb317"),
            JobHealth::Down | JobHealth::Failing => ("red", "#e05d44"),
            JobHealth::Paused => ("blue", "#007ec6"),
            JobHealth::New => ("lightgrey", "#9f9f9f"),
        };
        BadgeLook {
            message: health.as_str(),
            color,
            hex,
        }
    }

    /// The badge of a job that does not exist.
    pub const UNKNOWN: BadgeLook = BadgeLook {
        message: "unknown",
        color: "lightgrey",
        hex: "#9f9f9f",
    };
}

/// `PUT /v1/jobs/{name}/badge`: whether the job's badge answers without
/// login.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct BadgeVisibility {
    pub public: bool,
}

/// A job's badge: where it is served and whether anyone may read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct BadgeSetting {
    pub job_name: String,
    pub public: bool,
    /// `/badge/{job}.svg`, the name percent-encoded.
    pub svg_path: String,
    /// `/badge/{job}.json`, a shields.io endpoint.
    pub json_path: String,
}

impl BadgeSetting {
    pub fn new(job_name: &str, public: bool) -> BadgeSetting {
        let file = path_segment(job_name);
        BadgeSetting {
            job_name: job_name.to_owned(),
            public,
            svg_path: format!("/badge/{file}.svg"),
            json_path: format!("/badge/{file}.json"),
        }
    }

    /// The Markdown that shows the badge and links to the job's page, for
    /// a server reached at `origin` (`https://telltale.example.com`).
    pub fn markdown(&self, origin: &str) -> String {
        let origin = origin.trim_end_matches('/');
        let alt = self.job_name.replace(['[', ']'], "");
        format!(
            "[![{alt} status]({origin}{})]({origin}/jobs/{})",
            self.svg_path,
            path_segment(&self.job_name)
        )
    }
}

/// Text as one URL path segment: everything but unreserved characters
/// percent-encoded (so `.`, `/` and spaces cannot split it).
pub fn path_segment(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_read_in_words_and_names_are_one_segment() {
        assert_eq!(BadgeLook::of(JobHealth::Down).message, "DOWN");
        assert_eq!(BadgeLook::of(JobHealth::Up).color, "brightgreen");
        let failing = BadgeLook::of(JobHealth::Failing);
        assert_eq!((failing.message, failing.color), ("FAILING", "red"));
        let s = BadgeSetting::new("nightly render/[eu]", true);
        assert_eq!(s.svg_path, "/badge/nightly%20render%2F%5Beu%5D.svg");
        assert_eq!(
            s.markdown("https://tt.example/"),
            "[![nightly render/eu status](https://tt.example/badge/nightly%20render%2F%5Beu%5D.svg)]\
             (https://tt.example/jobs/nightly%20render%2F%5Beu%5D)"
        );
    }
}
