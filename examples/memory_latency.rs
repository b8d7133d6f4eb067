//! Memory latency by working-set size: a chase through a random cycle of cache lines,
//! one dependent load at a time. Shows how much last-level cache a process really gets
//! (on the benchmark VM: ~3 MB, whatever `lscpu` says), which decides how the dispatcher's
//! data must be laid out.
//!
//! `cargo run --release --example memory_latency [MB...]`

use std::time::Instant;

fn main() {
    let sizes: Vec<f64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![0.5, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 16.0, 64.0]
    } else {
        sizes
    };
    println!("| working set MB | ns per load |");
    println!("|---|---|");
    for mb in sizes {
        let lines = ((mb * 1024.0 * 1024.0 / 64.0) as usize).max(2);
        // A random cyclic order of the lines (xorshift, fixed seed).
        let mut order: Vec<usize> = (0..lines).collect();
        let mut s: u64 = 88_172_645_463_325_252;
        for i in (1..lines).rev() {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            order.swap(i, (s % i as u64) as usize);
        }
        // Eight words per 64-byte line; the first holds the next line's index.
        let mut next = vec![0usize; lines * 8];
        for k in 0..lines {
            next[order[k] * 8] = order[(k + 1) % lines] * 8;
        }
        let mut p = 0;
        for _ in 0..lines {
            p = next[p];
        }
        let steps = 5_000_000;
        let t = Instant::now();
        for _ in 0..steps {
            p = next[p];
        }
        let ns = t.elapsed().as_nanos() as f64 / steps as f64;
        println!("| {mb} | {ns:.1} |");
        std::hint::black_box(p);
    }
}
