//! The processes a chaos run owns: a private Redis, a private MongoDB-wire server (nx-27017, on
//! disk so that a kill -9 keeps what it committed) and the caravan instances, each on a port of
//! its own. Nothing here touches the shared services on 6379/27017.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free local port")
}

/// One child process, killed when dropped.
pub struct Proc {
    name: String,
    child: Option<Child>,
}

impl Proc {
    fn spawn(name: &str, command: &mut Command, log: &Path) -> Proc {
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .unwrap_or_else(|e| panic!("cannot open {}: {e}", log.display()));
        let err = out.try_clone().expect("a second handle on the log");
        let child = command
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        Proc {
            name: name.to_string(),
            child: Some(child),
        }
    }

    /// kill -9, then reap.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM, then wait up to `grace` for the exit (kill -9 after that).
    pub fn terminate(&mut self, grace: Duration) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status();
        let until = Instant::now() + grace;
        while Instant::now() < until {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        eprintln!(
            "{} did not stop within {grace:?} of SIGTERM: killing it",
            self.name
        );
        let _ = child.kill();
        let _ = child.wait();
    }

    fn exited(&mut self) -> bool {
        match &mut self.child {
            Some(child) => !matches!(child.try_wait(), Ok(None)),
            None => true,
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// Waits for `ready` (polled every 50 ms) up to `limit`; panics with `what` otherwise.
async fn wait_for<F, Fut>(what: &str, limit: Duration, proc: &mut Proc, mut ready: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let until = Instant::now() + limit;
    while Instant::now() < until {
        if ready().await {
            return;
        }
        if proc.exited() {
            panic!("{what} exited while starting");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{what} did not answer within {limit:?}");
}

/// A private Redis without persistence: a restart comes back empty (the projection group gone).
pub struct Redis {
    pub port: u16,
    dir: PathBuf,
    proc: Option<Proc>,
}

impl Redis {
    pub async fn start(dir: &Path) -> Redis {
        let mut redis = Redis {
            port: free_port(),
            dir: dir.to_path_buf(),
            proc: None,
        };
        redis.restart().await;
        redis
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    pub async fn restart(&mut self) {
        let mut proc = Proc::spawn(
            "redis-server",
            Command::new("redis-server")
                .args(["--bind", "127.0.0.1", "--port"])
                .arg(self.port.to_string())
                .args(["--save", "", "--appendonly", "no", "--dir"])
                .arg(&self.dir),
            &self.dir.join("redis.log"),
        );
        let url = self.url();
        wait_for("redis-server", Duration::from_secs(20), &mut proc, || {
            let url = url.clone();
            async move { ping_redis(&url).await }
        })
        .await;
        self.proc = Some(proc);
    }

    pub fn kill9(&mut self) {
        if let Some(mut proc) = self.proc.take() {
            proc.kill9();
        }
    }
}

async fn ping_redis(url: &str) -> bool {
    let Ok(client) = redis::Client::open(url) else {
        return false;
    };
    let answer = tokio::time::timeout(Duration::from_millis(500), async {
        let mut conn = client.get_multiplexed_async_connection().await?;
        redis::cmd("PING").query_async::<String>(&mut conn).await
    })
    .await;
    matches!(answer, Ok(Ok(_)))
}

/// The nx-27017 executable: `NX_27017`, else the one `scripts/services.sh` installs.
fn nx_27017() -> PathBuf {
    if let Some(path) = std::env::var_os("NX_27017").filter(|p| !p.is_empty()) {
        return PathBuf::from(path);
    }
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(".services/venv/bin/nx-27017");
    assert!(
        path.exists(),
        "{} is missing: run `scripts/services.sh start` (it installs nx-27017), or set NX_27017",
        path.display()
    );
    path
}

/// A private MongoDB-wire server keeping its databases in files, so a kill -9 loses nothing
/// it acknowledged.
pub struct Mongo {
    pub port: u16,
    dir: PathBuf,
    proc: Option<Proc>,
}

impl Mongo {
    pub async fn start(dir: &Path) -> Mongo {
        let mut mongo = Mongo {
            port: free_port(),
            dir: dir.to_path_buf(),
            proc: None,
        };
        std::fs::create_dir_all(dir.join("mongo")).expect("the MongoDB data directory");
        mongo.restart().await;
        mongo
    }

    pub fn uri(&self) -> String {
        format!("mongodb://127.0.0.1:{}/?directConnection=true", self.port)
    }

    pub async fn restart(&mut self) {
        let pid_file = self.dir.join("nx.pid");
        let _ = std::fs::remove_file(&pid_file);
        let mut proc = Proc::spawn(
            "nx-27017",
            Command::new(nx_27017())
                .arg("--data-dir")
                .arg(self.dir.join("mongo"))
                .args(["--host", "127.0.0.1", "-p"])
                .arg(self.port.to_string())
                .arg("--pid-file")
                .arg(&pid_file)
                .args(["--log-file", "/dev/null"]),
            &self.dir.join("mongo.log"),
        );
        let uri = self.uri();
        wait_for("nx-27017", Duration::from_secs(30), &mut proc, || {
            let uri = uri.clone();
            async move { ping_mongo(&uri).await }
        })
        .await;
        self.proc = Some(proc);
    }

    pub fn kill9(&mut self) {
        if let Some(mut proc) = self.proc.take() {
            proc.kill9();
        }
    }
}

async fn ping_mongo(uri: &str) -> bool {
    let Ok(database) = caravan::adapters::outbound::mongodb::connect(uri, "admin").await else {
        return false;
    };
    let ping = tokio::time::timeout(
        Duration::from_secs(2),
        database.run_command(mongodb::bson::doc! { "ping": 1 }),
    )
    .await;
    matches!(ping, Ok(Ok(_)))
}

/// One caravan instance on a fixed port (a restart comes back on the same address).
pub struct Instance {
    pub name: &'static str,
    pub port: u16,
    env: Vec<(String, String)>,
    log: PathBuf,
    proc: Option<Proc>,
}

impl Instance {
    pub async fn start(name: &'static str, dir: &Path, env: Vec<(String, String)>) -> Instance {
        let mut instance = Instance {
            name,
            port: free_port(),
            env,
            log: dir.join(format!("{name}.log")),
            proc: None,
        };
        instance.restart().await;
        instance
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub async fn restart(&mut self) {
        let mut command = Command::new(env!("CARGO_BIN_EXE_caravan"));
        command.arg("serve").env_clear();
        if let Some(path) = std::env::var_os("PATH") {
            command.env("PATH", path);
        }
        command.env("SERVER_PORT", self.port.to_string());
        for (key, value) in &self.env {
            command.env(key, value);
        }
        let mut proc = Proc::spawn(self.name, &mut command, &self.log);
        let health = format!("{}/ready", self.url());
        let client = reqwest::Client::new();
        wait_for(self.name, Duration::from_secs(60), &mut proc, || {
            let request = client
                .get(&health)
                .timeout(Duration::from_millis(500))
                .send();
            async move { request.await.is_ok_and(|r| r.status().is_success()) }
        })
        .await;
        self.proc = Some(proc);
    }

    pub fn kill9(&mut self) {
        if let Some(mut proc) = self.proc.take() {
            proc.kill9();
        }
    }

    pub fn terminate(&mut self) {
        if let Some(mut proc) = self.proc.take() {
            proc.terminate(Duration::from_secs(15));
        }
    }
}
