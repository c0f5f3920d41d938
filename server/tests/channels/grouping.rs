//! Routing, grouping, quiet hours and rate limits through the real sender,
//! on a hand-set clock.

use serde_json::{Value, json};
use telltale_delivery::{Deliverer, DeliveryConfig};
use telltale_model::{
    AlertType, ChannelOptions, ChannelRouting, DeliveryStatus, Level, NewEvent, QuietHours,
    Severity, SourceType, WebhookFormat, WebhookSettings,
};

use super::channels;
use crate::receivers::providers::Providers;
use crate::{Rig, t};

on_both_backends!(
    fifty_failures_within_five_seconds_are_one_message_per_channel,
    a_restart_mid_window_loses_nothing_and_sends_nothing_twice,
    alerts_are_routed_by_tag_pattern_severity_and_type,
    quiet_hours_hold_alerts_until_they_end,
    a_rate_limit_holds_what_is_over_it,
    a_missed_alert_is_routed_by_its_jobs_last_tags,
);

pub(super) fn event(kind: &str, job: &str, at: i64, metadata: Value) -> NewEvent {
    NewEvent {
        event_id: None,
        source_type: SourceType::Chief,
        level: Level::Info,
        event_type: kind.into(),
        message: kind.into(),
        event_at: t(at),
        job_name: Some(job.into()),
        run_id: Some(format!("{job}-run")),
        worker_id: Some("nas-client".into()),
        script_path: None,
        metadata,
    }
}

/// `jobs` fail at `at`, each run's metadata `meta`; the engine looks.
pub(super) async fn fail(rig: &Rig, jobs: &[String], at: i64, meta: Value) {
    let mut events = Vec::new();
    for job in jobs {
        events.push(event("job.started", job, at, meta.clone()));
        events.push(event(
            "job.failed",
            job,
            at,
            json!({"failure_reason": "NAS unreachable"}),
        ));
    }
    rig.clock.set(t(at));
    rig.store.ingest(&events, t(at)).await.unwrap();
    rig.engine.tick(jobs, false).await.unwrap();
}

pub(super) async fn add(
    rig: &Rig,
    name: &str,
    format: WebhookFormat,
    url: String,
    options: ChannelOptions,
    routing: ChannelRouting,
    types: Vec<AlertType>,
) -> i64 {
    rig.store
        .create_webhook(
            &WebhookSettings {
                name: name.into(),
                url,
                format,
                options,
                routing,
                enabled_alert_types: types,
                enabled: true,
                secret: None,
            },
            "whsec_grouping_0123456789",
            t(0),
        )
        .await
        .unwrap()
        .id
}

async fn alert_ids(rig: &Rig) -> Vec<i64> {
    let alerts = rig.store.list_alerts(&Default::default()).await.unwrap();
    alerts
        .into_iter()
        .filter(|a| a.alert_type == AlertType::Failure)
        .map(|a| a.id)
        .collect()
}

