pub mod alerts;
pub mod events;
pub mod job_detail;
pub mod jobs;
pub mod not_found;
pub mod overview;
pub mod runs;
pub mod workers;
