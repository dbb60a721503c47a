//! The event bus over Redis pub/sub: one channel per game (`{prefix}:game:{id}`), so an instance
//! hands events committed by another instance to its own subscribers.
//!
//! - A publish first delivers to this process's subscribers (they never depend on Redis), then
//!   sends `PUBLISH` (and, when enabled, `XADD` to the projection stream) in one round trip. If
//!   Redis cannot be reached the publish returns [`BusError::Unavailable`] after at most the
//!   command timeout: the caller counts it, the command stays committed.
//! - One pub/sub connection per process, owned by a listener task: it subscribes to a game's
//!   channel while this process has subscribers of that game, checks the connection with `PING`,
//!   and reconnects with backoff when it is lost. After every (re)connection it sends
//!   [`BusMessage::Lagged`] to every subscriber: pub/sub drops what was published meanwhile, and
//!   the feed then reads the missing ids from the event store.
//! - `subscribe` waits until Redis has confirmed the channel, so everything published from then
//!   on arrives; when Redis is unreachable it returns at once (local events still flow) and the
//!   `Lagged` after reconnection covers the rest.
//! - While the pub/sub connection is down, every local subscriber is sent `Lagged` every
//!   [`RedisBusOptions::poll_while_down`], so feeds poll the store for what other instances
//!   committed and no client falls more than that behind while Redis is away.
//! - Messages carry the publishing process's id; a process ignores its own (already delivered).
//!
//! Pub/sub is a hint, never the truth: nothing here stores an event.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use deadpool_redis::Pool;
use futures::{stream, StreamExt};
use parking_lot::Mutex;
use redis::aio::{PubSubSink, PubSubStream};
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::timeout;

use crate::adapters::redis::{backoff, pool, RedisKeys, RedisSetupError};
use crate::application::ports::{BusError, BusMessage, EventBus, StoredEvent, Subscription};

/// Tuning of the Redis bus.
#[derive(Debug, Clone)]
pub struct RedisBusOptions {
    /// Longest a publish, a subscription confirmation or a ping may take.
    pub command_timeout: Duration,
    /// How often the pub/sub connection is checked with `PING`.
    pub health_interval: Duration,
    /// Longest wait between two reconnection attempts (the first is 100 ms, then doubling).
    pub max_reconnect_delay: Duration,
    /// Also `XADD` every published batch to the projection stream (read by
    /// [`crate::adapters::inbound::projection_stream::ProjectionConsumer`]).
    pub projection_stream: bool,
    /// About how many entries the projection stream keeps (`MAXLEN ~`).
    pub stream_max_len: usize,
    /// Messages a game's local channel holds for its slowest subscriber.
    pub channel_capacity: usize,
    /// While the pub/sub connection is down, how often every local subscriber is told
    /// [`BusMessage::Lagged`], so that feeds read what other instances committed from the store.
    pub poll_while_down: Duration,
}

impl Default for RedisBusOptions {
    fn default() -> Self {
        RedisBusOptions {
            command_timeout: Duration::from_secs(2),
            health_interval: Duration::from_secs(5),
            max_reconnect_delay: Duration::from_secs(1),
            projection_stream: false,
            stream_max_len: 100_000,
            channel_capacity: 256,
            poll_while_down: Duration::from_millis(250),
        }
    }
}

/// What goes over a channel: the publishing process and the batch.
#[derive(Serialize)]
struct Outgoing<'a> {
    o: &'a str,
    e: &'a [StoredEvent],
}

#[derive(Deserialize)]
struct Incoming {
    o: String,
    e: Vec<StoredEvent>,
}

/// Requests from subscribers to the listener task.
enum Control {
    /// Subscribe to this game's channel (if not yet) and answer once Redis confirmed it, or at once
    /// when Redis is unreachable.
    Subscribe(String, oneshot::Sender<()>),
    /// The game has no local subscriber any more: leave its channel.
    Unsubscribe(String),
}

