//! Chief's status views assembled from the store: the summary, jobs with
//! their check state (and recent runs), one job in full. The REST handlers
//! and the dashboard's server functions both call these, so the two show
//! the same facts.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Statement,
};
use telltale_model::{
    AlertFilter, AlertStatus, CheckState, JobCursor, JobDetail, JobStatus, RunFilter, RunSpan,
    RunStatus, SchedulerPresence, StatusSummary, WorkerState, WorkerStatus, sort_failures_first,
};
use tokio::try_join;

use crate::convert::job_status_from_row;
use crate::entity::{job, run};
use crate::read::checks::open_failure_jobs;
use crate::read::runs::span_seconds;
use crate::{Store, StoreError};

/// Jobs per statement of recent runs: one `SELECT` each, and SQLite takes
/// at most 500 in one compound statement.
const RECENT_CHUNK: usize = 100;

/// How many recent runs and transitions one job's detail carries.
const DETAIL_RUNS: u64 = 50;
const DETAIL_TRANSITIONS: u64 = 100;

impl Store {
    /// Counts of runs, check states, open alerts and workers; scheduler
    /// presence, all as of `now`. Each is its own read, run at once.
    pub async fn status_summary(&self, now: DateTime<Utc>) -> Result<StatusSummary, StoreError> {
        let named = |counts: Vec<(&'static str, u64)>| {
            counts
                .into_iter()
                .map(|(s, n)| (s.to_owned(), n))
                .collect::<BTreeMap<String, u64>>()
        };
        let (runs_by_status, states, health, alerts, workers_by_status, heartbeat, failing) = try_join!(
            // Counts only: run_stats would also read all 50,000 runs' spans.
            self.count_runs_by(run::Column::Status, Condition::all()),
            self.check_state_counts(),
            self.health_counts(),
            self.open_alert_counts(),
            self.worker_status_counts(now),
            self.latest_scheduler_heartbeat(),
            self.failing_channels(now),
        )?;
        Ok(StatusSummary {
            runs_by_status,
            jobs_by_check_state: named(states.into_iter().map(|(s, n)| (s.as_str(), n)).collect()),
            jobs_by_health: named(health.into_iter().map(|(h, n)| (h.as_str(), n)).collect()),
            open_alerts_by_type: named(alerts.into_iter().map(|(t, n)| (t.as_str(), n)).collect()),
            workers_by_status,
            scheduler: SchedulerPresence::at(heartbeat.as_ref(), now),
            failing_deliveries: failing,
        })
    }

    /// How many workers are busy, idle and offline as of `now` (every
    /// status present, zero or not). The summary and the metrics use it.
    pub async fn worker_status_counts(
        &self,
        now: DateTime<Utc>,
    ) -> Result<BTreeMap<String, u64>, StoreError> {
        let mut counts: BTreeMap<String, u64> = [
            WorkerStatus::Busy,
            WorkerStatus::Idle,
            WorkerStatus::Offline,
        ]
        .into_iter()
        .map(|s| (s.as_str().to_owned(), 0))
        .collect();
        for w in self.list_workers().await? {
            *counts.entry(w.status(now).as_str().to_owned()).or_default() += 1;
        }
        Ok(counts)
    }

    /// Jobs in `state` (any when `None`) whose name contains `text`
    /// (case-insensitive); DOWN and LATE first.
    pub async fn job_statuses(
        &self,
        state: Option<CheckState>,
        text: Option<&str>,
    ) -> Result<Vec<JobStatus>, StoreError> {
        let failing = self.failing_jobs().await?;
        self.job_statuses_marking(state, text, &failing).await
    }

