//! Every channel's provider, end to end: an alert opens and closes through
//! the real sender, and each provider's receiver (which refuses what the
//! provider would) gets exactly one opening and one resolving message.

use telltale_model::{
    AlertType, ChannelHeader, ChannelOptions, ChannelRouting, WebhookFormat, WebhookSettings,
};

mod grouping;
mod operator;

use crate::receivers::providers::{self as p, Providers};
use crate::{Rig, t};

/// Routing that sends each alert alone, at once.
fn alone() -> ChannelRouting {
    ChannelRouting {
        group_seconds: 0,
        ..Default::default()
    }
}

/// One channel of every provider, each at its receiver, each for FAILURE
/// alerts only (so a close is the only second message).
fn channels(r: &Providers) -> Vec<(WebhookFormat, String, ChannelOptions)> {
    let token = |t: &str| ChannelOptions {
        token: Some(t.into()),
        ..Default::default()
    };
    let token_to = |t: &str, to: &str| ChannelOptions {
        to: Some(to.into()),
        ..token(t)
    };
    vec![
        (WebhookFormat::Slack, r.url("/slack/services/T000/B000/XXXXXXXXXXXXXXXX"), ChannelOptions::default()),
        (WebhookFormat::Discord, r.url(&format!("/discord/api/webhooks/123/{}", p::DISCORD_TOKEN)), ChannelOptions::default()),
        (WebhookFormat::Teams, r.url("/teams/workflows/abc/triggers/manual/paths/invoke?api-version=1&sig=s1g"), ChannelOptions::default()),
        (WebhookFormat::Mattermost, r.url("/mattermost/hooks/xxxgeneratedkeyxxx"), ChannelOptions::default()),
        (WebhookFormat::Rocketchat, r.url("/rocketchat/hooks/abc/def"), ChannelOptions::default()),
        (WebhookFormat::Googlechat, r.url("/googlechat/v1/spaces/AAA/messages?key=k3y&token=t0k"), ChannelOptions::default()),
        (WebhookFormat::Telegram, r.url("/telegram"), token_to(p::TELEGRAM_TOKEN, p::TELEGRAM_CHAT)),
        (WebhookFormat::Ntfy, r.url("/ntfy/backups"), token(p::NTFY_TOKEN)),
        (WebhookFormat::Gotify, r.url("/gotify"), token(p::GOTIFY_TOKEN)),
        (WebhookFormat::Pushover, r.url("/pushover"), token_to(p::PUSHOVER_TOKEN, p::PUSHOVER_USER)),
        (WebhookFormat::Matrix, r.url("/matrix"), token_to(p::MATRIX_TOKEN, p::MATRIX_ROOM)),
        (WebhookFormat::Pagerduty, r.url("/pagerduty"), token(p::PAGERDUTY_KEY)),
        (WebhookFormat::Opsgenie, r.url("/opsgenie"), token(p::OPSGENIE_KEY)),
        (WebhookFormat::Apprise, r.url(&format!("/apprise/notify/{}", p::APPRISE_KEY)), ChannelOptions::default()),
        (
            WebhookFormat::Template,
            r.url("/template/hook"),
            ChannelOptions {
                method: Some("PUT".into()),
                headers: vec![ChannelHeader {
                    name: "Authorization".into(),
                    value: p::TEMPLATE_AUTH.into(),
                }],
                body: Some(r#"{"text": "{{summary}}", "event": "{{event}}", "why": "{{failureReason}}", "link": "{{url}}"}"#.into()),
                ..Default::default()
            },
        ),
    ]
}

on_both_backends!(
    every_channel_opens_and_resolves_an_alert_once,
    a_recovery_is_no_incident_and_chats_hear_of_it,
    a_test_send_says_what_the_provider_answered,
);

/// The provider names the receiver files requests under: every format's
/// but Telltale's own.
fn provider_names() -> impl Iterator<Item = &'static str> {
    WebhookFormat::ALL
        .into_iter()
        .filter(|f| *f != WebhookFormat::Generic)
        .map(WebhookFormat::as_str)
}

async fn add_channels(rig: &Rig, providers: &Providers) {
    for (format, url, options) in channels(providers) {
        let settings = WebhookSettings {
            name: format.as_str().into(),
            url,
            format,
            options,
            routing: alone(),
            enabled_alert_types: vec![AlertType::Failure],
            enabled: true,
            secret: None,
        };
        settings
            .validate()
            .unwrap_or_else(|e| panic!("{format:?}: {e:?}"));
        rig.store
            .create_webhook(&settings, "whsec_channels_0123456789", t(0))
            .await
            .unwrap();
    }
}

