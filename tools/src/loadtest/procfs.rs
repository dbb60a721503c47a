//! Readings of `/proc`: a process's resident memory and CPU time, the load average, this process's
//! open-files limit, and the server's process id when it runs on this machine.

/// Reads a `Name:   123 kB` field of a `/proc` file, in KiB.
pub fn kib_field(text: &str, name: &str) -> Option<u64> {
    text.lines()
        .find(|l| l.starts_with(name))
        .and_then(|l| l[name.len()..].split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

/// Resident memory of a process, MiB.
pub fn rss_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    kib_field(&status, "VmRSS:").map(|kib| kib as f64 / 1024.0)
}

/// User + system CPU seconds of a process (clock ticks of 1/100 s, as on Linux).
pub fn cpu_secs(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let after = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    // After ')' come state (3rd field overall) …; utime and stime are the 14th and 15th overall.
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

/// The first three fields of `/proc/loadavg`.
pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// The soft limit on open files of this process.
pub fn fd_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line["Max open files".len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// A process named `caravan` other than this one (the server, when it runs here), if exactly one
/// is found; the `caravan mongo-baseline` this tool runs is not it.
pub fn find_server_pid() -> Option<u32> {
    let me = std::process::id();
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == me {
            continue;
        }
        let comm = std::fs::read_to_string(entry.path().join("comm")).unwrap_or_default();
        if comm.trim() != "caravan" {
            continue;
        }
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        let is_baseline = cmdline
            .split(|&b| b == 0)
            .any(|arg| arg == b"mongo-baseline");
        if !is_baseline {
            found.push(pid);
        }
    }
    (found.len() == 1).then(|| found[0])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loadtest::report::Machine;

    #[test]
    fn proc_fields_are_read() {
        assert_eq!(
            kib_field("Name:\tx\nVmRSS:\t  2048 kB\n", "VmRSS:"),
            Some(2048)
        );
        assert_eq!(kib_field("VmRSS:\n", "VmRSS:"), None);
        let me = std::process::id();
        assert!(rss_mib(me).is_some_and(|m| m > 0.0));
        assert!(cpu_secs(me).is_some());
        assert!(fd_limit().is_some_and(|n| n > 0));
        assert!(Machine::read().nproc >= 1);
    }
}
