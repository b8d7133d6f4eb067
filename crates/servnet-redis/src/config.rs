//! The ledger URL: where Redis is, which namespace, how long to wait.

use crate::error::{Error, Result};
use std::time::Duration;

/// Where the shared ledger lives and how to talk to it, parsed from a URL such as
/// `redis://127.0.0.1:6379/0` or
/// `redis://:PASSWORD@10.0.0.5:6379/2?namespace=east&timeout_ms=500`.
///
/// servnet's own query parameters (removed before the URL reaches the Redis client;
/// any other parameter is passed on):
/// - `namespace` (default `servnet`): every key starts with `{namespace}:`; dispatchers
///   share capacity exactly when they use the same Redis and namespace. Letters,
///   digits, `_`, `-`, `.`, at most 64.
/// - `timeout_ms` (default 1000): the longest wait for one answer from Redis.
/// - `connect_timeout_ms` (default 1000): the longest wait for a new connection.
/// - `log_keep` (default 200000): how many of the latest changes Redis keeps for
///   processes catching up their view of loads (one that falls further behind reloads).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisConfig {
    /// The URL handed to the Redis client (servnet's parameters removed).
    pub url: String,
    /// The URL with its password masked, for messages.
    pub shown: String,
    /// The key namespace (without braces).
    pub namespace: String,
    /// The longest wait for one answer.
    pub timeout: Duration,
    /// The longest wait for a new connection.
    pub connect_timeout: Duration,
    /// How many of the latest changes the log keeps.
    pub log_keep: u32,
}

/// The URL with the password (if any) masked.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => {
            let user = rest[..at].split(':').next().unwrap_or("");
            format!("{scheme}://{user}:***@{}", &rest[at + 1..])
        }
        None => url.to_string(),
    }
}

impl RedisConfig {
    /// Parses a ledger URL (`redis://`, `redis+unix://` or `unix://`).
    pub fn parse(url: &str) -> Result<Self> {
        let shown = redact(url);
        let bad = |message: String| Error::Url {
            url: shown.clone(),
            message,
        };
        if !["redis://", "redis+unix://", "unix://"]
            .iter()
            .any(|s| url.starts_with(s))
        {
            return Err(bad(
                "expected redis://HOST:PORT/DB (or redis+unix:// or unix://)".into(),
            ));
        }
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let mut config = RedisConfig {
            url: base.to_string(),
            shown: redact(base),
            namespace: "servnet".into(),
            timeout: Duration::from_millis(1000),
            connect_timeout: Duration::from_millis(1000),
            log_keep: 200_000,
        };
        let mut passed = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let millis = |v: &str| -> Result<Duration> {
                v.parse::<u64>()
                    .ok()
                    .filter(|&ms| (1..=3_600_000).contains(&ms))
                    .map(Duration::from_millis)
                    .ok_or_else(|| {
                        bad(format!(
                            "parameter '{name}': expected milliseconds in 1..=3600000, got '{v}'"
                        ))
                    })
            };
            match name {
                "namespace" => {
                    let ok = !value.is_empty()
                        && value.len() <= 64
                        && value
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b));
                    if !ok {
                        return Err(bad(format!(
                            "parameter 'namespace': expected 1 to 64 letters, digits, '_', '-' \
                             or '.', got '{value}'"
                        )));
                    }
                    config.namespace = value.to_string();
                }
                "timeout_ms" => config.timeout = millis(value)?,
                "connect_timeout_ms" => config.connect_timeout = millis(value)?,
                "log_keep" => {
                    config.log_keep = value
                        .parse::<u32>()
                        .ok()
                        .filter(|&n| (1_000..=100_000_000).contains(&n))
                        .ok_or_else(|| {
                            bad(format!(
                                "parameter 'log_keep': expected a count in 1000..=100000000, \
                                 got '{value}'"
                            ))
                        })?;
                }
                _ => passed.push(pair),
            }
        }
        if !passed.is_empty() {
            config.url = format!("{base}?{}", passed.join("&"));
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servnet_parameters_are_read_and_removed_others_passed_on() {
        let c = RedisConfig::parse(
            "redis://127.0.0.1:6390/2?namespace=east&protocol=resp3&timeout_ms=250",
        )
        .map_err(|e| e.to_string());
        let c = c.as_ref().map(|c| {
            (
                c.url.as_str(),
                c.namespace.as_str(),
                c.timeout.as_millis(),
                c.connect_timeout.as_millis(),
            )
        });
        assert_eq!(
            c,
            Ok(("redis://127.0.0.1:6390/2?protocol=resp3", "east", 250, 1000))
        );
    }

    #[test]
    fn passwords_never_show_in_messages() {
        assert_eq!(
            redact("redis://user:s3cret@host:6379/0"),
            "redis://user:***@host:6379/0"
        );
        assert_eq!(
            redact("redis://:s3cret@host:6379/0"),
            "redis://:***@host:6379/0"
        );
        assert_eq!(redact("redis://host:6379/0"), "redis://host:6379/0");
        let e = RedisConfig::parse("redis://:s3cret@host/0?namespace={x}")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("namespace") && !e.contains("s3cret"), "{e}");
    }

    #[test]
    fn bad_urls_name_the_problem() {
        for (url, want) in [
            ("http://host:6379", "expected redis://"),
            ("redis://h/0?namespace=", "namespace"),
            ("redis://h/0?namespace=a}b", "namespace"),
            ("redis://h/0?timeout_ms=0", "timeout_ms"),
            ("redis://h/0?timeout_ms=abc", "timeout_ms"),
            ("redis://h/0?log_keep=5", "log_keep"),
        ] {
            let e = RedisConfig::parse(url)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(e.contains(want), "{url}: {e}");
        }
    }
}
