//! Plain-words descriptions of malformed input, for REST bodies, query strings and WebSocket
//! messages alike.
//!
//! A decoder's own message names the decoder's types (`expected u8`, `struct CreateGameRequest`)
//! and lists every field it knows, admin-only ones included. What a client is told instead names
//! the field at fault, as the protocol spells it, and what it should be, in words; it never lists
//! the fields a request accepts (so admin-only ones stay unmentioned) and never names a type.
//!
//! serde reports which field is missing or unknown but not which one has the wrong type; for that,
//! [`describe`] removes each field in turn: the field whose removal changes the failure (to
//! "missing" or to success) is the one at fault.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// Why `value` did not decode as `T`, in words (`what` names the thing: "the body", "the command").
pub fn describe<T: DeserializeOwned>(what: &str, value: &Value) -> String {
    describe_hiding::<T>(what, value, &[])
}

/// Like [`describe`], leaving the choices in `hidden` out of any list of choices.
pub fn describe_hiding<T: DeserializeOwned>(what: &str, value: &Value, hidden: &[&str]) -> String {
    // Every body and command of the protocol is an object (serde would read a list as one too).
    if !value.is_object() {
        return format!("{what} must be a JSON object");
    }
    let Err(error) = T::deserialize(value) else {
        return format!("{what} is not valid");
    };
    let message = strip_position(&error.to_string()).to_string();
    if let Some(field) = between(&message, "missing field `", "`") {
        return format!("{field} is required");
    }
    if let Some(field) = between(&message, "unknown field `", "`") {
        return format!("{field} is not a field of {what}");
    }
    if let Some(variant) = between(&message, "unknown variant `", "`") {
        let field = value
            .as_object()
            .and_then(|fields| culprit::<T>(fields, &message))
            .unwrap_or_else(|| TAG.to_string());
        let choices: Vec<&str> = choices(&message)
            .into_iter()
            .filter(|c| !hidden.contains(c))
            .collect();
        return format!("{field}: {variant:?} is not one of: {}", choices.join(", "));
    }
    if !message.contains("expected") {
        // A message written for people (a card id, a colour…): keep it, with the field.
        return match value.as_object().and_then(|f| culprit::<T>(f, &message)) {
            Some(field) => format!("{field}: {message}"),
            None => format!("{what}: {message}"),
        };
    }
    let expected = expected_in_words(&message);
    match value
        .as_object()
        .and_then(|fields| culprit::<T>(fields, &message))
    {
        Some(field) => format!("{field} must be {expected}"),
        None => format!("{what} has a field that must be {expected}"),
    }
}

/// Why `text` is not JSON: where it stops being JSON, without the decoder's words.
pub fn syntax(what: &str, error: &serde_json::Error) -> String {
    if error.is_eof() {
        format!("{what} is not valid JSON: it ends too early")
    } else {
        format!(
            "{what} is not valid JSON (line {}, column {})",
            error.line(),
            error.column()
        )
    }
}

/// The field that tells a command's kind: removing it always changes the failure, so it is never
/// taken for the culprit of another.
const TAG: &str = "type";

/// The top-level field whose removal changes the failure `message`.
fn culprit<T: DeserializeOwned>(fields: &Map<String, Value>, message: &str) -> Option<String> {
    fields.keys().filter(|key| *key != TAG).find_map(|key| {
        let mut without = fields.clone();
        without.remove(key);
        match T::deserialize(&Value::Object(without)) {
            Ok(_) => Some(key.clone()),
            Err(e) if strip_position(&e.to_string()) != message => Some(key.clone()),
            Err(_) => None,
        }
    })
}

/// A decoder message without its " at line L column C" tail.
fn strip_position(message: &str) -> &str {
    message.split(" at line ").next().unwrap_or(message)
}

/// The text between `start` and the next `end` in `message`.
fn between<'a>(message: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = message.find(start)? + start.len();
    let len = message[from..].find(end)?;
    Some(&message[from..from + len])
}

