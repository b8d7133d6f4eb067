//! Capacity planning end to end: forecast -> demand cells -> frontier / plan -> replay
//! -> simulation -> scenarios, on the valid fixture (small, every model) and the sample
//! network (frontier, replay, closing costs).

use servnet_core::dispatch::{dispatch_in_arrival_order, DispatchSummary, Dispatcher};
use servnet_core::io::{read_dir, read_population, write_network, DataSet};
use servnet_core::plan::forecast::{forecast, Forecast, ForecastOptions};
use servnet_core::plan::network_plan::{
    plan_network, Decision, NetworkPlan, PlanInputs, PlanModel, PlanOptions, ResponseTarget,
    SiteRule,
};
use servnet_core::plan::replay::{planned_network, replay_policy};
use servnet_core::plan::scenario::{compare, Scenario, ScenarioInputs};
use servnet_core::plan::simulate::{peak_month_tickets, simulate, SimOptions};
use servnet_core::testing::{fixture_dir, sample_dir};
use std::sync::OnceLock;

fn fixture() -> DataSet {
    read_dir(&fixture_dir("valid")).unwrap()
}

struct Sample {
    data: DataSet,
    population: Vec<servnet_core::plan::demand::PopulationPoint>,
    fc: Forecast,
}

fn sample() -> &'static Sample {
    static S: OnceLock<Sample> = OnceLock::new();
    S.get_or_init(|| {
        let data = read_dir(&sample_dir()).unwrap();
        let population = read_population(&sample_dir(), &data.network).unwrap();
        let fc = forecast(
            &data.planning,
            &data.network,
            &ForecastOptions::new(2026, 1),
        )
        .unwrap();
        Sample {
            data,
            population,
            fc,
        }
    })
}

/// Fast options for the sample: H3 resolution 7 (about 11,500 cells), a few counts.
fn sample_opts(model: PlanModel) -> PlanOptions {
    let mut o = PlanOptions {
        model,
        ..Default::default()
    };
    o.demand.resolution = 7;
    o.solve.time_limit = 10.0;
    o.frontier.steps = 5;
    o
}

fn plan_sample(opts: &PlanOptions) -> NetworkPlan {
    let s = sample();
    plan_network(
        &PlanInputs {
            network: &s.data.network,
            forecast: &s.fc,
            tickets: &s.data.tickets,
            population: &s.population,
        },
        opts,
    )
    .unwrap()
}

fn plan_fixture(
    d: &DataSet,
    fc: &Forecast,
    opts: &PlanOptions,
) -> servnet_core::Result<NetworkPlan> {
    plan_network(
        &PlanInputs {
            network: &d.network,
            forecast: fc,
            tickets: &d.tickets,
            population: &[],
        },
        opts,
    )
}

/// Every model serves demand from open sites only, keeps the must-keep outlets, sizes
/// every open site with at least one technician, and reports shares in [0, 1].
#[test]
fn every_model_gives_a_consistent_plan_on_the_fixture() {
    let d = fixture();
    let fc = forecast(&d.planning, &d.network, &ForecastOptions::new(2026, 2)).unwrap();
    for model in [
        PlanModel::Auto,
        PlanModel::PMedian { p: 3 },
        PlanModel::Cover,
    ] {
        for response in [None, Some(ResponseTarget::default())] {
            let opts = PlanOptions {
                model,
                response,
                ..Default::default()
            };
            let plan = plan_fixture(&d, &fc, &opts).unwrap();
            let t = &plan.totals;
            assert_eq!(t.year, 2026);
            assert!((0.0..=1.0 + 1e-9).contains(&t.served_share), "{model:?}");
            assert!(plan.demand_points > 0 && plan.demand_cells > 0);
            for s in &plan.sites {
                if s.rule == SiteRule::MustKeep {
                    assert!(s.decision.is_open(), "{model:?} {}", s.site_id);
                    assert!(s.reason.starts_with("must keep"), "{}", s.reason);
                }
                assert_eq!(s.decision.is_open(), s.technicians >= 1, "{}", s.site_id);
                if !s.decision.is_open() {
                    assert_eq!(s.assigned_demand, 0.0, "a closed site serves nothing");
                }
                if s.decision.is_open() && s.rule != SiteRule::MustKeep {
                    assert!(s.assigned_demand > 0.0, "only must-keep sites idle");
                } else if s.decision.is_open() && s.assigned_demand == 0.0 {
                    assert!(s.reason.contains("kept with no demand"), "{}", s.reason);
                }
                assert!(s.served_demand <= s.assigned_demand + 1e-9);
            }
            if let PlanModel::PMedian { p } = model {
                assert!(t.open <= p, "{model:?}");
            }
            let assigned: f64 = plan.sites.iter().map(|s| s.assigned_demand).sum();
            assert!(assigned <= t.demand + 1e-6, "{model:?}");
            assert!(t.lower_bound <= t.objective + 1e-6 * t.objective.abs());
            assert_eq!(plan.replay.tickets, d.tickets.len());
            assert_eq!(plan.current.tickets, d.tickets.len());
        }
    }
}

