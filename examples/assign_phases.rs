//! `servnet assign`'s phases timed one after another on a data folder:
//! `cargo run --release --example assign_phases -- DIR [RUNS]` prints, per phase, the
//! median wall and the mean CPU (user + system) over the runs.

use servnet::bench::assign_phases::assign_phases;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = args.next().ok_or("usage: assign_phases DIR [RUNS]")?;
    let runs: usize = args.next().map_or(Ok(5), |r| r.parse())?;
    let mut all = Vec::new();
    for _ in 0..runs.max(1) {
        all.push(assign_phases(std::path::Path::new(&dir))?);
    }
    println!("{:<36} {:>10} {:>10}", "phase", "wall ms", "cpu ms");
    let (mut wall, mut cpu) = (0.0, 0.0);
    for (i, p) in all[0].iter().enumerate() {
        let mut w: Vec<f64> = all.iter().map(|r| r[i].wall).collect();
        w.sort_by(f64::total_cmp);
        let c = all.iter().map(|r| r[i].cpu).sum::<f64>() / all.len() as f64;
        let med = w[w.len() / 2];
        wall += med;
        cpu += c;
        println!("{:<36} {:>10.1} {:>10.1}", p.name, 1e3 * med, 1e3 * c);
    }
    println!("{:<36} {:>10.1} {:>10.1}", "sum", 1e3 * wall, 1e3 * cpu);
    Ok(())
}
