//! The run's report (JSON and a short human summary); the readings of `/proc` it includes (the
//! machine, the server's resident memory and CPU time) are taken by [`super::procfs`].

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use serde::Serialize;

use super::baseline::{raw_insert_rate, InsertRate};
use super::procfs::kib_field;
use super::stats::LatencySummary;

/// Everything a run measured.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// The command line's settings.
    pub settings: ReportSettings,
    /// Where it ran.
    pub machine: Machine,
    /// Seconds of play measured (from the first game's creation to the deadline).
    pub duration_secs: f64,
    /// Games.
    pub games: GameCounts,
    /// Commands.
    pub commands: CommandCounts,
    /// Events delivered to all connections together.
    pub events: EventCounts,
    /// Latencies.
    pub latency: Latencies,
    /// Errors by code (command refusals, error frames, transport failures).
    pub errors: BTreeMap<String, u64>,
    /// Stream violations (any fails the run).
    pub violations: Violations,
    /// WebSocket connections.
    pub connections: Connections,
    /// The server process, when it runs on this machine.
    pub server: Option<ServerReadings>,
    /// The load generator's own CPU use.
    pub generator_cpu_cores: f64,
    /// The load generator's CPU time per accepted command, ms.
    pub generator_cpu_ms_per_command: f64,
    /// `/proc/loadavg` when play started and when it ended (other work on the machine shows here).
    pub loadavg: (String, String),
    /// Idle spectators, when asked for.
    pub idle: Option<IdleReport>,
    /// The reconnect storm, when asked for.
    pub storm: Option<StormReport>,
    /// The raw insert rate of the server's MongoDB, when `--mongo-baseline` was given.
    pub mongo_baseline: Option<MongoBaseline>,
    /// Commands answered ok in each second of the run.
    pub timeline: Vec<u64>,
    /// No violation, and something was played when games were asked for.
    pub passed: bool,
    /// Why the run failed, when it did.
    pub failures: Vec<String>,
}

/// The settings of the run.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportSettings {
    /// Server URL.
    pub url: String,
    /// Concurrent games.
    pub games: usize,
    /// Players per game.
    pub players: u8,
    /// The WebSocket protocol the players spoke (1, 2 or 3).
    pub protocol: u8,
    /// Seconds of play asked for.
    pub duration_secs: f64,
    /// Idle spectators.
    pub idle: usize,
    /// Clients dropped in the storm.
    pub reconnect_storm: usize,
    /// A bot's mean thinking time before each command, ms.
    pub think_ms: f64,
    /// Over how long the games were started, s.
    pub ramp_up_secs: f64,
    /// Events each storm client should miss.
    pub storm_behind: u64,
    /// Seed.
    pub seed: u64,
    /// Generator threads.
    pub threads: usize,
}

/// The machine.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Machine {
    /// CPUs available.
    pub nproc: usize,
    /// `model name` of the first CPU.
    pub cpu_model: String,
    /// Total memory, MiB.
    pub memory_mib: u64,
}

impl Machine {
    /// Reads this machine's description.
    pub fn read() -> Self {
        let cpu_model = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|text| {
                text.lines()
                    .find(|l| l.starts_with("model name"))
                    .and_then(|l| l.split_once(':'))
                    .map(|(_, v)| v.trim().to_string())
            })
            .unwrap_or_default();
        let memory_mib = std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|text| kib_field(&text, "MemTotal:"))
            .map_or(0, |kib| kib / 1024);
        Machine {
            nproc: std::thread::available_parallelism().map_or(1, |n| n.get()),
            cpu_model,
            memory_mib,
        }
    }
}

/// Game counts.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GameCounts {
    /// Created and joined.
    pub started: u64,
    /// Played to `GameEnded` by every player.
    pub completed: u64,
    /// Cut off by the end of the run.
    pub unfinished: u64,
    /// Given up after an error.
    pub abandoned: u64,
}

