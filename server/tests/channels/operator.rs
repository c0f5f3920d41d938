//! Routing by what operators set on a job (`/v1/jobs`, the dashboard):
//! its tags, and the channels it always notifies, with no word from its
//! producer. Reminders of an open alert follow the same routing.

use serde_json::json;
use telltale_model::{AlertType, ChannelOptions, ChannelRouting, Job, WebhookFormat};

use super::grouping::{add, fail};
use crate::receivers::providers::Providers;
use crate::{Rig, t};

on_both_backends!(
    a_job_is_routed_by_its_operators_tags_and_channels,
    a_reminder_follows_its_alerts_routing,
);

/// A Mattermost channel `name` for every alert type of jobs tagged `tag`,
/// each alert alone; its id.
async fn tagged(rig: &Rig, providers: &Providers, name: &str, tag: &str) -> i64 {
    let routing = ChannelRouting {
        group_seconds: 0,
        tags: vec![tag.to_owned()],
        ..Default::default()
    };
    add(
        rig,
        name,
        WebhookFormat::Mattermost,
        providers.url(&format!("/mattermost/hooks/{name}")),
        ChannelOptions::default(),
        routing,
        AlertType::ALL.to_vec(),
    )
    .await
}

async fn a_job_is_routed_by_its_operators_tags_and_channels(rig: Rig) {
    let providers = Providers::start().await;
    let mut hooks = Vec::new();
    for (name, tag) in [("dba", "db"), ("pager", "never"), ("web", "web")] {
        hooks.push((name, tagged(&rig, &providers, name, tag).await));
    }
    let mut job = Job::new("pg-dump", t(0));
    job.managed.tags = vec!["db".into()];
    job.managed.channels = vec!["pager".into()];
    assert!(rig.store.create_job(&job).await.unwrap());
    // Another job with neither: told to no channel at all.
    fail(&rig, &["pg-dump".into(), "render".into()], 100, json!({})).await;
    rig.send_at(t(101)).await;
    assert_eq!(providers.refused(), vec![]);

    let alerts = rig.store.list_alerts(&Default::default()).await.unwrap();
    let mut routed = Vec::new();
    for alert in alerts {
        for d in rig.store.deliveries_for_alert(alert.id).await.unwrap() {
            // The rig's email (not a channel here) is told of everything.
            let Some((channel, _)) = hooks.iter().find(|(_, id)| d.webhook_id == Some(*id)) else {
                continue;
            };
            routed.push((
                alert.job_name.clone().unwrap_or_default(),
                channel.to_string(),
                d.route.unwrap_or_default(),
            ));
        }
    }
    routed.sort();
    assert_eq!(
        routed,
        [
            (
                "pg-dump".into(),
                "dba".into(),
                "type FAILURE, tag db".into()
            ),
            (
                "pg-dump".into(),
                "pager".into(),
                "the job names channel pager".into()
            ),
        ] as [(String, String, String); 2]
    );
    assert_eq!(providers.accepted("mattermost").len(), 2);
}

/// An open FAILURE repeated every 60 s reaches the channel its tag routes
/// it to each time, and never the channel of another tag.
async fn a_reminder_follows_its_alerts_routing(rig: Rig) {
    let providers = Providers::start().await;
    for (name, tag) in [("dba", "db"), ("web", "web")] {
        tagged(&rig, &providers, name, tag).await;
    }
    let meta = json!({"tags": ["db"], "repeat_interval_seconds": 60});
    fail(&rig, &["pg-dump".into()], 100, meta).await;
    rig.send_at(t(101)).await;
    for at in [160, 220] {
        rig.clock.set(t(at));
        rig.engine.tick(&[], false).await.unwrap();
        rig.send_at(t(at + 1)).await;
    }
    assert_eq!(providers.refused(), vec![]);
    let paths: Vec<String> = providers
        .accepted("mattermost")
        .iter()
        .map(|g| g.path.clone())
        .collect();
    assert_eq!(paths, vec!["/mattermost/hooks/dba".to_owned(); 3]);
}