/// State shared by the bus, its subscriptions and the listener task.
struct Shared {
    pool: Pool,
    keys: RedisKeys,
    /// This process's id in messages.
    origin: String,
    options: RedisBusOptions,
    /// Local subscribers, per game.
    channels: Mutex<HashMap<String, broadcast::Sender<BusMessage>>>,
    control: mpsc::UnboundedSender<Control>,
    /// The pub/sub connection is up and subscribed.
    listening: AtomicBool,
}

impl Shared {
    fn deliver(&self, game_id: &str, message: BusMessage) {
        if let Some(sender) = self.channels.lock().get(game_id) {
            // An error only means nobody is listening right now.
            let _ = sender.send(message);
        }
    }

    fn lagged_all(&self) {
        for sender in self.channels.lock().values() {
            let _ = sender.send(BusMessage::Lagged);
        }
    }

    fn receive(&self, message: redis::Msg) {
        let channel = message.get_channel_name();
        let Some(game_id) = self.keys.game_of_channel(channel) else {
            return;
        };
        match serde_json::from_slice::<Incoming>(message.get_payload_bytes()) {
            Ok(incoming) if incoming.o == self.origin => {}
            Ok(incoming) => self.deliver(game_id, BusMessage::Events(incoming.e.into())),
            Err(e) => {
                tracing::warn!(game_id, error = %e, "unreadable bus message; subscribers will check the store");
                self.deliver(game_id, BusMessage::Lagged);
            }
        }
    }
}

/// Aborts the task when dropped.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The Redis [`EventBus`].
pub struct RedisEventBus {
    shared: Arc<Shared>,
    _listener: AbortOnDrop,
    _poller: AbortOnDrop,
}

impl RedisEventBus {
    /// A bus on `url` with names under `keys`. Must be called inside a Tokio runtime: it starts the
    /// listener task, which connects in the background (Redis need not be up yet).
    pub fn new(
        url: &str,
        keys: RedisKeys,
        options: RedisBusOptions,
    ) -> Result<Self, RedisSetupError> {
        let client = redis::Client::open(url).map_err(|e| RedisSetupError(e.to_string()))?;
        let pool = pool(url, options.command_timeout)?;
        let (control, requests) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            pool,
            keys,
            origin: uuid::Uuid::new_v4().simple().to_string(),
            options,
            channels: Mutex::new(HashMap::new()),
            control,
            listening: AtomicBool::new(false),
        });
        let listener = tokio::spawn(listen(shared.clone(), client, requests));
        let poller = tokio::spawn(poll_while_down(shared.clone()));
        Ok(RedisEventBus {
            shared,
            _listener: AbortOnDrop(listener),
            _poller: AbortOnDrop(poller),
        })
    }

    /// True while the pub/sub connection is up (events from other processes arrive).
    pub fn is_listening(&self) -> bool {
        self.shared.listening.load(Ordering::Relaxed)
    }

    /// Games with at least one local subscriber.
    pub fn channel_count(&self) -> usize {
        self.shared.channels.lock().len()
    }
}

#[async_trait::async_trait]
impl EventBus for RedisEventBus {
    async fn publish(&self, game_id: &str, events: Arc<[StoredEvent]>) -> Result<(), BusError> {
        let Some(last) = events.last().map(|e| e.event_id) else {
            return Ok(());
        };
        let shared = &self.shared;
        shared.deliver(game_id, BusMessage::Events(events.clone()));
        let payload = serde_json::to_vec(&Outgoing {
            o: &shared.origin,
            e: &events,
        })
        .map_err(|e| BusError::Unavailable(format!("cannot encode a batch: {e}")))?;
        let mut pipe = redis::pipe();
        pipe.cmd("PUBLISH")
            .arg(shared.keys.game_channel(game_id))
            .arg(payload)
            .ignore();
        if shared.options.projection_stream {
            pipe.cmd("XADD")
                .arg(shared.keys.projection_stream())
                .arg("MAXLEN")
                .arg("~")
                .arg(shared.options.stream_max_len)
                .arg("*")
                .arg("g")
                .arg(game_id)
                .arg("v")
                .arg(last)
                .ignore();
        }
        let sent = timeout(shared.options.command_timeout, async {
            let mut connection = shared.pool.get().await.map_err(|e| e.to_string())?;
            pipe.query_async::<()>(&mut connection)
                .await
                .map_err(|e| e.to_string())
        })
        .await;
        match sent {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(BusError::Unavailable(e)),
            Err(_) => Err(BusError::Unavailable("publish timed out".into())),
        }
    }