/// Command counts.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CommandCounts {
    /// Sent.
    pub sent: u64,
    /// Answered ok.
    pub ok: u64,
    /// Answered with an error.
    pub refused: u64,
    /// `ok` per second over the run.
    pub per_sec: f64,
    /// The slowest full second after the first two (0 for runs shorter than four seconds).
    pub per_sec_min: u64,
    /// The median full second after the first two.
    pub per_sec_median: u64,
}

/// Event counts.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventCounts {
    /// `event` frames received, all connections together.
    pub delivered: u64,
    /// Per second.
    pub per_sec: f64,
    /// Text frames of every kind received.
    pub frames: u64,
    /// Their bytes, MiB.
    pub mib_received: f64,
    /// Where the bytes went, per command answered `ok`.
    pub bytes_per_command: BytesPerCommand,
}

/// The bytes of the frames received, per command answered `ok`, by what carried them.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BytesPerCommand {
    /// Every text frame.
    pub total: f64,
    /// `update` frames: their events and their own keys (all but the patch).
    pub update_events: f64,
    /// `update` frames: their patches, hints included.
    pub update_patches: f64,
    /// Of the patches: the `legal` hints of the seat whose turn began.
    pub legal_hints: f64,
    /// `commandResult` frames.
    pub command_results: f64,
    /// Every other frame: welcomes, states, event frames (protocol 1), catch-ups, errors.
    pub other: f64,
}

/// Latencies.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Latencies {
    /// From sending a command to its `commandResult`.
    pub command_to_result: LatencySummary,
    /// The same over the steady seconds only (the seconds `commands.perSecMin` and
    /// `perSecMedian` are taken from: after the ramp-up and two more, without the last partial
    /// one).
    pub command_to_result_steady: LatencySummary,
    /// The 99th percentile of command→result in each second of the run, ms.
    pub command_to_result_p99_per_second_ms: Vec<f64>,
    /// From sending a command to the moment the last player of the game received its last event.
    pub command_to_last_player: LatencySummary,
}

/// Violations.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Violations {
    /// How many.
    pub total: u64,
    /// By kind.
    pub by_kind: BTreeMap<String, u64>,
    /// The first few, verbatim.
    pub examples: Vec<String>,
}

/// Connection counts.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Connections {
    /// Opened in total.
    pub opened: u64,
    /// Most open at once.
    pub peak: i64,
    /// Player connections that dropped and resumed with lastEventId.
    pub reconnects: u64,
    /// The soft limit on open files of the generator.
    pub fd_limit: Option<u64>,
}

/// The server's process.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerReadings {
    /// Its pid.
    pub pid: u32,
    /// Resident memory before the run, MiB.
    pub rss_start_mib: f64,
    /// Highest resident memory sampled (once a second), MiB.
    pub rss_peak_mib: f64,
    /// Resident memory at the end, MiB.
    pub rss_end_mib: f64,
    /// CPU cores the server used on average during play.
    pub cpu_cores: f64,
    /// Server CPU time per accepted command, ms (less sensitive to other load on the machine than
    /// throughput).
    pub cpu_ms_per_command: f64,
}

/// Idle connections.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IdleReport {
    /// Asked for.
    pub requested: usize,
    /// Connected (welcome received).
    pub connected: u64,
    /// Failed to connect.
    pub failed: u64,
    /// Still open at the end of the run.
    pub open_at_end: u64,
    /// Seconds to connect them all.
    pub connect_secs: f64,
    /// Server RSS with every idle connection open, before the games started, MiB.
    pub server_rss_mib: Option<f64>,
    /// (that − RSS before they connected) / connected, KiB.
    pub server_kib_per_connection: Option<f64>,
}

/// The reconnect storm.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StormReport {
    /// Clients asked for.
    pub clients: usize,
    /// Clients connected and then dropped together.
    pub dropped: u64,
    /// Clients whose reconnect caught up (`caughtUp` received, every missed event in order).
    pub caught_up: u64,
    /// Clients that failed to reconnect or catch up.
    pub failed: u64,
    /// Events each had missed: least, mean, most.
    pub behind_min: u64,
    /// Mean events missed.
    pub behind_mean: f64,
    /// Most events missed.
    pub behind_max: u64,
    /// Clients that had missed at least `--storm-behind` events (the others followed games that
    /// ended, or did not move on enough, before the wait was over).
    pub behind_reached: u64,
    /// Seconds between the drop and the reconnect.
    pub offline_secs: f64,
    /// From the reconnect burst to each client's `caughtUp`.
    pub catch_up: LatencySummary,
    /// From the reconnect burst to the last client's `caughtUp`, seconds.
    pub all_caught_up_secs: f64,
}

