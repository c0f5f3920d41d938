use chrono::Utc;
use serde_json::Value;
use telltale_model::{ChannelHeader, ChannelOptions, Notification, Webhook, WebhookFormat};
use telltale_store::WebhookTarget;

use super::*;
use crate::compose::tests::hostile_notice_parts;
use crate::compose::{Notice, alert_link};

fn target(format: WebhookFormat, url: &str, options: ChannelOptions) -> WebhookTarget {
    WebhookTarget {
        webhook: Webhook {
            id: 1,
            name: "t".into(),
            url: url.into(),
            format,
            options,
            routing: Default::default(),
            enabled_alert_types: Vec::new(),
            enabled: true,
            created_at: Utc::now(),
        },
        secret: "whsec_0123456789abcdef".into(),
    }
}

fn hostile(notification: Notification, huge: bool) -> Message {
    let (mut a, mut run) = hostile_notice_parts();
    if huge {
        a.reason = "r".repeat(100_000);
        run.failure_reason = Some("f".repeat(100_000));
        a.job_name = Some("j".repeat(5_000));
    }
    let n = Notice {
        alert: &a,
        notification,
        run: Some(&run),
        link: alert_link(Some("https://tt.example/?a=1&b=2"), 42),
    };
    Message::of(&n, 7, Utc::now())
}

fn body(format: WebhookFormat, url: &str, options: ChannelOptions, m: &Message) -> Value {
    let out = request(&target(format, url, options), m).unwrap().unwrap();
    serde_json::from_slice(&out.body).unwrap()
}

#[test]
fn slack_blocks_cannot_ping_link_or_leave_the_code_block() {
    let m = hostile(Notification::Opened, false);
    let b = body(
        WebhookFormat::Slack,
        "https://hooks.slack.com/x",
        Default::default(),
        &m,
    );
    let section = b["blocks"][1]["text"]["text"].as_str().unwrap();
    assert!(
        section.contains("&lt;!channel&gt; &lt;@\u{200B}U123&gt;"),
        "{section}"
    );
    assert_eq!(section.matches("```").count(), 2, "{section}");
    let text = b["text"].as_str().unwrap();
    assert!(!text.contains("<!channel>"), "{text}");
    let button = &b["blocks"][3]["elements"][0];
    assert_eq!(button["url"], "https://tt.example/?a=1&b=2/alerts/42");
}

