//! The rules of a patch, applied: what a client of protocol 2 does with each `update`
//! (docs/protocol.md, "Protocol 2: updates"). The server never applies patches; this is the
//! reference the tests hold the server's patches to, and a Rust client may use it as it is.

use serde_json::Value;

/// Applies `patch` to `state` by the documented rules; `Err` names the first place where the
/// patch breaks them (a member the state lacks, an index beyond an array, a malformed splice).
/// `state` may be partly patched when it fails.
pub fn apply(state: &mut Value, patch: &Value) -> Result<(), String> {
    merge(state, patch, "")
}

fn merge(state: &mut Value, patch: &Value, path: &str) -> Result<(), String> {
    match (state, patch) {
        (Value::Object(state), Value::Object(patch)) => {
            for (key, value) in patch {
                let target = state.get_mut(key).ok_or_else(|| {
                    format!("the patch names {path}/{key}, which the state lacks")
                })?;
                merge(target, value, &format!("{path}/{key}"))?;
            }
        }
        (Value::Array(items), Value::Object(patch))
            if patch.contains_key("-") || patch.contains_key("+") =>
        {
            if !patch.keys().all(|k| k == "-" || k == "+") {
                return Err(format!("{path}: a splice has only - and +: {patch:?}"));
            }
            let mut removed = Vec::new();
            if let Some(indexes) = patch.get("-") {
                let indexes = indexes
                    .as_array()
                    .ok_or_else(|| format!("{path}: - lists indexes"))?;
                for index in indexes {
                    removed.push(
                        index
                            .as_u64()
                            .ok_or_else(|| format!("{path}: {index} is not an index"))?,
                    );
                }
            }
            if !removed.windows(2).all(|w| w[0] < w[1]) {
                return Err(format!("{path}: indexes are removed in ascending order"));
            }
            if removed.iter().any(|&i| i >= items.len() as u64) {
                return Err(format!("{path}: a removed index beyond the array"));
            }
            let mut index = 0;
            items.retain(|_| {
                index += 1;
                !removed.contains(&(index - 1))
            });
            if let Some(added) = patch.get("+") {
                let added = added
                    .as_array()
                    .ok_or_else(|| format!("{path}: + lists elements"))?;
                items.extend(added.iter().cloned());
            }
        }
        (Value::Array(items), Value::Object(patch)) => {
            for (key, value) in patch {
                let index: usize = key
                    .parse()
                    .map_err(|_| format!("{path}/{key}: an array is patched by index"))?;
                let len = items.len();
                let target = items
                    .get_mut(index)
                    .ok_or_else(|| format!("{path}/{key}: beyond the array's {len} elements"))?;
                merge(target, value, &format!("{path}/{key}"))?;
            }
        }
        (state, patch) => *state = patch.clone(),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::apply;

    #[test]
    fn the_documented_forms_apply() {
        let mut state =
            json!({"round": 1, "players": [{"score": 0, "hand": ["S01", "S02", "M10"]}]});
        let patch = json!({"round": 2, "players": {"0": {"score": 3, "hand": {"-": [0, 2], "+": ["M11"]}}}});
        apply(&mut state, &patch).expect("a patch by the rules");
        assert_eq!(
            state,
            json!({"round": 2, "players": [{"score": 3, "hand": ["S02", "M11"]}]})
        );
    }

    #[test]
    fn a_patch_that_breaks_the_rules_is_an_error() {
        let state = json!({"round": 1, "hand": ["S01"], "players": [{}]});
        for patch in [
            json!({"turn": 1}),
            json!({"players": {"1": {}}}),
            json!({"players": {"x": {}}}),
            json!({"hand": {"-": [1]}}),
            json!({"hand": {"-": [0, 0]}}),
            json!({"hand": {"-": [0], "*": 1}}),
        ] {
            assert!(apply(&mut state.clone(), &patch).is_err(), "{patch}");
        }
    }
}
