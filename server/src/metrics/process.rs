//! The process's own figures under the names every Prometheus client library
//! gives them (`process_*`, unprefixed, so the usual dashboards and alerts
//! work): CPU time, memory, file descriptors and start time, read from
//! `/proc/self` at each scrape. Only Linux has them; elsewhere, and if
//! `/proc` cannot be read, the family is left out rather than invented.

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

/// What `/proc/self` says now.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProcessFigures {
    pub cpu_seconds: f64,
    pub resident_bytes: u64,
    pub virtual_bytes: u64,
    pub open_fds: u64,
    pub max_fds: Option<u64>,
    pub start_time_seconds: f64,
}

/// Adds the `process_*` gauges to `registry` (one without a prefix).
pub fn register(registry: &mut Registry) {
    let Some(p) = read() else {
        return;
    };
    let float = |v: f64| {
        let g = Gauge::<f64, std::sync::atomic::AtomicU64>::default();
        g.set(v);
        g
    };
    // A counter (written `process_cpu_seconds_total`), made afresh for each
    // scrape from the kernel's running total.
    let cpu = Counter::<f64, std::sync::atomic::AtomicU64>::default();
    cpu.inc_by(p.cpu_seconds);
    registry.register(
        "process_cpu_seconds",
        "Total user and system CPU time spent in seconds",
        cpu,
    );
    registry.register(
        "process_resident_memory_bytes",
        "Resident memory size in bytes",
        float(p.resident_bytes as f64),
    );
    registry.register(
        "process_virtual_memory_bytes",
        "Virtual memory size in bytes",
        float(p.virtual_bytes as f64),
    );
    registry.register(
        "process_open_fds",
        "Number of open file descriptors",
        float(p.open_fds as f64),
    );
    if let Some(max) = p.max_fds {
        registry.register(
            "process_max_fds",
            "Maximum number of open file descriptors",
            float(max as f64),
        );
    }
    registry.register(
        "process_start_time_seconds",
        "Start time of the process since unix epoch in seconds",
        float(p.start_time_seconds),
    );
}

#[cfg(target_os = "linux")]
pub fn read() -> Option<ProcessFigures> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let boot = std::fs::read_to_string("/proc/stat").ok()?;
    let open_fds = std::fs::read_dir("/proc/self/fd").ok()?.count() as u64;
    let max_fds = rustix::process::getrlimit(rustix::process::Resource::Nofile).current;
    parse(
        &stat,
        &boot,
        rustix::param::clock_ticks_per_second(),
        rustix::param::page_size() as u64,
        open_fds,
        max_fds,
    )
}

#[cfg(not(target_os = "linux"))]
pub fn read() -> Option<ProcessFigures> {
    None
}

/// The figures from `/proc/self/stat` and `/proc/stat`'s `btime`. The
/// command name (field 2) is in parentheses and may hold spaces, so the
/// fields are counted from the last `)`.
pub fn parse(
    stat: &str,
    proc_stat: &str,
    ticks_per_second: u64,
    page_size: u64,
    open_fds: u64,
    max_fds: Option<u64>,
) -> Option<ProcessFigures> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    // Field 3 (state) is the first here: field n is at index n - 3.
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let field = |n: usize| fields.get(n - 3)?.parse::<u64>().ok();
    let ticks = ticks_per_second.max(1) as f64;
    let boot_time: u64 = proc_stat
        .lines()
        .find_map(|l| l.strip_prefix("btime "))?
        .trim()
        .parse()
        .ok()?;
    Some(ProcessFigures {
        cpu_seconds: (field(14)? + field(15)?) as f64 / ticks,
        virtual_bytes: field(23)?,
        resident_bytes: field(24)?.saturating_mul(page_size),
        open_fds,
        max_fds,
        start_time_seconds: boot_time as f64 + field(22)? as f64 / ticks,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stat_line_reads_even_with_spaces_and_parentheses_in_the_name() {
        let stat = "4242 (tell (tale) x) S 1 4242 4242 0 -1 4194560 900 0 0 0 \
                    250 150 0 0 20 0 12 0 3000 104857600 2560 18446744073709551615";
        let p = parse(
            stat,
            "cpu 1 2 3\nbtime 1764700000\n",
            100,
            4096,
            17,
            Some(1024),
        )
        .unwrap();
        assert_eq!(p.cpu_seconds, 4.0, "(250 + 150) ticks at 100 a second");
        assert_eq!(p.virtual_bytes, 104_857_600);
        assert_eq!(p.resident_bytes, 2560 * 4096);
        assert_eq!(p.start_time_seconds, 1_764_700_030.0, "boot + 3000 ticks");
        assert_eq!((p.open_fds, p.max_fds), (17, Some(1024)));
        assert!(parse("garbage", "btime 1", 100, 4096, 0, None).is_none());
    }

    #[test]
    fn this_process_reads_itself() {
        let p = read().expect("/proc/self on Linux");
        assert!(p.resident_bytes > 0 && p.open_fds > 0 && p.start_time_seconds > 1.0e9);
    }
}
