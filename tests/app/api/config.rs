//! Configuration through the real binary: `caravan config` prints the effective settings.

use std::path::PathBuf;
use std::process::{Command, Output};

fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("caravan-config-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `caravan config` in `dir` with only the given variables set.
fn caravan_config(dir: &PathBuf, env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_caravan"));
    command.arg("config").current_dir(dir).env_clear();
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().expect("the binary runs")
}

fn setting(output: &Output, name: &str) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    stdout
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name}=")))
        .unwrap_or_else(|| panic!("{name} not printed in:\n{stdout}"))
        .to_string()
}

#[test]
fn defaults_apply_without_file_or_environment() {
    let dir = scratch_dir("defaults");
    let output = caravan_config(&dir, &[]);
    assert_eq!(setting(&output, "SERVER_PORT"), "8080");
    assert_eq!(setting(&output, "SERVER_HOST"), "127.0.0.1");
    assert_eq!(setting(&output, "EVENT_STORE"), "embedded");
    assert_eq!(setting(&output, "DATA_DIR"), "./data");
    assert_eq!(setting(&output, "EVENT_BUS"), "local");
    assert_eq!(setting(&output, "LOG_FORMAT"), "pretty");
}

#[test]
fn the_file_overrides_defaults_and_the_environment_overrides_the_file() {
    let dir = scratch_dir("precedence");
    std::fs::write(
        dir.join("caravan.toml"),
        "server_port = 9000\nmax_players = 4\nlog_format = \"json\"\n",
    )
    .unwrap();
    let from_file = caravan_config(&dir, &[]);
    assert_eq!(setting(&from_file, "SERVER_PORT"), "9000");
    assert_eq!(setting(&from_file, "MAX_PLAYERS"), "4");
    assert_eq!(setting(&from_file, "LOG_FORMAT"), "json");
    let from_env = caravan_config(&dir, &[("SERVER_PORT", "9100")]);
    assert_eq!(setting(&from_env, "SERVER_PORT"), "9100");
    assert_eq!(
        setting(&from_env, "MAX_PLAYERS"),
        "4",
        "the file still applies to the rest"
    );
    let other = dir.join("elsewhere.toml");
    std::fs::write(&other, "server_port = 9200\n").unwrap();
    let explicit = caravan_config(&dir, &[("CARAVAN_CONFIG", other.to_str().unwrap())]);
    assert_eq!(setting(&explicit, "SERVER_PORT"), "9200");
}

fn fails_naming(dir: &PathBuf, env: &[(&str, &str)], name: &str) {
    let output = caravan_config(dir, env);
    assert!(!output.status.success(), "should fail with {env:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(name), "{name} not named in: {stderr}");
}

#[test]
fn bad_values_stop_start_up_with_a_message_naming_the_setting() {
    let dir = scratch_dir("bad");
    fails_naming(&dir, &[("SERVER_PORT", "eighty")], "SERVER_PORT");
    fails_naming(&dir, &[("SERVER_PORT", "70000")], "SERVER_PORT");
    fails_naming(&dir, &[("EVENT_STORE", "postgres")], "EVENT_STORE");
    fails_naming(&dir, &[("MAX_PLAYERS", "9")], "MAX_PLAYERS");
    fails_naming(&dir, &[("LOG_FORMAT", "xml")], "LOG_FORMAT");
    fails_naming(&dir, &[("WS_MAX_FRAME_BYTES", "10")], "WS_MAX_FRAME_BYTES");
    fails_naming(&dir, &[("REDIS_URL", "http://x")], "REDIS_URL");
    fails_naming(&dir, &[("APP_ENV", "production")], "JWT_SECRET");
    fails_naming(
        &dir,
        &[("CARAVAN_CONFIG", "/no/such/caravan.toml")],
        "CARAVAN_CONFIG",
    );
    std::fs::write(dir.join("caravan.toml"), "server_prot = 1\n").unwrap();
    fails_naming(&dir, &[], "server_prot");
}

#[test]
fn production_starts_with_a_real_secret_and_never_prints_it() {
    let dir = scratch_dir("production");
    let secret = "a-real-production-secret-0123456789abcdef";
    let output = caravan_config(&dir, &[("APP_ENV", "production"), ("JWT_SECRET", secret)]);
    assert_eq!(setting(&output, "APP_ENV"), "production");
    assert!(!String::from_utf8_lossy(&output.stdout).contains(secret));
}

/// `.env.example` as (name, value) pairs.
fn env_example() -> Vec<(String, String)> {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/.env.example")).unwrap();
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#') && l.contains('='))
        .map(|l| {
            let (k, v) = l.split_once('=').unwrap();
            (k.trim().to_string(), v.trim().to_string())
        })
        .collect()
}

#[test]
fn the_env_example_is_valid_and_documents_every_setting() {
    let dir = scratch_dir("example");
    let pairs = env_example();
    let env: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let output = caravan_config(&dir, &env);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let name = line.split('=').next().unwrap();
        assert!(
            pairs.iter().any(|(k, _)| k == name),
            "{name} missing from .env.example"
        );
        assert!(
            readme.contains(&format!("`{name}`")),
            "{name} missing from the README's table"
        );
    }
}
