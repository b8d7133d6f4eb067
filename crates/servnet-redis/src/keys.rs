//! The namespace's key names (the layout is described in `lua/prelude.lua` and
//! docs/redis-ledger.md).

/// Key names of one namespace. Every key starts with the hash tag `{namespace}`, so on
/// Redis Cluster the whole namespace lives in one slot and each script's keys are too.
#[derive(Debug, Clone)]
pub(crate) struct Keys {
    /// `{namespace}:`, which every key starts with.
    pub(crate) prefix: String,
    pub(crate) seq: String,
    pub(crate) log: String,
    pub(crate) holds: String,
    pub(crate) hold_ids: String,
    pub(crate) hold_seq: String,
    pub(crate) ratings: String,
    pub(crate) start: String,
    pub(crate) first: String,
    pub(crate) network: String,
}

impl Keys {
    pub(crate) fn new(namespace: &str) -> Self {
        let prefix = format!("{{{namespace}}}:");
        let key = |name: &str| format!("{prefix}{name}");
        Keys {
            seq: key("seq"),
            log: key("log"),
            holds: key("holds"),
            hold_ids: key("hold_ids"),
            hold_seq: key("hold_seq"),
            ratings: key("ratings"),
            start: key("start"),
            first: key("first"),
            network: key("network"),
            prefix,
        }
    }

    /// The record of a ticket's booking.
    pub(crate) fn ticket(&self, id: &str) -> String {
        let mut k = String::with_capacity(self.prefix.len() + 2 + id.len());
        k.push_str(&self.prefix);
        k.push_str("t:");
        k.push_str(id);
        k
    }

    /// A day's counters (`date` as YYYY-MM-DD).
    pub(crate) fn loads(&self, date: &str) -> String {
        format!("{}load:{date}", self.prefix)
    }

    /// A day's external loads.
    pub(crate) fn ext(&self, date: &str) -> String {
        format!("{}ext:{date}", self.prefix)
    }

    /// A day's booked tickets.
    pub(crate) fn day(&self, date: &str) -> String {
        format!("{}day:{date}", self.prefix)
    }
}

/// The hash field of an outlet skill's counter: `<skill>|<outlet>`. Skills are
/// `kind:category` of lower-case letters, digits and `_`, so the first `|` ends the skill
/// whatever the outlet id holds.
pub(crate) fn offer_field(skill: &str, outlet: &str) -> String {
    let mut f = String::with_capacity(skill.len() + 1 + outlet.len());
    f.push_str(skill);
    f.push('|');
    f.push_str(outlet);
    f
}

/// (skill, outlet) of an offer field, or of an outlet-wide one (`|<outlet>`: skill "").
pub(crate) fn split_field(field: &str) -> Option<(&str, &str)> {
    field.split_once('|')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_carries_the_namespace_hash_tag() {
        let k = Keys::new("east");
        for key in [
            &k.seq,
            &k.log,
            &k.holds,
            &k.hold_ids,
            &k.hold_seq,
            &k.ratings,
            &k.start,
            &k.first,
            &k.network,
            &k.ext("2026-11-23"),
            &k.day("2026-11-23"),
            &k.ticket("T{1}"),
            &k.loads("2026-11-23"),
        ] {
            // Redis Cluster hashes the text between the first '{' and the next '}'.
            let open = key.find('{').unwrap_or(usize::MAX);
            let close = key[open.saturating_add(1).min(key.len())..]
                .find('}')
                .map(|c| c + open + 1);
            assert_eq!(
                (open, close.map(|c| &key[open + 1..c])),
                (0, Some("east")),
                "{key}"
            );
        }
    }

    #[test]
    fn outlet_ids_with_bars_split_at_the_skill() {
        let f = offer_field("repair:tv", "O|7|x");
        assert_eq!(split_field(&f), Some(("repair:tv", "O|7|x")));
        assert_eq!(split_field("|O|7"), Some(("", "O|7")));
    }
}
