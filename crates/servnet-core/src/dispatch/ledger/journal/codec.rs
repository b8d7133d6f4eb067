//! How the journal and snapshots store records: each a frame of length (u32 LE), CRC32
//! of the payload (u32 LE) and the payload, a `postcard` encoding of an [`Entry`]. A
//! frame whose length or checksum does not hold is torn (a crash mid-write) or damaged.

use super::super::{Booking, ClaimBasis, Layout, Status};
use crate::dispatch::Route;
use chrono::{DateTime, NaiveDateTime};
use serde::{Deserialize, Serialize};
use smol_str::SmolStr;

/// Bytes before the first frame of a journal segment.
pub(super) const JOURNAL_MAGIC: &[u8; 8] = b"SNJRNL02";
/// Bytes before the first frame of a snapshot.
pub(super) const SNAPSHOT_MAGIC: &[u8; 8] = b"SNSNAP02";
/// Largest payload a frame may carry (a layout of 1M outlets fits).
pub(super) const MAX_PAYLOAD: usize = 256 << 20;

/// Where a record's flags keep the package claim's basis.
const CLAIM_SHIFT: u8 = 3;

/// A booking record as stored (an expiry in milliseconds since the epoch of the naive
/// clock; flags: 1 preferred, 2 SLA met, bits 3-7 the package claim's basis
/// ([`ClaimBasis::to_bits`], 0 in records written before it was kept); the hold id it
/// was booked as, also once confirmed; the ticket's content fingerprint).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(super) struct Rec {
    offer: u32,
    outlet: u32,
    day: u32,
    units: u32,
    road: f64,
    load_ratio: f64,
    satisfaction: f64,
    flags: u8,
    route: Route,
    status: StatusRec,
    hold: Option<u64>,
    content: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
enum StatusRec {
    Booked,
    /// Held until (milliseconds).
    Held(i64),
    Completed,
}

fn millis(t: NaiveDateTime) -> i64 {
    t.and_utc().timestamp_millis()
}

impl Rec {
    pub(super) fn of(b: &Booking) -> Self {
        Rec {
            offer: b.offer,
            outlet: b.outlet,
            day: b.day,
            units: b.units,
            road: b.road,
            load_ratio: b.load_ratio,
            satisfaction: b.satisfaction,
            flags: u8::from(b.preferred)
                | u8::from(b.sla_met) << 1
                | ClaimBasis::to_bits(b.claim) << CLAIM_SHIFT,
            route: b.route,
            status: match b.status {
                Status::Booked => StatusRec::Booked,
                Status::Held { expires, .. } => StatusRec::Held(millis(expires)),
                Status::Completed => StatusRec::Completed,
            },
            hold: match b.status {
                Status::Held { hold, .. } => Some(hold),
                _ => b.hold,
            },
            content: b.content,
        }
    }

    /// The booking, or `None` for an expiry out of chrono's range or a hold without its
    /// id (a damaged record).
    pub(super) fn booking(&self) -> Option<Booking> {
        Some(Booking {
            offer: self.offer,
            outlet: self.outlet,
            day: self.day,
            units: self.units,
            road: self.road,
            load_ratio: self.load_ratio,
            satisfaction: self.satisfaction,
            preferred: self.flags & 1 != 0,
            sla_met: self.flags & 2 != 0,
            route: self.route,
            status: match self.status {
                StatusRec::Booked => Status::Booked,
                StatusRec::Held(ms) => Status::Held {
                    hold: self.hold?,
                    expires: DateTime::from_timestamp_millis(ms)?.naive_utc(),
                },
                StatusRec::Completed => Status::Completed,
            },
            hold: self.hold,
            content: self.content,
            claim: ClaimBasis::from_bits(self.flags >> CLAIM_SHIFT),
        })
    }
}

/// One journal or snapshot entry; `S` is `&str` when writing, [`SmolStr`] when reading.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) enum Entry<S> {
    /// A new booking.
    Book(S, Rec),
    /// A hold confirmed.
    Confirm(S),
    /// Released (or expired).
    Release(S),
    /// Completed, with the rating x 1000.
    Complete(S, Option<u32>),
    /// External load: offer, day, units.
    Load(u32, u32, u32),
    /// First day counted.
    Roll(u32),
    /// A layout bound: the numbers of the entries after it.
    Layout(Layout),
    /// A network change (JSON).
    Change(S),
    /// Snapshot: the next hold id.
    NextHold(u64),
    /// Snapshot: ratings of an offer (offer, sum x 1000, count).
    Rating(u32, u64, u32),
    /// Snapshot: the end, with the number of bookings in it.
    End(u64),
}

