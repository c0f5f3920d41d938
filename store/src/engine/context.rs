//! What the engine reads around a job besides its row: runs still running,
//! jobs that are DOWN and the jobs that depend on them, maintenance
//! windows, and the engine's own memory (its last tick, when it was blind).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use telltale_model::{
    Blind, CheckState, MaintenanceWindow, NewMaintenanceWindow, RunStatus, RunningRun,
};

use crate::convert::readable;
use crate::entity::{engine_state, job, maintenance_window, run};
use crate::time::{from_us, to_us};
use crate::{Store, StoreError};

/// Names per `IN (…)` list: well under both databases' parameter limits.
const CHUNK: usize = 1000;

const LAST_TICK: &str = "last_tick";
const BLIND_SINCE: &str = "blind_since";
const BLIND_UNTIL: &str = "blind_until";
const SCHEDULER_SEEN: &str = "scheduler_seen_online";

impl Store {
    /// When the oldest still-running run of each of `jobs` started (jobs
    /// with none are absent). One grouped, index-only query per chunk: a
    /// job may have thousands of runs in flight.
    pub async fn running_since(
        &self,
        jobs: &[String],
    ) -> Result<HashMap<String, DateTime<Utc>>, StoreError> {
        let mut out = HashMap::new();
        for chunk in jobs.chunks(CHUNK) {
            let rows: Vec<(Option<String>, Option<i64>)> = run::Entity::find()
                .select_only()
                .column(run::Column::JobName)
                .column_as(run::Column::StartTimeUs.min(), "started")
                .filter(run::Column::Status.eq(RunStatus::Running.as_str()))
                .filter(run::Column::JobName.is_in(chunk.iter().cloned()))
                .group_by(run::Column::JobName)
                .into_tuple()
                .all(&self.db)
                .await?;
            out.extend(
                rows.into_iter()
                    .filter_map(|(job, start)| Some((job?, from_us(start?)?))),
            );
        }
        Ok(out)
    }

    /// The oldest still-running run of `job`.
    pub async fn oldest_running_run(&self, job: &str) -> Result<Option<RunningRun>, StoreError> {
        let row: Option<(String, Option<i64>)> = run::Entity::find()
            .select_only()
            .column(run::Column::RunId)
            .column(run::Column::StartTimeUs)
            .filter(run::Column::Status.eq(RunStatus::Running.as_str()))
            .filter(run::Column::JobName.eq(job))
            .filter(run::Column::StartTimeUs.is_not_null())
            .order_by_asc(run::Column::StartTimeUs)
            .into_tuple()
            .one(&self.db)
            .await?;
        Ok(row.and_then(|(run_id, start)| {
            Some(RunningRun {
                run_id,
                started_at: from_us(start?)?,
            })
        }))
    }

    /// Which of `names` are DOWN.
    pub async fn down_among(&self, names: &[String]) -> Result<HashSet<String>, StoreError> {
        let mut out = HashSet::new();
        for chunk in names.chunks(CHUNK) {
            out.extend(
                job::Entity::find()
                    .select_only()
                    .column(job::Column::Name)
                    .filter(job::Column::CheckState.eq(CheckState::Down.as_str()))
                    .filter(job::Column::Name.is_in(chunk.iter().cloned()))
                    .into_tuple::<String>()
                    .all(&self.db)
                    .await?,
            );
        }
        Ok(out)
    }

    /// Jobs whose `depends_on` names one of `upstream`.
    pub async fn dependents_of(&self, upstream: &[String]) -> Result<Vec<String>, StoreError> {
        let mut out = Vec::new();
        for chunk in upstream.chunks(CHUNK) {
            out.extend(
                job::Entity::find()
                    .select_only()
                    .column(job::Column::Name)
                    .filter(job::Column::DependsOn.is_in(chunk.iter().cloned()))
                    .into_tuple::<String>()
                    .all(&self.db)
                    .await?,
            );
        }
        Ok(out)
    }

    /// Every window that can be read ([`readable`]), oldest first.
    pub async fn maintenance_windows(&self) -> Result<Vec<MaintenanceWindow>, StoreError> {
        let rows = maintenance_window::Entity::find()
            .order_by_asc(maintenance_window::Column::Id)
            .all(&self.db)
            .await?;
        Ok(readable(rows, window_from_row))
    }

