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
    let mut known = Known::new(known::GAMES);
    for round in 0..3 {
        // A small append, one that cannot fit, and another small one, in one transaction.
        let (requests, answers): (Vec<_>, Vec<_>) = [&small, &huge, &small]
            .into_iter()
            .enumerate()
            .map(|(i, events)| append(&format!("g{round}-{i}"), events.clone()))
            .unzip();
        let (sent, _) = commit(&mut connection, &mut known, requests.into_iter());
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

/// The writer's statements are compiled once: appends of many games, each game's own ids bound in
/// turn, never make SQLite compile a statement again (it does, on almost every call, when the plan
/// may depend on the bound values). Without what the writer knows of each game, so that every
/// append runs the look-ups.
#[test]
fn statements_are_not_compiled_again_for_each_game() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut connection =
        super::super::schema::open_writer(&dir.path().join("plans.db")).expect("a database");
    let mut answers = Vec::new();
    for round in 0..10i64 {
        let mut requests = Vec::new();
        for game in 0..20 {
            let (request, answer) = append(&format!("g{game}"), "[1]".to_string());
            let Request::Append(mut append, reply) = request else {
                unreachable!()
            };
            append.expected = round;
            append.command_id = Some(format!("g{game}-c{round}"));
            requests.push(Request::Append(append, reply));
            answers.push(answer);
        }
        let (sent, committed) = commit(&mut connection, &mut Known::off(), requests.into_iter());
        assert!(committed);
        for answer in sent {
            answer.send();
        }
    }
    for mut answer in answers {
        assert!(matches!(answer.try_recv(), Ok(Ok(Appended::Written))));
    }
    for sql in [
        "SELECT last FROM batches WHERE game_id = ?1 ORDER BY first DESC LIMIT 1",
        "INSERT INTO payloads (events) VALUES (?1)",
    ] {
        let statement = connection.prepare_cached(sql).expect("a cached statement");
        assert_eq!(
            statement.get_status(rusqlite::StatementStatus::RePrepare),
            0,
            "{sql}"
        );
    }
}

/// What the writer knows of each game changes no answer: the same appends (right and wrong
/// versions, new and repeated command ids, empty ones) get the same answers, and leave the same
/// rows, with a memory of two games (so games are forgotten and read again all the time, as after
/// a restart) as with none.
#[test]
fn what_the_writer_knows_of_each_game_changes_no_answer() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let open =
        |name: &str| super::super::schema::open_writer(&dir.path().join(name)).expect("a database");
    let (mut remembering, mut querying) = (open("known.db"), open("queried.db"));
    let (mut known, mut off) = (Known::new(2), Known::off());
    // A fixed xorshift sequence: `below(n)` in 0..n.
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut below = |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    let mut versions = [0i64; 5];
    let mut used: Vec<String> = Vec::new();
    let mut answers = Vec::new();
    for round in 0..300 {
        let game = below(versions.len());
        let expected = match below(10) {
            0 => versions[game] + 1,
            1 => (versions[game] - 1).max(0),
            _ => versions[game],
        };
        let command_id = match below(10) {
            0 if !used.is_empty() => Some(used[below(used.len())].clone()),
            1 => None,
            _ => Some(format!("c{round}")),
        };
        let count = if below(20) == 0 {
            0
        } else {
            1 + below(3) as i64
        };
        let request = |reply| {
            Request::Append(
                Append {
                    game_id: format!("g{game}"),
                    expected,
                    count,
                    command_id: command_id.clone(),
                    at: round,
                    events: format!("[{round}]"),
                },
                reply,
            )
        };
        let outcome = |connection: &mut Connection, known: &mut Known| {
            let (reply, mut answer) = oneshot::channel();
            let (sent, committed) = commit(connection, known, std::iter::once(request(reply)));
            assert!(committed);
            sent.into_iter().for_each(Answer::send);
            match answer.try_recv().expect("an answer").expect("no failure") {
                Appended::Written => "written".to_string(),
                Appended::Nothing => "nothing".to_string(),
                Appended::Duplicate(batch) => format!("duplicate {}..{}", batch.first, batch.last),
                Appended::Conflict { actual } => format!("conflict at {actual}"),
            }
        };
        let with_memory = outcome(&mut remembering, &mut known);
        let without = outcome(&mut querying, &mut off);
        assert_eq!(with_memory, without, "append {round}");
        assert!(known.len() <= 2);
        if with_memory == "written" {
            versions[game] = expected + count;
            used.extend(command_id);
        }
        answers.push(with_memory);
    }
    for kind in ["written", "duplicate", "conflict", "nothing"] {
        assert!(
            answers.iter().any(|a| a.starts_with(kind)),
            "the run had no {kind} answer"
        );
    }
    let rows = |connection: &Connection| -> Vec<(String, i64, i64, Option<String>)> {
        let mut select = connection
            .prepare("SELECT game_id, first, last, command_id FROM batches ORDER BY game_id, first")
            .expect("a query");
        let rows = select
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .expect("rows");
        rows.map(|r| r.expect("a row")).collect()
    };
    assert_eq!(rows(&remembering), rows(&querying));
}

