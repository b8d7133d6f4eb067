//! Debug-build counters of what one dispatch touches, per phase of the search and in the
//! diagnosis (issue 21: count before cutting). Release builds count nothing: every
//! `bump` is empty there and [`take`] returns zeros.

#[cfg(debug_assertions)]
use std::cell::{Cell, RefCell};

/// Search phases, in the order the counters of each are laid out.
pub(super) const DIRECT: usize = 0;
/// The wider-radius fallback.
pub(super) const WIDER: usize = 1;
/// The next-day fallback.
pub(super) const NEXT: usize = 2;
/// The escalation (centres tree).
pub(super) const ESCALATE: usize = 3;
const PHASES: [&str; 4] = ["direct", "wider", "next", "escalate"];

/// Counters of one search phase.
pub(super) const DAYS_SCANNED: usize = 0;
pub(super) const DAYS_LISTED: usize = 1;
pub(super) const LIST_ITEMS: usize = 2;
pub(super) const NODES: usize = 3;
pub(super) const LEAVES: usize = 4;
pub(super) const NODE_LANES_FILTERED: usize = 5;
pub(super) const NODE_LANES_MARKED: usize = 6;
pub(super) const ITEM_LANES_FILTERED: usize = 7;
pub(super) const ITEM_LANES_MARKED: usize = 8;
pub(super) const ITEMS: usize = 9;
pub(super) const PRUNED_OWN: usize = 10;
pub(super) const PREFERRED: usize = 11;
pub(super) const STATUS: usize = 12;
pub(super) const AVOIDED: usize = 13;
pub(super) const AREA: usize = 14;
pub(super) const TOO_FAR: usize = 15;
pub(super) const SLA: usize = 16;
pub(super) const SKILL_FULL: usize = 17;
pub(super) const RESERVE: usize = 18;
pub(super) const OUTLET_FULL: usize = 19;
pub(super) const NOT_BETTER: usize = 20;
pub(super) const POLYGON: usize = 21;
pub(super) const IMPROVED: usize = 22;
const SEARCH: [&str; 23] = [
    "days_scanned",
    "days_listed",
    "list_items",
    "nodes",
    "leaves",
    "node_lanes_filtered",
    "node_lanes_marked",
    "item_lanes_filtered",
    "item_lanes_marked",
    "items_visited",
    "pruned_own_terms",
    "preferred",
    "rej_status",
    "rej_avoided",
    "rej_area",
    "rej_too_far",
    "rej_sla",
    "rej_skill_full",
    "rej_reserve",
    "rej_outlet_full",
    "not_better",
    "rej_polygon",
    "improved",
];

/// Diagnosis counters (after the search blocks).
pub(super) const D_NODES: usize = 0;
pub(super) const D_LEAVES: usize = 1;
pub(super) const D_FAR_GROUPS: usize = 2;
pub(super) const D_FAR_ITEMS: usize = 3;
pub(super) const D_BULK_NODE_GROUPS: usize = 4;
pub(super) const D_BULK_SINGLE_ITEMS: usize = 5;
pub(super) const D_BULK_ITEMS: usize = 6;
pub(super) const D_EVAL: usize = 7;
pub(super) const D_EVAL_AREA: usize = 8;
pub(super) const D_EVAL_TOO_FAR: usize = 9;
pub(super) const D_EVAL_SLA: usize = 10;
pub(super) const D_EVAL_SKILL: usize = 11;
pub(super) const D_EVAL_OUTLET: usize = 12;
pub(super) const D_EVAL_OTHER: usize = 13;
pub(super) const D_SPECIAL: usize = 14;
pub(super) const D_STRADDLE_GROUPS: usize = 15;
pub(super) const D_STRADDLE_ITEMS: usize = 16;
pub(super) const D_STRADDLE_OPENED: usize = 17;
/// Straddling groups counted by their radii at group height 0 (8 items), 1, 2, 3+ (the
/// next three counters).
pub(super) const D_STRADDLE_H0: usize = 18;
/// Groups crossing a limit counted item by item from their radius records, and those
/// tried but opened (some item not proven).
pub(super) const D_BY_ITEM_GROUPS: usize = 22;
pub(super) const D_BY_ITEM_OPENED: usize = 23;
const DIAG: [&str; 24] = [
    "nodes",
    "leaves",
    "far_groups",
    "far_items",
    "bulk_node_groups",
    "bulk_single_items",
    "bulk_items",
    "evaluated",
    "eval_area",
    "eval_too_far",
    "eval_sla",
    "eval_skill_full",
    "eval_outlet_full",
    "eval_other",
    "special_evaluated",
    "straddle_groups",
    "straddle_items",
    "straddle_opened",
    "straddle_groups_h0",
    "straddle_groups_h1",
    "straddle_groups_h2",
    "straddle_groups_h3+",
    "by_item_groups",
    "by_item_opened",
];

const N: usize = PHASES.len() * SEARCH.len() + DIAG.len();

#[cfg(debug_assertions)]
thread_local! {
    static COUNTS: RefCell<[u64; N]> = const { RefCell::new([0; N]) };
    static PHASE: Cell<usize> = const { Cell::new(0) };
}

/// Sets the phase the search counters go to.
#[inline]
pub(super) fn phase(_p: usize) {
    #[cfg(debug_assertions)]
    PHASE.with(|c| c.set(_p));
}

/// Adds `n` to search counter `c` of the current phase.
#[inline]
pub(super) fn search(_c: usize, _n: u64) {
    #[cfg(debug_assertions)]
    {
        let at = PHASE.with(Cell::get) * SEARCH.len() + _c;
        COUNTS.with(|v| {
            if let Ok(mut v) = v.try_borrow_mut() {
                v[at] += _n;
            }
        });
    }
}

/// Adds `n` to diagnosis counter `c`.
#[inline]
pub(super) fn diag(_c: usize, _n: u64) {
    #[cfg(debug_assertions)]
    COUNTS.with(|v| {
        if let Ok(mut v) = v.try_borrow_mut() {
            v[PHASES.len() * SEARCH.len() + _c] += _n;
        }
    });
}

/// The counters' names ("phase.counter"), in the order [`take`] returns them.
pub fn names() -> Vec<String> {
    let mut out = Vec::with_capacity(N);
    for p in PHASES {
        out.extend(SEARCH.iter().map(|c| format!("{p}.{c}")));
    }
    out.extend(DIAG.iter().map(|c| format!("reasons.{c}")));
    out
}

/// This thread's counters since the last call (reset to 0; all 0 in release builds).
pub fn take() -> Vec<u64> {
    #[cfg(debug_assertions)]
    {
        PHASE.with(|c| c.set(0));
        COUNTS
            .with(|v| {
                v.try_borrow_mut()
                    .map(|mut v| std::mem::replace(&mut *v, [0; N]).to_vec())
            })
            .unwrap_or_else(|_| vec![0; N])
    }
    #[cfg(not(debug_assertions))]
    vec![0; N]
}
