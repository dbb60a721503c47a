//! The real services the adapter tests talk to, each test in a namespace of its own.
//!
//! `MONGO_URI` (default `mongodb://127.0.0.1:27017/?directConnection=true`) and `REDIS_URL`
//! (default `redis://127.0.0.1:6379`); `scripts/services.sh start` serves both. With `CI=true` a
//! missing service fails the test; elsewhere the test is skipped with a loud message.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use futures::FutureExt;
use mongodb::bson::doc;
use mongodb::Database;

use caravan::config::{EventBusKind, EventStoreKind, Secret, Settings};

use super::app::test_settings;

/// The default MongoDB URI (what `scripts/services.sh` serves).
pub const DEFAULT_MONGO_URI: &str = "mongodb://127.0.0.1:27017/?directConnection=true";
/// The default Redis URL.
pub const DEFAULT_REDIS_URL: &str = "redis://127.0.0.1:6379";

/// `MONGO_URI` or the default.
pub fn mongo_uri() -> String {
    std::env::var("MONGO_URI")
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| DEFAULT_MONGO_URI.into())
}

/// `REDIS_URL` or the default.
pub fn redis_url() -> String {
    std::env::var("REDIS_URL")
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| DEFAULT_REDIS_URL.into())
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Fails (CI) or announces a skip loudly (elsewhere) because `service` does not answer.
fn missing(service: &str, address: &str, error: &str) {
    let message = format!(
        "{service} does not answer at {address}: {error}\n\
         start it with `scripts/services.sh start` (or set the URL variable)"
    );
    if in_ci() {
        panic!("CI=true: a missing service is a failure, not a skip. {message}");
    }
    eprintln!("\n!!!!!!!! SKIPPED: {message} !!!!!!!!\n");
}

/// A name no other test uses: `prefix_<12 hex digits>`.
pub fn unique_name(prefix: &str) -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("{prefix}_{}", &id[..12])
}

/// A database of its own on the test MongoDB, dropped when the test ends (even when it fails).
pub struct TestDb {
    /// The database's name.
    pub name: String,
    /// A handle on it.
    pub database: Database,
}

impl TestDb {
    /// A fresh, empty database; `None` (after a loud message) when MongoDB is not reachable
    /// outside CI.
    pub async fn new() -> Option<TestDb> {
        let uri = mongo_uri();
        let name = unique_name("caravan_test");
        let database = caravan::adapters::outbound::mongodb::connect(&uri, &name)
            .await
            .unwrap_or_else(|e| panic!("MONGO_URI {uri:?} is not usable: {e}"));
        let ping = tokio::time::timeout(
            Duration::from_secs(8),
            database.run_command(doc! { "ping": 1 }),
        )
        .await;
        match ping {
            Ok(Ok(_)) => return Some(TestDb { name, database }),
            Ok(Err(e)) => missing("MongoDB", &uri, &e.to_string()),
            Err(_) => missing("MongoDB", &uri, "no answer within 8 s"),
        }
        None
    }

    /// Runs `test` with this database, then drops it, then re-raises the test's panic if any.
    pub async fn run<F, Fut>(self, test: F)
    where
        F: FnOnce(Database) -> Fut,
        Fut: Future<Output = ()>,
    {
        let test = test(self.database.clone());
        then_clean_up(test, self.clean_up()).await;
    }
}

/// Redis for one test: its URL and a key prefix no other test uses. Keys under the prefix are
/// deleted when [`TestRedis::run`] ends.
pub struct TestRedis {
    /// The Redis URL.
    pub url: String,
    /// The prefix of every key and channel this test uses.
    pub prefix: String,
}

