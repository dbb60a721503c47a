//! What a chaos run records (every attempt of every command and its answer, every event a
//! WebSocket client received, samples of the read models and of `/ready`, the faults) and the
//! accounting of all of it against the log as the event store holds it.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;

use chrono::{DateTime, Duration as TimeDelta, Utc};
use serde_json::Value;

use caravan::application::ports::StoredEvent;

/// What one attempt of a command was told.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// Committed (by this attempt, or `duplicate`: by an earlier one).
    Committed {
        event_ids: Vec<u64>,
        duplicate: bool,
    },
    /// Refused for good (a rule, `command_id_reused`): must not be in the log.
    Refused(String),
    /// `unavailable` or `version_conflict`: this attempt wrote nothing.
    NotWritten(String),
    /// `outcome_unknown`: no claim either way.
    Unknown,
    /// The connection failed or no answer came: no claim either way.
    Silence(String),
}

impl Answer {
    /// A final answer: the bot stops sending this command.
    pub fn is_definite(&self) -> bool {
        matches!(self, Answer::Committed { .. } | Answer::Refused(_))
    }

    /// From an error code of the protocol.
    pub fn from_code(code: &str) -> Answer {
        match code {
            "outcome_unknown" => Answer::Unknown,
            "unavailable" | "version_conflict" | "server_stopping" | "rate_limited" => {
                Answer::NotWritten(code.to_string())
            }
            other => Answer::Refused(other.to_string()),
        }
    }
}

/// One attempt of one command.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub game_id: String,
    pub command_id: String,
    pub instance: usize,
    pub transport: &'static str,
    pub sent: DateTime<Utc>,
    pub answered: DateTime<Utc>,
    pub answer: Answer,
}

/// One event a WebSocket client received.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub game_id: String,
    pub event_id: u64,
    pub event_type: String,
    pub data: Value,
    pub received: DateTime<Utc>,
    /// Received live (after the connection's catch-up), not replayed.
    pub live: bool,
}

/// One fault: what, when it started, when the service answered again.
#[derive(Debug, Clone)]
pub struct Fault {
    pub kind: &'static str,
    pub started: DateTime<Utc>,
    pub recovered: DateTime<Utc>,
}

/// Everything recorded during a run.
#[derive(Debug, Default)]
pub struct Ledger {
    pub attempts: Vec<Attempt>,
    pub deliveries: Vec<Delivery>,
    /// Violations seen while the run went on (order, gaps, duplicates on a connection).
    pub violations: Vec<String>,
    /// (time of the answer, game, summary version) from the read models.
    pub summaries: Vec<(DateTime<Utc>, String, u64)>,
    /// (instance, milliseconds `/ready` took, HTTP status).
    pub ready: Vec<(usize, u64, u16)>,
    pub faults: Vec<Fault>,
    /// Command ids sent to both instances at once.
    pub double_sent: HashSet<String>,
    /// Games played.
    pub games: Vec<String>,
    /// Reconnections of WebSocket clients.
    pub reconnects: u64,
}

/// The verdict of the accounting: every figure the suite asserts on, and a few more.
#[derive(Debug, Default)]
pub struct Verdict {
    pub games: usize,
    pub events: usize,
    pub commands_committed: usize,
    pub attempts: usize,
    pub answers: BTreeMap<String, usize>,
    pub lost: Vec<String>,
    pub duplicated: Vec<String>,
    pub reordered: Vec<String>,
    pub forked: Vec<String>,
    pub false_answers: Vec<String>,
    pub unconfirmed: Vec<String>,
    pub stream_violations: Vec<String>,
    pub double_sends: usize,
    pub double_sends_committed_once: usize,
    pub deliveries: usize,
    pub live_deliveries: usize,
    /// Worst live delivery lag (ms) outside the windows excused below, and where it was.
    pub ws_lag_max_ms: i64,
    pub ws_lag_max_at: String,
    pub ws_lag_over_1s: usize,
    /// Worst live delivery lag (ms) of events committed while Redis was down.
    pub ws_lag_redis_down_max_ms: i64,
    /// Events committed while Redis was down.
    pub redis_down_events: usize,
    /// Deliveries to WebSocket clients of events committed while Redis was down, and how many of
    /// them were live (the lags above are measured on those).
    pub redis_down_deliveries: usize,
    pub redis_down_live_deliveries: usize,
    /// Worst lag (ms) of a live delivery excused (committed around a kill -9 of an instance, or
    /// while MongoDB was down).
    pub ws_lag_excused_max_ms: i64,
    pub read_model_lag_max_ms: i64,
    pub read_model_lag_max_at: String,
    pub read_model_lag_over_1s: usize,
    pub ready_max_ms: u64,
    pub ready_samples: usize,
}

