use std::io::Write;

use super::*;

fn line(n: usize) -> String {
    format!(r#"{{"eventId":"e{n}","message":"line {n}"}}"#)
}

fn ids(batch: &Batch) -> Vec<String> {
    batch
        .lines
        .iter()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["eventId"].as_str().unwrap().to_owned()
        })
        .collect()
}

#[test]
fn appended_events_read_back_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut spool = Spool::create(dir.path(), "nightly render").unwrap();
    assert!(
        spool
            .path()
            .to_string_lossy()
            .ends_with("-nightly_render.jsonl")
    );
    for n in 0..5 {
        spool.append(&line(n)).unwrap();
    }
    let batch = spool.pending(100, 1 << 20).unwrap();
    assert_eq!(ids(&batch), ["e0", "e1", "e2", "e3", "e4"]);
    assert_eq!(batch.damaged, 0);
    // Reading does not consume: until acknowledged, the same lines come back.
    assert_eq!(spool.pending(100, 1 << 20).unwrap(), batch);
}

#[test]
fn batches_respect_count_and_size_limits() {
    let dir = tempfile::tempdir().unwrap();
    let mut spool = Spool::create(dir.path(), "w").unwrap();
    for n in 0..10 {
        spool.append(&line(n)).unwrap();
    }
    let first = spool.pending(3, 1 << 20).unwrap();
    assert_eq!(ids(&first), ["e0", "e1", "e2"]);
    spool.ack(first.end).unwrap();
    // Room for about two lines: never a partial one.
    let small = spool.pending(100, line(3).len() * 2 + 5).unwrap();
    assert_eq!(ids(&small), ["e3", "e4"]);
    // A window smaller than one line still yields that line.
    let tiny = spool.pending(100, 4).unwrap();
    assert_eq!(ids(&tiny), ["e3"]);
}

#[test]
fn acknowledging_everything_truncates_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut spool = Spool::create(dir.path(), "w").unwrap();
    spool.append(&line(0)).unwrap();
    spool.append(&line(1)).unwrap();
    let batch = spool.pending(1, 1 << 20).unwrap();
    spool.ack(batch.end).unwrap();
    assert!(!spool.is_drained());
    assert!(
        fs::metadata(spool.path()).unwrap().len() > 0,
        "e1 still waits"
    );
    assert_eq!(ids(&spool.pending(10, 1 << 20).unwrap()), ["e1"]);

    let batch = spool.pending(10, 1 << 20).unwrap();
    spool.ack(batch.end).unwrap();
    assert!(spool.is_drained());
    assert_eq!(fs::metadata(spool.path()).unwrap().len(), 0);
    // The file goes on from the start.
    spool.append(&line(2)).unwrap();
    assert_eq!(ids(&spool.pending(10, 1 << 20).unwrap()), ["e2"]);
}

#[test]
fn a_live_spool_cannot_be_adopted_but_a_dead_ones_can() {
    let dir = tempfile::tempdir().unwrap();
    let mut spool = Spool::create(dir.path(), "w").unwrap();
    spool.append(&line(0)).unwrap();
    spool.append(&line(1)).unwrap();
    let path = spool.path().to_owned();
    assert_eq!(
        Spool::list(dir.path(), None).unwrap(),
        std::slice::from_ref(&path)
    );
    assert_eq!(
        Spool::list(dir.path(), Some(&path)).unwrap(),
        Vec::<PathBuf>::new()
    );
    assert!(
        Spool::adopt(&path).unwrap().is_none(),
        "its owner holds the lock"
    );

    drop(spool); // the owner exits (or dies) with events undelivered
    let mut orphan = Spool::adopt(&path).unwrap().expect("adoptable");
    assert!(orphan.is_adopted());
    assert!(
        Spool::adopt(&path).unwrap().is_none(),
        "one adopter at a time"
    );
    let batch = orphan.pending(10, 1 << 20).unwrap();
    assert_eq!(ids(&batch), ["e0", "e1"]);
    orphan.ack(batch.end).unwrap();
    assert!(orphan.is_drained());
    orphan.remove().unwrap();
    assert!(!path.exists());
    assert!(Spool::adopt(&path).unwrap().is_none(), "gone");
}

#[test]
fn a_torn_last_line_after_a_crash_is_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let mut spool = Spool::create(dir.path(), "w").unwrap();
    spool.append(&line(0)).unwrap();
    spool.append(&line(1)).unwrap();
    let path = spool.path().to_owned();
    // The process died half way through writing a third event.
    let mut raw = OpenOptions::new().append(true).open(&path).unwrap();
    raw.write_all(br#"{"eventId":"e2","mess"#).unwrap();
    drop(raw);
    drop(spool);

    let mut orphan = Spool::adopt(&path).unwrap().unwrap();
    let batch = orphan.pending(10, 1 << 20).unwrap();
    assert_eq!(ids(&batch), ["e0", "e1"]);
    assert_eq!(batch.damaged, 0);
    orphan.ack(batch.end).unwrap();
    assert!(
        orphan.is_drained(),
        "the torn line is not waiting for delivery"
    );
}

#[test]
fn a_damaged_line_is_passed_over_not_sent() {
    let dir = tempfile::tempdir().unwrap();
    let mut spool = Spool::create(dir.path(), "w").unwrap();
    spool.append(&line(0)).unwrap();
    spool.append("not json").unwrap();
    spool.append(&line(2)).unwrap();
    let batch = spool.pending(10, 1 << 20).unwrap();
    assert_eq!(ids(&batch), ["e0", "e2"]);
    assert_eq!(batch.damaged, 1);
}

#[test]
fn an_event_must_be_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut spool = Spool::create(dir.path(), "w").unwrap();
    assert!(spool.append("{}\n{}").is_err());
    spool.append(&line(0)).unwrap();
    assert_eq!(ids(&spool.pending(10, 1 << 20).unwrap()), ["e0"]);
}

#[test]
fn files_list_oldest_first_and_ignore_strangers() {
    let dir = tempfile::tempdir().unwrap();
    let a = Spool::create(dir.path(), "a").unwrap();
    std::thread::sleep(std::time::Duration::from_millis(2));
    let b = Spool::create(dir.path(), "b").unwrap();
    fs::write(dir.path().join("notes.txt"), "x").unwrap();
    assert_eq!(
        Spool::list(dir.path(), None).unwrap(),
        [a.path().to_owned(), b.path().to_owned()]
    );
    assert!(
        Spool::list(&dir.path().join("missing"), None)
            .unwrap()
            .is_empty()
    );
}

#[cfg(unix)]
#[test]
fn the_directory_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let spool_dir = dir.path().join("state").join("spool");
    Spool::create(&spool_dir, "w").unwrap();
    let mode = fs::metadata(&spool_dir).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o700);
}
