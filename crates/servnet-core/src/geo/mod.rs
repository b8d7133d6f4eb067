//! Distances on the sphere, unit vectors for the spatial index, and service-area tests.

use ::geo::{Contains, Point};

/// Geometry types of the `geo` crate, re-exported so callers build service areas and
/// region polygons with the same version.
pub use ::geo::{Coord, LineString, MultiPolygon, Polygon};

/// Mean Earth radius in km (IUGG).
pub const EARTH_RADIUS_KM: f64 = 6371.0088;

/// Great-circle distance in km between two lon/lat points (haversine).
pub fn haversine_km(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * a.sqrt().min(1.0).asin()
}

/// The point as a unit vector; straight-line (chord) distance between unit vectors grows
/// with great-circle distance, so an R-tree over them finds nearest outlets exactly.
pub fn unit_vector(lon: f64, lat: f64) -> [f64; 3] {
    let (lon, lat) = (lon.to_radians(), lat.to_radians());
    [lat.cos() * lon.cos(), lat.cos() * lon.sin(), lat.sin()]
}

/// Great-circle distance in km from the chord between two unit vectors.
pub fn chord_to_km(chord: f64) -> f64 {
    2.0 * EARTH_RADIUS_KM * (chord / 2.0).min(1.0).asin()
}

/// Chord length between unit vectors for a great-circle distance in km.
pub fn km_to_chord(km: f64) -> f64 {
    2.0 * (km / (2.0 * EARTH_RADIUS_KM))
        .min(std::f64::consts::FRAC_PI_2)
        .sin()
}

/// Great-circle distance in km between two unit vectors.
pub fn unit_distance_km(a: &[f64; 3], b: &[f64; 3]) -> f64 {
    let d2 = (a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2);
    chord_to_km(d2.sqrt())
}

/// Whether a lon/lat point lies inside any polygon.
pub fn polygons_contain(polys: &MultiPolygon<f64>, lon: f64, lat: f64) -> bool {
    polys.contains(&Point(Coord { x: lon, y: lat }))
}

/// The largest great-circle distance in km from (lon, lat) to any polygon vertex: a
/// ticket farther away than this cannot lie inside the polygons.
pub fn polygons_reach_km(polys: &MultiPolygon<f64>, lon: f64, lat: f64) -> f64 {
    polys
        .0
        .iter()
        .flat_map(|p| p.exterior().0.iter())
        .map(|c| haversine_km(lon, lat, c.x, c.y))
        .fold(0.0, f64::max)
}

