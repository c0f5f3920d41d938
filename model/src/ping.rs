//! Ping URLs in the manner of healthchecks.io: what a job's URLs are, and
//! the ready-to-paste lines the job page shows for them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A job's ping UUID: the secret of its `/ping/<uuid>` URLs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct JobPing {
    pub job_name: String,
    /// Lower-case, hyphenated.
    pub uuid: String,
    /// When this UUID was made (a regenerated one is newer).
    pub created_at: DateTime<Utc>,
}

/// One way to report to a ping URL, as shown on the job page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snippet {
    /// Stable, for tests and the page's `data-snippet`.
    pub id: String,
    pub title: String,
    pub text: String,
}

/// What a snippet runs where the user's own command goes.
pub const COMMAND_PLACEHOLDER: &str = "/path/to/command.sh";

/// curl as healthchecks recommends it: quiet unless it fails, a time limit,
/// retries, no output.
const CURL: &str = "curl -fsS -m 10 --retry 5 -o /dev/null";

impl JobPing {
    /// `<origin>/ping/<uuid>`.
    pub fn url(&self, origin: &str) -> String {
        format!("{}/ping/{}", origin.trim_end_matches('/'), self.uuid)
    }

    /// The lines the job page offers: `cron` is the job's own five-field
    /// schedule when it has one.
    pub fn snippets(&self, origin: &str, cron: Option<&str>) -> Vec<Snippet> {
        let url = self.url(origin);
        let cron = cron
            .filter(|c| c.split_whitespace().count() == 5)
            .unwrap_or("0 2 * * *");
        let cmd = COMMAND_PLACEHOLDER;
        vec![
            Snippet {
                id: "crontab".into(),
                title: "crontab: ping when the command succeeds".into(),
                text: format!("{cron} {cmd} && {CURL} {url}"),
            },
            Snippet {
                id: "crontab-exit-status".into(),
                title: "crontab: start, then the exit status (measures duration, reports failures)"
                    .into(),
                text: format!("{cron} {CURL} {url}/start; {cmd}; {CURL} {url}/$?"),
            },
            Snippet {
                id: "crontab-output".into(),
                title: "crontab: send the command's output with its exit status".into(),
                text: format!("{cron} m=$({cmd} 2>&1); {CURL} --data-raw \"$m\" {url}/$?"),
            },
            Snippet {
                id: "telltale-run".into(),
                title: "crontab with telltale run: start, exit code and the tail of stderr, \
                        spooled when the server is away (an ingest key when login is on)"
                    .into(),
                text: format!(
                    "{cron} TELLTALE_URL={origin} TELLTALE_API_KEY=YOUR_INGEST_KEY telltale run --job {job} -- {cmd}",
                    origin = origin.trim_end_matches('/'),
                    job = shell_quote(&self.job_name),
                ),
            },
            Snippet {
                id: "python".into(),
                title: "Python".into(),
                text: format!(
                    "import urllib.request\n\nurllib.request.urlopen(\"{url}\", timeout=10)"
                ),
            },
        ]
    }
}

/// `s` as one POSIX shell word: left bare when it is plainly safe, else
/// in single quotes (a quote inside written `'\''`).
fn shell_quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.:@+=/".contains(c));
    if plain {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_name_the_url_and_fall_back_to_a_daily_schedule() {
        let ping = JobPing {
            job_name: "backup".into(),
            uuid: "5bf66975-d4c7-4bf5-bcc8-b8d8a82ea278".into(),
            created_at: Utc::now(),
        };
        let shown = ping.snippets("https://tt.example/", Some("*/5 * * * *"));
        assert_eq!(
            shown[0].text,
            "*/5 * * * * /path/to/command.sh && curl -fsS -m 10 --retry 5 -o /dev/null \
             https://tt.example/ping/5bf66975-d4c7-4bf5-bcc8-b8d8a82ea278"
        );
        assert_eq!(
            shown[3].text,
            "*/5 * * * * TELLTALE_URL=https://tt.example TELLTALE_API_KEY=YOUR_INGEST_KEY \
             telltale run --job backup -- /path/to/command.sh"
        );
        assert_eq!(shell_quote("it's a job"), r"'it'\''s a job'");
        let daily = ping.snippets("http://h", Some("every 15m"));
        assert!(
            daily[1].text.starts_with("0 2 * * * curl"),
            "{}",
            daily[1].text
        );
        assert!(daily[1].text.ends_with("/$?"));
    }
}
