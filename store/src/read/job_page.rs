//! The jobs page: one page of jobs in failures-first order, after a
//! cursor, with counts over every job the filter matches. The database
//! orders and counts; only the page's hundred names, and a handful of
//! counts, come back. Reading 10,000 rows' places to order them here was
//! most of the page's time, spent on the driver's per-row cost.

use std::collections::HashSet;

use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};
use telltale_model::{CheckState, JobCursor, JobOverview, JobOverviewPage};
use tokio::try_join;

use crate::read::runs::contains_pattern;
use crate::{Store, StoreError};

/// The page's filter as SQL: `WHERE` text and its values, placeholders
/// numbered for the backend.
#[derive(Clone)]
struct Filter {
    backend: DbBackend,
    sql: Vec<String>,
    values: Vec<Value>,
}

impl Filter {
    fn new(backend: DbBackend) -> Filter {
        Filter {
            backend,
            sql: Vec::new(),
            values: Vec::new(),
        }
    }

    fn placeholder(&mut self, v: Value) -> String {
        self.values.push(v);
        match self.backend {
            DbBackend::Postgres => format!("${}", self.values.len()),
            _ => "?".to_owned(),
        }
    }

    fn add(&mut self, clause: String) {
        self.sql.push(clause);
    }

    fn where_clause(&self) -> String {
        match self.sql.is_empty() {
            true => String::new(),
            false => format!("WHERE {}", self.sql.join(" AND ")),
        }
    }

    fn statement(&self, sql: String) -> Statement {
        Statement::from_sql_and_values(self.backend, sql, self.values.clone())
    }
}

/// An open FAILURE alert (`AlertStatus::Open`, `AlertType::Failure` as
/// stored), as `open_failure_jobs` selects them.
const OPEN_FAILURE: &str = "status = 'OPEN' AND alert_type = 'FAILURE'";

/// The three keys of failures-first order, as [`JobCursor`] orders them:
/// DOWN, LATE, the rest; more failures in a row first (a negative count
/// is none); then the name, byte by byte as Rust compares it (PostgreSQL
/// would otherwise use the database's locale).
fn order_keys(backend: DbBackend) -> [&'static str; 3] {
    let rank = "CASE check_state WHEN 'DOWN' THEN 0 WHEN 'LATE' THEN 1 ELSE 2 END";
    match backend {
        DbBackend::Postgres => [
            rank,
            "-GREATEST(consecutive_failures, 0)",
            "name COLLATE \"C\"",
        ],
        _ => [rank, "-MAX(consecutive_failures, 0)", "name"],
    }
}