impl Verdict {
    /// Human-readable figures.
    pub fn report(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "games {}, events {}, commands committed {}, attempts {}",
            self.games, self.events, self.commands_committed, self.attempts
        );
        let _ = writeln!(out, "answers: {:?}", self.answers);
        let _ = writeln!(
            out,
            "lost {}, duplicated {}, reordered {}, forked {}, false answers {}, committed but never confirmed {}, stream violations {}",
            self.lost.len(), self.duplicated.len(), self.reordered.len(), self.forked.len(),
            self.false_answers.len(), self.unconfirmed.len(), self.stream_violations.len()
        );
        let _ = writeln!(
            out,
            "double sends {} (committed once: {})",
            self.double_sends, self.double_sends_committed_once
        );
        let _ = writeln!(
            out,
            "WebSocket deliveries {} ({} live): worst live lag {} ms ({}), {} over 1 s; worst excused (kill -9 / MongoDB down) {} ms",
            self.deliveries, self.live_deliveries, self.ws_lag_max_ms, self.ws_lag_max_at,
            self.ws_lag_over_1s, self.ws_lag_excused_max_ms
        );
        let _ = writeln!(
            out,
            "while Redis was down: {} events committed, {} deliveries ({} live), worst live lag {} ms",
            self.redis_down_events,
            self.redis_down_deliveries,
            self.redis_down_live_deliveries,
            self.ws_lag_redis_down_max_ms
        );
        let _ = writeln!(
            out,
            "read models: worst lag behind the log {} ms ({}), {} batches over 1 s",
            self.read_model_lag_max_ms, self.read_model_lag_max_at, self.read_model_lag_over_1s
        );
        let _ = writeln!(
            out,
            "/ready: {} answers, slowest {} ms",
            self.ready_samples, self.ready_max_ms
        );
        for (name, list) in [
            ("lost", &self.lost),
            ("duplicated", &self.duplicated),
            ("reordered", &self.reordered),
            ("forked", &self.forked),
            ("false answer", &self.false_answers),
            ("unconfirmed", &self.unconfirmed),
            ("stream", &self.stream_violations),
        ] {
            for line in list.iter().take(10) {
                let _ = writeln!(out, "  {name}: {line}");
            }
        }
        out
    }
}

/// Slack on commit times: the server stamps a command before its append, on the same clock.
const SLACK_MS: i64 = 5;

