//! The feed pump and the bounded outbound queue between a game's feed and one socket.
//!
//! The pump runs as its own task: it pulls [`FeedUpdate`]s from the [`GameFeed`] and hands them to
//! the session actor. It must not run inside the actor: actix-web drives a WebSocket actor only
//! while the connection's write buffer has room, so a client that stops reading freezes its actor,
//! and anything running inside it.
//!
//! The pump renders each update's frames (one `update` frame, or in protocol 1 the game's shared
//! event frames and this viewer's state frame) and [`Outbox`] counts the frames and bytes handed to the session and not yet written by
//! it. When a client stops reading, those counts grow; once either has reached its limit
//! (`WS_OUTBOUND_QUEUE` frames, `WS_OUTBOUND_QUEUE_BYTES` bytes) and stays there for
//! [`SLOW_CONSUMER_GRACE`], the pump stops (dropping its subscription, so memory stays bounded) and
//! the session closes the connection with `slow_consumer` as soon as it can write again. The client
//! reconnects with the `lastEventId` it has and is replayed what it missed. A client that never
//! reads again cannot be sent that close: the kernel resets its connection (see
//! `crate::startup`'s TCP user timeout), which stops the session and frees what it held.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use actix::{Message, Recipient};
use bytestring::ByteString;
use tokio::sync::Notify;

use super::frames::GameFrames;
use super::protocol::Protocol;
use crate::application::{ApplicationError, FeedUpdate, GameFeed};

/// How long a full queue may stay full before the reader counts as too slow.
pub const SLOW_CONSUMER_GRACE: Duration = Duration::from_secs(1);

/// What the pump tells the session.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub enum FeedMessage {
    /// The next events and the state after them, rendered.
    Update(Rendered),
    /// The reader is too slow: close with `slow_consumer`.
    Slow,
    /// The feed ended (the event bus closed: the server is stopping).
    Ended,
    /// The feed could not be read in order: close, the client reconnects with its `lastEventId`.
    Failed(ApplicationError),
}

/// One update's frames: its events, then the state after them.
#[derive(Debug)]
pub struct Rendered {
    /// The `update` frame; or the `event` frames, then the `state` frame.
    pub frames: Vec<ByteString>,
    /// The id of the last event among them.
    pub last_event_id: u64,
    /// Their bytes, as reserved in the [`Outbox`].
    pub bytes: usize,
}

impl Rendered {
    /// Renders `update` with the game's shared frames, in the connection's protocol: one `update`
    /// frame (2 to 4), or its `event` frames and a `state` frame (1).
    pub fn new(update: &FeedUpdate, frames: &GameFrames, protocol: Protocol) -> Rendered {
        let rendered: Vec<ByteString> = match protocol {
            Protocol::Updates | Protocol::Compact | Protocol::Packed => {
                vec![frames.update(update, protocol).into()]
            }
            Protocol::Full => {
                let mut rendered: Vec<ByteString> =
                    update.events.iter().map(|e| frames.event(e)).collect();
                rendered.push(frames.state(update.last_event_id, &update.state).into());
                rendered
            }
        };
        let bytes = rendered.iter().map(|f| f.len()).sum();
        Rendered {
            frames: rendered,
            last_event_id: update.last_event_id,
            bytes,
        }
    }
}

/// Frames on their way from the feed to one socket.
#[derive(Debug)]
pub struct Outbox {
    limit: usize,
    limit_bytes: usize,
    queued: AtomicUsize,
    queued_bytes: AtomicUsize,
    slow: AtomicBool,
    /// The pump is waiting for room (it waits on `drained`).
    waiting: AtomicUsize,
    drained: Notify,
}

impl Outbox {
    /// An empty queue holding at most `limit` frames (at least one) and `limit_bytes` bytes.
    pub fn new(limit: usize, limit_bytes: usize) -> Self {
        Outbox {
            limit: limit.max(1),
            limit_bytes: limit_bytes.max(1),
            queued: AtomicUsize::new(0),
            queued_bytes: AtomicUsize::new(0),
            slow: AtomicBool::new(false),
            waiting: AtomicUsize::new(0),
            drained: Notify::new(),
        }
    }

    /// Pump side: makes room for `frames` more frames of `bytes` bytes. Waits up to `grace` while
    /// the queue is full; when it stays full, marks the outbox slow and answers false.
    ///
    /// One update is never split, so the queue may exceed a limit by one update.
    pub async fn reserve(&self, frames: usize, bytes: usize, grace: Duration) -> bool {
        // Nearly always there is room: no clock read, no waiter.
        if self.take(frames, bytes) {
            return true;
        }
        let deadline = tokio::time::Instant::now() + grace;
        loop {
            // Created and announced before the check, so a drain between the check and the wait
            // is not missed: `written` either sees the waiter or has drained before the check.
            let drained = self.drained.notified();
            self.waiting.fetch_add(1, Ordering::SeqCst);
            if self.take(frames, bytes) {
                self.waiting.fetch_sub(1, Ordering::SeqCst);
                return true;
            }
            let timed_out = tokio::time::timeout_at(deadline, drained).await.is_err();
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            if timed_out {
                self.slow.store(true, Ordering::Release);
                return false;
            }
        }
    }

