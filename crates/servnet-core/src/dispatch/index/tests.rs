use super::*;
use crate::geo::unit_vector;
use crate::rng::SplitMix64;

/// Squared Euclidean distance between two points.
fn dist2(a: &[f64; 3], b: &[f64; 3]) -> f64 {
    let (x, y, z) = (a[0] - b[0], a[1] - b[1], a[2] - b[2]);
    x * x + y * y + z * z
}

fn entries(n: usize, seed: u64) -> Vec<Entry> {
    let mut rng = SplitMix64::new(seed);
    (0..n)
        .map(|i| {
            let lon = 100.0 + 20.0 * rng.next_f64();
            let lat = 20.0 + 20.0 * rng.next_f64();
            Entry {
                xyz: unit_vector(lon, lat),
                lon,
                lat,
                data: i as u32,
                key: 30.0 * rng.next_f64(),
                // Half the items serve only within 10-200 km (the reach filter).
                reach: if i % 2 == 0 {
                    10.0 + 190.0 * rng.next_f64()
                } else {
                    f64::INFINITY
                },
                area_reach: f64::INFINITY,
                area_floor: f64::NEG_INFINITY,
            }
        })
        .collect()
}

/// The hint leaf holds an item as near the query as the nearest item (up to f32
/// rounding), for trees of one leaf, one level and several.
#[test]
fn nearest_leaf_holds_the_nearest_item() {
    let mut scratch = Scratch::default();
    let mut rng = SplitMix64::new(11);
    for n in [0usize, 1, 9, 300, 5000] {
        let es = entries(n, n as u64 + 7);
        let points: Vec<[f64; 3]> = es.iter().map(|e| e.xyz).collect();
        let (tree, slots) = KeyedTree::new(es);
        let mut leaf_of = vec![0; n];
        for (data, slot) in slots {
            leaf_of[data as usize] = slot as usize / FANOUT;
        }
        for q in 0..100 {
            let p = unit_vector(98.0 + 24.0 * rng.next_f64(), 18.0 + 24.0 * rng.next_f64());
            let got = tree.nearest_leaf(&mut scratch, &p);
            let nearest = (0..n)
                .map(|i| dist2(&p, &points[i]).sqrt())
                .fold(f64::INFINITY, f64::min);
            match got {
                None => assert_eq!(n, 0),
                Some(leaf) => {
                    let in_leaf = (0..n)
                        .filter(|&i| leaf_of[i] == leaf as usize)
                        .map(|i| dist2(&p, &points[i]).sqrt())
                        .fold(f64::INFINITY, f64::min);
                    assert!(in_leaf <= nearest + 1e-6, "n={n} query {q}");
                }
            }
        }
    }
}

/// The frontier gives its entries back least first, as a binary heap would, in
/// random runs of pushes and pops that stay small, cross into the heap and clear.
#[test]
fn frontier_pops_in_the_order_of_a_heap() {
    let mut rng = SplitMix64::new(3);
    let mut f = Frontier::default();
    for run in 0..200 {
        f.clear();
        let mut truth: BinaryHeap<Reverse<u64>> = BinaryHeap::new();
        let mut next = 0u64;
        // Up to 10 or up to 200 entries at once: below and above `Frontier::SMALL`.
        let size = if run % 2 == 0 { 10 } else { 200 };
        for _ in 0..400 {
            if truth.len() < size && rng.below(3) > 0 {
                // Distinct entries (as the search's are): random high bits, a counter low.
                let e = (rng.below(50) as u64) << 32 | next;
                next += 1;
                f.push(e);
                truth.push(Reverse(e));
            } else {
                assert_eq!(f.pop(), truth.pop().map(|Reverse(e)| e), "run {run}");
            }
        }
        while let Some(Reverse(e)) = truth.pop() {
            assert_eq!(f.pop(), Some(e), "run {run}");
        }
        assert_eq!(f.pop(), None);
    }
}

