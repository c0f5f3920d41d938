//! The canary itself, on an untouched server: the baseline every other
//! trust test ends with.

#[tokio::test]
async fn a_failed_run_opens_a_failure_alert_that_is_delivered() {
    crate::on_each_backend!("canary_baseline", &[], |rig| { rig });
}
