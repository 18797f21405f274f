//! The figures: latency percentiles per kind of request and overall, errors, throughput; and
//! what the machine was doing meanwhile.

use std::time::Duration;

use crate::load::{Kind, Outcome, Sample};

/// Latency figures of a set of requests, in microseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Figures {
    pub requests: usize,
    pub errors: usize,
    pub p50: u64,
    pub p90: u64,
    pub p99: u64,
    pub max: u64,
}

/// The nearest-rank `q` quantile of sorted `values` (0 when empty).
pub fn quantile(sorted: &[u64], q: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// The figures of the samples `keep` selects.
pub fn figures(samples: &[Sample], keep: impl Fn(&Sample) -> bool) -> Figures {
    let mut micros: Vec<u64> = samples
        .iter()
        .filter(|s| keep(s))
        .map(|s| s.micros)
        .collect();
    micros.sort_unstable();
    Figures {
        requests: micros.len(),
        errors: samples.iter().filter(|s| keep(s) && !s.ok).count(),
        p50: quantile(&micros, 0.50),
        p90: quantile(&micros, 0.90),
        p99: quantile(&micros, 0.99),
        max: micros.last().copied().unwrap_or(0),
    }
}

fn ms(micros: u64) -> String {
    format!("{:.1}", micros as f64 / 1000.0)
}

/// Prints the table of `outcome`; returns the overall figures.
pub fn print_table(outcome: &Outcome) -> Figures {
    let secs = outcome.elapsed.as_secs_f64().max(1e-9);
    println!(
        "{:<34} {:>8} {:>7} {:>8} {:>8} {:>8} {:>8} {:>8}",
        "request", "requests", "errors", "req/s", "p50 ms", "p90 ms", "p99 ms", "max ms"
    );
    let line = |label: &str, f: &Figures| {
        println!(
            "{:<34} {:>8} {:>7} {:>8.1} {:>8} {:>8} {:>8} {:>8}",
            label,
            f.requests,
            f.errors,
            f.requests as f64 / secs,
            ms(f.p50),
            ms(f.p90),
            ms(f.p99),
            ms(f.max)
        );
    };
    for kind in Kind::ALL {
        let f = figures(&outcome.samples, |s| s.kind == kind);
        if f.requests > 0 {
            line(kind.label(), &f);
        }
    }
    let all = figures(&outcome.samples, |_| true);
    line("all", &all);
    if !outcome.errors.is_empty() {
        println!("first errors:");
        for e in &outcome.errors {
            println!("  {e}");
        }
    }
    all
}

/// Prints how the requests slower than `limit_micros` spread over the run: how many seconds
/// had any, and the worst seconds (a stall of the machine shows as a few bad seconds, saturation
/// as many).
pub fn print_slow_seconds(outcome: &Outcome, limit_micros: u64) {
    let slow: Vec<&Sample> = outcome
        .samples
        .iter()
        .filter(|s| s.micros > limit_micros)
        .collect();
    if slow.is_empty() {
        return;
    }
    let mut per_second: std::collections::BTreeMap<u64, (usize, usize, u64)> = Default::default();
    for s in &outcome.samples {
        let entry = per_second.entry(s.at_ms / 1000).or_default();
        entry.1 += 1;
        if s.micros > limit_micros {
            entry.0 += 1;
            entry.2 = entry.2.max(s.micros);
        }
    }
    let bad = per_second.values().filter(|(n, _, _)| *n > 0).count();
    let mut worst: Vec<_> = per_second.iter().filter(|(_, v)| v.0 > 0).collect();
    worst.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(a.0.cmp(b.0)));
    let listed: Vec<String> = worst
        .iter()
        .take(6)
        .map(|(second, (n, of, max))| format!("{second}s: {n}/{of} (max {} ms)", ms(*max)))
        .collect();
    println!(
        "requests over {} ms: {} of {}, started in {bad} of {} seconds; worst seconds {}",
        ms(limit_micros),
        slow.len(),
        outcome.samples.len(),
        per_second.len(),
        listed.join(", ")
    );
}

