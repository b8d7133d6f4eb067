//! The committed sample network loads cleanly and has the shape `data/README.md` describes.

use servnet::model::{OutletStatus, ServiceArea};
use servnet::testing;

/// `data/sample` is valid, and has the generator's row counts: 1,500 outlets, 300
/// regions (30 of tier A), 20,000 tickets, 20 products.
#[test]
fn sample_network_loads_with_the_documented_shape() {
    let data = servnet::io::read_dir(&testing::sample_dir()).unwrap_or_else(|e| panic!("{e}"));
    let net = &data.network;
    assert_eq!(net.outlets().len(), 1500);
    assert_eq!(net.regions().len(), 300);
    assert_eq!(data.tickets.len(), 20_000);
    assert_eq!(net.skills().len(), 20);
    assert_eq!(data.planning.products.len(), 20);
    let tier_a = net
        .regions()
        .iter()
        .filter(|r| r.tier == servnet::model::Tier::A)
        .count();
    assert_eq!(tier_a, 30);
    assert!(net.regions().iter().all(|r| r.polygon.is_some()));
    // Every area kind and every status occurs.
    for kind in ["radius", "polygon", "regions"] {
        assert!(
            net.outlets().iter().any(|o| matches!(
                (&o.area, kind),
                (ServiceArea::Radius(_), "radius")
                    | (ServiceArea::Polygons(_), "polygon")
                    | (ServiceArea::Regions(_), "regions")
            )),
            "no outlet with a {kind} area"
        );
    }
    for s in [
        OutletStatus::Probation,
        OutletStatus::Active,
        OutletStatus::Suspended,
        OutletStatus::Closed,
    ] {
        assert!(
            net.outlets().iter().any(|o| o.status == s),
            "no {s:?} outlet"
        );
    }
}

/// The small valid fixture that every bad-input fixture starts from is itself valid.
#[test]
fn valid_fixture_loads() {
    let data =
        servnet::io::read_dir(&testing::fixture_dir("valid")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(data.network.outlets().len(), 6);
    assert_eq!(data.network.regions().len(), 4);
    assert_eq!(data.tickets.len(), 10);
    assert_eq!(data.planning.products.len(), 4);
    assert_eq!(data.planning.seasonality.len(), 2);
}
