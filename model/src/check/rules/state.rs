//! A job's check state at a given time, and the reason for it, in words.

use chrono::{DateTime, Duration, Utc};

use super::{JobContext, plus, secs};
use crate::check::CheckState;
use crate::job::Job;

/// The state of `job` at `now`, and why.
pub fn check_state(job: &Job, ctx: &JobContext, now: DateTime<Utc>) -> (CheckState, String) {
    let policy = &job.policy;
    if !policy.check_enabled {
        return (
            CheckState::Paused,
            "checking is off (check_enabled: false)".into(),
        );
    }
    if let (Some(run), Some(max)) = (&ctx.running, policy.max_runtime_seconds)
        && now > plus(run.started_at, secs(max))
    {
        return (
            CheckState::Down,
            format!(
                "overrun: run {} started at {} is still running after max_runtime_seconds {max}",
                run.run_id, run.started_at
            ),
        );
    }
    // Any start, success or failure is a first signal.
    let seen = job.last_heartbeat_at.is_some() || job.last_failure_at.is_some();
    let Some(expected) = ctx.expected else {
        return if seen {
            (CheckState::Up, "runs seen; no next run expected".into())
        } else {
            (CheckState::New, "no run seen yet".into())
        };
    };
    // The expected run came: the job is up until the next expectation.
    if job.last_heartbeat_at.is_some_and(|beat| beat >= expected) {
        return (CheckState::Up, "the expected run started".into());
    }
    let grace = secs(policy.start_grace());
    let grace_name = if policy.start_grace() < policy.grace_seconds {
        "start_grace_seconds"
    } else {
        "grace"
    };
    let overdue = now - expected;
    if overdue <= Duration::zero() {
        return if seen {
            (CheckState::Up, format!("next run expected at {expected}"))
        } else {
            (CheckState::New, format!("first run expected at {expected}"))
        };
    }
    let mut down_at = plus(expected, grace);
    let mut counted_from = String::new();
    if let Some(blind) = &ctx.blind
        && down_at >= blind.since
    {
        match blind.until {
            None if now > down_at => match blind.hold_until {
                Some(end) if now > end => {
                    counted_from = format!(
                        "; {} (MISSED was held until {end} and is no longer)",
                        blind.cause
                    );
                }
                _ => {
                    return (
                        CheckState::Late,
                        format!(
                            "monitor_blind: expected at {expected}; MISSED held while {}",
                            blind.cause
                        ),
                    );
                }
            },
            Some(until) if expected < until => {
                down_at = down_at.max(plus(until, grace));
                counted_from = format!(
                    " (grace counted from {until}, when Telltale could see again after {})",
                    blind.cause
                );
            }
            _ => {}
        }
    }
    if now <= down_at {
        (
            CheckState::Late,
            format!(
                "expected at {expected}; {}s late, {grace_name} {}s{counted_from}",
                overdue.num_seconds(),
                grace.num_seconds()
            ),
        )
    } else {
        (
            CheckState::Down,
            format!(
                "expected at {expected}; no start within the {}s {grace_name}{counted_from}",
                grace.num_seconds()
            ),
        )
    }
}
