use serde_json::json;

use crate::helpers::TestApp;

#[tokio::test]
async fn maintenance_windows_are_added_listed_and_removed() {
    let app = TestApp::spawn().await;
    let (status, window) = app
        .post_json(
            "/v1/maintenance-windows",
            &json!({
                "jobName": "db-dump",
                "schedule": "0 3 * * 0",
                "timezone": "Europe/Berlin",
                "durationSeconds": 3600,
                "reason": "weekly vacuum"
            }),
        )
        .await;
    assert_eq!(status, 201, "{window}");
    assert_eq!(window["jobName"], "db-dump");
    let id = window["id"].as_i64().unwrap();

    // Bad windows say which field is wrong, and store nothing.
    for (body, field) in [
        (
            json!({"schedule": "0 3 * * 0", "durationSeconds": 60}),
            "reason",
        ),
        (
            json!({"schedule": "0 3 * * 0", "durationSeconds": 60, "timezone": "Mars/Base", "reason": "x"}),
            "timezone",
        ),
        (
            json!({"schedule": "0 3 * * 0", "reason": "x"}),
            "durationSeconds",
        ),
        (
            json!({"startsAt": "2026-05-01T12:00:00Z", "endsAt": "2026-05-01T10:00:00Z", "reason": "x"}),
            "endsAt",
        ),
        (json!({"reason": "x", "colour": "red"}), "colour"),
    ] {
        let (status, err) = app.post_json("/v1/maintenance-windows", &body).await;
        assert_eq!(status, 400, "{body} → {err}");
        assert_eq!(err["error"]["code"], "invalid_field");
        assert_eq!(err["error"]["field"], field, "{err}");
    }
    let (_, list) = app.get_json("/v1/maintenance-windows").await;
    assert_eq!(list["windows"].as_array().unwrap().len(), 1);

    let url = app.url(&format!("/v1/maintenance-windows/{id}"));
    let resp = app.client.delete(&url).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 204);
    let resp = app.client.delete(&url).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 404);
    let (_, list) = app.get_json("/v1/maintenance-windows").await;
    assert_eq!(list["windows"], json!([]));
    app.stop().await;
}