/// CPU time counters of the machine and of this process (Linux `/proc`).
#[derive(Clone, Copy, Debug)]
pub struct Cpu {
    /// Busy and total jiffies of all CPUs.
    machine_busy: u64,
    machine_total: u64,
    /// This process's user + system jiffies.
    process: u64,
}

impl Cpu {
    /// Now, if `/proc` can be read.
    pub fn now() -> Option<Cpu> {
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        let fields: Vec<u64> = stat
            .lines()
            .next()?
            .split_whitespace()
            .skip(1)
            .filter_map(|f| f.parse().ok())
            .collect();
        // user nice system idle iowait irq softirq steal
        let total: u64 = fields.iter().take(8).sum();
        let idle = fields.get(3)? + fields.get(4).copied().unwrap_or(0);
        let own = std::fs::read_to_string("/proc/self/stat").ok()?;
        // Fields after the command name (which is in parentheses and may hold spaces).
        let after = own.rsplit_once(')')?.1;
        let f: Vec<&str> = after.split_whitespace().collect();
        // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after ')'.
        let process = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
        Some(Cpu {
            machine_busy: total - idle,
            machine_total: total,
            process,
        })
    }

    /// (machine busy share, this process's share of the machine) between `earlier` and `self`,
    /// both as fractions of all CPUs.
    pub fn since(&self, earlier: &Cpu) -> (f64, f64) {
        let total = (self.machine_total - earlier.machine_total).max(1) as f64;
        let busy = (self.machine_busy - earlier.machine_busy) as f64 / total;
        let process = (self.process - earlier.process) as f64 / total;
        (busy, process.min(1.0))
    }
}

/// The 1, 5 and 15 minute load averages.
pub fn loadavg() -> Option<(f64, f64, f64)> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    let mut it = text.split_whitespace().map(|f| f.parse::<f64>().ok());
    Some((it.next()??, it.next()??, it.next()??))
}

/// Samples the 1-minute load average every second until stopped; returns the samples.
pub fn sample_load(stop: tokio::sync::watch::Receiver<bool>) -> tokio::task::JoinHandle<Vec<f64>> {
    tokio::spawn(async move {
        let mut stop = stop;
        let mut samples = Vec::new();
        loop {
            if let Some((one, _, _)) = loadavg() {
                samples.push(one);
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                _ = stop.changed() => break,
            }
        }
        samples
    })
}

/// `args` as a shell command line (single quotes where needed), passwords in URLs masked.
pub fn command_line(args: impl IntoIterator<Item = String>) -> String {
    args.into_iter()
        .map(|a| {
            let a = if a.contains("://") {
                crate::setup::mask_password(&a)
            } else {
                a
            };
            let plain = !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./:=@,+%".contains(c));
            if plain {
                a
            } else {
                format!("'{}'", a.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_quantiles() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(quantile(&v, 0.50), 50);
        assert_eq!(quantile(&v, 0.99), 99);
        assert_eq!(quantile(&v, 1.0), 100);
        assert_eq!(quantile(&[7], 0.99), 7);
        assert_eq!(quantile(&[], 0.5), 0);
    }

    #[test]
    fn figures_count_errors_per_selection() {
        let s = |kind, micros, ok| Sample {
            kind,
            micros,
            ok,
            at_ms: 0,
        };
        let samples = [
            s(Kind::Leads, 1000, true),
            s(Kind::Leads, 3000, false),
            s(Kind::AttemptApi, 2000, true),
        ];
        let leads = figures(&samples, |x| x.kind == Kind::Leads);
        assert_eq!((leads.requests, leads.errors, leads.max), (2, 1, 3000));
        assert_eq!(figures(&samples, |_| true).p50, 2000);
    }

    #[test]
    fn command_lines_quote_what_needs_it() {
        let line = command_line(
            [
                "xunren-loadtest",
                "--database-url",
                "postgres://u:pw@h/db",
                "a b",
            ]
            .map(String::from),
        );
        assert_eq!(
            line,
            // The masked password holds `*`: quoted, so a shell does not glob it.
            "xunren-loadtest --database-url 'postgres://u:***@h/db' 'a b'"
        );
    }
}