/// A p below the must-keep count, a year outside the forecast or a retired model name
/// is an argument error.
#[test]
fn bad_plan_arguments_are_errors() {
    let d = fixture();
    let fc = forecast(&d.planning, &d.network, &ForecastOptions::new(2026, 1)).unwrap();
    let bad_p = PlanOptions {
        model: PlanModel::PMedian { p: 0 },
        ..Default::default()
    };
    assert!(plan_fixture(&d, &fc, &bad_p).is_err());
    let bad_year = PlanOptions {
        year: Some(2030),
        ..Default::default()
    };
    assert!(plan_fixture(&d, &fc, &bad_year).is_err());
    let mut bad_res = PlanOptions::default();
    bad_res.demand.resolution = 16;
    assert!(plan_fixture(&d, &fc, &bad_res).is_err());
    assert!(PlanModel::parse(Some("pmedian"), None).is_err());
    assert!(PlanModel::parse(Some("cflp"), None).is_err());
    assert_eq!(PlanModel::parse(None, None).unwrap(), PlanModel::Auto);
    assert_eq!(
        PlanModel::parse(None, Some(4)).unwrap(),
        PlanModel::PMedian { p: 4 }
    );
}

/// On the sample: every location solve is within 5% of its Lagrangian bound; along the
/// Pareto frontier a higher annual cost buys at least as much served demand; the
/// recommended count meets every tier's target, passes the replay guard, costs at most
/// the tolerance above the cheapest count that does, and no such count within the
/// tolerance closes fewer of today's outlets.
#[test]
fn frontier_is_monotone_in_cost_and_recommends_the_least_disruptive_near_cheapest_count() {
    let opts = sample_opts(PlanModel::Auto);
    let plan = plan_sample(&opts);
    assert!(plan.demand_cells >= 10_000, "{} cells", plan.demand_cells);
    assert_eq!(plan.frontier.len(), 5);
    for r in &plan.frontier {
        assert!(r.gap <= 0.05, "count {}: gap {}", r.n_outlets, r.gap);
        assert!(r.open <= r.n_outlets);
    }
    let mut eff: Vec<_> = plan.frontier.iter().filter(|r| r.efficient).collect();
    assert!(!eff.is_empty());
    eff.sort_by(|a, b| a.annual_cost.total_cmp(&b.annual_cost));
    for w in eff.windows(2) {
        assert!(
            w[1].served_share >= w[0].served_share,
            "more cost, less service: {} vs {}",
            w[0].n_outlets,
            w[1].n_outlets
        );
    }
    for r in plan.frontier.iter().filter(|r| !r.efficient) {
        assert!(plan.frontier.iter().any(|q| q.annual_cost <= r.annual_cost
            && q.served_share >= r.served_share
            && q.n_outlets != r.n_outlets));
    }
    let n = plan.recommended_outlets.unwrap();
    let rec = plan.frontier.iter().find(|r| r.n_outlets == n).unwrap();
    let today = &plan.current;
    let acceptable = |r: &servnet_core::plan::frontier::FrontierRow| {
        r.meets_targets
            && r.replay_sla_met_share.unwrap() >= today.sla_met_share
            && r.replay_mean_km.unwrap() <= today.mean_km * 1.05 + 1e-9
    };
    assert!(acceptable(rec), "the sample has an acceptable count");
    let tol = opts.frontier.cost_tolerance;
    let cheapest = plan
        .frontier
        .iter()
        .filter(|r| acceptable(r))
        .map(|r| r.annual_cost)
        .fold(f64::INFINITY, f64::min);
    assert!(rec.annual_cost <= cheapest * (1.0 + tol) + 1e-6);
    for r in plan.frontier.iter().filter(|r| acceptable(r)) {
        if r.annual_cost <= cheapest * (1.0 + tol) {
            assert!(r.closed >= rec.closed, "{} closes fewer", r.n_outlets);
        }
    }
    assert_eq!(plan.totals.open, rec.open);
    assert!((plan.totals.cost - rec.annual_cost).abs() < 1e-6 * rec.annual_cost);
}