impl TestRedis {
    /// A fresh prefix; `None` (after a loud message) when Redis is not reachable outside CI.
    pub async fn new() -> Option<TestRedis> {
        let url = redis_url();
        let client = redis::Client::open(url.as_str())
            .unwrap_or_else(|e| panic!("REDIS_URL {url:?} is not usable: {e}"));
        let ping = tokio::time::timeout(Duration::from_secs(5), async {
            let mut conn = client.get_multiplexed_async_connection().await?;
            redis::cmd("PING").query_async::<String>(&mut conn).await
        })
        .await;
        match ping {
            Ok(Ok(_)) => {
                return Some(TestRedis {
                    prefix: unique_name("caravan-test"),
                    url,
                })
            }
            Ok(Err(e)) => missing("Redis", &url, &e.to_string()),
            Err(_) => missing("Redis", &url, "no answer within 5 s"),
        }
        None
    }

    /// Runs `test`, then deletes every key under the prefix, then re-raises the test's panic if any.
    pub async fn run<F, Fut>(self, test: F)
    where
        F: FnOnce(String, String) -> Fut,
        Fut: Future<Output = ()>,
    {
        let test = test(self.url.clone(), self.prefix.clone());
        then_clean_up(test, self.clean_up()).await;
    }
}

/// Runs `test(database)` on a fresh MongoDB database, dropped afterwards, or skips (outside CI)
/// when MongoDB is missing.
pub async fn with_mongo<F, Fut>(test: F)
where
    F: FnOnce(Database) -> Fut,
    Fut: Future<Output = ()>,
{
    if let Some(db) = TestDb::new().await {
        db.run(test).await;
    }
}

/// Runs `test(redis_url, key_prefix)` under a fresh key prefix, whose keys are deleted afterwards,
/// or skips (outside CI) when Redis is missing.
pub async fn with_redis<F, Fut>(test: F)
where
    F: FnOnce(String, String) -> Fut,
    Fut: Future<Output = ()>,
{
    if let Some(redis) = TestRedis::new().await {
        redis.run(test).await;
    }
}

/// A namespace of a test's own on a service (a MongoDB database, a Redis key prefix).
pub trait Namespace: Sized + Send + Sync + 'static {
    /// A fresh namespace; `None` (after a loud message) when the service does not answer outside
    /// CI.
    fn open() -> impl Future<Output = Option<Self>> + Send;

    /// Removes what the test left in it (over a connection of its own, so that it can run on
    /// another runtime).
    fn clean_up(self) -> BoxFuture<'static, ()>;
}

impl Namespace for TestDb {
    fn open() -> impl Future<Output = Option<Self>> + Send {
        TestDb::new()
    }

    fn clean_up(self) -> BoxFuture<'static, ()> {
        Box::pin(drop_database(self.name))
    }
}

impl Namespace for TestRedis {
    fn open() -> impl Future<Output = Option<Self>> + Send {
        TestRedis::new()
    }

    fn clean_up(self) -> BoxFuture<'static, ()> {
        Box::pin(delete_keys(self.url, self.prefix))
    }
}

/// Runs `test`, then `cleanup` (whether the test failed or not), then re-raises the test's panic.
async fn then_clean_up(test: impl Future<Output = ()>, cleanup: impl Future<Output = ()>) {
    let outcome = std::panic::AssertUnwindSafe(test).catch_unwind().await;
    cleanup.await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

/// Deletes every key under `prefix`, saying so when it cannot.
async fn delete_keys(url: String, prefix: String) {
    if let Err(e) = try_delete_keys(&url, &prefix).await {
        eprintln!("could not delete the keys under {prefix}: {e}");
    }
}

async fn try_delete_keys(url: &str, prefix: &str) -> redis::RedisResult<()> {
    let client = redis::Client::open(url)?;
    let mut conn = client.get_multiplexed_async_connection().await?;
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}:*"))
        .query_async(&mut conn)
        .await?;
    if !keys.is_empty() {
        redis::cmd("DEL")
            .arg(&keys)
            .query_async::<()>(&mut conn)
            .await?;
    }
    Ok(())
}

