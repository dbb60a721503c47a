//! A smoke run of `caravan loadtest` against an in-process server on port 0: a few games for a few
//! seconds, idle spectators and a small reconnect storm. It checks behaviour, never speed: every
//! stream ordered and gap-free, games completed, the storm caught up.

use std::time::Duration;

use caravan::config::Settings;
use caravan::loadtest::{run, Config, LoadtestArgs};
use caravan::startup::Application;

#[actix_web::test]
async fn a_short_load_test_completes_games_without_stream_violations() {
    let mut settings = Settings::for_tests();
    // Bots of a small game take turns fast; the per-connection limit is not what is tested here.
    settings.websocket.max_messages_per_sec = 10_000;
    let app = Application::build(settings)
        .await
        .expect("the server starts");
    let port = app.port();
    let stop = app.stop_handle();
    let server = actix_web::rt::spawn(app.run_until_stopped());

    let args = LoadtestArgs {
        url: format!("http://127.0.0.1:{port}"),
        games: 4,
        players: 2,
        duration: Duration::from_secs(5),
        ramp_up: Duration::from_millis(500),
        idle: 20,
        idle_per_game: 10,
        reconnect_storm: 3,
        storm_at: Some(Duration::from_millis(500)),
        storm_behind: 6,
        storm_wait: Duration::from_secs(2),
        quiet: true,
        ..LoadtestArgs::default()
    };
    let report = run(Config::new(args).expect("valid arguments")).await;
    stop.stop();
    let _ = server.await;

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
    // Five seconds sampled; the steady ones (after the ramp-up and two more) had commands too.
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