/// The replay figures equal a separate dispatch of the same tickets on the planned
/// network written to and read back from a data folder.
#[test]
fn replay_equals_dispatch_of_the_exported_network() {
    let s = sample();
    let opts = sample_opts(PlanModel::PMedian { p: 500 });
    let plan = plan_sample(&opts);
    let net = planned_network(&plan, &s.data.network, &opts).unwrap();
    let dir = tempfile::tempdir().unwrap();
    write_network(dir.path(), &net).unwrap();
    std::fs::copy(
        sample_dir().join("tickets.csv"),
        dir.path().join("tickets.csv"),
    )
    .unwrap();
    let back = read_dir(dir.path()).unwrap();
    assert_eq!(back.network.outlets().len(), net.outlets().len());
    let d = Dispatcher::new(back.network, replay_policy(&back.tickets)).unwrap();
    let outcomes = dispatch_in_arrival_order(&d, &back.tickets).unwrap();
    let sum = DispatchSummary::new(&d, &outcomes);
    let r = &plan.replay;
    assert_eq!(r.tickets, sum.tickets);
    assert_eq!(r.assigned, sum.assigned);
    assert_eq!(r.sla_met, sum.sla_met);
    assert_eq!(r.mean_km, sum.mean_distance_km);
    assert_eq!(r.p95_km, sum.p95_distance_km);
    assert_eq!(r.by_route, sum.by_route);
    assert_eq!(r.unassigned, sum.tickets - sum.assigned);
    // Today's figures are the same dispatch on the folder as it is.
    let d0 = Dispatcher::new(s.data.network.clone(), replay_policy(&s.data.tickets)).unwrap();
    let o0 = dispatch_in_arrival_order(&d0, &s.data.tickets).unwrap();
    let s0 = DispatchSummary::new(&d0, &o0);
    assert_eq!(plan.current.mean_km, s0.mean_distance_km);
    assert_eq!(plan.current.sla_met, s0.sla_met);
}