    /// Adds `frames` and `bytes` to the queue if it is below both limits.
    fn take(&self, frames: usize, bytes: usize) -> bool {
        if self.queued.load(Ordering::SeqCst) < self.limit
            && self.queued_bytes.load(Ordering::SeqCst) < self.limit_bytes
        {
            self.queued.fetch_add(frames, Ordering::SeqCst);
            self.queued_bytes.fetch_add(bytes, Ordering::SeqCst);
            return true;
        }
        false
    }

    /// Session side: `frames` of `bytes` reserved earlier have been written (or dropped).
    pub fn written(&self, frames: usize, bytes: usize) {
        let _ = self
            .queued
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |queued| {
                Some(queued.saturating_sub(frames))
            });
        let _ = self
            .queued_bytes
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |queued| {
                Some(queued.saturating_sub(bytes))
            });
        // Waking is only needed while the pump waits for room (it announces that first).
        if self.waiting.load(Ordering::SeqCst) > 0 {
            self.drained.notify_waiters();
        }
    }

    /// True once the pump gave up on this reader.
    pub fn is_slow(&self) -> bool {
        self.slow.load(Ordering::Acquire)
    }

    /// Frames reserved and not yet written.
    pub fn queued(&self) -> usize {
        self.queued.load(Ordering::Acquire)
    }

    /// Bytes reserved and not yet written.
    pub fn queued_bytes(&self) -> usize {
        self.queued_bytes.load(Ordering::Acquire)
    }
}

/// Moves updates from `feed` to `session` until the feed ends, the session goes away, or the
/// reader is too slow.
pub async fn pump(
    mut feed: GameFeed,
    frames: std::sync::Arc<GameFrames>,
    outbox: std::sync::Arc<Outbox>,
    session: Recipient<FeedMessage>,
    grace: Duration,
    protocol: Protocol,
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
                let rendered = Rendered::new(&update, &frames, protocol);
                drop(update);
                if !outbox
                    .reserve(rendered.frames.len(), rendered.bytes, grace)
                    .await
                {
                    tracing::info!(
                        game_id = feed.game_id(),
                        delivered = feed.last_event_id(),
                        queued = outbox.queued(),
                        queued_bytes = outbox.queued_bytes(),
                        "WebSocket reader too slow; closing its connection"
                    );
                    session.do_send(FeedMessage::Slow);
                    return;
                }
                session.do_send(FeedMessage::Update(rendered));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_queue_below_its_limit_takes_frames_at_once() {
        let outbox = Outbox::new(4, 1 << 20);
        assert!(outbox.reserve(3, 100, Duration::ZERO).await);
        assert!(
            outbox.reserve(3, 100, Duration::ZERO).await,
            "one update may overshoot"
        );
        assert_eq!(outbox.queued(), 6);
        assert!(!outbox.is_slow());
    }

    #[tokio::test]
    async fn a_queue_that_stays_full_marks_the_reader_slow() {
        let outbox = Outbox::new(2, 1 << 20);
        assert!(outbox.reserve(2, 100, Duration::ZERO).await);
        assert!(!outbox.reserve(1, 100, Duration::from_millis(20)).await);
        assert!(outbox.is_slow());
    }

    #[tokio::test]
    async fn a_queue_full_of_bytes_marks_the_reader_slow_below_its_frame_limit() {
        let outbox = Outbox::new(1000, 4096);
        assert!(outbox.reserve(1, 5000, Duration::ZERO).await);
        assert!(!outbox.reserve(1, 10, Duration::from_millis(20)).await);
        assert!(outbox.is_slow());
        assert_eq!(outbox.queued_bytes(), 5000);
    }

    #[tokio::test]
    async fn a_queue_drained_within_the_grace_takes_more() {
        let outbox = std::sync::Arc::new(Outbox::new(2, 1 << 20));
        assert!(outbox.reserve(2, 200, Duration::ZERO).await);
        let writer = outbox.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            writer.written(2, 200);
        });
        assert!(outbox.reserve(1, 100, Duration::from_secs(5)).await);
        assert_eq!(outbox.queued(), 1);
        assert_eq!(outbox.queued_bytes(), 100);
        assert!(!outbox.is_slow());
    }
}