    async fn subscribe(&self, game_id: &str) -> Result<Subscription, BusError> {
        let shared = &self.shared;
        let receiver = shared
            .channels
            .lock()
            .entry(game_id.to_string())
            .or_insert_with(|| broadcast::channel(shared.options.channel_capacity.max(1)).0)
            .subscribe();
        let guard = Unsubscribe {
            shared: shared.clone(),
            game_id: game_id.to_string(),
        };
        let (confirmed, confirmation) = oneshot::channel();
        if shared
            .control
            .send(Control::Subscribe(game_id.to_string(), confirmed))
            .is_ok()
        {
            // Waits for Redis to confirm the channel; on a timeout the listener is reconnecting,
            // and its Lagged after reconnection covers whatever this subscription misses.
            let _ = timeout(shared.options.command_timeout, confirmation).await;
        }
        // The receiver is dropped before the guard (tuple fields drop in order), so the guard sees
        // the right receiver count.
        let stream = stream::unfold((receiver, guard), |(mut receiver, guard)| async move {
            match receiver.recv().await {
                Ok(message) => Some((message, (receiver, guard))),
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    Some((BusMessage::Lagged, (receiver, guard)))
                }
                Err(broadcast::error::RecvError::Closed) => None,
            }
        });
        Ok(Box::pin(stream))
    }

    async fn ping(&self) -> Result<(), BusError> {
        let shared = &self.shared;
        let answer = timeout(shared.options.command_timeout, async {
            let mut connection = shared.pool.get().await.map_err(|e| e.to_string())?;
            redis::cmd("PING")
                .query_async::<String>(&mut connection)
                .await
                .map_err(|e| e.to_string())
        })
        .await;
        match answer {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(BusError::Unavailable(e)),
            Err(_) => Err(BusError::Unavailable("PING timed out".into())),
        }
    }
}

/// Leaves a game's channel when its last local subscriber goes away.
struct Unsubscribe {
    shared: Arc<Shared>,
    game_id: String,
}

impl Drop for Unsubscribe {
    fn drop(&mut self) {
        let mut channels = self.shared.channels.lock();
        if channels
            .get(&self.game_id)
            .is_some_and(|tx| tx.receiver_count() == 0)
        {
            channels.remove(&self.game_id);
            let _ = self
                .shared
                .control
                .send(Control::Unsubscribe(self.game_id.clone()));
        }
    }
}

/// The listener task: connect, subscribe to every game with local subscribers, tell them they may
/// have missed messages, relay messages until the connection fails, wait, and start again.
async fn listen(
    shared: Arc<Shared>,
    client: redis::Client,
    mut requests: mpsc::UnboundedReceiver<Control>,
) {
    let first_delay = Duration::from_millis(100);
    let mut delay = first_delay;
    let mut attempt: u32 = 0;
    loop {
        attempt += 1;
        match connect(&shared, &client).await {
            Ok((sink, stream, subscribed)) => {
                if attempt > 1 {
                    tracing::info!(attempt, "Redis pub/sub connection restored");
                }
                delay = first_delay;
                attempt = 0;
                shared.listening.store(true, Ordering::Relaxed);
                shared.lagged_all();
                let reason = relay(&shared, sink, stream, &mut requests, subscribed).await;
                shared.listening.store(false, Ordering::Relaxed);
                let Some(reason) = reason else {
                    return;
                };
                tracing::warn!(%reason, "Redis pub/sub connection lost; reconnecting");
            }
            Err(reason) => {
                // Once per second of backoff at most: a long outage does not flood the log.
                if attempt <= 3 || delay >= shared.options.max_reconnect_delay {
                    tracing::warn!(attempt, %reason, "cannot reach Redis for pub/sub; retrying");
                }
            }
        }
        if !pause(delay, &mut requests).await {
            return;
        }
        delay = backoff(delay, shared.options.max_reconnect_delay);
    }
}

