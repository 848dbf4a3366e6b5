//! Shared by the benchmarks: measured child processes and printed rows.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

/// `target/bench-work`, emptied.
pub fn work_dir(name: &str) -> PathBuf {
    let w = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/bench-work")
        .join(name);
    let _ = std::fs::remove_dir_all(&w);
    std::fs::create_dir_all(&w).expect("work dir");
    w
}

pub fn shared() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared")
}

/// What a measured child process did.
pub struct Measured {
    pub wall: Duration,
    /// Peak resident memory (MiB), from the kernel's accounting of the child.
    pub peak_mib: f64,
    pub code: i32,
}

/// Runs `cmd` (stdout and stderr discarded) and measures wall time and peak RSS.
pub fn measure(cmd: &mut Command) -> Measured {
    cmd.stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let start = Instant::now();
    let child = cmd.spawn().expect("spawn");
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: an all-zero rusage is a valid value to be filled by wait4.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our own child, not yet reaped; the pointers are valid.
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = start.elapsed();
    assert_eq!(r, pid, "wait4");
    std::mem::forget(child);
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    Measured {
        wall,
        peak_mib: usage.ru_maxrss as f64 / 1024.0,
        code,
    }
}

pub fn cpus() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

/// Prints `what` with the median and minimum of `times`, and a target verdict.
pub fn row(what: &str, times: &[Duration], target: Option<Duration>) {
    let mut sorted = times.to_vec();
    sorted.sort();
    let median = sorted[sorted.len() / 2];
    let verdict = match target {
        Some(t) if median <= t => format!("  target < {} ms: met", t.as_millis()),
        Some(t) => format!("  target < {} ms: NOT MET", t.as_millis()),
        None => String::new(),
    };
    println!(
        "{what:<62} median {:>9.1} ms  min {:>9.1} ms  (n={}){verdict}",
        median.as_secs_f64() * 1e3,
        sorted[0].as_secs_f64() * 1e3,
        times.len()
    );
}

pub fn memory(what: &str, mib: f64, target_mib: Option<f64>) {
    let verdict = match target_mib {
        Some(t) if mib < t => format!("  target < {t:.0} MiB: met"),
        Some(t) => format!("  target < {t:.0} MiB: NOT MET"),
        None => String::new(),
    };
    println!("{what:<62} peak RSS {mib:>8.0} MiB{verdict}");
}
