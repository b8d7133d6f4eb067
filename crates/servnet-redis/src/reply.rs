//! The scripts' replies, read into plain data.

use crate::keys::split_field;
use redis::Value;

/// A ticket's booking as Redis keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredBooking {
    /// The outlet skill's skill (`kind:category`).
    pub skill: String,
    /// The outlet's id.
    pub outlet: String,
    /// The day booked, YYYY-MM-DD.
    pub date: String,
    /// Units booked.
    pub units: u32,
    /// The dispatcher's own record of the booking (opaque to Redis).
    pub record: String,
    /// A fingerprint of the ticket's content, to tell a retry from a different ticket
    /// reusing the id.
    pub fingerprint: String,
    /// The id of the hold the booking was made as (0: made firm); kept when the hold
    /// is confirmed.
    pub hold: u64,
    /// When the hold expires, in ms on the caller's clock (None: no hold).
    pub hold_expiry_ms: Option<i64>,
    /// The booking's state.
    pub state: State,
}

/// Where a booking is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Booked firmly.
    Booked,
    /// Held until its expiry.
    Held,
    /// Completed: its units stay used and its id never books again.
    Done,
}

/// One change to the shared counters, as the log records it: new values, not
/// differences.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// An outlet skill's and its outlet's units on a day.
    Load {
        /// YYYY-MM-DD.
        date: String,
        /// The skill.
        skill: String,
        /// The outlet's id.
        outlet: String,
        /// Units booked on the outlet skill that day.
        offer_used: u32,
        /// Units booked on the outlet that day.
        outlet_used: u32,
    },
    /// The ratings added to an outlet skill by completions (sum in milli-points, count).
    Rating {
        /// The skill.
        skill: String,
        /// The outlet's id.
        outlet: String,
        /// Sum of the ratings added, in thousandths.
        milli: u64,
        /// How many were added.
        count: u64,
    },
}

/// Changes a reply carried: `entries` follow change number `after`; `after` is None
/// when the caller's view must be reloaded (it fell behind the log, or the log was
/// reset). `last` is the newest change number.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Changes {
    /// The newest change number in Redis.
    pub last: u64,
    /// The change number the entries follow, or None: reload.
    pub after: Option<u64>,
    /// The changes, oldest first.
    pub entries: Vec<Change>,
}

/// Text of a bulk or simple string.
pub(crate) fn text(v: &Value) -> Option<&str> {
    match v {
        Value::BulkString(b) => std::str::from_utf8(b).ok(),
        Value::SimpleString(s) => Some(s),
        _ => None,
    }
}

/// An integer sent as an integer or as its text.
pub(crate) fn int(v: &Value) -> Option<i64> {
    match v {
        Value::Int(i) => Some(*i),
        _ => text(v)?.parse().ok(),
    }
}

pub(crate) fn array(v: &Value) -> Option<&[Value]> {
    match v {
        Value::Array(a) => Some(a),
        _ => None,
    }
}

/// A booking from its fields in the scripts' order (see `lua/prelude.lua`).
pub(crate) fn booking(fields: &[Value]) -> Option<StoredBooking> {
    let [f, d, u, b, c, h, x, s, ..] = fields else {
        return None;
    };
    let (skill, outlet) = split_field(text(f)?)?;
    let expiry = text(x).unwrap_or("");
    Some(StoredBooking {
        skill: skill.to_string(),
        outlet: outlet.to_string(),
        date: text(d)?.to_string(),
        units: u32::try_from(int(u)?).ok()?,
        record: text(b)?.to_string(),
        fingerprint: text(c).unwrap_or("").to_string(),
        hold: u64::try_from(int(h)?).ok()?,
        hold_expiry_ms: if expiry.is_empty() {
            None
        } else {
            Some(expiry.parse().ok()?)
        },
        state: match text(s)? {
            "booked" => State::Booked,
            "held" => State::Held,
            "done" => State::Done,
            _ => return None,
        },
    })
}

/// One log entry (`L|date|offer|outlet|skill|outlet id` or `R|milli count|skill|outlet id`).
fn change(entry: &str) -> Option<Change> {
    let mut parts = entry.splitn(5, '|');
    match parts.next()? {
        "L" => {
            let date = parts.next()?.to_string();
            let offer_used = parts.next()?.parse().ok()?;
            let outlet_used = parts.next()?.parse().ok()?;
            let (skill, outlet) = split_field(parts.next()?)?;
            Some(Change::Load {
                date,
                skill: skill.to_string(),
                outlet: outlet.to_string(),
                offer_used,
                outlet_used,
            })
        }
        "R" => {
            let (milli, count) = parts.next()?.split_once(' ')?;
            let rest = entry.splitn(3, '|').nth(2)?;
            let (skill, outlet) = split_field(rest)?;
            Some(Change::Rating {
                skill: skill.to_string(),
                outlet: outlet.to_string(),
                milli: milli.parse().ok()?,
                count: count.parse().ok()?,
            })
        }
        _ => None,
    }
}

/// The changes part of a reply: {last, after (-1: reload), entries}.
pub(crate) fn changes(v: &Value) -> Option<Changes> {
    let [last, after, entries] = array(v)? else {
        return None;
    };
    let after = int(after)?;
    Some(Changes {
        last: u64::try_from(int(last)?).ok()?,
        after: u64::try_from(after).ok(),
        entries: array(entries)?
            .iter()
            .map(|e| change(text(e)?))
            .collect::<Option<_>>()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_entries_read_back_with_bars_in_outlet_ids() {
        assert_eq!(
            change("L|2026-11-23|3|7|repair:tv|O|1"),
            Some(Change::Load {
                date: "2026-11-23".into(),
                skill: "repair:tv".into(),
                outlet: "O|1".into(),
                offer_used: 3,
                outlet_used: 7,
            })
        );
        assert_eq!(
            change("R|9500 2|install:washer|O|2"),
            Some(Change::Rating {
                skill: "install:washer".into(),
                outlet: "O|2".into(),
                milli: 9500,
                count: 2,
            })
        );
        assert_eq!(change("X|1"), None);
        assert_eq!(change("L|2026-11-23|x|7|repair:tv|O1"), None);
    }
}