/// Appends `entry` as one frame to `out`.
pub(super) fn frame<S: Serialize>(entry: &Entry<S>, out: &mut Vec<u8>) -> crate::Result<()> {
    let at = out.len();
    out.extend_from_slice(&[0; 8]);
    let encoded = postcard::to_io(entry, &mut *out).map(|_| ());
    let len = out.len() - at - 8;
    if let Err(e) = encoded {
        out.truncate(at);
        return Err(crate::Error::Ledger {
            store: "journal".into(),
            message: format!("cannot encode a record: {e}"),
        });
    }
    if len > MAX_PAYLOAD {
        out.truncate(at);
        return Err(crate::Error::Ledger {
            store: "journal".into(),
            message: format!("a record of {len} bytes is larger than {MAX_PAYLOAD}"),
        });
    }
    let crc = crc32fast::hash(&out[at + 8..]);
    out[at..at + 4].copy_from_slice(&(len as u32).to_le_bytes());
    out[at + 4..at + 8].copy_from_slice(&crc.to_le_bytes());
    Ok(())
}

/// What reading the next frame found.
#[derive(Debug)]
pub(super) enum Next {
    /// An entry, and the offset after its frame.
    Entry(Entry<SmolStr>, usize),
    /// No bytes left.
    End,
    /// A frame that is cut short, fails its checksum or does not decode.
    Bad(String),
}

/// Reads the frame at `at` of `bytes`.
pub(super) fn next(bytes: &[u8], at: usize) -> Next {
    let Some(rest) = bytes.get(at..) else {
        return Next::End;
    };
    if rest.is_empty() {
        return Next::End;
    }
    let word = |i: usize| -> Option<u32> {
        let b = rest.get(i..i + 4)?;
        Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let (Some(len), Some(crc)) = (word(0), word(4)) else {
        return Next::Bad(format!("{} bytes, shorter than a frame header", rest.len()));
    };
    let len = len as usize;
    if len > MAX_PAYLOAD {
        return Next::Bad(format!("frame length {len} is out of range"));
    }
    let Some(payload) = rest.get(8..8 + len) else {
        return Next::Bad(format!(
            "frame of {len} bytes cut short at {} bytes",
            rest.len() - 8
        ));
    };
    if crc32fast::hash(payload) != crc {
        return Next::Bad("checksum mismatch".into());
    }
    match postcard::from_bytes::<Entry<SmolStr>>(payload) {
        Ok(e) => Next::Entry(e, at + 8 + len),
        Err(e) => Next::Bad(format!("undecodable record: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn booking(status: Status) -> Booking {
        Booking {
            offer: 7,
            outlet: 3,
            day: 2,
            units: 1,
            road: 12.5,
            load_ratio: 0.25,
            satisfaction: 4.25,
            preferred: true,
            sla_met: false,
            route: Route::WiderRadius(1.5),
            hold: status.hold(),
            content: 0xDEAD_BEEF,
            claim: Some(ClaimBasis {
                region_tier: crate::model::Tier::C,
                customer_tier: crate::model::CustomerTier::Vip,
                emergency: true,
            }),
            status,
        }
    }

    /// Every entry reads back as written, and a booking as booked.
    #[test]
    fn entries_read_back_as_written() {
        let expires = DateTime::from_timestamp_millis(1_795_000_000_123)
            .map(|t| t.naive_utc())
            .unwrap_or_default();
        let held = booking(Status::Held { hold: 9, expires });
        let entries: Vec<Entry<&str>> = vec![
            Entry::Book("T1", Rec::of(&held)),
            Entry::Book("T2", Rec::of(&booking(Status::Completed))),
            Entry::Confirm("T1"),
            Entry::Complete("T1", Some(4500)),
            Entry::Load(3, 1, 20),
            Entry::Layout(Layout {
                outlets: vec!["O1".into()],
                skills: vec!["repair:tv".into()],
                offers: vec![(0, 0)],
                days: 7,
                start: chrono::NaiveDate::from_ymd_opt(2026, 11, 23),
            }),
            Entry::End(2),
        ];
        let mut bytes = Vec::new();
        for e in &entries {
            assert!(frame(e, &mut bytes).is_ok());
        }
        let mut at = 0;
        let mut read = Vec::new();
        while let Next::Entry(e, to) = next(&bytes, at) {
            read.push(e);
            at = to;
        }
        assert_eq!(at, bytes.len());
        assert_eq!(read.len(), entries.len());
        match &read[0] {
            Entry::Book(id, rec) => {
                assert_eq!(id, "T1");
                assert_eq!(rec.booking(), Some(held));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(read[4], Entry::Load(3, 1, 20));
    }

    /// A frame cut anywhere, or with one bit flipped, reads as bad, never as an entry.
    #[test]
    fn a_torn_or_damaged_frame_is_never_read() {
        let mut bytes = Vec::new();
        assert!(frame(
            &Entry::Book("T1", Rec::of(&booking(Status::Booked))),
            &mut bytes
        )
        .is_ok());
        for cut in 1..bytes.len() {
            assert!(
                matches!(next(&bytes[..cut], 0), Next::Bad(_)),
                "cut at {cut}"
            );
        }
        for i in 0..bytes.len() * 8 {
            let mut b = bytes.clone();
            b[i / 8] ^= 1 << (i % 8);
            assert!(!matches!(next(&b, 0), Next::Entry(..)), "bit {i}");
        }
    }
}