    /// Stores a window the caller has validated.
    pub async fn add_maintenance_window(
        &self,
        new: &NewMaintenanceWindow,
        now: DateTime<Utc>,
    ) -> Result<MaintenanceWindow, StoreError> {
        let row = maintenance_window::Entity::insert(maintenance_window::ActiveModel {
            id: NotSet,
            job_name: Set(new.job_name.clone()),
            schedule: Set(new.schedule.clone()),
            duration_seconds: Set(new.duration_seconds.map(i64::from)),
            timezone: Set(new.timezone.clone()),
            starts_at_us: Set(new.starts_at.map(to_us)),
            ends_at_us: Set(new.ends_at.map(to_us)),
            reason: Set(new.reason.clone()),
            created_at_us: Set(to_us(now)),
        })
        .exec_with_returning(&self.db)
        .await?;
        window_from_row(row)
    }

    /// Deletes a window; false when there was none with that id.
    pub async fn delete_maintenance_window(&self, id: i64) -> Result<bool, StoreError> {
        let result = maintenance_window::Entity::delete_by_id(id)
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected > 0)
    }

    /// When the engine last ticked (it is blind before a restart).
    pub async fn last_tick(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        Ok(self.engine_value(LAST_TICK).await?.and_then(|(at, _)| at))
    }

    pub async fn record_tick(&self, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.set_engine_value(LAST_TICK, Some(at), None).await
    }

    /// When a scheduler was last seen online (a heartbeat that was fresh
    /// when it arrived): only a scheduler seen online can go silent.
    pub async fn scheduler_seen_online(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        Ok(self
            .engine_value(SCHEDULER_SEEN)
            .await?
            .and_then(|(at, _)| at))
    }

    pub async fn record_scheduler_seen_online(&self, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.set_engine_value(SCHEDULER_SEEN, Some(at), None).await
    }

    /// The latest time the engine was blind, if any.
    pub async fn blind(&self) -> Result<Option<Blind>, StoreError> {
        let Some((Some(since), cause)) = self.engine_value(BLIND_SINCE).await? else {
            return Ok(None);
        };
        let until = self.engine_value(BLIND_UNTIL).await?.and_then(|(at, _)| at);
        Ok(Some(Blind {
            since,
            until,
            cause: cause.unwrap_or_default(),
            // The engine knows the hold from its settings.
            hold_until: None,
        }))
    }

    pub async fn set_blind(&self, blind: &Blind) -> Result<(), StoreError> {
        self.set_engine_value(BLIND_SINCE, Some(blind.since), Some(blind.cause.clone()))
            .await?;
        self.set_engine_value(BLIND_UNTIL, blind.until, None).await
    }

    async fn engine_value(
        &self,
        name: &str,
    ) -> Result<Option<(Option<DateTime<Utc>>, Option<String>)>, StoreError> {
        Ok(engine_state::Entity::find_by_id(name.to_owned())
            .one(&self.db)
            .await?
            .map(|row| (row.at_us.and_then(from_us), row.note)))
    }

    async fn set_engine_value(
        &self,
        name: &str,
        at: Option<DateTime<Utc>>,
        note: Option<String>,
    ) -> Result<(), StoreError> {
        engine_state::Entity::insert(engine_state::ActiveModel {
            name: Set(name.to_owned()),
            at_us: Set(at.map(to_us)),
            note: Set(note),
        })
        .on_conflict(
            OnConflict::column(engine_state::Column::Name)
                .update_columns([engine_state::Column::AtUs, engine_state::Column::Note])
                .to_owned(),
        )
        .exec_without_returning(&self.db)
        .await?;
        Ok(())
    }
}

fn window_from_row(row: maintenance_window::Model) -> Result<MaintenanceWindow, StoreError> {
    let time = |us: i64| {
        from_us(us).ok_or_else(|| StoreError::Corrupt {
            table: "maintenance_windows",
            id: row.id.to_string(),
            problem: format!("time {us} out of range"),
        })
    };
    Ok(MaintenanceWindow {
        id: row.id,
        starts_at: row.starts_at_us.map(time).transpose()?,
        ends_at: row.ends_at_us.map(time).transpose()?,
        created_at: time(row.created_at_us)?,
        job_name: row.job_name,
        schedule: row.schedule,
        duration_seconds: row.duration_seconds.and_then(|d| u32::try_from(d).ok()),
        timezone: row.timezone,
        reason: row.reason,
    })
}