/// Cleanups that run when it is dropped, on a thread and runtime of their own (`Drop` cannot wait,
/// and the test's runtime may be ending).
#[derive(Default)]
struct CleanUpOnDrop(parking_lot::Mutex<Vec<BoxFuture<'static, ()>>>);

impl CleanUpOnDrop {
    fn push(&self, cleanup: impl Future<Output = ()> + Send + 'static) {
        self.0.lock().push(Box::pin(cleanup));
    }
}

impl Drop for CleanUpOnDrop {
    fn drop(&mut self) {
        let cleanups = std::mem::take(&mut *self.0.lock());
        if cleanups.is_empty() {
            return;
        }
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(futures::future::join_all(cleanups));
        })
        .join();
    }
}

/// Drops the test database `name` (over a connection of its own).
async fn drop_database(name: String) {
    if let Ok(database) = caravan::adapters::outbound::mongodb::connect(&mongo_uri(), &name).await {
        if let Err(e) = database.drop().await {
            eprintln!("could not drop test database {name}: {e}");
        }
    }
}

/// A factory for `contract!`: each call builds an adapter in a namespace of its own; the
/// namespaces are cleaned up when the factory is dropped. `None` (after a loud message, or a
/// failure with `CI=true`) when the service does not answer.
pub fn fresh<N, T, B, Fut>(build: B) -> impl Fn() -> BoxFuture<'static, Option<T>>
where
    N: Namespace,
    B: Fn(&N) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let cleanups = Arc::new(CleanUpOnDrop::default());
    move || {
        let (cleanups, build) = (cleanups.clone(), build.clone());
        Box::pin(async move {
            let namespace = N::open().await?;
            let adapter = build(&namespace);
            cleanups.push(namespace.clean_up());
            Some(adapter.await)
        })
    }
}

/// [`fresh`] adapters on a MongoDB database each.
pub fn fresh_mongo<T, B, Fut>(build: B) -> impl Fn() -> BoxFuture<'static, Option<T>>
where
    B: Fn(Database) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    fresh(move |db: &TestDb| build(db.database.clone()))
}

/// [`fresh`] adapters under a Redis key prefix each (given the Redis URL and the prefix).
pub fn fresh_redis<T, B>(build: B) -> impl Fn() -> BoxFuture<'static, Option<T>>
where
    B: Fn(&str, &str) -> T + Clone + Send + 'static,
    T: Send + 'static,
{
    fresh(move |redis: &TestRedis| std::future::ready(build(&redis.url, &redis.prefix)))
}

/// Where a test's instances keep their events and meet: a MongoDB database and a Redis key prefix
/// of the test's own.
#[derive(Debug, Clone)]
pub struct Backing {
    /// The MongoDB URI.
    pub mongo_uri: String,
    /// The test's database.
    pub mongo_db: String,
    /// The Redis URL.
    pub redis_url: String,
    /// The test's key prefix.
    pub redis_prefix: String,
}

impl Backing {
    /// Test settings for an instance on the MongoDB event store and the Redis bus.
    pub fn settings(&self) -> Settings {
        let mut settings = test_settings();
        settings.storage.event_store = EventStoreKind::Mongodb;
        settings.storage.mongo_uri = Secret::new(&self.mongo_uri);
        settings.storage.mongo_db = self.mongo_db.clone();
        settings.storage.event_bus = EventBusKind::Redis;
        settings.storage.redis_url = Secret::new(&self.redis_url);
        settings.storage.redis_key_prefix = self.redis_prefix.clone();
        settings
    }
}

/// Runs `test` with a fresh MongoDB database and Redis prefix, both removed afterwards, or skips
/// (outside CI) when either service is missing.
pub async fn with_services<F, Fut>(test: F)
where
    F: FnOnce(Backing) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let Some(db) = TestDb::new().await else {
        return;
    };
    let Some(redis) = TestRedis::new().await else {
        return;
    };
    let mongo_db = db.name.clone();
    db.run(|_| async move {
        redis
            .run(|redis_url, redis_prefix| {
                test(Backing {
                    mongo_uri: mongo_uri(),
                    mongo_db,
                    redis_url,
                    redis_prefix,
                })
            })
            .await;
    })
    .await;
}
