//! Staff (工作人员): liaisons (联络员), committee cadres (居委干部), office staff (征收所工作人员), team leaders (组长)
//! and supervisors (督导) of the six specialist teams (专业小组).

use rand::Rng;
use std::collections::BTreeSet;
use std::path::Path;

use crate::people::Identity;
use crate::tables::{Committee, LAOXIMEN_COMMITTEES, SKILLS, TEAMS, XIAONANMEN_COMMITTEES};
use crate::text::{Rand, chance, pick_str};
use crate::{CsvOut, GenError, STAFF_HEADER};

const STREETS: [(&str, &[Committee]); 2] = [
    ("老西门街道", LAOXIMEN_COMMITTEES),
    ("小南门街道", XIAONANMEN_COMMITTEES),
];

fn join_some(rng: &mut Rand, items: &[&str], min: usize, max: usize) -> String {
    let n = rng.random_range(min..=max.min(items.len()).max(min));
    let mut chosen: Vec<usize> = Vec::new();
    while chosen.len() < n.min(items.len()) {
        let i = rng.random_range(0..items.len());
        if !chosen.contains(&i) {
            chosen.push(i);
        }
    }
    chosen.sort_unstable();
    chosen
        .iter()
        .map(|&i| items[i])
        .collect::<Vec<_>>()
        .join("、")
}

fn committees_of(street: usize) -> Vec<&'static str> {
    STREETS[street].1.iter().map(|c| c.name).collect()
}

/// Writes `staff.csv` with `n` people and returns the row count.
pub(crate) fn generate_staff(rng: &mut Rand, n: usize, path: &Path) -> Result<usize, GenError> {
    let mut out = CsvOut::create(path)?;
    out.write(&STAFF_HEADER)?;
    let leaders = (n / 8).min(TEAMS.len());
    let supervisors = if n >= 2 { (n / 30).max(1) } else { 0 };
    let mut names = BTreeSet::new();
    for i in 0..n {
        let role = if i < leaders {
            "组长"
        } else if i < leaders + supervisors {
            "督导"
        } else {
            match rng.random_range(0..100) {
                0..=44 => "联络员",
                45..=74 => "居委干部",
                _ => "征收所工作人员",
            }
        };
        let mut name = String::new();
        for _ in 0..20 {
            let who = {
                let male = chance(rng, 0.5);
                Identity::random(rng, None, male, (1962, 1998))
            };
            name = who.name();
            if names.insert(name.clone()) {
                break;
            }
        }
        let team = match role {
            "组长" => TEAMS[i % TEAMS.len()],
            "督导" => "领导小组",
            _ => TEAMS[rng.random_range(0..TEAMS.len())],
        };
        let street = rng.random_range(0..STREETS.len());
        let (streets, committees, skills, capacity) = match role {
            "居委干部" => {
                let c = committees_of(street);
                (
                    STREETS[street].0.to_string(),
                    pick_str(rng, &c).to_string(),
                    join_some(rng, &["方言", "调解", "社工", "老年服务", "心理疏导"], 1, 3),
                    rng.random_range(10..=30),
                )
            }
            "联络员" => {
                let c = committees_of(street);
                (
                    STREETS[street].0.to_string(),
                    join_some(rng, &c, 1, 2),
                    join_some(rng, SKILLS, 1, 3),
                    rng.random_range(5..=15),
                )
            }
            "征收所工作人员" => {
                let both = chance(rng, 0.5);
                let streets = if both {
                    "老西门街道、小南门街道".to_string()
                } else {
                    STREETS[street].0.to_string()
                };
                (
                    streets,
                    String::new(),
                    join_some(rng, &["房产", "政策解读", "法律", "财务"], 1, 3),
                    rng.random_range(15..=30),
                )
            }
            "组长" => (
                STREETS[street].0.to_string(),
                join_some(rng, &committees_of(street), 1, 3),
                join_some(rng, SKILLS, 2, 3),
                rng.random_range(5..=10),
            ),
            _ => (
                "老西门街道、小南门街道".to_string(),
                String::new(),
                join_some(rng, SKILLS, 2, 4),
                rng.random_range(5..=8),
            ),
        };
        let capacity = capacity.to_string();
        out.write(&[
            name.as_str(),
            role,
            team,
            &streets,
            &committees,
            &skills,
            &capacity,
        ])?;
    }
    out.finish()?;
    Ok(n)
}
