//! The one typed model of Telltale.
//!
//! These types travel unchanged from the store to the REST API, the server
//! functions and the Leptos components. The crate compiles for the server and
//! for `wasm32`, so it holds no database or HTTP code — only data, validation
//! and the pure transition function that derives state from events.

pub mod auth;
pub mod badge;
pub mod check;
pub mod clock;
pub mod delivery;
pub mod event;
pub mod health;
pub mod ingest;
pub mod job;
pub mod live;
pub mod maintenance;
pub mod manage;
pub mod metadata;
pub mod overview;
pub mod ping;
pub mod resource;
pub mod run;
#[cfg(feature = "schedule")]
pub mod schedule;
pub mod status;
pub mod throughput;
pub mod transition;
pub mod trend;
pub mod worker;

pub use auth::{
    ApiKey, ApiKeyList, AuthContext, CreatedApiKey, KeyScope, NewApiKey, NewUser, PasswordReset,
    Role, RoleChange, User, UserList, looks_like_email,
};
pub use badge::{BadgeLook, BadgeSetting, BadgeVisibility};
pub use check::{
    Acks, Alert, AlertFilter, AlertStatus, AlertType, Blind, CheckState, CheckTransition,
    Evaluation, JobContext, JobHealth, Maintenance, NewAlert, RECOVERY_TTL, RunningRun,
    check_state, deadline, evaluate_job, evaluate_worker,
};
pub use delivery::{
    AlertDelivery, AlertDetail, Channel, ChannelHeader, ChannelOptions, ChannelRouting,
    CreatedWebhook, DEFAULT_GROUP_SECONDS, DeliveryStatus, DeliveryTally, EmailChannel,
    EmailSettings, FailingChannel, Notification, QuietHours, RouteFacts, Severity, TEMPLATE_FIELDS,
    TestOutcome, Webhook, WebhookFormat, WebhookList, WebhookSettings, clock_minutes, glob_match,
    mask, mask_url, placeholders,
};
pub use event::{
    Event, EventFilter, EventPage, Level, NewEvent, SearchError, SourceType, search_words,
};
pub use health::{Health, HealthStatus, LoopReport, LoopStatus};
pub use ingest::{Dropped, FieldError, IngestResponse, Warning};
pub use job::{CheckPolicy, Job, Managed};
pub use live::Change;
pub use maintenance::{
    MaintenanceWindow, MaintenanceWindowList, MaintenanceWindowState, NewMaintenanceWindow,
};
pub use manage::{AuditEntry, AuditPage, JobSpec, NewAuditEntry};
pub use overview::{BrokenJob, Overview};
pub use ping::{JobPing, Snippet};
pub use resource::Resource;
pub use run::{
    RejectedTransition, Run, RunDetail, RunFilter, RunOrder, RunPage, RunStats, RunStatus,
    percentile,
};
pub use status::{
    AlertList, CloseAlertResponse, JobCursor, JobDetail, JobOverview, JobOverviewPage, JobStatus,
    JobStatusList, RunSpan, SchedulerPresence, StatusSummary, sort_failures_first,
};
pub use throughput::{THROUGHPUT_BUCKET_SECONDS, THROUGHPUT_BUCKETS, Throughput};
pub use transition::{Applied, EventKind, RunOutcome, apply};
pub use trend::{EndedRun, RunDay, RunStatistics, run_days};
pub use worker::{Worker, WorkerList, WorkerState, WorkerStatus};
