//! Accounts, sessions and API keys, on SQLite and (under CI) PostgreSQL.

// Only part of the shared support is used here.
#[allow(dead_code)]
mod support;

use chrono::{DateTime, Duration, Utc};
use telltale_model::{KeyScope, Role};
use telltale_store::{Store, StoreError};

fn t(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_764_000_000, 0).unwrap() + Duration::seconds(secs)
}

async fn story(store: &Store) {
    let admin = store
        .create_user("Ada@Example.com", "hash-a", Role::Admin, t(0))
        .await
        .unwrap();
    assert_eq!(
        admin.email, "ada@example.com",
        "emails are stored lower-cased"
    );
    assert!(matches!(
        store
            .create_user("ada@example.COM", "hash-b", Role::Viewer, t(1))
            .await,
        Err(StoreError::DuplicateEmail)
    ));
    let (found, hash) = store
        .user_credentials(" ADA@example.com ")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((found.id, hash.as_str()), (admin.id, "hash-a"));

    // The only admin cannot be removed; a viewer can.
    assert!(matches!(
        store.delete_user(admin.id).await,
        Err(StoreError::LastAdmin)
    ));
    let viewer = store
        .create_user("vic@example.com", "hash-v", Role::Viewer, t(2))
        .await
        .unwrap();
    assert!(store.delete_user(viewer.id).await.unwrap());
    assert_eq!(store.count_users().await.unwrap(), 1);

    // Roles: the last admin cannot be demoted; a second one can be.
    assert!(matches!(
        store.set_role(admin.id, Role::Viewer).await,
        Err(StoreError::LastAdmin)
    ));
    let other = store
        .create_user("other@example.com", "hash-o", Role::Viewer, t(3))
        .await
        .unwrap();
    let promoted = store
        .set_role(other.id, Role::Admin)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(promoted.role, Role::Admin);
    assert!(store.set_role(999, Role::Admin).await.unwrap().is_none());
    store.set_role(other.id, Role::Viewer).await.unwrap();
    assert!(store.delete_user(other.id).await.unwrap());

    // Sessions: idle expiry, absolute expiry, logout, password reset.
    let idle = Duration::minutes(30);
    store
        .create_session("s1", admin.id, t(0), t(3600))
        .await
        .unwrap();
    assert!(
        store
            .session_user("s1", t(60), idle)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .session_user("s1", t(60 + 1800), idle)
            .await
            .unwrap()
            .is_none(),
        "unused for the idle time"
    );
    assert!(
        store
            .session_user("s1", t(61), idle)
            .await
            .unwrap()
            .is_none(),
        "an expired session is deleted, not revived"
    );
    store
        .create_session("s2", admin.id, t(0), t(100))
        .await
        .unwrap();
    assert!(
        store
            .session_user("s2", t(99), idle)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .session_user("s2", t(100), idle)
            .await
            .unwrap()
            .is_none()
    );
    store
        .create_session("s3", admin.id, t(0), t(3600))
        .await
        .unwrap();
    store.delete_session("s3").await.unwrap();
    assert!(
        store
            .session_user("s3", t(1), idle)
            .await
            .unwrap()
            .is_none()
    );
    store
        .create_session("s4", admin.id, t(0), t(3600))
        .await
        .unwrap();
    assert!(store.set_password(admin.id, "hash-new").await.unwrap());
    assert!(
        store
            .session_user("s4", t(1), idle)
            .await
            .unwrap()
            .is_none(),
        "a password reset ends the sessions"
    );

    // API keys: only live keys are found; revoking stamps once.
    let key = store
        .create_api_key("render farm", KeyScope::Ingest, "k1", "tt_abcd", t(0))
        .await
        .unwrap();
    let used = store.use_api_key("k1", t(10)).await.unwrap().unwrap();
    assert_eq!(used.scope, KeyScope::Ingest);
    assert_eq!(used.last_used_at, Some(t(10)));
    let revoked = store.revoke_api_key(key.id, t(20)).await.unwrap().unwrap();
    assert_eq!(revoked.revoked_at, Some(t(20)));
    let again = store.revoke_api_key(key.id, t(30)).await.unwrap().unwrap();
    assert_eq!(again.revoked_at, Some(t(20)));
    assert!(store.use_api_key("k1", t(40)).await.unwrap().is_none());
    assert!(store.revoke_api_key(999, t(40)).await.unwrap().is_none());
    assert_eq!(store.list_api_keys().await.unwrap().len(), 1);
}

#[tokio::test]
async fn accounts_sessions_and_keys_on_sqlite() {
    let (store, _target, _dir) = support::sqlite().await;
    story(&store).await;
}

#[tokio::test]
async fn accounts_sessions_and_keys_on_postgres() {
    let Some((store, _target)) = support::postgres("accounts_sessions_and_keys_on_postgres").await
    else {
        return;
    };
    story(&store).await;
}

/// Two admins removing each other at the same moment: one wins, one admin
/// stays.
async fn race(store: &Store) {
    let a = store
        .create_user("a@example.com", "h", Role::Admin, t(0))
        .await
        .unwrap();
    let b = store
        .create_user("b@example.com", "h", Role::Admin, t(0))
        .await
        .unwrap();
    let (ra, rb) = tokio::join!(store.delete_user(a.id), store.delete_user(b.id));
    let wins = [&ra, &rb].iter().filter(|r| matches!(r, Ok(true))).count();
    assert_eq!(wins, 1, "{ra:?} {rb:?}");
    assert!(
        [ra, rb]
            .into_iter()
            .any(|r| matches!(r, Err(StoreError::LastAdmin)))
    );
    assert_eq!(store.list_users().await.unwrap().len(), 1);
}

#[tokio::test]
async fn admins_removing_each_other_leave_one_on_sqlite() {
    let (store, _target, _dir) = support::sqlite().await;
    race(&store).await;
}

#[tokio::test]
async fn admins_removing_each_other_leave_one_on_postgres() {
    let Some((store, _target)) =
        support::postgres("admins_removing_each_other_leave_one_on_postgres").await
    else {
        return;
    };
    race(&store).await;
}