impl Ledger {
    /// Accounts every attempt and delivery against `logs` (each game's log as the store holds
    /// it) and `served` (each game's public log as each instance serves it).
    pub fn account(
        &self,
        logs: &HashMap<String, Vec<StoredEvent>>,
        served: &HashMap<String, [Vec<Value>; 2]>,
    ) -> Verdict {
        let mut v = Verdict {
            games: logs.len(),
            attempts: self.attempts.len(),
            double_sends: self.double_sent.len(),
            ..Verdict::default()
        };
        // Per command id: its batch in the log (game, ids, commit time).
        let mut batches: HashMap<(String, String), (Vec<u64>, DateTime<Utc>)> = HashMap::new();
        for (game, log) in logs {
            v.events += log.len();
            let mut seen_ids = HashSet::new();
            let mut previous: Option<&StoredEvent> = None;
            for (index, event) in log.iter().enumerate() {
                if event.event_id != index as u64 + 1 {
                    v.reordered.push(format!(
                        "{game}: event #{} has id {}",
                        index + 1,
                        event.event_id
                    ));
                }
                if let Some(id) = &event.command_id {
                    let key = (game.clone(), id.clone());
                    let continues = previous.is_some_and(|p| p.command_id.as_ref() == Some(id));
                    if continues {
                        if let Some((ids, _)) = batches.get_mut(&key) {
                            ids.push(event.event_id);
                        }
                    } else if !seen_ids.insert(id.clone()) {
                        v.duplicated.push(format!(
                            "{game}: command {id} committed twice (again at event {})",
                            event.event_id
                        ));
                    } else {
                        batches.insert(key, (vec![event.event_id], event.timestamp));
                    }
                }
                previous = Some(event);
            }
        }
        v.commands_committed = batches.len();

        // Forks: both instances serve exactly the stored log.
        for (game, log) in logs {
            let Some(both) = served.get(game) else {
                continue;
            };
            for (instance, events) in both.iter().enumerate() {
                if events.len() != log.len() {
                    v.forked.push(format!(
                        "{game}: instance {instance} serves {} events, the store holds {}",
                        events.len(),
                        log.len()
                    ));
                    continue;
                }
                for (stored, public) in log.iter().zip(events) {
                    let id = public["eventId"].as_u64();
                    let kind = public["eventType"].as_str();
                    if id != Some(stored.event_id) || kind != Some(stored.event.event_type()) {
                        v.forked.push(format!(
                            "{game}: instance {instance} serves {:?} {:?} at event {}",
                            id, kind, stored.event_id
                        ));
                        break;
                    }
                }
            }
        }
        // Public events by (game, id) from instance 0, to compare what clients received.
        let mut public: HashMap<(&str, u64), &Value> = HashMap::new();
        for (game, both) in served {
            for event in &both[0] {
                if let Some(id) = event["eventId"].as_u64() {
                    public.insert((game.as_str(), id), event);
                }
            }
        }

        // Every answer true.
        let mut confirmed: HashSet<(String, String)> = HashSet::new();
        for (i, a) in self.attempts.iter().enumerate() {
            let name = match &a.answer {
                Answer::Committed {
                    duplicate: false, ..
                } => "committed".to_string(),
                Answer::Committed {
                    duplicate: true, ..
                } => "duplicate".to_string(),
                Answer::Refused(code) => format!("refused:{code}"),
                Answer::NotWritten(code) => format!("not_written:{code}"),
                Answer::Unknown => "outcome_unknown".to_string(),
                Answer::Silence(_) => "silence".to_string(),
            };
            *v.answers
                .entry(format!("{}:{name}", a.transport))
                .or_default() += 1;
            let key = (a.game_id.clone(), a.command_id.clone());
            let batch = batches.get(&key);
            let what = format!(
                "{} {} attempt {} on instance {} ({}), answered {:?}",
                a.game_id, a.command_id, i, a.instance, a.transport, a.answer
            );
            match &a.answer {
                Answer::Committed {
                    event_ids,
                    duplicate,
                } => {
                    confirmed.insert(key.clone());
                    match batch {
                        None => v.lost.push(what),
                        Some((ids, at)) => {
                            if ids != event_ids {
                                v.false_answers
                                    .push(format!("{what}: the log holds it as {ids:?}"));
                            } else if !duplicate
                                && !within(*at, a.sent, a.answered)
                                && !overlapped(&self.attempts, i)
                            {
                                v.false_answers.push(format!(
                                    "{what}: committed at {at}, outside the attempt"
                                ));
                            }
                        }
                    }
                }
                Answer::Refused(_) => {
                    if batch.is_some() {
                        v.false_answers
                            .push(format!("{what}: but it is in the log"));
                    }
                }
                Answer::NotWritten(_) => {
                    if let Some((_, at)) = batch {
                        if within(*at, a.sent, a.answered) && !overlapped(&self.attempts, i) {
                            v.false_answers
                                .push(format!("{what}: but this attempt committed it at {at}"));
                        }
                    }
                }
                Answer::Unknown | Answer::Silence(_) => {}
            }
        }
        let sent: HashSet<(String, String)> = self
            .attempts
            .iter()
            .map(|a| (a.game_id.clone(), a.command_id.clone()))
            .collect();
        for key in batches.keys() {
            if sent.contains(key) && !confirmed.contains(key) {
                v.unconfirmed.push(format!("{} {}", key.0, key.1));
            }
        }
        for id in &self.double_sent {
            let committed = batches.keys().filter(|(_, c)| c == id).count();
            let answers: Vec<&Attempt> = self
                .attempts
                .iter()
                .filter(|a| &a.command_id == id)
                .collect();
            let definite: HashSet<Vec<u64>> = answers
                .iter()
                .filter_map(|a| match &a.answer {
                    Answer::Committed { event_ids, .. } => Some(event_ids.clone()),
                    _ => None,
                })
                .collect();
            if committed == 1 && definite.len() == 1 {
                v.double_sends_committed_once += 1;
            } else if committed > 1 || definite.len() > 1 {
                v.duplicated.push(format!(
                    "double send {id}: committed {committed} times, answered with {definite:?}"
                ));
            }
        }

        // What clients received is the log, and arrived in time.
        v.stream_violations = self.violations.clone();
        v.deliveries = self.deliveries.len();
        let commit_times: HashMap<(&str, u64), DateTime<Utc>> = logs
            .iter()
            .flat_map(|(g, log)| {
                log.iter()
                    .map(move |e| ((g.as_str(), e.event_id), e.timestamp))
            })
            .collect();
        v.redis_down_events = commit_times
            .values()
            .filter(|at| self.excuse(**at) == Some("redis"))
            .count();
        for d in &self.deliveries {
            let redis_down = commit_times
                .get(&(d.game_id.as_str(), d.event_id))
                .is_some_and(|at| self.excuse(*at) == Some("redis"));
            if redis_down {
                v.redis_down_deliveries += 1;
                if d.live {
                    v.redis_down_live_deliveries += 1;
                }
            }
            match public.get(&(d.game_id.as_str(), d.event_id)) {
                Some(p)
                    if p["eventType"] == Value::String(d.event_type.clone())
                        && p["data"] == d.data => {}
                Some(p) => v.forked.push(format!(
                    "{} event {}: a client got {} {}, the log has {} {}",
                    d.game_id, d.event_id, d.event_type, d.data, p["eventType"], p["data"]
                )),
                None => v.forked.push(format!(
                    "{} event {}: a client got an event the log does not have",
                    d.game_id, d.event_id
                )),
            }
            if !d.live {
                continue;
            }
            v.live_deliveries += 1;
            let Some(&at) = commit_times.get(&(d.game_id.as_str(), d.event_id)) else {
                continue;
            };
            let lag = (d.received - at).num_milliseconds();
            match self.excuse(at) {
                Some("redis") => {
                    v.ws_lag_redis_down_max_ms = v.ws_lag_redis_down_max_ms.max(lag);
                    note_lag(
                        &mut v.ws_lag_max_ms,
                        &mut v.ws_lag_max_at,
                        &mut v.ws_lag_over_1s,
                        lag,
                        d,
                    );
                }
                Some(_) => v.ws_lag_excused_max_ms = v.ws_lag_excused_max_ms.max(lag),
                None => note_lag(
                    &mut v.ws_lag_max_ms,
                    &mut v.ws_lag_max_at,
                    &mut v.ws_lag_over_1s,
                    lag,
                    d,
                ),
            }
        }

        // Read models: for every batch end, how long until a sample showed the summary there.
        let mut samples: HashMap<&str, Vec<(DateTime<Utc>, u64)>> = HashMap::new();
        for (t, game, version) in &self.summaries {
            samples
                .entry(game.as_str())
                .or_default()
                .push((*t, *version));
        }
        let (first_sample, last_sample) = match (self.summaries.first(), self.summaries.last()) {
            (Some(f), Some(l)) => (f.0, l.0),
            _ => (Utc::now(), Utc::now()),
        };
        for (game, log) in logs {
            let Some(game_samples) = samples.get_mut(game.as_str()) else {
                continue;
            };
            game_samples.sort_by_key(|s| s.0);
            for (index, event) in log.iter().enumerate() {
                let batch_end = !log.get(index + 1).is_some_and(|next| {
                    next.timestamp == event.timestamp && next.command_id == event.command_id
                });
                if !batch_end || event.timestamp < first_sample {
                    continue;
                }
                // The read models are in MongoDB: while it is down they cannot move; the clock
                // starts when it answers again.
                let since = self.read_models_back(event.timestamp);
                if since + TimeDelta::seconds(2) > last_sample {
                    continue;
                }
                let reached = game_samples
                    .iter()
                    .find(|(t, version)| *t >= since && *version >= event.event_id);
                let lag = match reached {
                    Some((t, _)) => (*t - since).num_milliseconds(),
                    None => (last_sample - since).num_milliseconds(),
                };
                if lag > v.read_model_lag_max_ms {
                    v.read_model_lag_max_ms = lag;
                    v.read_model_lag_max_at = format!(
                        "{game} event {} committed {}",
                        event.event_id, event.timestamp
                    );
                }
                if lag > 1000 {
                    v.read_model_lag_over_1s += 1;
                }
            }
        }

        v.ready_samples = self.ready.len();
        v.ready_max_ms = self.ready.iter().map(|r| r.1).max().unwrap_or(0);
        v
    }

