//! The command line of `caravan-tools loadtest` and the checked run configuration built from it.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

/// Plays many games against a running server over its real REST and WebSocket protocol, checks every
/// delivered stream for order and gaps, and reports throughput and latency.
#[derive(Debug, Clone, Args)]
pub struct LoadtestArgs {
    /// The server's base URL (http only).
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// Games played at the same time; each finished game is replaced by a new one.
    #[arg(long, default_value_t = 10)]
    pub games: usize,
    /// Players (bots) per game, 2–5.
    #[arg(long, default_value_t = 4)]
    pub players: u8,
    /// How long to play: `30s`, `2m`, `500ms` or plain seconds.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    pub duration: Duration,
    /// A bot's thinking time before each command, drawn uniformly from half to one and a half of
    /// this (0: answer at once). With N games the offered load is about N / (think + latency)
    /// commands per second; latencies are measured from the moment a command is sent.
    #[arg(long, default_value = "0s", value_parser = parse_duration)]
    pub think: Duration,
    /// Start the games over this long instead of all at once: game slot i starts at i/G of it.
    /// Games started together keep taking their turns together for a while, in bursts that are
    /// the generator's doing, not the traffic of independent tables. The seconds of the ramp-up
    /// are left out of the steady figures.
    #[arg(long, default_value = "0s", value_parser = parse_duration)]
    pub ramp_up: Duration,
    /// Extra spectator connections held open for the whole run (on games that never start).
    #[arg(long, default_value_t = 0)]
    pub idle: usize,
    /// Idle spectators per waiting game.
    #[arg(long, default_value_t = 100)]
    pub idle_per_game: usize,
    /// Drop this many clients at once mid-run and reconnect them with lastEventId (see `--storm-at`).
    #[arg(long, default_value_t = 0)]
    pub reconnect_storm: usize,
    /// When the storm's clients connect (they are dropped about a second later). Default: a third of
    /// the duration.
    #[arg(long, value_parser = parse_duration)]
    pub storm_at: Option<Duration>,
    /// How many events each dropped client should miss before it reconnects.
    #[arg(long, default_value_t = 50)]
    pub storm_behind: u64,
    /// Longest wait for the storm's games to move on by `--storm-behind` events.
    #[arg(long, default_value = "15s", value_parser = parse_duration)]
    pub storm_wait: Duration,
    /// Also measure the raw insert rate of this MongoDB (the server's own, to read its throughput
    /// against): the event store's batch documents, one `insert_one` at a time from as many tasks
    /// as games, for `--baseline-time` before the games start and again after they end, in a
    /// database of its own that is dropped afterwards.
    #[arg(long, value_name = "MONGO_URI")]
    pub mongo_baseline: Option<String>,
    /// The server binary that measures `--mongo-baseline` (`caravan mongo-baseline`). Default:
    /// `caravan` beside this tool's executable, else on the `PATH`.
    #[arg(long, env = "CARAVAN_BIN")]
    pub caravan_bin: Option<PathBuf>,
    /// How long each `--mongo-baseline` measurement inserts.
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    pub baseline_time: Duration,
    /// The server's admin token, sent on every request and WebSocket handshake
    /// (`Authorization: Bearer`): admin requests are exempt from the per-address limits, and only
    /// an admin may choose a game's seed (without it, games get the server's random seeds).
    #[arg(long, env = "ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,
    /// Write the report as JSON to this file (`-` for standard output).
    #[arg(long)]
    pub json: Option<String>,
    /// The server's process id, for its memory (found by name when the URL is local).
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// Seed of the bots' choices and of the game seeds.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Worker threads of the load generator (default: the number of CPUs).
    #[arg(long)]
    pub threads: Option<usize>,
    /// A connection silent for this long while its game runs counts as stalled and is given up.
    #[arg(long, default_value = "20s", value_parser = parse_duration)]
    pub stall_timeout: Duration,
    /// Most WebSocket/REST connections being opened at the same time.
    #[arg(long, default_value_t = 256)]
    pub connect_concurrency: usize,
    /// The WebSocket protocol the players speak: 4, one `update` frame per commit, packed as an
    /// array (what the browser speaks); 3, the same as an object with each event's data as the
    /// array of its values; 2, with the data as objects; or 1, each event and then the whole state
    /// (to compare them).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u8).range(1..=4))]
    pub protocol: u8,
    /// Print no progress lines.
    #[arg(long)]
    pub quiet: bool,
}