/// `max_closure_share` bounds the disruption: at every count of the frontier, and in the
/// plan recommended, at most that share of today's open outlets close, and must-keep
/// outlets never do; a count the limit makes infeasible is not evaluated.
#[test]
fn a_closure_limit_holds_at_every_count() {
    let s = sample();
    let n_today = s
        .data
        .network
        .outlets()
        .iter()
        .filter(|o| o.status.takes_tickets())
        .count();
    let mut opts = sample_opts(PlanModel::Auto);
    opts.frontier.steps = 3;
    opts.max_closure_share = Some(0.05);
    let limit = n_today / 20;
    let plan = plan_sample(&opts);
    assert!(!plan.frontier.is_empty());
    for r in &plan.frontier {
        assert!(
            r.closed <= limit,
            "count {}: {} closed > {limit}",
            r.n_outlets,
            r.closed
        );
    }
    let closed_today = plan
        .sites
        .iter()
        .filter(|x| x.decision == Decision::Close)
        .filter(|x| {
            s.data
                .network
                .outlet_index(&x.site_id)
                .is_some_and(|i| s.data.network.outlets()[i].status.takes_tickets())
        })
        .count();
    assert!(closed_today <= limit, "{closed_today} > {limit}");
    assert!(plan
        .sites
        .iter()
        .filter(|x| x.rule == SiteRule::MustKeep)
        .all(|x| x.decision.is_open()));
    // p-median below what the limit allows is an error naming p.
    let mut pm = sample_opts(PlanModel::PMedian { p: n_today / 2 });
    pm.max_closures = Some(10);
    let e = plan_network(
        &PlanInputs {
            network: &s.data.network,
            forecast: &s.fc,
            tickets: &s.data.tickets,
            population: &s.population,
        },
        &pm,
    )
    .unwrap_err();
    assert!(e.to_string().contains("p"), "{e}");
}

/// A closure is not free: every outlet open today that the plan closes carries the
/// amortised closing cost, and with a prohibitive closing cost a plan at today's count
/// closes none of today's outlets (while free closures let it move some).
#[test]
fn closures_carry_their_cost() {
    let s = sample();
    let n_today = s
        .data
        .network
        .outlets()
        .iter()
        .filter(|o| o.status.takes_tickets())
        .count();
    let mut opts = sample_opts(PlanModel::PMedian { p: n_today });
    opts.costs.close_cost = 0.0;
    opts.costs.close_cost_per_technician = 0.0;
    let free = plan_sample(&opts);
    let open_today = |id: &str| {
        s.data
            .network
            .outlet_index(id)
            .is_some_and(|i| s.data.network.outlets()[i].status.takes_tickets())
    };
    let moved = free
        .sites
        .iter()
        .filter(|x| x.decision == Decision::Close && open_today(&x.site_id))
        .count();
    assert!(moved > 0, "free closures: the plan moves some outlets");
    opts.costs.close_cost = 1e12;
    let dear = plan_sample(&opts);
    let c = &opts.costs;
    let mut expect = 0.0;
    for x in &dear.sites {
        match x.decision {
            Decision::Close if open_today(&x.site_id) => {
                assert_eq!(
                    x.cost,
                    c.close_per_year(x.technicians_today),
                    "{}",
                    x.site_id
                );
                expect += c.close_per_year(x.technicians_today);
            }
            Decision::Open => expect += c.open_per_year(),
            _ => {}
        }
        if x.decision == Decision::Close {
            assert!(!open_today(&x.site_id), "{} closed at 1e12", x.site_id);
        }
    }
    assert!((dear.totals.open_close_cost - expect).abs() <= 1e-6 * expect.max(1.0));
}

/// The same seed draws the same tickets and gives the same simulation figures.
#[test]
fn simulation_is_deterministic_for_a_seed() {
    let d = fixture();
    let fc = forecast(&d.planning, &d.network, &ForecastOptions::new(2026, 1)).unwrap();
    let popts = PlanOptions::default();
    let plan = plan_fixture(&d, &fc, &popts).unwrap();
    let sim = SimOptions {
        days: 3,
        ..Default::default()
    };
    let (s1, t1) = peak_month_tickets(&fc, &d.network, 2026, &plan.cells, &sim).unwrap();
    let (s2, t2) = peak_month_tickets(&fc, &d.network, 2026, &plan.cells, &sim).unwrap();
    assert_eq!((s1, &t1), (s2, &t2));
    assert!(!t1.is_empty());
    let mut a = simulate(&plan, &d.network, &popts, &t1, &sim, Some(s1)).unwrap();
    let mut b = simulate(&plan, &d.network, &popts, &t2, &sim, Some(s2)).unwrap();
    a.seconds = 0.0;
    b.seconds = 0.0;
    assert_eq!(a, b);
    assert_eq!(a.tickets, t1.len());
    assert_eq!(a.assigned + a.unassigned, a.tickets);
    let r = simulate(&plan, &d.network, &popts, &d.tickets, &sim, None).unwrap();
    assert_eq!(r.tickets, d.tickets.len());
}