/// A great-circle radius in km around (lon, lat) within which every point lies inside
/// the polygons as [`polygons_contain`] tests them (on the lon/lat plane); 0 when
/// (lon, lat) is not inside. Lets a containment test skip reading the vertices.
///
/// The planar radius r (degrees) is the distance to the nearest ring. A point at
/// great-circle angle t has |dlat| <= t and sin(|dlon|/2) <= sin(t/2) / cos(|lat| + t),
/// so the largest t whose (dlat, dlon) bound stays within r is found by bisection, with
/// a margin, and never across the antimeridian or beyond 89 degrees of latitude.
pub fn polygons_inner_km(polys: &MultiPolygon<f64>, lon: f64, lat: f64) -> f64 {
    use ::geo::{Distance, Euclidean};
    if !polygons_contain(polys, lon, lat) {
        return 0.0;
    }
    let p = Point::new(lon, lat);
    let r = polys
        .0
        .iter()
        .flat_map(|poly| std::iter::once(poly.exterior()).chain(poly.interiors()))
        .map(|ring| Euclidean.distance(&p, ring))
        .fold(f64::INFINITY, f64::min);
    if !(r.is_finite() && r > 0.0) {
        return 0.0;
    }
    let fits = |t: f64| {
        let phi = lat.abs().to_radians() + t;
        if phi >= 89f64.to_radians() {
            return false;
        }
        let s = (t / 2.0).sin() / phi.cos();
        if s >= 1.0 {
            return false;
        }
        let dlon = (2.0 * s.asin()).to_degrees();
        let dlat = t.to_degrees();
        lon.abs() + dlon < 180.0 && dlat.hypot(dlon) < r * (1.0 - 1e-6)
    };
    let (mut lo, mut hi) = (0.0, r.to_radians());
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        if fits(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (lo * EARTH_RADIUS_KM * (1.0 - 1e-9) - 0.001).max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shanghai_to_beijing_is_about_1067_km() {
        // Published great-circle distance between the city centres: ~1,067 km.
        let d = haversine_km(121.4737, 31.2304, 116.4074, 39.9042);
        assert!((d - 1067.0).abs() < 5.0, "{d}");
    }

    #[test]
    fn chord_distance_matches_haversine() {
        let a = unit_vector(121.4737, 31.2304);
        let b = unit_vector(116.4074, 39.9042);
        let d1 = unit_distance_km(&a, &b);
        let d2 = haversine_km(121.4737, 31.2304, 116.4074, 39.9042);
        assert!((d1 - d2).abs() < 1e-6, "{d1} vs {d2}");
        assert!((chord_to_km(km_to_chord(250.0)) - 250.0).abs() < 1e-9);
    }

    /// Every point within `polygons_inner_km` (great-circle) of the centre is inside the
    /// polygons by `polygons_contain`: random star-shaped polygons with holes, at
    /// latitudes up to 75 degrees, points sampled up to the radius in every direction.
    #[test]
    fn points_within_the_inner_radius_are_inside() {
        use crate::rng::SplitMix64;
        let mut rng = SplitMix64::new(11);
        let mut useful = 0;
        for case in 0..300 {
            let lon = -179.0 + 358.0 * rng.next_f64();
            let lat = -75.0 + 150.0 * rng.next_f64();
            let deg = 0.05 + 0.5 * rng.next_f64();
            let ring = |scale: f64, rng: &mut SplitMix64| {
                let n = 5 + rng.below(10);
                let mut pts: Vec<(f64, f64)> = (0..n)
                    .map(|k| {
                        let a = std::f64::consts::TAU * k as f64 / n as f64;
                        let r = scale * deg * (0.4 + 0.6 * rng.next_f64());
                        (
                            lon + r * a.cos() / lat.to_radians().cos(),
                            lat + r * a.sin(),
                        )
                    })
                    .collect();
                pts.push(pts[0]);
                LineString::from(pts)
            };
            let exterior = ring(1.0, &mut rng);
            // A small hole off-centre in every third case.
            let holes = if case % 3 == 0 {
                let c = (lon + 0.5 * deg / lat.to_radians().cos(), lat);
                let h = 0.05 * deg;
                vec![LineString::from(vec![
                    (c.0 - h, c.1 - h),
                    (c.0 + h, c.1 - h),
                    (c.0 + h, c.1 + h),
                    (c.0 - h, c.1 + h),
                    (c.0 - h, c.1 - h),
                ])]
            } else {
                vec![]
            };
            let polys = MultiPolygon(vec![Polygon::new(exterior, holes)]);
            let inner = polygons_inner_km(&polys, lon, lat);
            if inner > 0.0 {
                useful += 1;
            }
            for _ in 0..200 {
                let d = inner * rng.next_f64().sqrt();
                let b = std::f64::consts::TAU * rng.next_f64();
                // Destination point at great-circle distance d, bearing b.
                let (p1, l1, t) = (lat.to_radians(), lon.to_radians(), d / EARTH_RADIUS_KM);
                let p2 = (p1.sin() * t.cos() + p1.cos() * t.sin() * b.cos()).asin();
                let l2 = l1 + (b.sin() * t.sin() * p1.cos()).atan2(t.cos() - p1.sin() * p2.sin());
                let (x, y) = (l2.to_degrees(), p2.to_degrees());
                assert!(
                    polygons_contain(&polys, x, y),
                    "case {case}: ({x}, {y}) at {d} km of ({lon}, {lat}), inner {inner}"
                );
            }
        }
        assert!(
            useful > 200,
            "the radius is positive for most centres: {useful}"
        );
    }
}
