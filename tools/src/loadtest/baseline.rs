//! The raw MongoDB insert rate, measured in the same run as the load (`--mongo-baseline`), so that
//! a server on MongoDB can be read against what that MongoDB takes from the driver alone.
//!
//! The measurement belongs to the server's MongoDB adapter (its batch documents and indexes), so
//! this tool does not make it itself: it runs `caravan mongo-baseline` (the server's binary, found
//! with [`caravan_binary`]) and reads the [`InsertRate`] that command prints.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// One measurement of the driver's insert rate (what `caravan mongo-baseline` prints).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InsertRate {
    /// The database inserted into (dropped afterwards).
    pub database: String,
    /// Tasks inserting at the same time.
    pub concurrency: usize,
    /// Documents inserted.
    pub inserts: u64,
    /// How long it took, s.
    pub secs: f64,
    /// Inserts per second.
    pub per_sec: f64,
    /// BSON bytes of an average document.
    pub document_bytes: f64,
}

/// The server binary that measures: `given` (`--caravan-bin`), else `caravan` beside this tool's
/// own executable (where `cargo build --workspace` puts both), else `caravan` on the `PATH`.
pub fn caravan_binary(given: Option<&PathBuf>) -> PathBuf {
    if let Some(path) = given {
        return path.clone();
    }
    std::env::current_exe()
        .ok()
        .and_then(|me| Some(me.parent()?.join("caravan")))
        .filter(|path| path.is_file())
        .unwrap_or_else(|| PathBuf::from("caravan"))
}

/// Runs `caravan mongo-baseline` on `uri` with `concurrency` inserting tasks for `duration` and
/// reads its figures.
pub async fn raw_insert_rate(
    binary: &PathBuf,
    uri: &str,
    concurrency: usize,
    duration: Duration,
) -> Result<InsertRate, String> {
    let output = tokio::process::Command::new(binary)
        .arg("mongo-baseline")
        .args(["--uri", uri])
        .args(["--tasks", &concurrency.max(1).to_string()])
        .args(["--millis", &duration.as_millis().to_string()])
        .stdin(Stdio::null())
        .output()
        .await
        .map_err(|e| format!("cannot run {}: {e}", binary.display()))?;
    if !output.status.success() {
        return Err(format!(
            "{} mongo-baseline failed ({}): {}",
            binary.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    serde_json::from_slice(&output.stdout).map_err(|e| {
        format!(
            "{} mongo-baseline printed no insert rate ({e}): {}",
            binary.display(),
            String::from_utf8_lossy(&output.stdout).trim()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_given_binary_is_the_one_run() {
        let given = PathBuf::from("/opt/caravan/bin/caravan");
        assert_eq!(caravan_binary(Some(&given)), given);
    }

    #[test]
    fn the_insert_rate_reads_the_json_the_server_binary_prints() {
        let printed = r#"{"database":"caravan_baseline_x","concurrency":2,"inserts":10,"secs":0.5,"perSec":20.0,"documentBytes":400.0}"#;
        let rate: InsertRate = serde_json::from_str(printed).unwrap();
        assert_eq!(rate.concurrency, 2);
        assert_eq!(rate.inserts, 10);
        assert_eq!(rate.per_sec, 20.0);
    }
}