/// Drawn peak-month tickets sit where the plan's demand is: every ticket within five
/// offset deviations (half a cell edge) of one of its region's demand cells, and the
/// cells drawn in proportion to their peak day; without cells they fall back to the
/// region point.
#[test]
fn drawn_tickets_spread_over_the_demand_cells() {
    let s = sample();
    let mut opts = sample_opts(PlanModel::PMedian { p: 500 });
    opts.demand.resolution = 6;
    let plan = plan_sample(&opts);
    let sim = SimOptions {
        days: 1,
        sample: 0.2,
        ..Default::default()
    };
    let (_, drawn) = peak_month_tickets(&s.fc, &s.data.network, 2026, &plan.cells, &sim).unwrap();
    assert!(drawn.len() > 1_000, "{} tickets", drawn.len());
    let edge = 3.724; // km: the mean edge of an H3 resolution-6 cell
    let mut by_cell: std::collections::BTreeMap<&str, usize> = Default::default();
    for t in &drawn {
        let (cell, km) = plan
            .cells
            .iter()
            .filter(|c| c.region == t.region && c.peak_day > 0.0)
            .map(|c| {
                (
                    c.cell.as_str(),
                    servnet_core::geo::haversine_km(t.lon, t.lat, c.lon, c.lat),
                )
            })
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap();
        assert!(
            km <= 2.5 * edge,
            "{} is {km:.1} km from every cell of {}",
            t.id,
            t.region
        );
        *by_cell.entry(cell).or_default() += 1;
    }
    // The busiest cell of the sample gets about its share of the drawn tickets.
    let total_peak: f64 = plan.cells.iter().map(|c| c.peak_day).sum();
    let busiest = plan
        .cells
        .iter()
        .max_by(|a, b| a.peak_day.total_cmp(&b.peak_day))
        .unwrap();
    let expect = drawn.len() as f64 * busiest.peak_day / total_peak;
    let got = by_cell.get(busiest.cell.as_str()).copied().unwrap_or(0) as f64;
    assert!(
        (got - expect).abs() <= 0.5 * expect + 10.0,
        "busiest cell: {got} tickets, expected about {expect:.0}"
    );
    // Without cells: the region point.
    let (_, at_points) = peak_month_tickets(&s.fc, &s.data.network, 2026, &[], &sim).unwrap();
    let far = at_points
        .iter()
        .filter(|t| {
            let r = &s.data.network.regions()[s.data.network.region_index(&t.region).unwrap()];
            servnet_core::geo::haversine_km(t.lon, t.lat, r.lon, r.lat) > 25.0
        })
        .count();
    assert!(
        far * 1000 < at_points.len(),
        "{far} of {} beyond 5 sd",
        at_points.len()
    );
}

/// More repairs mean more tickets and no fewer technicians; rows keep the given order.
#[test]
fn scenarios_compare_side_by_side() {
    let d = fixture();
    let scen = vec![
        Scenario::named("base"),
        Scenario {
            name: "repairs +10%".into(),
            repair_rate_factor: 1.1,
            ..Default::default()
        },
        Scenario {
            name: "sales -20%, C radius x0.5".into(),
            sales_factor: 0.8,
            tier_radius_factor: [1.0, 1.0, 0.5],
            ..Default::default()
        },
    ];
    let rows = compare(
        &ScenarioInputs {
            planning: &d.planning,
            network: &d.network,
            tickets: &d.tickets,
            population: &[],
        },
        &scen,
        &ForecastOptions::new(2026, 1),
        &PlanOptions::default(),
        &SimOptions::default(),
    )
    .unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[1].name, "repairs +10%");
    assert!(rows[1].tickets > rows[0].tickets);
    assert!(rows[2].tickets < rows[0].tickets);
}