impl Store {
    /// One page of the jobs in `state` (any when `None`) whose name contains
    /// `text` (case-insensitive), the jobs after `after` (a [`JobCursor`];
    /// from the first when `None` or unreadable), each with its latest runs,
    /// and counts over all matching jobs.
    pub async fn job_overviews(
        &self,
        state: Option<CheckState>,
        text: Option<&str>,
        after: Option<&str>,
    ) -> Result<JobOverviewPage, StoreError> {
        let backend = self.backend();
        let mut filter = Filter::new(backend);
        if let Some(state) = state {
            let p = filter.placeholder(state.as_str().into());
            filter.add(format!("check_state = {p}"));
        }
        if let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) {
            let p = filter.placeholder(contains_pattern(text).into());
            filter.add(format!("LOWER(name) LIKE {p} ESCAPE '\\'"));
        }
        let (counts, failing, names) = try_join!(
            self.job_counts(&filter),
            self.failing_count(&filter),
            self.page_names(&filter, after.and_then(JobCursor::parse)),
        )?;
        let total: u64 = counts.iter().map(|(_, n)| n).sum();
        let count = |s: CheckState| {
            counts
                .iter()
                .filter(|(state, _)| *state == s)
                .map(|(_, n)| n)
                .sum::<u64>()
        };
        let (down, late) = (count(CheckState::Down), count(CheckState::Late));
        let next_cursor = (names.len() > JobOverviewPage::LIMIT)
            .then(|| names[JobOverviewPage::LIMIT - 1].1.to_string());
        let names: Vec<String> = names
            .into_iter()
            .take(JobOverviewPage::LIMIT)
            .map(|(name, _)| name)
            .collect();
        let failing_here = self.failing_among(&names).await?;
        // A job deleted since its name was read has no row and no runs.
        let (page, mut recent) = try_join!(
            self.job_rows_in_order(&names, &failing_here),
            self.recent_runs_by_job(&names, JobOverview::RECENT_RUNS),
        )?;
        Ok(JobOverviewPage {
            jobs: page
                .into_iter()
                .map(|status| JobOverview {
                    recent_runs: recent.remove(&status.job.name).unwrap_or_default(),
                    status,
                })
                .collect(),
            total,
            failing,
            down,
            late,
            next_cursor,
        })
    }

    /// Matching jobs by check state.
    async fn job_counts(&self, filter: &Filter) -> Result<Vec<(CheckState, u64)>, StoreError> {
        let sql = format!(
            "SELECT check_state, COUNT(*) AS n FROM jobs {} GROUP BY check_state",
            filter.where_clause()
        );
        let rows = self.db.query_all_raw(filter.statement(sql)).await?;
        let mut out = Vec::new();
        for row in rows {
            let state: String = row.try_get("", "check_state")?;
            let n: i64 = row.try_get("", "n")?;
            let state = CheckState::parse(&state).unwrap_or(CheckState::New);
            out.push((state, u64::try_from(n).unwrap_or(0)));
        }
        Ok(out)
    }

    /// Matching jobs with an open FAILURE alert.
    async fn failing_count(&self, filter: &Filter) -> Result<u64, StoreError> {
        let mut sql = filter.sql.clone();
        sql.push(format!(
            "name IN (SELECT job_name FROM alerts WHERE {})",
            OPEN_FAILURE
        ));
        let sql = format!("SELECT COUNT(*) AS n FROM jobs WHERE {}", sql.join(" AND "));
        let row = self.db.query_one_raw(filter.statement(sql)).await?;
        let n: i64 = match row {
            Some(row) => row.try_get("", "n")?,
            None => 0,
        };
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// The names (with their places) of the page after `after`, and one
    /// more to tell whether another page follows.
    async fn page_names(
        &self,
        filter: &Filter,
        after: Option<JobCursor>,
    ) -> Result<Vec<(String, JobCursor)>, StoreError> {
        let mut filter = filter.clone();
        let [rank, failures, name] = order_keys(filter.backend);
        if let Some(c) = after {
            let r = filter.placeholder(i32::from(c.rank()).into());
            let f = filter.placeholder((-i64::from(c.failures())).into());
            let n = filter.placeholder(c.name().to_owned().into());
            filter.add(format!("({rank}, {failures}, {name}) > ({r}, {f}, {n})"));
        }
        let sql = format!(
            "SELECT name, check_state, consecutive_failures FROM jobs {} \
             ORDER BY {rank}, {failures}, {name} LIMIT {}",
            filter.where_clause(),
            JobOverviewPage::LIMIT + 1
        );
        let rows = self.db.query_all_raw(filter.statement(sql)).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let name: String = row.try_get("", "name")?;
            let state: String = row.try_get("", "check_state")?;
            let failures: i32 = row.try_get("", "consecutive_failures")?;
            let state = CheckState::parse(&state).unwrap_or(CheckState::New);
            let place = JobCursor::new(state, u32::try_from(failures).unwrap_or(0), &name);
            out.push((name, place));
        }
        Ok(out)
    }

    /// Which of `names` have an open FAILURE alert.
    async fn failing_among(&self, names: &[String]) -> Result<HashSet<String>, StoreError> {
        let mut out = HashSet::new();
        for chunk in names.chunks(crate::BIND_CHUNK) {
            let mut filter = Filter::new(self.backend());
            let list: Vec<String> = chunk
                .iter()
                .map(|n| filter.placeholder(n.clone().into()))
                .collect();
            let sql = format!(
                "SELECT DISTINCT job_name FROM alerts WHERE {OPEN_FAILURE} AND job_name IN ({})",
                list.join(", ")
            );
            for row in self.db.query_all_raw(filter.statement(sql)).await? {
                let name: Option<String> = row.try_get("", "job_name")?;
                out.extend(name);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use telltale_model::{AlertStatus, AlertType};

    #[test]
    fn the_open_failure_clause_names_the_stored_values() {
        let clause = format!(
            "status = '{}' AND alert_type = '{}'",
            AlertStatus::Open.as_str(),
            AlertType::Failure.as_str()
        );
        assert_eq!(super::OPEN_FAILURE, clause);
    }
}