/// The raw insert rate of the server's MongoDB, before and after the load.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MongoBaseline {
    /// The MongoDB measured.
    pub uri: String,
    /// The server binary that measured it.
    #[serde(skip)]
    pub binary: PathBuf,
    /// Before the games started.
    pub before: Option<InsertRate>,
    /// After they ended.
    pub after: Option<InsertRate>,
    /// Why a measurement failed.
    pub error: Option<String>,
}

impl MongoBaseline {
    /// Measures before the load, with one inserting task per game.
    pub async fn before(
        binary: PathBuf,
        uri: &str,
        games: usize,
        time: std::time::Duration,
    ) -> MongoBaseline {
        let (before, error) = match raw_insert_rate(&binary, uri, games.max(1), time).await {
            Ok(rate) => (Some(rate), None),
            Err(e) => (None, Some(e)),
        };
        MongoBaseline {
            uri: uri.to_string(),
            binary,
            before,
            after: None,
            error,
        }
    }

    /// Measures again after the load, at the same concurrency.
    pub async fn after(&mut self, time: std::time::Duration) {
        let Some(before) = &self.before else {
            return;
        };
        match raw_insert_rate(&self.binary, &self.uri, before.concurrency, time).await {
            Ok(rate) => self.after = Some(rate),
            Err(e) => self.error = Some(e),
        }
    }
}