/// A NAS outage: 50 jobs fail within 5 s, then all recover. Every grouping
/// channel gets one message for the 50 openings and one for the 50
/// closes; an incident tool opens one incident and resolves it once.
async fn fifty_failures_within_five_seconds_are_one_message_per_channel(rig: Rig) {
    let providers = Providers::start().await;
    for (format, url, options) in channels(&providers) {
        if format != WebhookFormat::Template {
            add(
                &rig,
                format.as_str(),
                format,
                url,
                options,
                ChannelRouting::default(),
                vec![AlertType::Failure],
            )
            .await;
        }
    }
    let jobs: Vec<String> = (0..50).map(|i| format!("backup-{i:02}")).collect();
    for (second, chunk) in jobs.chunks(10).enumerate() {
        fail(&rig, chunk, 100 + second as i64, json!({})).await;
    }
    assert_eq!(alert_ids(&rig).await.len(), 50);
    rig.send_at(t(120)).await;
    let names: Vec<&str> = super::provider_names()
        .filter(|n| *n != "template")
        .collect();
    for &name in &names {
        assert!(
            providers.accepted(name).is_empty(),
            "{name}: nothing before the window ends"
        );
    }
    rig.send_at(t(131)).await;
    assert_eq!(providers.refused(), vec![]);
    for &name in &names {
        let got = providers.accepted(name);
        assert_eq!(got.len(), 1, "{name}: one message for 50 alerts");
        assert!(
            got[0].body.to_string().contains("50 alerts open"),
            "{name}: {}",
            got[0].body
        );
    }
    let incident = providers.accepted("pagerduty")[0].body["dedup_key"].clone();

    for id in alert_ids(&rig).await {
        rig.store
            .close_alert(id, "the NAS is back", t(200))
            .await
            .unwrap();
    }
    rig.send_at(t(231)).await;
    assert_eq!(providers.refused(), vec![]);
    for &name in &names {
        let got = providers.accepted(name);
        assert_eq!(got.len(), 2, "{name}: one more message for the 50 closes");
    }
    let resolve = &providers.accepted("pagerduty")[1].body;
    assert_eq!(
        (&resolve["event_action"], &resolve["dedup_key"]),
        (&json!("resolve"), &incident)
    );
    let opsgenie = providers.accepted("opsgenie");
    assert_eq!(opsgenie[1].body["closedAlias"], opsgenie[0].body["alias"]);
    assert!(
        providers.accepted("slack")[1]
            .body
            .to_string()
            .contains("50 alerts closed")
    );
}

/// A sender that stops mid-window and a new one after it: the group
/// leaves once, whole.
async fn a_restart_mid_window_loses_nothing_and_sends_nothing_twice(rig: Rig) {
    let providers = Providers::start().await;
    let (format, url, options) = channels(&providers).remove(0);
    add(
        &rig,
        "slack",
        format,
        url,
        options,
        ChannelRouting::default(),
        vec![AlertType::Failure],
    )
    .await;
    let jobs: Vec<String> = (0..10).map(|i| format!("render-{i}")).collect();
    fail(&rig, &jobs[..5], 100, json!({})).await;
    rig.send_at(t(110)).await;
    assert!(
        providers.accepted("slack").is_empty(),
        "inside the window: nothing is due"
    );
    // The server restarts: a new sender, the same database.
    let restarted = Deliverer::new(
        rig.store.clone(),
        rig.clock.clone(),
        DeliveryConfig {
            public_url: Some("https://telltale.example".into()),
            webhook_allow_private: true,
            ..Default::default()
        },
    )
    .unwrap();
    fail(&rig, &jobs[5..], 115, json!({})).await;
    rig.clock.set(t(131));
    restarted.run_due().await.unwrap();
    rig.clock.set(t(500));
    assert_eq!(restarted.run_due().await.unwrap(), 0);
    assert_eq!(
        rig.send_at(t(600)).await,
        0,
        "the old sender finds nothing left"
    );
    let got = providers.accepted("slack");
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(got[0].body.to_string().contains("10 alerts open"));
}

