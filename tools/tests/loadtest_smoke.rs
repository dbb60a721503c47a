//! A smoke run of `caravan-tools loadtest` against an in-process server on port 0: a few games for a few
//! seconds, idle spectators and a small reconnect storm. It checks behaviour, never speed: every
//! stream ordered and gap-free, games completed, the storm caught up. And the MongoDB baseline
//! against the test MongoDB: it inserts, reports, and drops what it made. And `caravan loadtest`,
//! which hands its arguments to the `caravan-tools` beside it.

/// The server crate's test harness.
#[path = "../../tests/support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use caravan::adapters::outbound::mongodb::baseline::raw_insert_rate;
use caravan_tools::loadtest::report::Report;
use caravan_tools::loadtest::{run, Config, LoadtestArgs};

/// The server binary of this build (`cargo test --workspace` builds it beside the test binaries),
/// which measures `--mongo-baseline`.
fn caravan_binary() -> PathBuf {
    let me = std::env::current_exe().expect("the test binary's path");
    // target/<profile>/deps/<test> → target/<profile>/caravan
    let binary = me
        .parent()
        .and_then(|deps| deps.parent())
        .expect("the test binary lies in <target>/<profile>/deps")
        .join("caravan");
    assert!(
        binary.is_file(),
        "{} is missing: build the server first (`cargo build -p caravan`, or test with `cargo test --workspace`)",
        binary.display()
    );
    binary
}

/// Runs the load test that `args` describes (given the server's URL) against a fresh in-process
/// server, and stops the server.
async fn against_a_server(args: impl FnOnce(String) -> LoadtestArgs) -> Report {
    let app = support::app::spawn_app().await;
    // As an operator runs it: with the admin token, sent on every request and handshake, so the
    // games are seeded from --seed and exempt from the per-address limits.
    let args = LoadtestArgs {
        admin_token: Some(support::app::ADMIN_TOKEN.into()),
        ..args(app.address.clone())
    };
    let report = run(Config::new(args).expect("valid arguments")).await;
    app.stop().await;
    report
}

#[tokio::test]
async fn a_short_load_test_completes_games_without_stream_violations() {
    let report = against_a_server(|url| LoadtestArgs {
        url,
        games: 4,
        players: 2,
        // Six seconds: after the ramp-up (second 0) and two more, seconds 3 and 4 are steady even
        // when the run's last partial second is not sampled (five seconds can leave none).
        duration: Duration::from_secs(6),
        ramp_up: Duration::from_millis(500),
        idle: 20,
        idle_per_game: 10,
        reconnect_storm: 3,
        storm_at: Some(Duration::from_millis(500)),
        storm_behind: 6,
        storm_wait: Duration::from_secs(2),
        quiet: true,
        ..LoadtestArgs::default()
    })
    .await;
    let summary = report.summary();
    assert_eq!(report.violations.total, 0, "{summary}");
    assert!(report.games.completed > 0, "{summary}");
    assert_eq!(report.games.abandoned, 0, "{summary}");
    assert!(report.commands.ok > 0, "{summary}");
    assert_eq!(
        report.commands.refused, 0,
        "a bot only sends legal commands: {summary}"
    );
    assert!(report.latency.command_to_result.count > 0, "{summary}");
    assert!(report.latency.command_to_last_player.count > 0, "{summary}");
    // Six seconds sampled; the steady ones (after the ramp-up and two more) had commands too.
    assert!(
        report.latency.command_to_result_p99_per_second_ms.len() >= 4,
        "{summary}"
    );
    assert!(
        report.latency.command_to_result_steady.count > 0,
        "{summary}"
    );
    let idle = report.idle.as_ref().expect("idle figures");
    assert_eq!(idle.connected, 20, "{summary}");
    assert_eq!(idle.open_at_end, 20, "{summary}");
    let storm = report.storm.as_ref().expect("storm figures");
    assert_eq!(storm.dropped, 3, "{summary}");
    assert_eq!(storm.caught_up, 3, "{summary}");
    assert!(report.passed, "{summary}");
}

