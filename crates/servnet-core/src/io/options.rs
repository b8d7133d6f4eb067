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
    let start = serde_json::to_value(base).map_err(|e| Error::argument(what, e.to_string()))?;
    let extra: Value = serde_json::from_str(extra)
        .map_err(|e| Error::argument(what, format!("options are not JSON: {e}")))?;
    let mut value = start.clone();
    merge(&mut value, extra.clone(), "")?;
    serde_json::from_value(value).map_err(|e| {
        // Name the option: the first one that fails on its own (an option the defaults
        // leave unset, e.g. `max_closures`, has no type to check while merging).
        let mut leaves = Vec::new();
        flatten(&extra, String::new(), &mut leaves);
        leaves
            .into_iter()
            .find_map(|(path, leaf)| {
                let mut one = start.clone();
                let ok =
                    set_path(&mut one, &path, leaf) && serde_json::from_value::<T>(one).is_ok();
                (!ok).then(|| Error::argument(&path, e.to_string()))
            })
            .unwrap_or_else(|| Error::argument(what, e.to_string()))
    })
}

/// The leaves of a JSON object as (dotted path, value).
fn flatten(v: &Value, path: String, out: &mut Vec<(String, Value)>) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, x) in m {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                flatten(x, p, out);
            }
        }
        _ => out.push((path, v.clone())),
    }
}

/// Sets the value at a dotted path (objects only); false if the path does not exist.
fn set_path(v: &mut Value, path: &str, leaf: Value) -> bool {
    let mut at = v;
    for key in path.split('.') {
        match at.get_mut(key) {
            Some(next) => at = next,
            None => return false,
        }
    }
    *at = leaf;
    true
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::overlay;
    use serde::{Deserialize, Serialize};

    #[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
    #[serde(default)]
    struct Inner {
        cost: f64,
    }

    #[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
    #[serde(default)]
    struct Opts {
        limit: Option<usize>,
        inner: Inner,
    }

    /// Options merge over the defaults; an unknown option, a wrong type, and a wrong type
    /// for an option the defaults leave unset are errors naming the option.
    #[test]
    fn options_merge_and_errors_name_the_option() {
        let o: Opts = overlay(
            &Opts::default(),
            r#"{"limit": 3, "inner": {"cost": 2.5}}"#,
            "o",
        )
        .unwrap();
        assert_eq!((o.limit, o.inner.cost), (Some(3), 2.5));
        for (text, name) in [
            (r#"{"inner": {"bogus": 1}}"#, "inner.bogus"),
            (r#"{"inner": {"cost": "x"}}"#, "inner.cost"),
            (r#"{"limit": "ten"}"#, "limit"),
        ] {
            let e = overlay(&Opts::default(), text, "o")
                .unwrap_err()
                .to_string();
            assert!(e.contains(name), "{text}: {e}");
        }
    }
}
