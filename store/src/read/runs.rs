//! Reading runs: listings with filters and a stable cursor, one run with its
//! timeline, and aggregates.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use telltale_model::{
    EndedRun, Run, RunDay, RunDetail, RunFilter, RunOrder, RunPage, RunStats, RunStatus,
    percentile, run_days,
};

use crate::convert::{rejected_from_row, run_from_row};
use crate::entity::{rejected_transition, run};
use crate::time::{from_us, to_us};
use crate::{Store, StoreError};

impl Store {
    /// Runs matching `filter`, in its order. The cursor is `seq`, which
    /// only grows, so a page boundary stays put while new runs arrive.
    pub async fn list_runs(&self, filter: &RunFilter) -> Result<RunPage, StoreError> {
        match filter.order {
            RunOrder::Newest => self.runs_newest_first(filter).await,
            RunOrder::FailuresFirst => self.runs_failures_first(filter).await,
        }
    }

    /// Every failed run, then the rest, each part newest first: two indexed
    /// reads (status, seq). The cursor says which part a page ended in: a
    /// failed run's is `-seq`, any other's `seq`.
    async fn runs_failures_first(&self, filter: &RunFilter) -> Result<RunPage, StoreError> {
        let limit = filter.effective_limit();
        let wanted = |s: RunStatus| filter.status.is_empty() || filter.status.contains(&s);
        let part = |status: Vec<RunStatus>, before: Option<i64>, limit: u64| RunFilter {
            status,
            before,
            limit: Some(limit),
            order: RunOrder::Newest,
            ..filter.clone()
        };
        let mut runs = Vec::new();
        if wanted(RunStatus::Failed) && filter.before.is_none_or(|b| b < 0) {
            let failed = part(vec![RunStatus::Failed], filter.before.map(|b| -b), limit);
            runs = self.runs_newest_first(&failed).await?.runs;
        }
        let others: Vec<RunStatus> = RunStatus::ALL
            .into_iter()
            .filter(|s| *s != RunStatus::Failed && wanted(*s))
            .collect();
        let room = limit - runs.len() as u64;
        if room > 0 && !others.is_empty() {
            let before = filter.before.filter(|b| *b > 0);
            runs.extend(
                self.runs_newest_first(&part(others, before, room))
                    .await?
                    .runs,
            );
        }
        let next_cursor = if runs.len() as u64 == limit {
            runs.last().map(|r| match r.status {
                RunStatus::Failed => -r.seq,
                _ => r.seq,
            })
        } else {
            None
        };
        Ok(RunPage { runs, next_cursor })
    }