    /// Why a commit at `at` may reach live clients late: `redis` (the bus was down: NOT
    /// excused, only reported apart), `kill9` (committed just before an instance died, whose
    /// publish died with it: it arrives when the client's retry republishes it), `mongo` (the
    /// store was down).
    fn excuse(&self, at: DateTime<Utc>) -> Option<&'static str> {
        for f in &self.faults {
            let (from, to) = match f.kind {
                "kill -9 instance" => (
                    f.started - TimeDelta::seconds(1),
                    f.started + TimeDelta::milliseconds(200),
                ),
                "kill -9 MongoDB" => (
                    f.started - TimeDelta::seconds(1),
                    f.recovered + TimeDelta::seconds(1),
                ),
                "stop Redis" => (f.started, f.recovered),
                _ => continue,
            };
            if at >= from && at <= to {
                return Some(match f.kind {
                    "stop Redis" => "redis",
                    "kill -9 MongoDB" => "mongo",
                    _ => "kill9",
                });
            }
        }
        None
    }

    /// When the read models could start catching up with a commit at `at`.
    fn read_models_back(&self, at: DateTime<Utc>) -> DateTime<Utc> {
        let mut since = at;
        for f in &self.faults {
            if f.kind == "kill -9 MongoDB"
                && at >= f.started - TimeDelta::seconds(1)
                && at <= f.recovered
            {
                since = since.max(f.recovered);
            }
        }
        since
    }
}

fn note_lag(max: &mut i64, at: &mut String, over: &mut usize, lag: i64, d: &Delivery) {
    if lag > *max {
        *max = lag;
        *at = format!("{} event {} received {}", d.game_id, d.event_id, d.received);
    }
    if lag > 1000 {
        *over += 1;
    }
}

/// `at` lies within the attempt `[sent, answered]` (with a little slack).
fn within(at: DateTime<Utc>, sent: DateTime<Utc>, answered: DateTime<Utc>) -> bool {
    at >= sent - TimeDelta::milliseconds(SLACK_MS)
        && at <= answered + TimeDelta::milliseconds(SLACK_MS)
}

/// Another attempt of the same command overlapped attempt `i` in time (a double send, or a retry
/// sent while the first was still in flight): the commit cannot be pinned on either.
fn overlapped(attempts: &[Attempt], i: usize) -> bool {
    let a = &attempts[i];
    attempts.iter().enumerate().any(|(j, b)| {
        j != i
            && b.command_id == a.command_id
            && b.game_id == a.game_id
            && b.sent <= a.answered
            && a.sent <= b.answered
    })
}
