//! Turning a run into its [`Report`]: the once-a-second sampler (commands and latencies of each
//! second, the server's peak memory, a progress line) and the report built from the counters and
//! the samples at the end.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch as signal;

use super::procfs;
use super::report::{self, Report};
use super::stats::{Histogram, Stats};
use super::{steady_seconds, Ctx};

/// What the report is built from: the run's context and what was measured around it.
pub(super) struct BuildInput<'a> {
    pub(super) ctx: &'a Ctx,
    pub(super) play_secs: f64,
    pub(super) timeline: Vec<u64>,
    pub(super) seconds: Vec<Histogram>,
    pub(super) server_pid: Option<u32>,
    pub(super) rss: (Option<f64>, Option<f64>, Option<f64>),
    pub(super) server_cpu: Option<f64>,
    pub(super) own_cpu: f64,
    pub(super) idle: Option<report::IdleReport>,
    pub(super) storm: Option<report::StormReport>,
    pub(super) fd_limit: Option<u64>,
    pub(super) loadavg: (String, String),
    pub(super) baseline: Option<report::MongoBaseline>,
}

/// The report of a run: totals, rates over the steady seconds, latencies, the server's
/// readings, and the verdict.
pub(super) fn build_report(input: BuildInput<'_>) -> Report {
    let BuildInput {
        ctx,
        play_secs,
        timeline,
        seconds,
        server_pid,
        rss,
        server_cpu,
        own_cpu,
        idle,
        storm,
        fd_limit,
        loadavg,
        baseline,
    } = input;
    let args = &ctx.config.args;
    let s = &ctx.stats;
    let get = Stats::get;
    let (total, by_kind, examples) = s.violations();
    let ok = get(&s.commands_ok);
    let steady_range = steady_seconds(timeline.len(), args.ramp_up);
    let mut steady = timeline[steady_range.clone()].to_vec();
    steady.sort_unstable();
    let mut steady_latency = Histogram::default();
    for second in seconds.get(steady_range).unwrap_or_default() {
        steady_latency.merge(second);
    }
    let mut failures = Vec::new();
    if total > 0 {
        failures.push(format!("{total} stream violations"));
    }
    if args.games > 0 && ok == 0 {
        failures.push("no command was accepted".into());
    }
    if let Some(idle) = &idle {
        if idle.connected == 0 && idle.requested > 0 {
            failures.push("no idle spectator could connect".into());
        }
    }
    if let Some(error) = baseline.as_ref().and_then(|b| b.error.as_ref()) {
        failures.push(format!(
            "the MongoDB baseline could not be measured: {error}"
        ));
    }
    let delivered = get(&s.events_delivered);
    let per_command = |cores: f64| {
        if ok == 0 {
            0.0
        } else {
            cores * play_secs * 1000.0 / ok as f64
        }
    };
    Report {
        settings: report::ReportSettings {
            url: args.url.clone(),
            games: args.games,
            players: args.players,
            protocol: args.protocol,
            duration_secs: args.duration.as_secs_f64(),
            idle: args.idle,
            reconnect_storm: args.reconnect_storm,
            think_ms: args.think.as_secs_f64() * 1000.0,
            ramp_up_secs: args.ramp_up.as_secs_f64(),
            storm_behind: args.storm_behind,
            seed: args.seed,
            threads: 0,
        },
        machine: report::Machine::read(),
        duration_secs: play_secs,
        games: report::GameCounts {
            started: get(&s.games_started),
            completed: get(&s.games_completed),
            unfinished: get(&s.games_unfinished),
            abandoned: get(&s.games_abandoned),
        },
        commands: report::CommandCounts {
            sent: get(&s.commands_sent),
            ok,
            refused: get(&s.commands_refused),
            per_sec: ok as f64 / play_secs,
            per_sec_min: steady.first().copied().unwrap_or(0),
            per_sec_median: steady.get(steady.len() / 2).copied().unwrap_or(0),
        },
        events: report::EventCounts {
            delivered,
            per_sec: delivered as f64 / play_secs,
            frames: get(&s.frames_received),
            mib_received: get(&s.bytes_received) as f64 / (1024.0 * 1024.0),
            bytes_per_command: {
                let per = |n: u64| n as f64 / ok.max(1) as f64;
                let (total, events, patches) = (
                    get(&s.bytes_received),
                    get(&s.bytes_update_events),
                    get(&s.bytes_patches),
                );
                let results = get(&s.bytes_command_results);
                report::BytesPerCommand {
                    total: per(total),
                    update_events: per(events),
                    update_patches: per(patches),
                    legal_hints: per(get(&s.bytes_legal)),
                    command_results: per(results),
                    other: per(total.saturating_sub(events + patches + results)),
                }
            },
        },
        latency: report::Latencies {
            command_to_result: s.result_latency.lock().summary(),
            command_to_result_steady: steady_latency.summary(),
            command_to_result_p99_per_second_ms: seconds
                .iter()
                .map(|second| second.quantile(0.99) as f64 / 1000.0)
                .collect(),
            command_to_last_player: s.delivery_latency.lock().summary(),
        },
        errors: s.errors(),
        violations: report::Violations {
            total,
            by_kind: by_kind
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
            examples: examples
                .into_iter()
                .map(|v| format!("{}: {}", v.kind, v.detail))
                .collect(),
        },
        connections: report::Connections {
            opened: get(&s.connections_opened),
            peak: s
                .connections_peak
                .load(std::sync::atomic::Ordering::Relaxed),
            reconnects: get(&s.reconnects),
            fd_limit,
        },
        server: server_pid.map(|pid| report::ServerReadings {
            pid,
            rss_start_mib: rss.0.unwrap_or(0.0),
            rss_peak_mib: rss.1.unwrap_or(0.0),
            rss_end_mib: rss.2.unwrap_or(0.0),
            cpu_cores: server_cpu.unwrap_or(0.0),
            cpu_ms_per_command: per_command(server_cpu.unwrap_or(0.0)),
        }),
        generator_cpu_cores: own_cpu,
        generator_cpu_ms_per_command: per_command(own_cpu),
        loadavg,
        idle,
        storm,
        mongo_baseline: baseline,
        timeline,
        passed: failures.is_empty(),
        failures,
    }
}

