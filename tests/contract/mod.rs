//! The contract every adapter of a port must honour, one suite per port (`event_store`,
//! `event_bus`, `read_models`), each rule a plain `pub async fn` over any adapter of the port.
//!
//! `crate::contract!(port, make)` runs a port's suite as one named test per rule
//! (`memory_store::a_stale_expected_version_is_a_conflict_and_writes_nothing`). `make` is an
//! expression that evaluates to an async factory `|| async { Some(adapter) }` giving a FRESH, empty
//! adapter (its own database or key prefix) on every call. A factory over a service that may be
//! missing gives `None` to skip the rule (it decides whether a missing service is a skip or, with
//! `CI=true`, a failure: see `fresh_mongo` and `fresh_redis` in `support::services`). The factory is
//! dropped when the test ends, failed or not, which is when it can clean up what it created.
//!
//! A new adapter joins a suite with a module of its own holding one line, in `tests/app/memory.rs`
//! when it needs no service, in `tests/services/` when it does:
//!
//! ```ignore
//! mod sqlite_store {
//!     crate::contract!(event_store, || async { Some(SqliteEventStore::in_memory()) });
//! }
//! ```
//!
//! Every test binary that runs a suite mounts this module as `crate::contract` (next to
//! `crate::support`).

use chrono::{DateTime, TimeZone, Utc};

use caravan::domain::{Event, HiddenSetup, PlayerId, Rules};

pub mod event_bus;
pub mod event_store;
pub mod read_models;

/// One test per rule of a port's suite, on the adapters `make` gives.
#[macro_export]
macro_rules! contract {
    (event_store, $make:expr) => {
        $crate::contract!(@rules event_store, $make;
            appends_ids_from_one_without_gaps,
            a_stale_expected_version_is_a_conflict_and_writes_nothing,
            a_repeated_command_id_returns_the_original_events_and_writes_nothing,
            a_command_id_is_recognised_before_the_version_is_checked,
            reads_after_an_id_with_a_limit,
            reads_a_half_open_time_range,
            an_unknown_game_is_empty,
            finds_the_events_of_a_command,
            games_have_independent_logs,
            concurrent_appends_at_one_version_have_exactly_one_winner,
            concurrent_retries_of_one_command_commit_it_once,
            reads_across_commands_start_at_any_id_and_stop_at_the_limit,
            events_round_trip_exactly_including_hidden_information,
            whole_played_games_round_trip_whatever_their_seed,
            lists_the_ids_of_games_with_events,
            answers_a_ping,
        );
    };
    (event_bus, $make:expr) => {
        $crate::contract!(@rules event_bus, $make;
            a_subscriber_receives_batches_published_after_it_subscribed_in_order,
            games_are_isolated,
            every_subscriber_receives_every_batch,
            publishing_without_subscribers_succeeds,
            a_dropped_subscription_does_not_disturb_the_others,
            the_bus_answers_a_ping,
        );
    };
    (read_models, $make:expr) => {
        $crate::contract!(@rules read_models, $make;
            a_summary_never_moves_backwards,
            lists_newest_first_by_status_with_a_cursor,
            results_are_recorded_once_per_game_and_seat,
            the_leaderboard_groups_by_name_and_ranks_by_wins_then_score,
            a_players_results_are_newest_first,
            stats_count_the_summaries,
            concurrent_upserts_keep_the_highest_version,
            empty_read_models_answer_with_nothing,
            clearing_removes_everything,
        );
    };
    (@rules $port:ident, $make:expr; $($rule:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $rule() {
                let make = $make;
                let Some(adapter) = make().await else {
                    return;
                };
                $crate::contract::$port::$rule(adapter).await;
            }
        )*
    };
}

/// A fixed instant, truncated to milliseconds (what BSON keeps).
pub fn t(seconds: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(1_767_225_600_000 + seconds * 1000)
        .unwrap()
}

/// `GameCreated` with hidden information, as only the store sees it.
pub fn created() -> Event {
    Event::GameCreated {
        num_players: 2,
        rules: Rules::new(2, None, None),
        hidden: Some(HiddenSetup {
            seed: 42,
            merchant_deck: Vec::new(),
            point_deck: Vec::new(),
        }),
    }
}

/// A `PlayerJoined` for seat `seat`.
pub fn joined(seat: u8) -> Event {
    Event::PlayerJoined {
        seat,
        player_id: PlayerId::new(format!("p{seat}")),
        name: format!("Player {seat}"),
        bot: None,
    }
}
