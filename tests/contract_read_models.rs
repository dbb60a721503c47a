//! The read models contract, run against every adapter: in memory always, MongoDB over a real
//! connection (`MONGO_URI`; a database per test, dropped afterwards).

mod support;

use std::future::Future;
use std::sync::Arc;

use caravan::adapters::outbound::memory::MemoryReadModels;
use caravan::adapters::outbound::mongodb::MongoReadModels;
use support::read_models_contract::{self as contract, Models};
use support::services::TestDb;

async fn with_memory<Fut: Future<Output = ()>>(case: impl FnOnce(Models) -> Fut) {
    case(Arc::new(MemoryReadModels::new())).await;
}

async fn with_mongodb<Fut: Future<Output = ()>>(case: impl FnOnce(Models) -> Fut) {
    let Some(db) = TestDb::new().await else {
        return;
    };
    db.run(|database| async move {
        let models = MongoReadModels::new(&database);
        models.prepare().await.unwrap();
        case(Arc::new(models)).await;
    })
    .await;
}

/// One `#[tokio::test]` per contract rule, for the adapter that `$fixture` provides.
macro_rules! contract_tests {
    ($fixture:ident: $($case:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $case() {
                super::$fixture(super::contract::$case).await;
            }
        )*
    };
}

macro_rules! read_models_contract {
    ($fixture:ident) => {
        contract_tests!($fixture:
            a_summary_reads_back_as_written,
            a_summary_is_replaced_only_by_a_higher_version,
            concurrent_upserts_keep_the_highest_version,
            games_list_newest_first_by_status_in_pages,
            results_are_recorded_once_per_game_and_seat,
            player_results_are_newest_first_and_limited,
            the_leaderboard_ranks_by_wins_then_total_score_then_name,
            stats_count_games_by_status_with_events_and_seats,
            empty_read_models_answer_with_nothing,
            clear_removes_everything,
        );
    };
}

mod memory {
    read_models_contract!(with_memory);
}

mod mongo {
    read_models_contract!(with_mongodb);
}