/// Channels by tag, job pattern, severity and type; the delivery says
/// which rule matched; a job can name a channel itself.
async fn alerts_are_routed_by_tag_pattern_severity_and_type(rig: Rig) {
    let providers = Providers::start().await;
    let hook = |path: &str| providers.url(path);
    let alone = |r: ChannelRouting| ChannelRouting {
        group_seconds: 0,
        ..r
    };
    let db = add(
        &rig,
        "dba",
        WebhookFormat::Mattermost,
        hook("/mattermost/hooks/dba"),
        ChannelOptions::default(),
        alone(ChannelRouting {
            tags: vec!["db".into()],
            ..Default::default()
        }),
        AlertType::ALL.to_vec(),
    )
    .await;
    let etl = add(
        &rig,
        "etl",
        WebhookFormat::Mattermost,
        hook("/mattermost/hooks/etl"),
        ChannelOptions::default(),
        alone(ChannelRouting {
            jobs: vec!["etl-*".into()],
            ..Default::default()
        }),
        AlertType::ALL.to_vec(),
    )
    .await;
    let missed_only = add(
        &rig,
        "missed",
        WebhookFormat::Mattermost,
        hook("/mattermost/hooks/missed"),
        ChannelOptions::default(),
        alone(ChannelRouting::default()),
        vec![AlertType::Missed],
    )
    .await;
    let critical = add(
        &rig,
        "pager",
        WebhookFormat::Mattermost,
        hook("/mattermost/hooks/pager"),
        ChannelOptions::default(),
        alone(ChannelRouting {
            min_severity: Severity::Critical,
            tags: vec!["never".into()],
            ..Default::default()
        }),
        AlertType::ALL.to_vec(),
    )
    .await;

    fail(
        &rig,
        &["pg-backup".into()],
        100,
        json!({"tags": ["db", "nightly"]}),
    )
    .await;
    fail(&rig, &["etl-orders".into()], 110, json!({})).await;
    fail(&rig, &["render".into()], 120, json!({"channels": "pager"})).await;
    rig.send_at(t(130)).await;
    assert_eq!(providers.refused(), vec![]);

    let routed = |hook: i64| {
        let rig = &rig;
        async move {
            let mut out = Vec::new();
            for id in alert_ids(rig).await {
                for d in rig.store.deliveries_for_alert(id).await.unwrap() {
                    if d.webhook_id == Some(hook) {
                        let alert = rig.store.get_alert(id).await.unwrap().unwrap();
                        out.push((alert.job_name.unwrap(), d.route.unwrap_or_default()));
                    }
                }
            }
            out.sort();
            out
        }
    };
    assert_eq!(
        routed(db).await,
        [("pg-backup".to_owned(), "type FAILURE, tag db".to_owned())]
    );
    assert_eq!(
        routed(etl).await,
        [(
            "etl-orders".to_owned(),
            "type FAILURE, job etl-*".to_owned()
        )]
    );
    assert_eq!(routed(missed_only).await, []);
    assert_eq!(
        routed(critical).await,
        [(
            "render".to_owned(),
            "the job names channel pager".to_owned()
        )]
    );
    let texts: Vec<String> = providers
        .accepted("mattermost")
        .iter()
        .map(|g| g.path.clone())
        .collect();
    assert_eq!(texts.len(), 3, "{texts:?}");
}

/// Quiet hours 22:00–07:00 UTC: what opens at night waits for 07:00; what
/// closed meanwhile is not sent at all.
async fn quiet_hours_hold_alerts_until_they_end(rig: Rig) {
    let providers = Providers::start().await;
    let quiet = ChannelRouting {
        group_seconds: 0,
        quiet_hours: Some(QuietHours {
            from: "22:00".into(),
            to: "07:00".into(),
            timezone: "UTC".into(),
        }),
        ..Default::default()
    };
    let hook = add(
        &rig,
        "night",
        WebhookFormat::Gotify,
        providers.url("/gotify"),
        ChannelOptions {
            token: Some(super::p::GOTIFY_TOKEN.into()),
            ..Default::default()
        },
        quiet,
        vec![AlertType::Failure],
    )
    .await;
    let day = 24 * 3600;
    let h = |hours: i64, minutes: i64| day + hours * 3600 + minutes * 60;
    fail(&rig, &["backup".into()], h(23, 0), json!({})).await;
    fail(&rig, &["flappy".into()], h(23, 30), json!({})).await;
    let flappy = rig
        .store
        .list_alerts(&Default::default())
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.job_name.as_deref() == Some("flappy"))
        .unwrap()
        .id;
    rig.store
        .close_alert(flappy, "recovered by itself", t(h(24, 30)))
        .await
        .unwrap();
    rig.send_at(t(h(30, 59))).await;
    assert!(providers.accepted("gotify").is_empty(), "quiet until 07:00");
    rig.send_at(t(h(31, 0))).await;
    let got = providers.accepted("gotify");
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(got[0].body["title"].as_str().unwrap().contains("backup"));
    let skipped: Vec<_> = rig
        .store
        .deliveries_for_alert(flappy)
        .await
        .unwrap()
        .into_iter()
        .filter(|d| d.webhook_id == Some(hook))
        .collect();
    assert_eq!(skipped.len(), 2, "its opening and its close: {skipped:?}");
    assert!(
        skipped.iter().all(|d| d.status == DeliveryStatus::Skipped),
        "{skipped:?}"
    );
}