impl Report {
    /// The short human summary.
    pub fn summary(&self) -> String {
        let mut s = String::new();
        let verdict = if self.passed { "PASSED" } else { "FAILED" };
        let _ = writeln!(
            s,
            "caravan-tools loadtest {verdict}: {} games × {} players for {:.1}s against {} (protocol {}){}",
            self.settings.games,
            self.settings.players,
            self.duration_secs,
            self.settings.url,
            self.settings.protocol,
            if self.settings.think_ms > 0.0 {
                format!(
                    ", bots thinking {:.0} ms on average",
                    self.settings.think_ms
                )
            } else {
                String::new()
            }
        );
        if self.settings.ramp_up_secs > 0.0 {
            let _ = writeln!(
                s,
                "  ramp-up    games started over {:.1}s (left out of the steady figures)",
                self.settings.ramp_up_secs
            );
        }
        let _ = writeln!(
            s,
            "  games      {} completed, {} unfinished at the deadline, {} abandoned ({} started)",
            self.games.completed, self.games.unfinished, self.games.abandoned, self.games.started
        );
        let _ = writeln!(
            s,
            "  commands   {:.0}/s ({} ok, {} refused; slowest second {}/s, median {}/s)",
            self.commands.per_sec,
            self.commands.ok,
            self.commands.refused,
            self.commands.per_sec_min,
            self.commands.per_sec_median
        );
        let _ = writeln!(
            s,
            "  events     {:.0}/s delivered ({} events, {} frames, {:.1} MiB)",
            self.events.per_sec,
            self.events.delivered,
            self.events.frames,
            self.events.mib_received
        );
        let b = &self.events.bytes_per_command;
        let _ = writeln!(
            s,
            "  bytes per command   {:.0}: updates {:.0} (events {:.0}, patches {:.0} with hints {:.0}), results {:.0}, other {:.0}",
            b.total,
            b.update_events + b.update_patches,
            b.update_events,
            b.update_patches,
            b.legal_hints,
            b.command_results,
            b.other
        );
        let l = &self.latency.command_to_result;
        let _ = writeln!(
            s,
            "  command→result        p50 {:.2} ms  p95 {:.2} ms  p99 {:.2} ms  max {:.2} ms",
            l.p50_ms, l.p95_ms, l.p99_ms, l.max_ms
        );
        let l = &self.latency.command_to_result_steady;
        let _ = writeln!(
            s,
            "    steady seconds      p50 {:.2} ms  p95 {:.2} ms  p99 {:.2} ms  max {:.2} ms",
            l.p50_ms, l.p95_ms, l.p99_ms, l.max_ms
        );
        let d = &self.latency.command_to_last_player;
        let _ = writeln!(
            s,
            "  command→last player   p50 {:.2} ms  p95 {:.2} ms  p99 {:.2} ms  max {:.2} ms",
            d.p50_ms, d.p95_ms, d.p99_ms, d.max_ms
        );
        let _ = writeln!(
            s,
            "  connections {} opened, {} at most at once, {} player reconnects",
            self.connections.opened, self.connections.peak, self.connections.reconnects
        );
        if let Some(server) = &self.server {
            let _ = writeln!(
                s,
                "  server pid {}: RSS {:.1} MiB at start, {:.1} MiB peak, {:.1} MiB at end; {:.2} CPU cores, {:.3} CPU ms per command (generator {:.2} cores, {:.3} ms)",
                server.pid,
                server.rss_start_mib,
                server.rss_peak_mib,
                server.rss_end_mib,
                server.cpu_cores,
                server.cpu_ms_per_command,
                self.generator_cpu_cores,
                self.generator_cpu_ms_per_command
            );
            let _ = writeln!(
                s,
                "  loadavg    {} at start, {} at end",
                self.loadavg.0, self.loadavg.1
            );
        }
        if let Some(idle) = &self.idle {
            let _ = write!(
                s,
                "  idle       {}/{} spectators connected in {:.1}s, {} still open at the end",
                idle.connected, idle.requested, idle.connect_secs, idle.open_at_end
            );
            if let (Some(rss), Some(per)) = (idle.server_rss_mib, idle.server_kib_per_connection) {
                let _ = write!(s, "; server RSS {rss:.1} MiB ({per:.1} KiB per connection)");
            }
            let _ = writeln!(s);
        }
        if let Some(baseline) = &self.mongo_baseline {
            let rate = |r: &Option<InsertRate>| {
                r.as_ref()
                    .map_or("-".to_string(), |r| format!("{:.0}/s", r.per_sec))
            };
            let _ = writeln!(
                s,
                "  mongodb    driver alone, insert_one of event batches from {} tasks: {} before, {} after (server: {:.0} commands/s){}",
                baseline
                    .before
                    .as_ref()
                    .map_or(0, |r| r.concurrency),
                rate(&baseline.before),
                rate(&baseline.after),
                self.commands.per_sec,
                baseline
                    .error
                    .as_ref()
                    .map(|e| format!("; failed: {e}"))
                    .unwrap_or_default()
            );
        }
        if let Some(storm) = &self.storm {
            let _ = writeln!(
                s,
                "  storm      {} dropped, {} caught up, {} failed; behind {}..{} events (mean {:.1}; {} at least --storm-behind); all caught up in {:.3}s (p50 {:.1} ms, p99 {:.1} ms)",
                storm.dropped,
                storm.caught_up,
                storm.failed,
                storm.behind_min,
                storm.behind_max,
                storm.behind_mean,
                storm.behind_reached,
                storm.all_caught_up_secs,
                storm.catch_up.p50_ms,
                storm.catch_up.p99_ms
            );
        }
        if !self.errors.is_empty() {
            let errors: Vec<String> = self
                .errors
                .iter()
                .map(|(code, n)| format!("{code}={n}"))
                .collect();
            let _ = writeln!(s, "  errors     {}", errors.join(", "));
        }
        let _ = writeln!(
            s,
            "  violations {}{}",
            self.violations.total,
            if self.violations.total == 0 {
                " (every stream ordered, gap-free)".to_string()
            } else {
                format!(": {:?}", self.violations.by_kind)
            }
        );
        for failure in &self.failures {
            let _ = writeln!(s, "  failure    {failure}");
        }
        s
    }
}

#[cfg(test)]
mod tests;