    async fn runs_newest_first(&self, filter: &RunFilter) -> Result<RunPage, StoreError> {
        let limit = filter.effective_limit();
        let rows = run::Entity::find()
            .filter(conditions(filter))
            .order_by_desc(run::Column::Seq)
            .limit(limit)
            .all(&self.db)
            .await?;
        let runs = rows
            .into_iter()
            .map(run_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        let next_cursor = if runs.len() as u64 == limit {
            runs.last().map(|r| r.seq)
        } else {
            None
        };
        Ok(RunPage { runs, next_cursor })
    }

    pub async fn get_run(&self, run_id: &str) -> Result<Option<Run>, StoreError> {
        run::Entity::find()
            .filter(run::Column::RunId.eq(run_id))
            .one(&self.db)
            .await?
            .map(run_from_row)
            .transpose()
    }

    /// A run, its complete timeline and its refused transitions.
    pub async fn run_detail(&self, run_id: &str) -> Result<Option<RunDetail>, StoreError> {
        let Some(run) = self.get_run(run_id).await? else {
            return Ok(None);
        };
        let timeline = self.run_timeline(run_id).await?;
        let rejected = rejected_transition::Entity::find()
            .filter(rejected_transition::Column::RunId.eq(run_id))
            .order_by_asc(rejected_transition::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(rejected_from_row)
            .collect::<Result<_, _>>()?;
        Ok(Some(RunDetail {
            run,
            timeline,
            rejected,
        }))
    }

    /// Counts and durations over the runs matching `filter` (its cursor and
    /// limit are ignored).
    pub async fn run_stats(&self, filter: &RunFilter) -> Result<RunStats, StoreError> {
        let cond = conditions(&RunFilter {
            before: None,
            ..filter.clone()
        });
        let mut stats = RunStats {
            total: run::Entity::find()
                .filter(cond.clone())
                .count(&self.db)
                .await?,
            ..RunStats::default()
        };
        stats.by_status = self
            .count_runs_by(run::Column::Status, cond.clone())
            .await?;
        stats.by_engine = self
            .count_runs_by(run::Column::Engine, cond.clone())
            .await?;
        stats.by_worker = self
            .count_runs_by(run::Column::WorkerId, cond.clone())
            .await?;
        let count = |s: RunStatus| stats.by_status.get(s.as_str()).copied().unwrap_or(0);
        let (failed, completed) = (count(RunStatus::Failed), count(RunStatus::Completed));
        if failed + completed > 0 {
            stats.failure_rate = Some(failed as f64 / (failed + completed) as f64);
        }

        let spans: Vec<(i64, i64)> = run::Entity::find()
            .select_only()
            .column(run::Column::StartTimeUs)
            .column(run::Column::EndTimeUs)
            .filter(cond)
            .filter(run::Column::StartTimeUs.is_not_null())
            .filter(run::Column::EndTimeUs.is_not_null())
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut durations: Vec<f64> = spans
            .into_iter()
            .filter_map(|(s, e)| span_seconds(Some(s), Some(e)))
            .collect();
        durations.sort_by(f64::total_cmp);
        stats.duration_p50_seconds = percentile(&durations, 50.0);
        stats.duration_p95_seconds = percentile(&durations, 95.0);
        Ok(stats)
    }
}

impl Store {
    /// The runs matching `filter` that ended within the last `days` days
    /// (up to `now`'s), a day at a time: one read of three columns of
    /// just those runs.
    pub async fn run_days(
        &self,
        filter: &RunFilter,
        now: DateTime<Utc>,
        days: u32,
    ) -> Result<Vec<RunDay>, StoreError> {
        let first_day = now.date_naive() - Duration::days(i64::from(Ord::max(days, 1)) - 1);
        let from = first_day.and_time(NaiveTime::MIN).and_utc();
        let cond = conditions(&RunFilter {
            before: None,
            ..filter.clone()
        });
        let rows: Vec<(String, Option<i64>, i64)> = run::Entity::find()
            .select_only()
            .column(run::Column::Status)
            .column(run::Column::StartTimeUs)
            .column(run::Column::EndTimeUs)
            .filter(cond)
            .filter(run::Column::EndTimeUs.gte(to_us(from)))
            .into_tuple()
            .all(&self.db)
            .await?;
        let ended: Vec<EndedRun> = rows
            .into_iter()
            .filter_map(|(status, start, end)| {
                Some(EndedRun {
                    status: RunStatus::parse(&status)?,
                    ended_at: from_us(end)?,
                    duration_seconds: span_seconds(start, Some(end)),
                })
            })
            .collect();
        Ok(run_days(&ended, now, days))
    }
}

/// A run's duration from its stored start and end (µs), when both are
/// there and the end is not before the start. The columns are plain
/// integers: a row written by hand can hold any two, and their difference
/// may not fit in an `i64`, so it is taken in `i128`.
/// A `LIKE … ESCAPE '\\'` pattern for names or text containing `text`,
/// matched against `LOWER(column)`: case-insensitive on both backends, the
/// user's `%` and `_` literal.
pub(crate) fn contains_pattern(text: &str) -> String {
    let escaped = text
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

pub(crate) fn span_seconds(start: Option<i64>, end: Option<i64>) -> Option<f64> {
    let (start, end) = (start?, end?);
    (end >= start).then(|| (i128::from(end) - i128::from(start)) as f64 / 1e6)
}

fn conditions(filter: &RunFilter) -> Condition {
    let mut cond = Condition::all();
    if !filter.status.is_empty() {
        // Each status once: a filter from a request (a server function's
        // body can repeat one 50,000 times) binds at most four values.
        let wanted = RunStatus::ALL
            .into_iter()
            .filter(|s| filter.status.contains(s))
            .map(RunStatus::as_str);
        cond = cond.add(run::Column::Status.is_in(wanted));
    }
    if let Some(job) = &filter.job {
        cond = cond.add(run::Column::JobName.eq(job.as_str()));
    }
    if let Some(worker) = &filter.worker {
        cond = cond.add(run::Column::WorkerId.eq(worker.as_str()));
    }
    if let Some(engine) = &filter.engine {
        cond = cond.add(run::Column::Engine.eq(engine.as_str()));
    }
    if let Some(since) = filter.since {
        cond = cond.add(run::Column::CreatedAtUs.gte(to_us(since)));
    }
    if let Some(until) = filter.until {
        cond = cond.add(run::Column::CreatedAtUs.lt(to_us(until)));
    }
    if let Some(before) = filter.before {
        cond = cond.add(run::Column::Seq.lt(before));
    }
    if let Some(text) = filter
        .text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        let pattern = contains_pattern(text);
        let mut any = Condition::any();
        for col in [
            run::Column::RunId,
            run::Column::JobName,
            run::Column::FailureReason,
            run::Column::SourcePath,
            run::Column::OutputPath,
        ] {
            any = any.add(
                Expr::expr(Func::lower(Expr::col(col)))
                    .like(LikeExpr::new(pattern.clone()).escape('\\')),
            );
        }
        cond = cond.add(any);
    }
    cond
}

impl Store {
    /// Runs matching `cond` per value of `column` ("unknown" for none): one
    /// GROUP BY. The overview's counts need only this, not all of
    /// [`Store::run_stats`], which also reads every run's span.
    pub(crate) async fn count_runs_by(
        &self,
        column: run::Column,
        cond: Condition,
    ) -> Result<BTreeMap<String, u64>, StoreError> {
        let rows: Vec<(Option<String>, i64)> = run::Entity::find()
            .select_only()
            .column(column)
            .column_as(run::Column::Seq.count(), "n")
            .filter(cond)
            .group_by(column)
            .into_tuple()
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|(k, n)| {
                (
                    k.unwrap_or_else(|| "unknown".to_owned()),
                    u64::try_from(n).unwrap_or(0),
                )
            })
            .collect())
    }
}