async fn every_channel_opens_and_resolves_an_alert_once(rig: Rig) {
    let providers = Providers::start().await;
    add_channels(&rig, &providers).await;
    let alert = rig.fail("r1", 10).await;
    rig.send_at(t(16)).await;
    for name in provider_names() {
        assert_eq!(
            providers.accepted(name).len(),
            1,
            "{name}: {:?}",
            providers.refused()
        );
    }
    rig.store
        .close_alert(alert, "fixed the NAS", t(100))
        .await
        .unwrap();
    rig.send_at(t(101)).await;
    assert_eq!(providers.refused(), vec![], "no provider refused anything");
    for name in provider_names() {
        let got = providers.accepted(name);
        assert_eq!(got.len(), 2, "{name}: one opening, one resolve");
        let (open, close) = (got[0].body.to_string(), got[1].body.to_string());
        assert!(
            open.contains("rsync: code 23") || name == "pushover" || name == "pagerduty",
            "{name}: {open}"
        );
        match name {
            "pagerduty" => {
                assert_eq!(got[0].body["event_action"], "trigger");
                assert_eq!(got[1].body["event_action"], "resolve");
                assert_eq!(got[0].body["dedup_key"], got[1].body["dedup_key"]);
            }
            "opsgenie" => {
                assert_eq!(got[0].path, "/opsgenie/v2/alerts");
                assert_eq!(got[1].body["closedAlias"], got[0].body["alias"]);
            }
            "template" => {
                assert_eq!(got[0].body["_method"], "PUT");
                assert_eq!(got[0].body["event"], "alert.opened");
                assert_eq!(got[1].body["event"], "alert.closed");
                assert!(got[0].headers.contains_key("x-telltale-signature"));
            }
            "googlechat" => {
                assert_eq!(
                    got[0].body["thread"], got[1].body["thread"],
                    "the close is a reply in the alert's thread"
                );
                assert!(close.contains("fixed the NAS"), "{close}");
            }
            _ => {
                assert!(close.contains("closed"), "{name}: {close}");
                assert!(
                    close.contains("https://telltale.example/alerts/"),
                    "{name}: the close links the same alert: {close}"
                );
            }
        }
    }
    let webhook = rig.hook.accepted();
    assert_eq!(webhook.len(), 2, "the generic webhook as before");
}

async fn a_recovery_is_no_incident_and_chats_hear_of_it(rig: Rig) {
    let providers = Providers::start().await;
    add_channels(&rig, &providers).await;
    for hook in rig.store.list_webhooks().await.unwrap() {
        let target = rig.store.webhook_target(hook.id).await.unwrap().unwrap();
        let mut s = WebhookSettings {
            name: hook.name,
            url: target.webhook.url,
            format: hook.format,
            options: target.webhook.options,
            routing: Default::default(),
            enabled_alert_types: vec![AlertType::Recovery],
            enabled: true,
            secret: None,
        };
        s.enabled_alert_types = vec![AlertType::Recovery];
        rig.store.update_webhook(hook.id, &s, t(1)).await.unwrap();
    }
    rig.fail("r1", 10).await;
    rig.recover("r2", 60).await;
    rig.send_at(t(120)).await;
    assert_eq!(providers.refused(), vec![]);
    for name in provider_names() {
        let expected = usize::from(!["pagerduty", "opsgenie"].contains(&name));
        assert_eq!(providers.accepted(name).len(), expected, "{name}");
    }
}

async fn a_test_send_says_what_the_provider_answered(rig: Rig) {
    let providers = Providers::start().await;
    let cases = [
        (
            WebhookFormat::Telegram,
            providers.url("/telegram"),
            ChannelOptions {
                token: Some(p::TELEGRAM_TOKEN.into()),
                to: Some("-42".into()),
                ..Default::default()
            },
            "Telegram answered HTTP 400 Bad Request: Bad Request: chat not found",
        ),
        (
            WebhookFormat::Matrix,
            providers.url("/matrix"),
            ChannelOptions {
                token: Some("syt_wrong".into()),
                to: Some(p::MATRIX_ROOM.into()),
                ..Default::default()
            },
            "M_UNKNOWN_TOKEN: Invalid access token passed.",
        ),
        (
            WebhookFormat::Pagerduty,
            providers.url("/pagerduty"),
            ChannelOptions {
                token: Some("short".into()),
                ..Default::default()
            },
            "Length of 'routing_key' is incorrect",
        ),
        (
            WebhookFormat::Apprise,
            providers.url("/apprise/notify/nobody"),
            ChannelOptions::default(),
            "no URL for this key",
        ),
        (
            WebhookFormat::Discord,
            providers.url("/discord/api/webhooks/1/wrong"),
            ChannelOptions::default(),
            "Invalid Webhook Token",
        ),
        (
            WebhookFormat::Pushover,
            providers.url("/pushover"),
            ChannelOptions {
                token: Some(p::PUSHOVER_TOKEN.into()),
                to: Some("uWrongUserKey".into()),
                ..Default::default()
            },
            "user identifier is not a valid user",
        ),
    ];
    for (format, url, options, says) in cases {
        let created = rig
            .store
            .create_webhook(
                &WebhookSettings {
                    name: format.as_str().into(),
                    url,
                    format,
                    options,
                    routing: alone(),
                    enabled_alert_types: vec![AlertType::Failure],
                    enabled: true,
                    secret: None,
                },
                "whsec_channels_0123456789",
                t(0),
            )
            .await
            .unwrap();
        let outcome = rig.sender.test_webhook(created.id).await.unwrap().unwrap();
        assert_eq!(outcome.failed, 1, "{format:?}: {}", outcome.message);
        assert!(
            outcome.message.contains(says),
            "{format:?}: {}",
            outcome.message
        );
    }
    // A test to an incident tool opens a test incident and resolves it.
    let created = rig
        .store
        .create_webhook(
            &WebhookSettings {
                name: "pd".into(),
                url: providers.url("/pagerduty"),
                format: WebhookFormat::Pagerduty,
                options: ChannelOptions {
                    token: Some(p::PAGERDUTY_KEY.into()),
                    ..Default::default()
                },
                routing: alone(),
                enabled_alert_types: vec![AlertType::Failure],
                enabled: true,
                secret: None,
            },
            "whsec_channels_0123456789",
            t(0),
        )
        .await
        .unwrap();
    let outcome = rig.sender.test_webhook(created.id).await.unwrap().unwrap();
    assert_eq!(outcome.sent, 1, "{}", outcome.message);
    let got = providers.accepted("pagerduty");
    let actions: Vec<_> = got
        .iter()
        .map(|g| g.body["event_action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["trigger", "resolve"]);
}