/// The frontier fanned out one count at a time: `frontier_counts` lists the counts the
/// one-call frontier evaluates; the points joined by `combine_points` give the same
/// plan whatever order they come back in, carry each point's own row, recommend the
/// count `recommend` picks from those rows, and return that count's plan. Where a
/// count is solved to optimality both ways its cost equals the one-call frontier's.
#[test]
fn frontier_points_planned_alone_join_into_the_same_plan_in_any_order() {
    use servnet_core::model::Tier;
    use servnet_core::plan::frontier::{combine_points, mark_efficient, recommend};
    use servnet_core::plan::network_plan::frontier_counts;
    let d = fixture();
    let fc = forecast(&d.planning, &d.network, &ForecastOptions::new(2026, 1)).unwrap();
    let opts = PlanOptions::default();
    let inputs = PlanInputs {
        network: &d.network,
        forecast: &fc,
        tickets: &d.tickets,
        population: &[],
    };
    let whole = plan_network(&inputs, &opts).unwrap();
    let counts = frontier_counts(&inputs, &opts).unwrap();
    let listed: Vec<usize> = whole.frontier.iter().map(|r| r.n_outlets).collect();
    assert_eq!(counts, listed);
    assert!(
        counts.len() >= 2,
        "the fixture's frontier has several counts"
    );
    let points: Vec<NetworkPlan> = counts
        .iter()
        .map(|&n| {
            let mut o = opts.clone();
            o.frontier.counts = vec![n];
            plan_network(&inputs, &o).unwrap()
        })
        .collect();
    let joined = combine_points(points.clone(), &opts).unwrap();
    let mut reversed = points.clone();
    reversed.reverse();
    let mut again = combine_points(reversed, &opts).unwrap();
    again.totals.solve_seconds = joined.totals.solve_seconds;
    assert_eq!(joined, again);
    let joined_counts: Vec<usize> = joined.frontier.iter().map(|r| r.n_outlets).collect();
    assert_eq!(joined_counts, counts);
    for (row, p) in joined.frontier.iter().zip(&points) {
        let mut own = p.frontier[0].clone();
        own.efficient = row.efficient;
        assert_eq!(row, &own);
    }
    let mut rows: Vec<_> = points.iter().map(|p| p.frontier[0].clone()).collect();
    mark_efficient(&mut rows);
    let coverable: Vec<f64> = [Tier::A, Tier::B, Tier::C]
        .iter()
        .map(|t| {
            let v = &whole.totals.by_tier[t];
            if v.demand > 0.0 {
                v.coverable / v.demand
            } else {
                1.0
            }
        })
        .collect();
    let rec = recommend(
        &rows,
        opts.service_target,
        [coverable[0], coverable[1], coverable[2]],
        opts.replay_guard,
        opts.frontier.cost_tolerance,
        &whole.current,
    )
    .unwrap();
    assert_eq!(joined.recommended_outlets, Some(rec.n_outlets));
    let chosen = points
        .iter()
        .find(|p| p.frontier[0].n_outlets == rec.n_outlets)
        .unwrap();
    assert_eq!(joined.sites, chosen.sites);
    assert_eq!(joined.current, whole.current);
    for (a, b) in joined.frontier.iter().zip(&whole.frontier) {
        if a.gap < 1e-9 && b.gap < 1e-9 {
            assert!((a.annual_cost - b.annual_cost).abs() <= 1e-6 * b.annual_cost.abs());
        }
    }
    let mut dup = points.clone();
    dup.push(points[0].clone());
    assert!(combine_points(dup, &opts).is_err());
    assert!(combine_points(Vec::new(), &opts).is_err());
    assert!(combine_points(vec![whole.clone()], &opts).is_err());
}

