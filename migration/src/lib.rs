//! Telltale's schema, one migration a file. A shipped migration is never
//! edited: a change to the schema is a new migration added to the list.

pub use m20261203_000014_sticky_alerts_and_presence::beat_expression;
pub use sea_orm_migration::prelude::*;

mod m20261125_000001_create_events;
mod m20261125_000002_create_derived_state;
mod m20261125_000003_create_checks_and_alerts;
mod m20261125_000004_check_policy_and_noise;
mod m20261125_000010_auth;
mod m20261125_000011_alert_delivery;
mod m20261125_000012_public_badges;
mod m20261126_000013_level_index_without_info;
mod m20261203_000014_sticky_alerts_and_presence;
mod m20261203_000015_delivery_first_attempt;
mod m20261203_000016_job_pings;
mod m20261203_000017_ping_key_scope;
mod m20261203_000018_open_runs_index;
mod m20261203_000019_managed_jobs;
mod m20261204_000020_drop_open_runs_index;
mod m20261204_000021_event_search;
mod m20261204_000022_channel_options;
mod m20261204_000023_job_channels;
mod triggers;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_create_events::Migration),
            Box::new(m20261125_000002_create_derived_state::Migration),
            Box::new(m20261125_000003_create_checks_and_alerts::Migration),
            Box::new(m20261125_000004_check_policy_and_noise::Migration),
            Box::new(m20261125_000010_auth::Migration),
            Box::new(m20261125_000011_alert_delivery::Migration),
            Box::new(m20261125_000012_public_badges::Migration),
            Box::new(m20261126_000013_level_index_without_info::Migration),
            Box::new(m20261203_000014_sticky_alerts_and_presence::Migration),
            Box::new(m20261203_000015_delivery_first_attempt::Migration),
            Box::new(m20261203_000016_job_pings::Migration),
            Box::new(m20261203_000017_ping_key_scope::Migration),
            Box::new(m20261203_000018_open_runs_index::Migration),
            Box::new(m20261203_000019_managed_jobs::Migration),
            Box::new(m20261204_000020_drop_open_runs_index::Migration),
            Box::new(m20261204_000021_event_search::Migration),
            Box::new(m20261204_000022_channel_options::Migration),
            Box::new(m20261204_000023_job_channels::Migration),
        ]
    }
}