#[tokio::test]
async fn players_speaking_protocol_1_check_the_same_streams_with_more_bytes_per_command() {
    let run = |protocol| {
        against_a_server(move |url| LoadtestArgs {
            url,
            games: 3,
            players: 3,
            duration: Duration::from_secs(3),
            protocol,
            quiet: true,
            ..LoadtestArgs::default()
        })
    };
    let (full, updates) = (run(1).await, run(2).await);
    let per_command =
        |report: &Report| report.events.mib_received * 1_048_576.0 / report.commands.ok as f64;
    for report in [&full, &updates] {
        let summary = report.summary();
        assert!(summary.contains(&format!("(protocol {})", report.settings.protocol)));
        assert_eq!(report.violations.total, 0, "{summary}");
        assert!(report.commands.ok > 0, "{summary}");
        assert_eq!(report.commands.refused, 0, "{summary}");
        assert!(report.passed, "{summary}");
    }
    assert!(
        per_command(&updates) * 2.0 < per_command(&full),
        "{} bytes per command in protocol 2, {} in protocol 1",
        per_command(&updates),
        per_command(&full)
    );
}

#[tokio::test]
async fn the_mongodb_baseline_inserts_event_batches_and_drops_its_database() {
    let Some(db) = support::services::TestDb::new().await else {
        return;
    };
    db.run(|database| async move {
        let uri = support::services::mongo_uri();
        let rate = raw_insert_rate(&uri, 2, Duration::from_millis(500))
            .await
            .expect("the baseline runs");
        assert_eq!(rate.concurrency, 2);
        assert!(rate.inserts > 0, "{rate:?}");
        assert!(rate.per_sec > 0.0, "{rate:?}");
        assert!((150.0..1000.0).contains(&rate.document_bytes), "{rate:?}");
        let names = database
            .client()
            .list_database_names()
            .await
            .expect("databases listed");
        assert!(
            !names.contains(&rate.database),
            "{} was dropped: {names:?}",
            rate.database
        );

        // The same from the command's run: before and after the games, in the report.
        let report = against_a_server(|url| LoadtestArgs {
            url,
            games: 2,
            players: 2,
            duration: Duration::from_secs(2),
            mongo_baseline: Some(uri),
            caravan_bin: Some(caravan_binary()),
            baseline_time: Duration::from_millis(300),
            quiet: true,
            ..LoadtestArgs::default()
        })
        .await;
        let summary = report.summary();
        let baseline = report.mongo_baseline.as_ref().expect("baseline figures");
        assert_eq!(baseline.error, None, "{summary}");
        for rate in [&baseline.before, &baseline.after] {
            let rate = rate.as_ref().expect("measured before and after");
            assert_eq!(rate.concurrency, 2, "one task per game: {summary}");
            assert!(rate.inserts > 0, "{summary}");
        }
        assert!(summary.contains("driver alone"), "{summary}");
        assert!(report.passed, "{summary}");
    })
    .await;
}

/// `dir/name` as a hard link to `from` (a copy where links are refused).
fn place(from: &Path, dir: &Path, name: &str) {
    let to = dir.join(name);
    if std::fs::hard_link(from, &to).is_err() {
        std::fs::copy(from, &to).expect("the binary copied");
    }
}

#[test]
fn caravan_loadtest_runs_the_caravan_tools_binary_beside_it() {
    // Both binaries of this build in a folder of their own, as `cargo build --release` leaves them.
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("loadtest-forward-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a folder for the binaries");
    place(&caravan_binary(), &dir, "caravan");
    place(
        Path::new(env!("CARGO_BIN_EXE_caravan-tools")),
        &dir,
        "caravan-tools",
    );
    let caravan = dir.join("caravan");

    let output = std::process::Command::new(&caravan)
        .args(["loadtest", "--help"])
        .output()
        .expect("caravan runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{output:?}");
    assert!(
        stdout.contains("Usage: caravan-tools loadtest") && stdout.contains("--server-pid"),
        "the load generator's own help: {stdout}"
    );

    // Without the tools' binary beside it: a clear error, and no server started.
    std::fs::remove_file(dir.join("caravan-tools")).expect("the tools' binary removed");
    let output = std::process::Command::new(&caravan)
        .args(["loadtest", "--url", "http://127.0.0.1:9", "--quiet"])
        .output()
        .expect("caravan runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert!(
        stderr.contains("caravan-tools") && stderr.contains("cargo build --release"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
