//! The runs, jobs and workers a group names: read into the shared fold's
//! [`State`] and written back, one upsert per changed row. What is written
//! is what `columns` says, as PostgreSQL writes it. Rows are selected
//! with every column in the entity's order and read by each column's place
//! in that order (`Column::X as usize`), so nothing is aligned by hand.
//! (By name, rusqlite would look each one up among the row's column names,
//! a string compare per column, for every row of every group.)

use rusqlite::{Connection, OptionalExtension, Row, params, params_from_iter};
use sea_orm::{ActiveModelTrait, EntityTrait, Iterable};
use telltale_model::Event;

use crate::StoreError;
use crate::convert::{job_from_row, readable, run_from_row, worker_from_row};
use crate::entity::{job, run, worker};
use crate::ingest::columns::{
    job_row, name, run_row, sqlite_upsert, sqlite_values, table, worker_row, written,
};
use crate::ingest::fold::{Keys, State};
use crate::time::to_us;

/// `SELECT` every column of `E`'s table, for the row whose `key` is `?1`.
fn select_one<E: EntityTrait + Default>(key: &str) -> String {
    let columns: Vec<&str> = E::Column::iter().map(|c| name(&c)).collect();
    format!(
        "SELECT {} FROM {} WHERE {key} = ?1",
        columns.join(", "),
        E::default().table_name()
    )
}

fn run_model(r: &Row<'_>) -> rusqlite::Result<run::Model> {
    Ok(run::Model {
        seq: r.get(run::Column::Seq as usize)?,
        run_id: r.get(run::Column::RunId as usize)?,
        job_name: r.get(run::Column::JobName as usize)?,
        job_type: r.get(run::Column::JobType as usize)?,
        engine: r.get(run::Column::Engine as usize)?,
        status: r.get(run::Column::Status as usize)?,
        created_at_us: r.get(run::Column::CreatedAtUs as usize)?,
        start_time_us: r.get(run::Column::StartTimeUs as usize)?,
        end_time_us: r.get(run::Column::EndTimeUs as usize)?,
        failure_reason: r.get(run::Column::FailureReason as usize)?,
        burnin_preset_id: r.get(run::Column::BurninPresetId as usize)?,
        lut_id: r.get(run::Column::LutId as usize)?,
        worker_id: r.get(run::Column::WorkerId as usize)?,
        verification_run_id: r.get(run::Column::VerificationRunId as usize)?,
        source_path: r.get(run::Column::SourcePath as usize)?,
        output_path: r.get(run::Column::OutputPath as usize)?,
        progress: r.get(run::Column::Progress as usize)?,
        updated_at_us: r.get(run::Column::UpdatedAtUs as usize)?,
        metadata: r.get(run::Column::Metadata as usize)?,
    })
}

fn job_model(r: &Row<'_>) -> rusqlite::Result<job::Model> {
    Ok(job::Model {
        name: r.get(job::Column::Name as usize)?,
        first_seen_at_us: r.get(job::Column::FirstSeenAtUs as usize)?,
        last_event_at_us: r.get(job::Column::LastEventAtUs as usize)?,
        last_heartbeat_at_us: r.get(job::Column::LastHeartbeatAtUs as usize)?,
        last_run_id: r.get(job::Column::LastRunId as usize)?,
        last_success_at_us: r.get(job::Column::LastSuccessAtUs as usize)?,
        last_failure_at_us: r.get(job::Column::LastFailureAtUs as usize)?,
        consecutive_failures: r.get(job::Column::ConsecutiveFailures as usize)?,
        expected_next_at_us: r.get(job::Column::ExpectedNextAtUs as usize)?,
        check_enabled: r.get(job::Column::CheckEnabled as usize)?,
        grace_seconds: r.get(job::Column::GraceSeconds as usize)?,
        alert_on_failure: r.get(job::Column::AlertOnFailure as usize)?,
        alert_on_miss: r.get(job::Column::AlertOnMiss as usize)?,
        schedule: r.get(job::Column::Schedule as usize)?,
        timezone: r.get(job::Column::Timezone as usize)?,
        start_grace_seconds: r.get(job::Column::StartGraceSeconds as usize)?,
        max_runtime_seconds: r.get(job::Column::MaxRuntimeSeconds as usize)?,
        min_runtime_seconds: r.get(job::Column::MinRuntimeSeconds as usize)?,
        failure_threshold: r.get(job::Column::FailureThreshold as usize)?,
        repeat_interval_seconds: r.get(job::Column::RepeatIntervalSeconds as usize)?,
        depends_on: r.get(job::Column::DependsOn as usize)?,
        last_failure_reason: r.get(job::Column::LastFailureReason as usize)?,
        failure_ack: r.get(job::Column::FailureAck as usize)?,
        miss_ack: r.get(job::Column::MissAck as usize)?,
        check_state: r.get(job::Column::CheckState as usize)?,
        check_state_since_us: r.get(job::Column::CheckStateSinceUs as usize)?,
        check_deadline_us: r.get(job::Column::CheckDeadlineUs as usize)?,
        check_expected_at_us: r.get(job::Column::CheckExpectedAtUs as usize)?,
        public_badge: r.get(job::Column::PublicBadge as usize)?,
        failures_total: r.get(job::Column::FailuresTotal as usize)?,
        last_failure_run_id: r.get(job::Column::LastFailureRunId as usize)?,
        operator_keys: r.get(job::Column::OperatorKeys as usize)?,
        retired_at_us: r.get(job::Column::RetiredAtUs as usize)?,
        description: r.get(job::Column::Description as usize)?,
        tags: r.get(job::Column::Tags as usize)?,
        channels: r.get(job::Column::Channels as usize)?,
    })
}

