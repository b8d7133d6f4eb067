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
}