/// The best item by (6371 x chord + key, data) found by the search equals a
/// brute-force minimum, for many queries, sizes (one leaf, one level and two), cut-off
/// radii and widening factors of the items' reach, also after keys are lowered.
#[test]
fn best_first_finds_the_brute_force_minimum() {
    let mut scratch = Scratch::default();
    let mut rng = SplitMix64::new(9);
    for n in [0usize, 1, 8, 9, 15, 16, 17, 64, 65, 300, 5000] {
        let es = entries(n, n as u64 + 1);
        let truth: Vec<([f64; 3], f64)> = es.iter().map(|e| (e.xyz, e.key)).collect();
        let reach: Vec<f64> = es.iter().map(|e| e.reach).collect();
        let (tree, slots) = KeyedTree::new(es);
        assert_eq!(tree.len(), n);
        let mut slot_of = vec![0; n];
        for (data, slot) in slots {
            slot_of[data as usize] = slot;
        }
        let mut keys: Vec<f64> = truth.iter().map(|t| t.1).collect();
        for q in 0..200 {
            if q % 10 == 0 && n > 0 {
                let i = rng.below(n);
                keys[i] *= 0.5;
                tree.lower_key(slot_of[i], keys[i]);
            }
            let lon = 98.0 + 24.0 * rng.next_f64();
            let lat = 18.0 + 24.0 * rng.next_f64();
            let p = unit_vector(lon, lat);
            let max_chord = 0.15 * rng.next_f64();
            let max_d2 = max_chord * max_chord;
            let widen = [None, Some(1.0), Some(1.5)][q % 3];
            // Within reach x widen by great-circle km (always, without `widen`).
            let reaches = |i: usize| {
                let km = crate::geo::chord_to_km(dist2(&p, &truth[i].0).sqrt());
                widen.is_none_or(|w| km <= reach[i] * w)
            };
            let score = |d2: f64, key: f64| 6371.0 * d2.sqrt() + key;
            let expect = (0..n)
                .filter(|&i| dist2(&p, &truth[i].0) <= max_d2 && reaches(i))
                .map(|i| (score(dist2(&p, &truth[i].0), keys[i]), i as u32))
                .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            let mut best: Option<(f64, u32)> = None;
            tree.best_first(
                &mut scratch,
                &p,
                max_chord,
                widen,
                f64::INFINITY,
                6371.0,
                0,
                |slot, i, chord, key| {
                    assert_eq!(slot, slot_of[i as usize]);
                    let d2 = dist2(&p, &truth[i as usize].0);
                    // The search's chord and key are lower bounds of the exact ones.
                    assert!(chord <= d2.sqrt() && key <= keys[i as usize]);
                    if d2 > max_d2 || !reaches(i as usize) {
                        return best.map_or(f64::INFINITY, |b| b.0);
                    }
                    let s = score(d2, keys[i as usize]);
                    if best.is_none_or(|b| (s, i) < b) {
                        best = Some((s, i));
                    }
                    best.map_or(f64::INFINITY, |b| b.0)
                },
            );
            assert_eq!(best, expect, "n={n} query {q}");
        }
    }
}

