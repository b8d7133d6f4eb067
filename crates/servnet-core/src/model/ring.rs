//! Whether a polygon without holes passes `geo`'s validation, found without its
//! quadratic scan of every pair of ring segments: segments are compared only when their
//! bounding boxes overlap (a sweep over x), with the same test for each pair. At the
//! sample's 300 region polygons (up to 257 positions each) the full scan was a third of
//! reading the network.

use geo::{Coord, Intersects, Line, LineString, Polygon, RemoveRepeatedPoints};

/// `true` when `poly` has no interior rings and its exterior is a valid ring as
/// `geo::Validation` judges one (at least 4 positions once repeats are removed, finite
/// coordinates, no self-intersection); `false` means "ask `geo`" (a problem, or holes).
pub(crate) fn plain_polygon_valid(poly: &Polygon<f64>) -> bool {
    let ring = poly.exterior();
    poly.interiors().is_empty()
        && !ring.0.is_empty()
        && ring.remove_repeated_points().0.len() >= 4
        && ring.0.iter().all(|c| c.x.is_finite() && c.y.is_finite())
        && !self_intersects(ring)
}

/// `geo`'s ring test: two segments meet other than where one ends and the other starts.
fn meet(a: &Line<f64>, b: &Line<f64>) -> bool {
    a.intersects(b) && a.start != b.end && a.end != b.start
}

/// Whether two distinct segments of `ring` meet (as [`meet`] judges).
fn self_intersects(ring: &LineString<f64>) -> bool {
    let lines: Vec<Line<f64>> = ring.lines().collect();
    let lo = |l: &Line<f64>| Coord {
        x: l.start.x.min(l.end.x),
        y: l.start.y.min(l.end.y),
    };
    let hi = |l: &Line<f64>| Coord {
        x: l.start.x.max(l.end.x),
        y: l.start.y.max(l.end.y),
    };
    let mut order: Vec<usize> = (0..lines.len()).collect();
    order.sort_by(|&a, &b| lo(&lines[a]).x.total_cmp(&lo(&lines[b]).x).then(a.cmp(&b)));
    for (k, &i) in order.iter().enumerate() {
        let (a, a_lo, a_hi) = (&lines[i], lo(&lines[i]), hi(&lines[i]));
        for &j in &order[k + 1..] {
            let b = &lines[j];
            let (b_lo, b_hi) = (lo(b), hi(b));
            if b_lo.x > a_hi.x {
                break;
            }
            if b_lo.y <= a_hi.y && a_lo.y <= b_hi.y && meet(a, b) {
                return true;
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Validation;
    use proptest::prelude::*;

    proptest! {
        /// On rings drawn on a small grid (many touching, collinear and repeated
        /// positions), the sweep agrees with `geo`'s own validation.
        #[test]
        fn agrees_with_geo(pts in prop::collection::vec((0i32..5, 0i32..5), 0..12)) {
            let mut coords: Vec<(f64, f64)> =
                pts.iter().map(|&(x, y)| (f64::from(x), f64::from(y))).collect();
            if let Some(&first) = coords.first() {
                coords.push(first);
            }
            let poly = Polygon::new(LineString::from(coords), vec![]);
            let geo_ok = poly.check_validation().is_ok() && !poly.exterior().0.is_empty();
            prop_assert_eq!(plain_polygon_valid(&poly), geo_ok);
        }
    }

    #[test]
    fn a_bow_tie_is_not_valid_and_a_square_is() {
        let sq = Polygon::new(
            LineString::from(vec![
                (0.0, 0.0),
                (1.0, 0.0),
                (1.0, 1.0),
                (0.0, 1.0),
                (0.0, 0.0),
            ]),
            vec![],
        );
        assert!(plain_polygon_valid(&sq));
        let bow = Polygon::new(
            LineString::from(vec![
                (0.0, 0.0),
                (1.0, 1.0),
                (1.0, 0.0),
                (0.0, 1.0),
                (0.0, 0.0),
            ]),
            vec![],
        );
        assert!(!plain_polygon_valid(&bow));
    }
}