/// Opens the pub/sub connection and subscribes to the channel of every game with local subscribers.
async fn connect(
    shared: &Shared,
    client: &redis::Client,
) -> Result<(PubSubSink, PubSubStream, HashSet<String>), String> {
    let limit = shared.options.command_timeout;
    let pubsub = timeout(limit, client.get_async_pubsub())
        .await
        .map_err(|_| "connection timed out".to_string())?
        .map_err(|e| e.to_string())?;
    let (mut sink, stream) = pubsub.split();
    let games: HashSet<String> = shared.channels.lock().keys().cloned().collect();
    if !games.is_empty() {
        let channels: Vec<String> = games.iter().map(|g| shared.keys.game_channel(g)).collect();
        timeout(limit, sink.subscribe(channels))
            .await
            .map_err(|_| "SUBSCRIBE timed out".to_string())?
            .map_err(|e| e.to_string())?;
    }
    Ok((sink, stream, games))
}

/// Relays messages and serves requests until the connection fails (`Some(reason)`) or the bus is
/// gone (`None`).
async fn relay(
    shared: &Shared,
    mut sink: PubSubSink,
    mut stream: PubSubStream,
    requests: &mut mpsc::UnboundedReceiver<Control>,
    mut subscribed: HashSet<String>,
) -> Option<String> {
    let limit = shared.options.command_timeout;
    let mut health = tokio::time::interval(shared.options.health_interval);
    health.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    health.tick().await;
    loop {
        tokio::select! {
            message = stream.next() => match message {
                Some(message) => shared.receive(message),
                None => return Some("the connection closed".into()),
            },
            request = requests.recv() => match request {
                None => return None,
                Some(Control::Subscribe(game_id, confirmed)) => {
                    let mut failure = None;
                    if !subscribed.contains(&game_id) {
                        match timeout(limit, sink.subscribe(shared.keys.game_channel(&game_id))).await {
                            Ok(Ok(())) => {
                                subscribed.insert(game_id);
                            }
                            Ok(Err(e)) => failure = Some(e.to_string()),
                            Err(_) => failure = Some("SUBSCRIBE timed out".into()),
                        }
                    }
                    let _ = confirmed.send(());
                    if failure.is_some() {
                        return failure;
                    }
                }
                Some(Control::Unsubscribe(game_id)) => {
                    let wanted = shared.channels.lock().contains_key(&game_id);
                    if !wanted && subscribed.remove(&game_id) {
                        match timeout(limit, sink.unsubscribe(shared.keys.game_channel(&game_id))).await {
                            Ok(Ok(())) => {}
                            Ok(Err(e)) => return Some(e.to_string()),
                            Err(_) => return Some("UNSUBSCRIBE timed out".into()),
                        }
                    }
                }
            },
            _ = health.tick() => {
                match timeout(limit, sink.ping::<redis::Value>()).await {
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => return Some(e.to_string()),
                    Err(_) => return Some("PING timed out".into()),
                }
            }
        }
    }
}

/// While the pub/sub connection is down, tells every local subscriber every
/// [`RedisBusOptions::poll_while_down`] that it may have missed messages: their feeds then read
/// what other instances committed from the store, so no client falls more than that behind.
async fn poll_while_down(shared: Arc<Shared>) {
    let mut tick = tokio::time::interval(
        shared
            .options
            .poll_while_down
            .max(Duration::from_millis(10)),
    );
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if !shared.listening.load(Ordering::Relaxed) {
            shared.lagged_all();
        }
    }
}

/// Waits `delay` while answering subscription requests at once (nothing to subscribe to while
/// disconnected: the next connection subscribes to every game with local subscribers). False when
/// the bus is gone.
async fn pause(delay: Duration, requests: &mut mpsc::UnboundedReceiver<Control>) -> bool {
    let sleep = tokio::time::sleep(delay);
    tokio::pin!(sleep);
    loop {
        tokio::select! {
            _ = &mut sleep => return true,
            request = requests.recv() => match request {
                None => return false,
                Some(Control::Subscribe(_, confirmed)) => {
                    let _ = confirmed.send(());
                }
                Some(Control::Unsubscribe(_)) => {}
            },
        }
    }
}
