//! The feed pump and the bounded outbound queue between a game's feed and one socket.
//!
//! The pump runs as its own task: it pulls [`FeedUpdate`]s from the [`GameFeed`] and hands them to
//! the session actor. It must not run inside the actor: actix-web drives a WebSocket actor only
//! while the connection's write buffer has room, so a client that stops reading freezes its actor,
//! and anything running inside it.
//!
//! [`Outbox`] counts the frames handed to the session and not yet written by it. When a client
//! stops reading, that count grows; once it has reached `WS_OUTBOUND_QUEUE` and stays there for
//! [`SLOW_CONSUMER_GRACE`], the pump stops (dropping its subscription, so memory stays bounded) and
//! the session closes the connection with `slow_consumer` as soon as it can write again. The client
//! reconnects with the `lastEventId` it has and is replayed what it missed.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use actix::{Message, Recipient};
use tokio::sync::Notify;

use crate::application::{ApplicationError, FeedUpdate, GameFeed};

/// How long a full queue may stay full before the reader counts as too slow.
pub const SLOW_CONSUMER_GRACE: Duration = Duration::from_secs(1);

/// What the pump tells the session.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub enum FeedMessage {
    /// The next events and the state after them.
    Update(FeedUpdate),
    /// The reader is too slow: close with `slow_consumer`.
    Slow,
    /// The feed ended (the event bus closed: the server is stopping).
    Ended,
    /// The feed could not be read in order: close, the client reconnects with its `lastEventId`.
    Failed(ApplicationError),
}

/// Frames on their way from the feed to one socket.
#[derive(Debug)]
pub struct Outbox {
    limit: usize,
    queued: AtomicUsize,
    slow: AtomicBool,
    drained: Notify,
}

impl Outbox {
    /// An empty queue holding at most `limit` frames (at least one).
    pub fn new(limit: usize) -> Self {
        Outbox {
            limit: limit.max(1),
            queued: AtomicUsize::new(0),
            slow: AtomicBool::new(false),
            drained: Notify::new(),
        }
    }

    /// Pump side: makes room for `frames` more. Waits up to `grace` while the queue is full; when
    /// it stays full, marks the outbox slow and answers false.
    ///
    /// One update is never split, so the queue may exceed the limit by one update's frames.
    pub async fn reserve(&self, frames: usize, grace: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + grace;
        loop {
            // Created before the check, so a drain between the check and the wait is not missed.
            let drained = self.drained.notified();
            if self.queued.load(Ordering::Acquire) < self.limit {
                self.queued.fetch_add(frames, Ordering::AcqRel);
                return true;
            }
            if tokio::time::timeout_at(deadline, drained).await.is_err() {
                self.slow.store(true, Ordering::Release);
                return false;
            }
        }
    }

    /// Session side: `frames` reserved earlier have been written (or dropped).
    pub fn written(&self, frames: usize) {
        let _ = self
            .queued
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |queued| {
                Some(queued.saturating_sub(frames))
            });
        self.drained.notify_waiters();
    }

    /// True once the pump gave up on this reader.
    pub fn is_slow(&self) -> bool {
        self.slow.load(Ordering::Acquire)
    }

    /// Frames reserved and not yet written.
    pub fn queued(&self) -> usize {
        self.queued.load(Ordering::Acquire)
    }
}

/// Frames one update becomes: one per event and the state.
pub fn frames_of(update: &FeedUpdate) -> usize {
    update.events.len() + 1
}

/// Moves updates from `feed` to `session` until the feed ends, the session goes away, or the
/// reader is too slow.
pub async fn pump(
    mut feed: GameFeed,
    outbox: std::sync::Arc<Outbox>,
    session: Recipient<FeedMessage>,
    grace: Duration,
) {
    loop {
        let next = feed.next().await;
        if !session.connected() {
            return;
        }
        match next {
            None => {
                session.do_send(FeedMessage::Ended);
                return;
            }
            Some(Err(e)) => {
                session.do_send(FeedMessage::Failed(e));
                return;
            }
            Some(Ok(update)) => {
                if !outbox.reserve(frames_of(&update), grace).await {
                    tracing::info!(
                        game_id = feed.game_id(),
                        delivered = feed.last_event_id(),
                        queued = outbox.queued(),
                        "WebSocket reader too slow; closing its connection"
                    );
                    session.do_send(FeedMessage::Slow);
                    return;
                }
                session.do_send(FeedMessage::Update(update));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_queue_below_its_limit_takes_frames_at_once() {
        let outbox = Outbox::new(4);
        assert!(outbox.reserve(3, Duration::ZERO).await);
        assert!(
            outbox.reserve(3, Duration::ZERO).await,
            "one update may overshoot"
        );
        assert_eq!(outbox.queued(), 6);
        assert!(!outbox.is_slow());
    }

    #[tokio::test]
    async fn a_queue_that_stays_full_marks_the_reader_slow() {
        let outbox = Outbox::new(2);
        assert!(outbox.reserve(2, Duration::ZERO).await);
        assert!(!outbox.reserve(1, Duration::from_millis(20)).await);
        assert!(outbox.is_slow());
    }

    #[tokio::test]
    async fn a_queue_drained_within_the_grace_takes_more() {
        let outbox = std::sync::Arc::new(Outbox::new(2));
        assert!(outbox.reserve(2, Duration::ZERO).await);
        let writer = outbox.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            writer.written(2);
        });
        assert!(outbox.reserve(1, Duration::from_secs(5)).await);
        assert_eq!(outbox.queued(), 1);
        assert!(!outbox.is_slow());
    }
}
