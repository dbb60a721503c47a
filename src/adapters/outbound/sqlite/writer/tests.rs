//! The writer against a real database file.

use super::*;

fn append(game: &str, events: String) -> (Request, oneshot::Receiver<Result<Appended, Failure>>) {
    let (reply, answer) = oneshot::channel();
    let append = Append {
        game_id: game.to_string(),
        expected: 0,
        count: 1,
        command_id: Some(format!("{game}-command")),
        at: 0,
        events,
    };
    (Request::Append(append, reply), answer)
}

fn stored(connection: &Connection, game: &str) -> bool {
    latest(connection, game).expect("a read") > 0
}

/// A database that can grow only a little: an append that does not fit fails with SQLITE_FULL,
/// and SQLite may then roll back the whole transaction, the appends before it in the batch
/// included. Every append answered as written must be in the log, every append answered as
/// failed must not: none of the batch may commit on its own outside the transaction.
#[test]
fn a_full_database_never_acknowledges_what_it_did_not_keep() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("full.db");
    let mut connection = super::super::schema::open_writer(&path).expect("a database");
    let pages: i64 = connection
        .pragma_query_value(None, "page_count", |row| row.get(0))
        .expect("page_count");
    connection
        .pragma_update(None, "max_page_count", pages + 40)
        .expect("max_page_count");
    let small = "[\"s\"]".to_string();
    let huge = format!("[\"{}\"]", "x".repeat(400_000));
    let mut outcomes = Vec::new();
    for round in 0..3 {
        // A small append, one that cannot fit, and another small one, in one transaction.
        let (requests, answers): (Vec<_>, Vec<_>) = [&small, &huge, &small]
            .into_iter()
            .enumerate()
            .map(|(i, events)| append(&format!("g{round}-{i}"), events.clone()))
            .unzip();
        let (sent, _) = commit(&mut connection, requests.into_iter());
        for answer in sent {
            answer.send();
        }
        for (i, mut answer) in answers.into_iter().enumerate() {
            let result = answer.try_recv().expect("every request is answered");
            outcomes.push((format!("g{round}-{i}"), result.is_ok()));
        }
        connection
            .execute_batch("SELECT 1")
            .expect("the connection is usable after a failed batch");
    }
    assert!(
        outcomes.iter().any(|(_, ok)| !*ok),
        "the huge appends cannot fit: {outcomes:?}"
    );
    drop(connection);
    let reopened = Connection::open(&path).expect("the database reopens");
    for (game, acknowledged) in outcomes {
        assert_eq!(
            stored(&reopened, &game),
            acknowledged,
            "{game}: answered {} but {} in the log",
            if acknowledged { "written" } else { "failed" },
            if acknowledged { "not" } else { "is" }
        );
    }
}