/// What the sampler saw, second by second.
#[derive(Debug, Default)]
pub(super) struct Samples {
    /// Commands answered in each second.
    pub(super) timeline: Vec<u64>,
    /// Command→result latencies of each second.
    pub(super) seconds: Vec<Histogram>,
    /// The server's peak RSS, MiB.
    pub(super) rss_peak: Option<f64>,
}

/// Once a second: commands answered in that second and their latencies, the server's peak RSS, and
/// a progress line.
pub(super) async fn sample(
    ctx: Arc<Ctx>,
    server_pid: Option<u32>,
    mut stop: signal::Receiver<bool>,
) -> Samples {
    let mut timeline = Vec::new();
    let mut seconds = Vec::new();
    let mut peak: Option<f64> = server_pid.and_then(procfs::rss_mib);
    let mut previous = 0;
    let mut previous_events = 0;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.tick().await;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => break,
        }
        let ok = Stats::get(&ctx.stats.commands_ok);
        let events = Stats::get(&ctx.stats.events_delivered);
        timeline.push(ok - previous);
        seconds.push(std::mem::take(&mut *ctx.stats.result_window.lock()));
        let rss = server_pid.and_then(procfs::rss_mib);
        if let Some(rss) = rss {
            peak = Some(peak.map_or(rss, |p: f64| p.max(rss)));
        }
        if !ctx.config.args.quiet && timeline.len() % 5 == 0 {
            eprintln!(
                "[{:>4}s] {:>6} commands/s, {:>7} events/s, {} connections, {} games completed{}",
                timeline.len(),
                ok - previous,
                events - previous_events,
                ctx.stats
                    .connections_open
                    .load(std::sync::atomic::Ordering::Relaxed),
                Stats::get(&ctx.stats.games_completed),
                rss.map(|r| format!(", server RSS {r:.0} MiB"))
                    .unwrap_or_default()
            );
        }
        previous = ok;
        previous_events = events;
    }
    Samples {
        timeline,
        seconds,
        rss_peak: peak,
    }
}