/// The plan's commitment follows each service package. Cutting tier A's response
/// commitment to an eighth (24 h -> 3 h) cuts its radius to an eighth (30 -> 3.75 km)
/// for tier A's standard demand only: the other tiers keep their commitments, demand and
/// today's coverage, and tier A's coverage falls exactly where the test itself finds
/// tier-A cells with no open outlet today within 3.75 road km (haversine x detour).
/// (The fixture's VIP tickets have no package: they keep the region's commitment.)
#[test]
fn tightening_one_packages_commitment_tightens_the_plan_for_that_tier_only() {
    use servnet_core::geo::haversine_km;
    use servnet_core::model::{CustomerTier, PackageKey, ServicePackage, Tier};
    let d = fixture();
    let fc = forecast(&d.planning, &d.network, &ForecastOptions::new(2026, 1)).unwrap();
    let pk = |region_tier, hours| ServicePackage {
        key: PackageKey {
            region_tier,
            customer_tier: CustomerTier::Standard,
            kind: None,
        },
        on_site: true,
        carry_in: false,
        carry_in_km: 0.0,
        response_hours: hours,
        follow_up_share: 0.0,
        priority_weight: 1.0,
    };
    let opts = PlanOptions {
        model: PlanModel::Auto,
        ..Default::default()
    };
    let run = |a_hours: f64| {
        let mut dd = d.clone();
        dd.network = d
            .network
            .clone()
            .with_packages(vec![
                pk(Tier::A, a_hours),
                pk(Tier::B, 48.0),
                pk(Tier::C, 72.0),
            ])
            .unwrap();
        plan_fixture(&dd, &fc, &opts).unwrap()
    };
    let (loose, tight) = (run(24.0), run(3.0));
    let row = |p: &NetworkPlan, name: &str| {
        p.packages
            .iter()
            .find(|r| r.packages.split('+').any(|k| k == name))
            .cloned()
            .unwrap_or_else(|| panic!("{name}: {:?}", p.packages))
    };
    let factor_a = opts.tier_radius_factor[0];
    let (la, ta) = (row(&loose, "A/standard/*"), row(&tight, "A/standard/*"));
    assert!((la.radius_km - 30.0 * factor_a).abs() < 1e-9, "{la:?}");
    assert!((ta.radius_km - 3.75 * factor_a).abs() < 1e-9, "{ta:?}");
    assert!((la.response_hours - 24.0).abs() < 1e-9, "{la:?}");
    assert!((ta.response_hours - 3.0).abs() < 1e-9, "{ta:?}");
    for name in ["B/standard/*", "C/standard/*"] {
        assert_eq!(row(&loose, name), {
            let mut r = row(&tight, name);
            // The plan's own figures may move with tier A's sites; not compared.
            r.served_plan = row(&loose, name).served_plan;
            r.mean_km_plan = row(&loose, name).mean_km_plan;
            r
        });
    }
    let tier_of = |code: &str| {
        d.network
            .regions()
            .iter()
            .find(|r| r.code == code)
            .map(|r| r.tier)
    };
    // Today's outlets: tier-A cells beyond the tight radius of every open outlet.
    let detour = opts.detour_factor;
    let open_today: Vec<(f64, f64)> = d
        .network
        .outlets()
        .iter()
        .filter(|o| o.status.takes_tickets())
        .map(|o| (o.lon, o.lat))
        .collect();
    let beyond = tight
        .cells
        .iter()
        .filter(|c| tier_of(&c.region) == Some(Tier::A))
        .filter(|c| {
            open_today
                .iter()
                .all(|&(lon, lat)| haversine_km(c.lon, c.lat, lon, lat) * detour > ta.radius_km)
        })
        .count();
    assert!(
        beyond > 0,
        "the fixture must have a tier-A cell beyond the tight radius"
    );
    assert!((la.served_today - 1.0).abs() < 1e-12, "{la:?}");
    assert!(ta.served_today < 1.0, "{ta:?}");
}