/// At most two messages an hour: the third waits for the oldest to age out.
async fn a_rate_limit_holds_what_is_over_it(rig: Rig) {
    let providers = Providers::start().await;
    let limited = ChannelRouting {
        group_seconds: 0,
        max_per_hour: 2,
        ..Default::default()
    };
    add(
        &rig,
        "limited",
        WebhookFormat::Mattermost,
        providers.url("/mattermost/hooks/x"),
        ChannelOptions::default(),
        limited,
        vec![AlertType::Failure],
    )
    .await;
    for (i, job) in ["a", "b", "c"].iter().enumerate() {
        let at = 100 + 60 * i as i64;
        fail(&rig, &[(*job).to_owned()], at, json!({})).await;
        rig.send_at(t(at + 1)).await;
    }
    assert_eq!(providers.accepted("mattermost").len(), 2);
    rig.send_at(t(101 + 3599)).await;
    assert_eq!(
        providers.accepted("mattermost").len(),
        2,
        "not yet an hour since the first"
    );
    rig.send_at(t(101 + 3600)).await;
    assert_eq!(providers.accepted("mattermost").len(), 3);
}

/// A MISSED alert has no run of its own: it is routed by the tags its
/// job's producer sent last.
async fn a_missed_alert_is_routed_by_its_jobs_last_tags(rig: Rig) {
    let providers = Providers::start().await;
    let dba = ChannelRouting {
        group_seconds: 0,
        tags: vec!["db".into()],
        ..Default::default()
    };
    let hook = add(
        &rig,
        "dba",
        WebhookFormat::Mattermost,
        providers.url("/mattermost/hooks/dba"),
        ChannelOptions::default(),
        dba,
        vec![AlertType::Missed],
    )
    .await;
    let job = "pg-dump";
    let events = vec![
        event(
            "job.started",
            job,
            0,
            json!({"grace_seconds": 60, "tags": ["db"]}),
        ),
        event("job.completed", job, 5, json!({})),
        NewEvent {
            run_id: None,
            ..event(
                "job.next_scheduled",
                job,
                6,
                json!({"next_run_at": t(100).to_rfc3339()}),
            )
        },
    ];
    rig.clock.set(t(6));
    rig.store.ingest(&events, t(6)).await.unwrap();
    for at in [10, 130, 200] {
        rig.clock.set(t(at));
        rig.engine.tick(&[job.to_owned()], false).await.unwrap();
    }
    rig.send_at(t(201)).await;
    let got = providers.accepted("mattermost");
    let alerts = rig.store.list_alerts(&Default::default()).await.unwrap();
    assert_eq!(got.len(), 1, "{:?} {alerts:?}", providers.refused());
    assert!(got[0].body["text"].as_str().unwrap().contains("MISSED"));
    let missed = rig
        .store
        .list_alerts(&Default::default())
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.alert_type == AlertType::Missed)
        .unwrap();
    let routes: Vec<_> = rig
        .store
        .deliveries_for_alert(missed.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|d| d.webhook_id == Some(hook))
        .map(|d| d.route)
        .collect();
    assert_eq!(routes, [Some("type MISSED, tag db".to_owned())]);
}