/// A day's search resumed from the groups earlier days' searches left when they found
/// nothing (`best_first_after` with the same token; the second day's resumed from the
/// first's) finds what a search from the root finds: the brute-force minimum over the
/// items with room on the third day, with items and groups marked full on each day.
/// Another query's search in between keeps it; a search that found something, or
/// another token, leaves nothing to resume.
#[test]
fn a_resumed_search_finds_what_a_fresh_one_finds() {
    let mut scratch = Scratch::default();
    let mut rng = SplitMix64::new(21);
    // Groups opened by searches from the root, and by resumed searches.
    let (mut opened, mut walks) = ([0u64; 2], [0u64; 2]);
    for n in [0usize, 1, 9, 65, 300, 5000] {
        let es = entries(n, n as u64 + 3);
        let truth: Vec<([f64; 3], f64)> = es.iter().map(|e| (e.xyz, e.key)).collect();
        let reach: Vec<f64> = es.iter().map(|e| e.reach).collect();
        let (tree, slots) = KeyedTree::new(es);
        let mut slot_of = vec![0; n];
        for (data, slot) in slots {
            slot_of[data as usize] = slot;
        }
        // Days 1 and 2 (bits 0, 1) mostly full, day 3 partly: whole groups get marked.
        let mut full = vec![0u64; n];
        for (i, f) in full.iter_mut().enumerate() {
            *f = u64::from(rng.below(10) < 9)
                | u64::from(rng.below(10) < 9) << 1
                | u64::from(rng.below(3) == 0) << 2;
            if *f != 0 {
                let mark = Mark {
                    full: true,
                    ..Mark::default()
                };
                tree.mark(slot_of[i], *f, mark);
            }
        }
        let score = |p: &[f64; 3], i: usize| 6371.0 * dist2(p, &truth[i].0).sqrt() + truth[i].1;
        for q in 0..100u64 {
            let p = unit_vector(98.0 + 24.0 * rng.next_f64(), 18.0 + 24.0 * rng.next_f64());
            let max_chord = 0.1 * rng.next_f64();
            let within = |i: usize| dist2(&p, &truth[i].0) <= max_chord * max_chord;
            let search = |scratch: &mut Scratch, p: &[f64; 3], skip, token, found: f64| {
                tree.best_first_after(
                    scratch,
                    p,
                    max_chord,
                    None,
                    f64::INFINITY,
                    6371.0,
                    skip,
                    Some(token),
                    |_, _, _, _| found,
                );
            };
            // Days 1 and 2: every item found is turned down (full, not yet marked), so
            // the searches prune nothing and find nothing.
            search(&mut scratch, &p, 1, q, f64::INFINITY);
            search(&mut scratch, &p, 2, q, f64::INFINITY);
            match q % 5 {
                1 => search(&mut scratch, &unit_vector(100.0, 30.0), 1, q, f64::INFINITY),
                2 => search(&mut scratch, &p, 0, q, 0.0),
                _ => {}
            }
            let expect = (0..n)
                .filter(|&i| within(i) && full[i] & 4 == 0)
                .map(|i| (score(&p, i), i as u32))
                .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            for resume in [true, false] {
                // Another token (the next ticket's) for a search from the root.
                let token = if resume && q % 5 != 3 { q } else { q + 1000 };
                probe::take();
                let mut best: Option<(f64, u32)> = None;
                tree.best_first_after(
                    &mut scratch,
                    &p,
                    max_chord,
                    None,
                    f64::INFINITY,
                    6371.0,
                    4,
                    Some(token),
                    |_, i, _, _| {
                        let i = i as usize;
                        if within(i) && full[i] & 4 == 0 {
                            let s = (score(&p, i), i as u32);
                            if best.is_none_or(|b| s < b) {
                                best = Some(s);
                            }
                        }
                        best.map_or(f64::INFINITY, |b| b.0)
                    },
                );
                assert_eq!(best, expect, "n={n} query {q} resume {resume}");
                let counts = probe::take();
                let kind = usize::from(resume && !matches!(q % 5, 2 | 3));
                opened[kind] += counts[probe::NODES] + counts[probe::LEAVES];
                walks[kind] += 1;
            }
        }
        // The guards of a resume: the same token under other limits (chord, reach,
        // distance weight); a resume with a finite start cutoff, and a search after ones
        // that pruned. Each day 3 equals its own brute force. Each case fails when the
        // carry's key leaves out its limit, or when a finite start cutoff keeps a carry
        // (checked by breaking each, session 19). The token: the test below.
        let keys: Vec<f64> = truth.iter().map(|t| t.1).collect();
        // Chord limit, reach factor, distance weight.
        type Limits = (f64, Option<f64>, f64);
        for q in 0..100u64 {
            let token = 1_000_000 + 1000 * n as u64 + 10 * q;
            let p = unit_vector(98.0 + 24.0 * rng.next_f64(), 18.0 + 24.0 * rng.next_f64());
            let max_chord = 0.1 * rng.next_f64();
            // Whether item `i` has room on day 3 within `mc` and reach x `widen`.
            let passes = |i: usize, mc: f64, widen: Option<f64>| {
                let d = dist2(&p, &truth[i].0).sqrt();
                let km = crate::geo::chord_to_km(d);
                d <= mc && widen.is_none_or(|w| km <= reach[i] * w) && full[i] & 4 == 0
            };
            let score = |keys: &[f64], per_chord: f64, i: usize| {
                (
                    per_chord * dist2(&p, &truth[i].0).sqrt() + keys[i],
                    i as u32,
                )
            };
            let brute = |keys: &[f64], (mc, widen, per_chord): Limits, cutoff: f64| {
                (0..n)
                    .filter(|&i| passes(i, mc, widen))
                    .map(|i| score(keys, per_chord, i))
                    .filter(|s| s.0 <= cutoff)
                    .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)))
            };
            // A search; days 1 and 2 (`skip` 1, 2) turn every item down.
            let run = |scratch: &mut Scratch,
                       keys: &[f64],
                       (mc, widen, per_chord): Limits,
                       cutoff: f64,
                       skip: u64,
                       token: u64| {
                let mut best: Option<(f64, u32)> = None;
                tree.best_first_after(
                    scratch,
                    &p,
                    mc,
                    widen,
                    cutoff,
                    per_chord,
                    skip,
                    Some(token),
                    |_, i, _, _| {
                        let i = i as usize;
                        let s = score(keys, per_chord, i);
                        let room = skip == 4 && passes(i, mc, widen) && s.0 <= cutoff;
                        if room && best.is_none_or(|b| s < b) {
                            best = Some(s);
                        }
                        best.map_or(cutoff, |b| b.0)
                    },
                );
                best
            };
            let limits = (max_chord, None, 6371.0);
            let inf = f64::INFINITY;
            match q % 4 {
                // The same token after days searched under other limits: a larger chord
                // limit, no reach limit, or a lighter distance weight on day 3 (the carry
                // holds neither the groups beyond the days' limits nor bounds for the weight).
                0..=2 => {
                    let (days, day3) = match q % 4 {
                        0 => (limits, (2.0 * max_chord, None, 6371.0)),
                        1 => ((max_chord, Some(1.5), 6371.0), limits),
                        _ => (limits, (max_chord, None, 1000.0)),
                    };
                    run(&mut scratch, &keys, days, inf, 1, token);
                    run(&mut scratch, &keys, days, inf, 2, token);
                    let got = run(&mut scratch, &keys, day3, inf, 4, token);
                    assert_eq!(got, brute(&keys, day3, inf), "n={n} q={q} limits {day3:?}");
                }
                // A resume with a finite cutoff that finds the best; then, for the next
                // ticket, resumes with cutoffs below the best (one opens groups, one stops
                // at its first entry) and a search from where they left.
                _ => {
                    run(&mut scratch, &keys, limits, inf, 1, token);
                    run(&mut scratch, &keys, limits, inf, 2, token);
                    let expect = brute(&keys, limits, inf);
                    let Some((best, _)) = expect else { continue };
                    let got = run(&mut scratch, &keys, limits, best + 1e-6, 4, token);
                    assert_eq!(got, expect, "n={n} q={q} finite cutoff");
                    run(&mut scratch, &keys, limits, inf, 1, token + 1);
                    run(&mut scratch, &keys, limits, inf, 2, token + 1);
                    for below in [best - 1e-6, -1.0] {
                        let got = run(&mut scratch, &keys, limits, below, 4, token + 1);
                        assert_eq!(got, None, "n={n} q={q} below {below}");
                    }
                    let got = run(&mut scratch, &keys, limits, inf, 4, token + 1);
                    assert_eq!(got, expect, "n={n} q={q} after a pruned search");
                }
            }
        }
    }
    // Debug builds count the groups opened: resumed searches open fewer.
    assert!(
        !cfg!(debug_assertions) || opened[1] * walks[0] < opened[0] * walks[1],
        "{opened:?} in {walks:?} searches"
    );
}