impl Default for LoadtestArgs {
    fn default() -> Self {
        LoadtestArgs {
            url: "http://127.0.0.1:8080".into(),
            games: 10,
            players: 4,
            duration: Duration::from_secs(30),
            think: Duration::ZERO,
            ramp_up: Duration::ZERO,
            mongo_baseline: None,
            caravan_bin: None,
            baseline_time: Duration::from_secs(5),
            idle: 0,
            idle_per_game: 100,
            reconnect_storm: 0,
            storm_at: None,
            storm_behind: 50,
            storm_wait: Duration::from_secs(15),
            admin_token: None,
            json: None,
            server_pid: None,
            seed: 1,
            threads: None,
            stall_timeout: Duration::from_secs(20),
            connect_concurrency: 256,
            protocol: 4,
            quiet: false,
        }
    }
}

/// A checked configuration: URLs split into their REST and WebSocket forms.
#[derive(Debug, Clone)]
pub struct Config {
    /// The arguments as given.
    pub args: LoadtestArgs,
    /// `http://host:port` without a trailing slash.
    pub http_base: String,
    /// `ws://host:port` without a trailing slash.
    pub ws_base: String,
    /// Whether the host is this machine.
    pub local: bool,
}

impl Config {
    /// Checks the arguments.
    pub fn new(args: LoadtestArgs) -> Result<Config, String> {
        if !(2..=5).contains(&args.players) {
            return Err(format!(
                "--players must be between 2 and 5 (got {})",
                args.players
            ));
        }
        if args.duration.is_zero() {
            return Err("--duration must be longer than 0".into());
        }
        if args.idle_per_game == 0 {
            return Err("--idle-per-game must be at least 1".into());
        }
        if args.connect_concurrency == 0 {
            return Err("--connect-concurrency must be at least 1".into());
        }
        let url = args.url.trim_end_matches('/');
        let (http_base, ws_base) = if let Some(rest) = url.strip_prefix("http://") {
            (format!("http://{rest}"), format!("ws://{rest}"))
        } else if url.starts_with("https://") {
            return Err("--url: https is not supported by the load generator; use http".into());
        } else {
            return Err(format!(
                "--url must start with http:// (got {:?})",
                args.url
            ));
        };
        let authority = http_base["http://".len()..].split('/').next().unwrap_or("");
        let host = match authority.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or(""),
            None => authority.split(':').next().unwrap_or(""),
        };
        let local = matches!(host, "127.0.0.1" | "localhost" | "::1" | "0.0.0.0");
        Ok(Config {
            args,
            http_base,
            ws_base,
            local,
        })
    }

    /// When the storm's clients connect.
    pub fn storm_at(&self) -> Duration {
        self.args.storm_at.unwrap_or(self.args.duration / 3)
    }
}

/// Parses `30s`, `2m`, `500ms`, `1h` or a plain number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("not a duration: {text:?} (try 30s, 2m or 500ms)"))?;
    let seconds = match unit.trim() {
        "" | "s" => value,
        "ms" => value / 1000.0,
        "m" | "min" => value * 60.0,
        "h" => value * 3600.0,
        other => return Err(format!("unknown duration unit {other:?} in {text:?}")),
    };
    if !seconds.is_finite() || seconds < 0.0 {
        return Err(format!("not a duration: {text:?}"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_the_usual_units() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("7"), Ok(Duration::from_secs(7)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert!(parse_duration("fast").is_err());
        assert!(parse_duration("3 weeks").is_err());
    }

    #[test]
    fn the_url_gives_the_rest_and_websocket_bases() {
        let config = Config::new(LoadtestArgs {
            url: "http://127.0.0.1:8080/".into(),
            ..LoadtestArgs::default()
        })
        .unwrap();
        assert_eq!(config.http_base, "http://127.0.0.1:8080");
        assert_eq!(config.ws_base, "ws://127.0.0.1:8080");
        assert!(config.local);
        let remote = Config::new(LoadtestArgs {
            url: "http://example.org:80".into(),
            ..LoadtestArgs::default()
        })
        .unwrap();
        assert!(!remote.local);
        assert!(Config::new(LoadtestArgs {
            url: "https://example.org".into(),
            ..LoadtestArgs::default()
        })
        .is_err());
        assert!(Config::new(LoadtestArgs {
            players: 6,
            ..LoadtestArgs::default()
        })
        .is_err());
    }
}
