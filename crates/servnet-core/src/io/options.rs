//! Options given as JSON over serde defaults: the Python keyword options and the CLI's
//! `--options FILE` go through [`overlay`], so an unknown or badly typed option is an
//! error naming it in both.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::{Error, Result};

fn merge(base: &mut Value, extra: Value, path: &str) -> Result<()> {
    match (base, extra) {
        (Value::Object(b), Value::Object(e)) => {
            for (k, v) in e {
                let name = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                match b.get_mut(&k) {
                    // A struct merges field by field; an empty object is a map (e.g.
                    // `current`), replaced as a whole.
                    Some(slot)
                        if v.is_object() && slot.as_object().is_some_and(|o| !o.is_empty()) =>
                    {
                        merge(slot, v, &name)?
                    }
                    Some(slot) => {
                        let expected = match slot {
                            Value::Number(_) if !v.is_number() => Some("a number"),
                            Value::Bool(_) if !v.is_boolean() => Some("true or false"),
                            Value::String(_) if !v.is_string() => Some("text"),
                            Value::Array(_) if !v.is_array() => Some("a list"),
                            Value::Object(_) if !v.is_object() => Some("a dict"),
                            _ => None,
                        };
                        if let Some(what) = expected {
                            return Err(Error::argument(
                                &name,
                                format!("expected {what}, got {v}"),
                            ));
                        }
                        *slot = v
                    }
                    None => {
                        let known: Vec<&str> = b.keys().map(String::as_str).collect();
                        return Err(Error::argument(
                            &name,
                            format!("unknown option; expected one of {}", known.join(", ")),
                        ));
                    }
                }
            }
            Ok(())
        }
        (slot, v) => {
            *slot = v;
            Ok(())
        }
    }
}

/// `base` with the options of `extra` (a JSON object text, nested objects merged)
/// laid over it. An unknown option or a value of the wrong type is an
/// [`Error::Argument`] naming the option (`costs.close_cost`) and what was expected.
pub fn overlay<T: Serialize + DeserializeOwned>(base: &T, extra: &str, what: &str) -> Result<T> {
    let mut value = serde_json::to_value(base).map_err(|e| Error::argument(what, e.to_string()))?;
    let extra: Value = serde_json::from_str(extra)
        .map_err(|e| Error::argument(what, format!("options are not JSON: {e}")))?;
    merge(&mut value, extra, "")?;
    serde_json::from_value(value).map_err(|e| Error::argument(what, e.to_string()))
}