/// A key lowered between two tickets (a completed job's rating lowers its outlet's key)
/// is seen by the next ticket at the same point and limits: a carry is kept per ticket
/// (token), as its bounds hold the keys its first search read. Each ticket's first day
/// turns every outlet down; then the farthest outlet in range gets key 0 (from 200, more
/// than any distance in range), and the next ticket must book it on its second day.
#[test]
fn the_next_ticket_sees_a_key_lowered_after_the_last_ones_search() {
    let mut rng = SplitMix64::new(5);
    let n = 3000;
    let mut es = entries(n, 11);
    for e in &mut es {
        e.key = 200.0;
        e.reach = f64::INFINITY;
    }
    let xyz: Vec<[f64; 3]> = es.iter().map(|e| e.xyz).collect();
    let (tree, slots) = KeyedTree::new(es);
    let mut slot_of = vec![0; n];
    for (data, slot) in slots {
        slot_of[data as usize] = slot;
    }
    let mut keys = vec![200.0; n];
    let mut scratch = Scratch::default();
    // 0.02 chord: 127 km.
    let max_chord = 0.02;
    let mut lowered = 0;
    for ticket in 0..60u64 {
        let p = unit_vector(102.0 + 16.0 * rng.next_f64(), 22.0 + 16.0 * rng.next_f64());
        let d = |i: usize| dist2(&p, &xyz[i]).sqrt();
        let in_range: Vec<usize> = (0..n).filter(|&i| d(i) <= max_chord).collect();
        // Day 1 (skip 1) turns everything down; day 2 (skip 2) books the best.
        let search = |scratch: &mut Scratch, keys: &[f64], skip: u64, token: u64| {
            let mut best: Option<(f64, u32)> = None;
            tree.best_first_after(
                scratch,
                &p,
                max_chord,
                None,
                f64::INFINITY,
                6371.0,
                skip,
                Some(token),
                |_, i, _, _| {
                    let i = i as usize;
                    let s = (6371.0 * d(i) + keys[i], i as u32);
                    if skip == 2 && d(i) <= max_chord && best.is_none_or(|b| s < b) {
                        best = Some(s);
                    }
                    best.map_or(f64::INFINITY, |b| b.0)
                },
            );
            best
        };
        assert_eq!(search(&mut scratch, &keys, 1, 2 * ticket), None);
        let Some(&i) = in_range
            .iter()
            .filter(|&&i| keys[i] > 0.0)
            .max_by(|&&a, &&b| d(a).total_cmp(&d(b)).then(a.cmp(&b)))
        else {
            continue;
        };
        keys[i] = 0.0;
        tree.lower_key(slot_of[i], 0.0);
        lowered += 1;
        // The next ticket, at the same point: its first day resumes nothing of the last
        // ticket's, so the lowered key is read.
        assert_eq!(search(&mut scratch, &keys, 1, 2 * ticket + 1), None);
        let expect = in_range
            .iter()
            .map(|&j| (6371.0 * d(j) + keys[j], j as u32))
            .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let got = search(&mut scratch, &keys, 2, 2 * ticket + 1);
        assert_eq!(got, expect, "ticket {ticket}: outlet {i} lowered");
    }
    assert!(lowered > 30, "{lowered} keys lowered");
}