#[test]
fn one_request_at_a_time_is_committed_at_once() {
    let now = Instant::now();
    assert_eq!(pause(None, now, 1), None, "the first transaction");
    for held in 1..PACED_FROM {
        assert_eq!(
            pause(Some((now, held)), now, 1),
            None,
            "after a transaction of {held} request(s)"
        );
    }
}

#[test]
fn under_load_a_transaction_begins_an_interval_after_the_one_before() {
    let began = Instant::now();
    let soon = began + Duration::from_millis(1);
    assert_eq!(
        pause(Some((began, PACED_FROM)), soon, 3),
        Some(COMMIT_INTERVAL - Duration::from_millis(1))
    );
    assert_eq!(pause(Some((began, 100)), began, 1), Some(COMMIT_INTERVAL));
    // Not when the interval has passed already, nor when the transaction is full.
    assert_eq!(pause(Some((began, 100)), began + COMMIT_INTERVAL, 10), None);
    assert_eq!(
        pause(Some((began, 100)), began + COMMIT_INTERVAL * 3, 10),
        None
    );
    assert_eq!(pause(Some((began, 100)), soon, MAX_BATCH), None);
}

/// The thread itself: after a transaction of several requests, the next one waits for the
/// interval, and every request is answered as written.
#[test]
fn after_a_large_transaction_the_writer_waits_the_interval() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("paced.db");
    let connection = super::super::schema::open_writer(&path).expect("a database");
    let (queue, requests) = mpsc::channel(QUEUE);
    let mut answers = Vec::new();
    for i in 0..PACED_FROM {
        let (request, answer) = append(&format!("g{i}"), "[\"e\"]".to_string());
        assert!(queue.try_send(request).is_ok(), "room in the queue");
        answers.push(answer);
    }
    // Queued before the thread starts: its first transaction holds all of them.
    let commits = Arc::new(AtomicU64::new(0));
    let counted = commits.clone();
    let started = Instant::now();
    let thread =
        std::thread::spawn(move || run(connection, Known::new(known::GAMES), requests, &counted));
    for answer in answers {
        let answer = answer.blocking_recv().expect("an answer");
        assert!(matches!(answer, Ok(Appended::Written)), "{answer:?}");
    }
    let (request, answer) = append("late", "[\"e\"]".to_string());
    assert!(queue.try_send(request).is_ok(), "room in the queue");
    let answer = answer.blocking_recv().expect("an answer");
    assert!(matches!(answer, Ok(Appended::Written)), "{answer:?}");
    assert!(
        started.elapsed() >= COMMIT_INTERVAL,
        "the second transaction began {:?} after the first was queued",
        started.elapsed()
    );
    assert_eq!(commits.load(Ordering::Relaxed), 2);
    drop(queue);
    thread.join().expect("the writer ends with its queue");
    let reader = Connection::open(&path).expect("a reader");
    for game in (0..PACED_FROM)
        .map(|i| format!("g{i}"))
        .chain(["late".to_string()])
    {
        assert!(stored(&reader, &game), "{game} is in the log");
    }
}