    /// [`Store::job_statuses`] with the FAILING jobs already read, for a
    /// caller that asks for several states at once.
    pub(crate) async fn job_statuses_marking(
        &self,
        state: Option<CheckState>,
        text: Option<&str>,
        failing: &HashSet<String>,
    ) -> Result<Vec<JobStatus>, StoreError> {
        let text = text
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_lowercase);
        // The state is an indexed column: the overview asks for the DOWN and
        // LATE jobs of 10,000 without reading the other 9,990.
        let mut query = job::Entity::find().order_by_asc(job::Column::Name);
        if let Some(state) = state {
            query = query.filter(job::Column::CheckState.eq(state.as_str()));
        }
        let mut jobs = Vec::new();
        for row in query.all(&self.db).await? {
            let is_failing = failing.contains(&row.name);
            let j = job_status_from_row(row, is_failing)?;
            if text
                .as_deref()
                .is_none_or(|t| j.job.name.to_lowercase().contains(t))
            {
                jobs.push(j);
            }
        }
        sort_failures_first(&mut jobs);
        Ok(jobs)
    }

    /// Every job in `state` whose name contains `text`, as its place in
    /// the list (cursor order) and its state. Only the three columns that
    /// decide the place are read: with 10,000 jobs, converting every whole
    /// row was most of the page's time.
    pub(crate) async fn job_places(
        &self,
        state: Option<CheckState>,
        text: Option<&str>,
    ) -> Result<Vec<(JobCursor, CheckState)>, StoreError> {
        let text = text
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_lowercase);
        let mut query = job::Entity::find()
            .select_only()
            .column(job::Column::Name)
            .column(job::Column::CheckState)
            .column(job::Column::ConsecutiveFailures);
        if let Some(state) = state {
            query = query.filter(job::Column::CheckState.eq(state.as_str()));
        }
        let rows: Vec<(String, String, i32)> = query.into_tuple().all(&self.db).await?;
        let mut places: Vec<(JobCursor, CheckState)> = rows
            .into_iter()
            .filter(|(name, _, _)| {
                text.as_deref()
                    .is_none_or(|t| name.to_lowercase().contains(t))
            })
            .map(|(name, s, failures)| {
                let s = CheckState::parse(&s).unwrap_or(CheckState::New);
                let failures = u32::try_from(failures).unwrap_or(0);
                (JobCursor::new(s, failures, &name), s)
            })
            .collect();
        places.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(places)
    }

    /// The FAILING jobs' places (cursor order), from the three columns
    /// that decide them.
    pub(crate) async fn failing_places(&self) -> Result<Vec<JobCursor>, StoreError> {
        let rows: Vec<(String, String, i32)> = job::Entity::find()
            .select_only()
            .column(job::Column::Name)
            .column(job::Column::CheckState)
            .column(job::Column::ConsecutiveFailures)
            .filter(job::Column::Name.in_subquery(open_failure_jobs()))
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut places: Vec<JobCursor> = rows
            .into_iter()
            .map(|(name, s, failures)| {
                let s = CheckState::parse(&s).unwrap_or(CheckState::New);
                JobCursor::new(s, u32::try_from(failures).unwrap_or(0), &name)
            })
            .collect();
        places.sort();
        Ok(places)
    }

    /// The whole rows of the jobs `names` (one page), in that order; a job
    /// deleted since its name was read is skipped.
    pub(crate) async fn job_rows_in_order(
        &self,
        names: &[String],
        failing: &HashSet<String>,
    ) -> Result<Vec<JobStatus>, StoreError> {
        let mut rows: HashMap<String, JobStatus> = HashMap::new();
        if !names.is_empty() {
            for row in job::Entity::find()
                .filter(job::Column::Name.is_in(names.iter().cloned()))
                .all(&self.db)
                .await?
            {
                let is_failing = failing.contains(&row.name);
                let j = job_status_from_row(row, is_failing)?;
                rows.insert(j.job.name.clone(), j);
            }
        }
        Ok(names.iter().filter_map(|n| rows.remove(n)).collect())
    }

    /// The latest `per_job` runs of each of `jobs`, oldest first, in one
    /// statement per [`RECENT_CHUNK`] names rather than a query per job:
    /// each job's newest runs by the `(job_name, seq)` index, joined with
    /// `UNION ALL`. A window function over the jobs' runs read every run of
    /// each (50 a job at 500k runs) to keep 30, and sorted them again.
    pub async fn recent_runs_by_job(
        &self,
        jobs: &[String],
        per_job: u64,
    ) -> Result<HashMap<String, Vec<RunSpan>>, StoreError> {
        let mut out: HashMap<String, Vec<RunSpan>> = HashMap::new();
        for chunk in jobs.chunks(RECENT_CHUNK) {
            self.recent_runs_of_chunk(chunk, per_job, &mut out).await?;
        }
        Ok(out)
    }

    async fn recent_runs_of_chunk(
        &self,
        jobs: &[String],
        per_job: u64,
        out: &mut HashMap<String, Vec<RunSpan>>,
    ) -> Result<(), StoreError> {
        let backend = self.backend();
        let parts: Vec<String> = (1..=jobs.len())
            .map(|i| {
                let p = match backend {
                    DbBackend::Postgres => format!("${i}"),
                    _ => "?".to_owned(),
                };
                format!(
                    "SELECT * FROM (SELECT job_name, status, start_time_us, end_time_us, seq \
                     FROM runs WHERE job_name = {p} ORDER BY seq DESC LIMIT {per_job}) AS r{i}"
                )
            })
            .collect();
        let sql = format!(
            "SELECT job_name, status, start_time_us, end_time_us FROM ({}) AS recent \
             ORDER BY job_name, seq",
            parts.join(" UNION ALL ")
        );
        let values = jobs.iter().map(|j| j.clone().into());
        let rows = self
            .db
            .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
            .await?;
        for row in rows {
            let job: String = row.try_get("", "job_name")?;
            let status: String = row.try_get("", "status")?;
            let Some(status) = RunStatus::parse(&status) else {
                continue;
            };
            let start: Option<i64> = row.try_get("", "start_time_us")?;
            let end: Option<i64> = row.try_get("", "end_time_us")?;
            out.entry(job).or_default().push(RunSpan {
                status,
                started_at: start.and_then(crate::time::from_us),
                duration_seconds: span_seconds(start, end),
            });
        }
        Ok(())
    }

    /// One job: policy, check state, recent runs, transitions (newest
    /// first), open alerts and durations; `None` for an unknown job.
    pub async fn job_detail(&self, name: &str) -> Result<Option<JobDetail>, StoreError> {
        let Some(job) = self.job_with_state(name).await? else {
            return Ok(None);
        };
        let runs_filter = RunFilter {
            job: Some(name.to_owned()),
            limit: Some(DETAIL_RUNS),
            ..Default::default()
        };
        Ok(Some(JobDetail {
            recent_runs: self.list_runs(&runs_filter).await?.runs,
            transitions: self.check_transitions(name, DETAIL_TRANSITIONS).await?,
            open_alerts: self
                .list_alerts(&AlertFilter {
                    status: Some(AlertStatus::Open),
                    job: Some(name.to_owned()),
                    ..Default::default()
                })
                .await?,
            stats: self.run_stats(&runs_filter).await?,
            job,
        }))
    }

    /// Every worker with its status as of `now`, by id.
    pub async fn worker_states(&self, now: DateTime<Utc>) -> Result<Vec<WorkerState>, StoreError> {
        Ok(self
            .list_workers()
            .await?
            .into_iter()
            .map(|w| WorkerState::at(w, now))
            .collect())
    }
}