/// A group straddling its items' radii is counted as the area rule counts its items one
/// by one (great-circle km <= radius): for random queries and every group at every
/// height, [`ByRadius::outside`] either names the number of items outside their radius
/// exactly or asks to open the group; most straddling groups are counted.
#[test]
fn straddling_groups_count_the_items_outside_their_radius() {
    let mut rng = SplitMix64::new(21);
    let n = 3000;
    let points: Vec<([f64; 3], f64)> = (0..n)
        .map(|_| {
            let (lon, lat) = (110.0 + 4.0 * rng.next_f64(), 25.0 + 4.0 * rng.next_f64());
            (unit_vector(lon, lat), 10.0 + 190.0 * rng.next_f64())
        })
        .collect();
    // In slot order: the sorted copies are by slot.
    let items: Vec<([f64; 3], Option<f64>)> = points.iter().map(|&(p, r)| (p, Some(r))).collect();
    let heights = 3;
    let by = ByRadius::new(&items, heights);
    assert_eq!(by.bytes(), n * 20 * heights);
    let (mut counted, mut straddled, mut opened) = (0, 0, 0);
    for _ in 0..40 {
        let q = unit_vector(110.0 + 4.0 * rng.next_f64(), 25.0 + 4.0 * rng.next_f64());
        for h in 0..heights {
            let span = FANOUT.pow(h as u32 + 1);
            for g in 0..n.div_ceil(span) {
                let group = &points[g * span..((g + 1) * span).min(n)];
                let chords: Vec<f64> = group.iter().map(|(p, _)| dist2(&q, p).sqrt()).collect();
                let near = chords.iter().copied().fold(f64::INFINITY, f64::min) * (1.0 - 1e-9);
                let far = chords.iter().copied().fold(0.0, f64::max) * (1.0 + 1e-9);
                let outside = group
                    .iter()
                    .filter(|(p, r)| crate::geo::unit_distance_km(&q, p) > *r)
                    .count();
                match by.outside(h, g, &q, near, far, usize::MAX) {
                    radii::Straddle::Outside(got) => {
                        assert_eq!(got, outside, "height {h} group {g}");
                        counted += 1;
                        straddled += usize::from(outside > 0 && outside < group.len());
                    }
                    radii::Straddle::Open => opened += 1,
                }
            }
        }
    }
    assert!(straddled > 1000, "{straddled} straddling groups counted");
    assert!(opened * 100 < counted, "{opened} opened of {counted}");
}