fn worker_model(r: &Row<'_>) -> rusqlite::Result<worker::Model> {
    Ok(worker::Model {
        worker_id: r.get(worker::Column::WorkerId as usize)?,
        hostname: r.get(worker::Column::Hostname as usize)?,
        first_seen_at_us: r.get(worker::Column::FirstSeenAtUs as usize)?,
        last_event_at_us: r.get(worker::Column::LastEventAtUs as usize)?,
        last_heartbeat_at_us: r.get(worker::Column::LastHeartbeatAtUs as usize)?,
        current_run_id: r.get(worker::Column::CurrentRunId as usize)?,
        interval_seconds: r.get(worker::Column::IntervalSeconds as usize)?,
        offline_ack_beat_us: r.get(worker::Column::OfflineAckBeatUs as usize)?,
    })
}

/// As PostgreSQL's `load_state`: a row that cannot be read is started afresh.
pub(super) fn load_state(tx: &Connection, events: &[Event]) -> Result<State, StoreError> {
    let keys = Keys::of(events);
    let mut state = State::default();
    let mut q = tx.prepare_cached(&select_one::<run::Entity>("run_id"))?;
    for id in &keys.run_ids {
        let row = q.query_row([id], run_model).optional()?;
        if let Some(run) = readable(row, run_from_row).pop() {
            state.runs.insert(id.clone(), run);
        }
    }
    let mut q = tx.prepare_cached(&select_one::<job::Entity>("name"))?;
    for name in &keys.job_names {
        let row = q.query_row([name], job_model).optional()?;
        if let Some(job) = readable(row, job_from_row).pop() {
            state.jobs.insert(name.clone(), job);
        }
    }
    let mut q = tx.prepare_cached(&select_one::<worker::Entity>("worker_id"))?;
    for id in &keys.worker_ids {
        let row = q.query_row([id], worker_model).optional()?;
        if let Some(worker) = readable(row, worker_from_row).pop() {
            state.workers.insert(id.clone(), worker);
        }
    }
    Ok(state)
}

/// Upserts `rows`, each with the columns its conversion sets.
fn upsert<A: ActiveModelTrait>(
    tx: &Connection,
    key: &str,
    rows: impl Iterator<Item = A>,
) -> Result<(), StoreError> {
    let mut rows = rows.peekable();
    let Some(first) = rows.peek() else {
        return Ok(());
    };
    let columns = written(first);
    let names: Vec<&str> = columns.iter().map(name).collect();
    let mut statement = tx.prepare_cached(&sqlite_upsert(table::<A>(), &names, key))?;
    for row in rows {
        statement.execute(params_from_iter(sqlite_values(row, &columns)?))?;
    }
    Ok(())
}

pub(super) fn write_state(tx: &Connection, state: &State) -> Result<(), StoreError> {
    upsert(tx, "run_id", state.changed_runs().map(run_row))?;
    upsert(tx, "name", state.changed_jobs().map(job_row))?;
    upsert(tx, "worker_id", state.changed_workers().map(worker_row))?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO rejected_transitions (event_row_id, run_id, event_type, run_status, reason, at_us) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for r in &state.rejected {
        insert.execute(params![
            r.event,
            r.run_id,
            r.event_type,
            r.run_status.as_str(),
            r.reason,
            to_us(r.at)
        ])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The readers take each column at `Column::X as usize`: that must be
    /// its place in the SELECT list, which is the entity's column order.
    #[test]
    fn a_column_is_read_at_its_place_in_the_select_list() {
        fn in_order<E: EntityTrait>(place: impl Fn(E::Column) -> usize) {
            for (i, c) in E::Column::iter().enumerate() {
                assert_eq!(place(c), i, "{}", name(&c));
            }
        }
        in_order::<run::Entity>(|c| c as usize);
        in_order::<job::Entity>(|c| c as usize);
        in_order::<worker::Entity>(|c| c as usize);
    }
}