/// The choices of an "unknown variant" message (`expected one of `a`, `b``).
fn choices(message: &str) -> Vec<&str> {
    let Some(from) = message.find("expected") else {
        return Vec::new();
    };
    message[from..]
        .split('`')
        .skip(1)
        .step_by(2)
        .collect::<Vec<_>>()
}

/// What a decoder's "expected …" means, in words.
pub fn expected_in_words(message: &str) -> String {
    let expected =
        strip_position(message.split_once("expected ").map_or("", |(_, rest)| rest)).trim();
    let words = match expected {
        "u8" => "a whole number from 0 to 255",
        "u16" => "a whole number from 0 to 65535",
        "u32" | "u64" | "u128" | "usize" => "a whole number ≥ 0",
        "i8" | "i16" | "i32" | "i64" | "i128" | "isize" => "a whole number",
        "f32" | "f64" => "a number",
        "a boolean" => "true or false",
        "a string" | "a borrowed string" | "a character" => "text (a JSON string)",
        "a sequence" => "a list (a JSON array)",
        "a map" => "an object",
        e if e.starts_with("a string") => "text (a JSON string)",
        e if e.starts_with("struct ") || e.starts_with("internally tagged enum") => "an object",
        e if e.starts_with("an array") || e.starts_with("a tuple") => "a list (a JSON array)",
        e if e.starts_with("a sequence") => "a list (a JSON array)",
        e if e.starts_with("enum ") => "one of the documented values",
        e if e.starts_with("a ") || e.starts_with("an ") => {
            if e.chars().all(|c| c.is_ascii_lowercase() || c == ' ') {
                return e.to_string();
            }
            "a value of the documented form"
        }
        _ => "a value of the documented form",
    };
    words.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    #[allow(dead_code)]
    struct Sample {
        num_players: u8,
        name: Option<String>,
        secret_admin_field: Option<u64>,
        kind: Option<Kind>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    enum Kind {
        Red,
        Blue,
    }

    fn says(value: Value) -> String {
        describe::<Sample>("the body", &value)
    }

    #[test]
    fn a_wrong_type_names_the_field_and_what_is_expected_in_words() {
        let message = says(json!({"numPlayers": "two", "name": "Ana"}));
        assert_eq!(message, "numPlayers must be a whole number from 0 to 255");
        let message = says(json!({"numPlayers": 2, "name": 7}));
        assert_eq!(message, "name must be text (a JSON string)");
        let message = says(json!({"numPlayers": 300}));
        assert_eq!(message, "numPlayers must be a whole number from 0 to 255");
    }

    #[test]
    fn missing_and_unknown_fields_are_named_without_listing_the_others() {
        assert_eq!(says(json!({})), "numPlayers is required");
        let message = says(json!({"numPlayers": 2, "colour": "red"}));
        assert_eq!(message, "colour is not a field of the body");
        assert!(!message.contains("secretAdminField"));
    }

    #[test]
    fn an_unknown_choice_lists_the_choices() {
        let message = says(json!({"numPlayers": 2, "kind": "green"}));
        assert_eq!(message, "kind: \"green\" is not one of: red, blue");
    }

    #[test]
    fn no_message_names_a_type() {
        for value in [
            json!([1, 2]),
            json!("text"),
            json!({"numPlayers": -1}),
            json!({"numPlayers": 2.5}),
            json!({"numPlayers": {"a": 1}}),
        ] {
            let message = says(value.clone());
            for word in ["u8", "Sample", "struct", "i64", "usize"] {
                assert!(!message.contains(word), "{value} → {message}");
            }
        }
        assert_eq!(says(json!([1, 2])), "the body must be a JSON object");
    }

    #[test]
    fn syntax_errors_say_where() {
        let e = serde_json::from_str::<Value>("{\"a\": }").unwrap_err();
        assert_eq!(
            syntax("the body", &e),
            "the body is not valid JSON (line 1, column 7)"
        );
        let e = serde_json::from_str::<Value>("{\"a\": 1").unwrap_err();
        assert!(syntax("the body", &e).contains("ends too early"));
    }
}