/// The f32 thresholds a straddling group's radius chords are compared with agree with
/// the f64 tests they stand for (radius chord x margin below the nearest distance, or
/// below the farthest), for chords and distances at random scales, 0 and the ends.
#[test]
fn radius_thresholds_agree_with_the_exact_tests() {
    let mut rng = SplitMix64::new(5);
    for i in 0..2000 {
        let scale = 10f64.powi(-(i % 9));
        let bound = if i % 97 == 0 {
            0.0
        } else {
            scale * rng.next_f64()
        };
        for margin in [1.0 + 1e-6, 1.0 - 1e-6] {
            let holds = |c: f32| f64::from(c) * margin < bound;
            let t = radii::threshold(holds, bound / margin);
            let mut chords: Vec<f32> = (0..64)
                .map(|_| (bound / margin * (0.999_999 + 2e-6 * rng.next_f64())) as f32)
                .collect();
            chords.extend([0.0, f32::MAX, f32::INFINITY, t]);
            chords.push(f32::from_bits(t.to_bits().saturating_sub(1)));
            for c in chords {
                assert_eq!(
                    c < t,
                    holds(c),
                    "chord {c} bound {bound} margin {margin} t {t}"
                );
            }
        }
    }
}

/// Counting a group item by item in f32 lanes decides as the exact f64 test of each item
/// (its f64 chord minus and plus the slack against its radius chord with the margin, and
/// the chord against each cut): for random queries, every group of 8 and 64 items, bounds
/// `near` of the group's chords (items whose radius is below it count as outside
/// untested), and cuts at random (infinite, huge, negative, at item chords, within an f32
/// rounding of them and a few metres apart, where the lanes hand items to the exact
/// test), the same count outside and the same count per cut bits,
/// or `None` exactly when some item is too near its radius to tell; and `None` when the
/// caller says stop.
#[test]
fn item_lanes_decide_as_the_exact_tests() {
    let mut rng = SplitMix64::new(33);
    let n: usize = 2000;
    let items: Vec<([f64; 3], Option<f64>)> = (0..n)
        .map(|_| {
            let (lon, lat) = (110.0 + 3.0 * rng.next_f64(), 25.0 + 3.0 * rng.next_f64());
            (unit_vector(lon, lat), Some(20.0 + 180.0 * rng.next_f64()))
        })
        .collect();
    let by = ByRadius::new(&items, 2);
    let slack = f64::from(CHORD_SLACK);
    let (mut decided, mut unsure, mut skipped) = (0, 0, 0);
    for round in 0..60 {
        // Within the items' area and up to 3 degrees off it (groups far away).
        let q = unit_vector(107.0 + 9.0 * rng.next_f64(), 22.0 + 9.0 * rng.next_f64());
        for h in 0..2 {
            let span = FANOUT.pow(h as u32 + 1);
            for g in 0..n.div_ceil(span) {
                let group = &items[g * span..((g + 1) * span).min(n)];
                // The f64 chord from q to each item's f32 position, as the exact test has it.
                let chords: Vec<f64> = group
                    .iter()
                    .map(|(p, _)| dist2(&q, &p.map(|v| f64::from(v as f32))).sqrt())
                    .collect();
                let least = chords.iter().copied().fold(f64::INFINITY, f64::min);
                let most = chords.iter().copied().fold(0.0, f64::max);
                let near = match rng.next_f64() {
                    x if x < 0.2 => 0.0,
                    x => least * (0.98 + 0.02 * x),
                };
                let pick = |rng: &mut SplitMix64, prev: f64| -> f64 {
                    let c = chords[(rng.next_f64() * chords.len() as f64) as usize];
                    match rng.next_f64() {
                        x if x < 0.06 => f64::INFINITY,
                        x if x < 0.12 => f64::NEG_INFINITY,
                        x if x < 0.15 => 1e40,
                        x if x < 0.18 => -1e40,
                        x if x < 0.21 => -1.0,
                        x if x < 0.29 => most * (1.0 + 0.02 * rng.next_f64()),
                        x if x < 0.45 => c,
                        x if x < 0.6 => c + 4e-7 * (rng.next_f64() - 0.5),
                        // A few metres from the cut before (one band).
                        x if x < 0.8 => prev + 1e-5 * (rng.next_f64() - 0.5),
                        _ => 0.05 * rng.next_f64(),
                    }
                };
                let mut at = [0.0; radii::CUTS];
                for k in 0..radii::CUTS {
                    let prev = if k == 0 { most } else { at[k - 1] };
                    at[k] = pick(&mut rng, prev);
                }
                let mut expect = vec![0usize; 1 << radii::CUTS];
                let mut outside = 0;
                let mut tell = true;
                for ((_, r), &d) in group.iter().zip(&chords) {
                    let r = f64::from(crate::geo::km_to_chord(r.unwrap_or(0.0)) as f32);
                    if r * (1.0 + radii::MARGIN) < near || d - slack > r * (1.0 + radii::MARGIN) {
                        outside += 1;
                    } else if d + slack > r * (1.0 - radii::MARGIN) {
                        tell = false;
                    } else {
                        let bits: usize =
                            (0..radii::CUTS).map(|k| usize::from(d > at[k]) << k).sum();
                        expect[bits] += 1;
                    }
                }
                let mut got = vec![0usize; 1 << radii::CUTS];
                let cuts = radii::Cuts::new(at);
                let tally = |lanes: u64, beyond: &[u64; radii::CUTS]| {
                    for l in (0..64).filter(|l| lanes >> l & 1 == 1) {
                        let bits: usize = (0..radii::CUTS)
                            .map(|k| ((beyond[k] >> l & 1) as usize) << k)
                            .sum();
                        got[bits] += 1;
                    }
                    true
                };
                let at_ = format!("round {round} h {h} g {g} near {near} at {at:?}");
                match by.each_inside(h, g, &q, near, &cuts, tally) {
                    Some(out) => {
                        assert!(tell, "{at_}: told an unsure item");
                        assert_eq!((out, &got), (outside, &expect), "{at_}");
                        decided += 1;
                    }
                    None => {
                        assert!(!tell, "{at_}: not told");
                        unsure += 1;
                    }
                }
                // Stopped at once: `None`, unless every item was below `near`.
                if let Some(out) = by.each_inside(h, g, &q, near, &cuts, |_, _| false) {
                    assert_eq!(out, group.len(), "{at_}: not stopped");
                    skipped += 1;
                }
            }
        }
    }
    assert!(
        decided > 10 * unsure.max(1) && skipped > 0,
        "{decided} decided, {unsure} unsure, {skipped} skipped"
    );
}