#[test]
fn every_chat_message_stays_inside_its_providers_limits() {
    let m = hostile(Notification::Opened, true);
    let chars = |v: &Value| v.as_str().unwrap().chars().count();
    let s = body(WebhookFormat::Slack, "https://x", Default::default(), &m);
    assert!(chars(&s["blocks"][0]["text"]["text"]) <= 150);
    assert!(chars(&s["blocks"][1]["text"]["text"]) <= 3_000);
    for f in s["blocks"][2]["fields"].as_array().unwrap() {
        assert!(chars(&f["text"]) <= 2_000);
    }
    let d = body(WebhookFormat::Discord, "https://x", Default::default(), &m);
    let e = &d["embeds"][0];
    let total = chars(&e["title"])
        + chars(&e["description"])
        + e["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| chars(&f["name"]) + chars(&f["value"]))
            .sum::<usize>()
        + chars(&e["footer"]["text"]);
    assert!(total <= 6_000, "{total}");
    assert!(chars(&e["title"]) <= 256);
    assert_eq!(d["allowed_mentions"]["parse"], serde_json::json!([]));
    let mm = body(
        WebhookFormat::Mattermost,
        "https://x",
        Default::default(),
        &m,
    );
    assert!(chars(&mm["text"]) <= 16_383);
    let opts = ChannelOptions {
        token: Some("123:abc".into()),
        to: Some("-100".into()),
        ..Default::default()
    };
    let t = body(
        WebhookFormat::Telegram,
        "https://api.telegram.org",
        opts.clone(),
        &m,
    );
    assert!(
        chars(&t["text"]) <= 4_096 + 200,
        "markup aside, within 4,096"
    );
    let p = body(
        WebhookFormat::Pushover,
        "https://api.pushover.net",
        opts,
        &m,
    );
    assert!(chars(&p["message"]) <= 1_024 && chars(&p["title"]) <= 250);
}

#[test]
fn an_incident_resolves_by_the_key_it_was_opened_with() {
    let key = ChannelOptions {
        token: Some("R0UTINGKEY0123456789abcdefghijkl".into()),
        ..Default::default()
    };
    let open = body(
        WebhookFormat::Pagerduty,
        "https://events.pagerduty.com",
        key.clone(),
        &hostile(Notification::Opened, false),
    );
    let close = body(
        WebhookFormat::Pagerduty,
        "https://events.pagerduty.com",
        key.clone(),
        &hostile(Notification::Closed, false),
    );
    assert_eq!(open["event_action"], "trigger");
    assert_eq!(close["event_action"], "resolve");
    assert_eq!(open["dedup_key"], close["dedup_key"]);
    let m = hostile(Notification::Closed, false);
    let out = request(
        &target(WebhookFormat::Opsgenie, "https://api.opsgenie.com", key),
        &m,
    )
    .unwrap()
    .unwrap();
    assert_eq!(
        out.url,
        "https://api.opsgenie.com/v2/alerts/telltale-alert-42/close?identifierType=alias"
    );
}

#[test]
fn a_json_template_cannot_be_broken_out_of() {
    let options = ChannelOptions {
        method: Some("PUT".into()),
        headers: vec![ChannelHeader {
            name: "Authorization".into(),
            value: "Bearer t0ken".into(),
        }],
        body: Some(r#"{"text": "{{summary}}", "why": "{{ reason }}", "job": "{{job}}"}"#.into()),
        ..Default::default()
    };
    let mut m = hostile(Notification::Opened, false);
    for f in &mut m.fields {
        if f.0 == "reason" {
            f.1 = "\", \"admin\": true, \"x\": \"\n\u{0}".into();
        }
    }
    let out = request(
        &target(WebhookFormat::Template, "https://x.example/hook", options),
        &m,
    )
    .unwrap()
    .unwrap();
    assert_eq!(out.method, reqwest::Method::PUT);
    assert_eq!(
        out.headers,
        vec![("Authorization".to_owned(), "Bearer t0ken".to_owned())]
    );
    let v: Value = serde_json::from_slice(&out.body).unwrap();
    let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["job", "text", "why"]);
    assert_eq!(v["why"], "\", \"admin\": true, \"x\": \"\n\u{0}");
}

#[test]
fn a_plain_text_template_is_verbatim() {
    let options = ChannelOptions {
        headers: vec![ChannelHeader {
            name: "content-type".into(),
            value: "text/plain".into(),
        }],
        body: Some("{{type}} {{job}}".into()),
        ..Default::default()
    };
    let m = hostile(Notification::Opened, false);
    let out = request(
        &target(WebhookFormat::Template, "https://x.example/", options),
        &m,
    )
    .unwrap()
    .unwrap();
    assert_eq!(out.content_type, "text/plain");
    assert!(out.headers.is_empty());
    assert!(
        String::from_utf8(out.body)
            .unwrap()
            .starts_with("FAILURE job ``` <!channel>")
    );
}

#[test]
fn an_ntfy_url_must_name_a_topic() {
    let m = hostile(Notification::Opened, false);
    let e = request(
        &target(WebhookFormat::Ntfy, "https://ntfy.sh", Default::default()),
        &m,
    )
    .unwrap_err();
    assert!(
        e.permanent && e.message.contains("names no topic"),
        "{}",
        e.message
    );
    let b = body(
        WebhookFormat::Ntfy,
        "https://ntfy.sh/backups",
        Default::default(),
        &m,
    );
    assert_eq!(b["topic"], "backups");
    assert_eq!(b["priority"], 5);
}
