pub mod alert_table;
pub mod badge;
pub mod chart;
pub mod data_table;
pub mod event_table;
pub mod format;
pub mod run_table;
pub mod time;
