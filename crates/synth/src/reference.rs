//! Reference sources (参考数据源) — archives of earlier redevelopments (旧改档案), resident registration (居住登记),
//! phone registration (电话登记) — streamed to disk with the planted records of lost persons, their relatives and
//! same-name strangers at seeded positions, and the truth (真值) that links them.

use chrono::Datelike;
use rand::Rng;
use rand::seq::SliceRandom;
use std::path::Path;

use crate::address::Addr;
use crate::idcard::IdProfile;
use crate::people::{
    Identity, landline, mobile, near_name, render_birth, render_gender, render_name, render_phones,
};
use crate::roster::{Roster, RosterPerson};
use crate::text::{Rand, chance};
use crate::{CsvOut, GenConfig, GenError, REFERENCE_HEADER};

/// One reference source and how its records look.
pub(crate) struct Source {
    pub name: &'static str,
    pub file: &'static str,
    prefix: &'static str,
    share: f64,
    id: IdProfile,
    birth_missing: f64,
    gender_missing: f64,
    /// Records are old: district names of the time (南市区), more legacy IDs.
    old_records: bool,
}

pub(crate) const ARCHIVE: usize = 0;
pub(crate) const RESIDENCE: usize = 1;
pub(crate) const PHONE: usize = 2;

pub(crate) const SOURCES: [Source; 3] = [
    Source {
        name: "旧改档案",
        file: "reference_旧改档案.csv",
        prefix: "JG",
        share: 0.40,
        id: IdProfile {
            masked: 0.06,
            legacy: 0.20,
            blank: 0.14,
            wrong_check: 0.02,
            typo: 0.02,
        },
        birth_missing: 0.05,
        gender_missing: 0.02,
        old_records: true,
    },
    Source {
        name: "居住登记",
        file: "reference_居住登记.csv",
        prefix: "JZ",
        share: 0.45,
        id: IdProfile {
            masked: 0.15,
            legacy: 0.03,
            blank: 0.07,
            wrong_check: 0.015,
            typo: 0.015,
        },
        birth_missing: 0.02,
        gender_missing: 0.01,
        old_records: false,
    },
    Source {
        name: "电话登记",
        file: "reference_电话登记.csv",
        prefix: "DH",
        share: 0.15,
        id: IdProfile {
            masked: 0.30,
            legacy: 0.0,
            blank: 0.60,
            wrong_check: 0.0,
            typo: 0.0,
        },
        birth_missing: 0.75,
        gender_missing: 0.5,
        old_records: false,
    },
];

/// One rendered record (without source and record number).
#[derive(Default)]
struct Record {
    name: String,
    id: String,
    gender: &'static str,
    birth: String,
    phone: String,
    address: String,
    previous: String,
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Relation {
    Own,
    Relative,
}

impl Relation {
    pub(crate) fn label(self) -> &'static str {
        match self {
            Relation::Own => "本人",
            Relation::Relative => "亲属",
        }
    }
}

/// A planted record: who it belongs to and how it relates to lost persons.
struct Special {
    source: usize,
    record: Record,
    /// (lost person index into `Roster::persons`, relation)
    links: Vec<(usize, Relation)>,
}

/// A truth row before writing: person, relation, source, row number in that source.
pub(crate) struct TruthRow {
    pub person: usize,
    pub relation: Relation,
    pub source: usize,
    pub row: usize,
}

fn render(
    rng: &mut Rand,
    source: usize,
    who: &Identity,
    phones: &[&str],
    address: &Addr,
    previous: Option<&Addr>,
    factor: f64,
) -> Record {
    let s = &SOURCES[source];
    Record {
        name: render_name(rng, who, factor),
        id: s.id.render(rng, &who.id, factor),
        gender: render_gender(rng, who.male, factor, s.gender_missing),
        birth: render_birth(rng, who.birth, factor, s.birth_missing),
        phone: render_phones(rng, phones),
        address: address.render(rng, factor, s.old_records),
        previous: previous
            .map(|a| a.render(rng, factor, s.old_records))
            .unwrap_or_default(),
    }
}

fn choose_sources(rng: &mut Rand, demolished: bool, phone_source: bool) -> Vec<usize> {
    let mut v = Vec::with_capacity(2);
    if demolished {
        if chance(rng, 0.85) {
            v.push(ARCHIVE);
        }
        if chance(rng, 0.5) {
            v.push(RESIDENCE);
        }
    } else if chance(rng, 0.85) {
        v.push(RESIDENCE);
    }
    if phone_source && chance(rng, 0.25) {
        v.push(PHONE);
    }
    if v.len() > 2 {
        let drop = rng.random_range(0..v.len());
        v.remove(drop);
    }
    if v.is_empty() {
        v.push(if demolished {
            ARCHIVE
        } else if phone_source && chance(rng, 0.3) {
            PHONE
        } else {
            RESIDENCE
        });
    }
    v
}

/// Records of lost persons (本人), of their relatives (亲属) and of same-name strangers (同名不同人).
fn plant(config: &GenConfig, rng: &mut Rand, roster: &Roster) -> Vec<Special> {
    let factor = config.noise.factor();
    let mut specials = Vec::new();
    // Lost persons grouped by certificate: relatives of one are relatives of all lost persons of the household.
    let lost: Vec<usize> = (0..roster.persons.len())
        .filter(|&i| roster.persons[i].lost)
        .collect();
    let mut by_cert: std::collections::BTreeMap<usize, Vec<usize>> =
        std::collections::BTreeMap::new();
    for &i in &lost {
        by_cert.entry(roster.persons[i].cert).or_default().push(i);
    }
    let household_of = |p: usize| -> Vec<usize> {
        by_cert
            .get(&roster.persons[p].cert)
            .cloned()
            .unwrap_or_default()
    };
    for &pi in &lost {
        let p: &RosterPerson = &roster.persons[pi];
        let household = household_of(pi);
        let current = if p.hukou_demolished && chance(rng, 0.8) {
            Addr::relocation(rng)
        } else {
            Addr::current(rng)
        };
        // Some relocated persons have moved on since; residence registration knows the newer address.
        let moved = (p.hukou_demolished && chance(rng, 0.3)).then(|| Addr::current(rng));
        let new_mobile = if chance(rng, 0.65) || p.mobile.is_none() {
            mobile(rng)
        } else {
            p.mobile.clone().unwrap_or_default()
        };
        let property = &roster.certs[p.cert].addr;
        let old = if p.hukou_demolished {
            &p.hukou
        } else {
            property
        };
        if !chance(rng, config.no_true_record_share) {
            for source in choose_sources(rng, p.hukou_demolished, config.phone_source) {
                let mut phones: Vec<&str> = Vec::new();
                let (address, previous) = match source {
                    ARCHIVE => {
                        if let Some(l) = p.landline.as_deref().filter(|_| chance(rng, 0.6)) {
                            phones.push(l);
                        } else if chance(rng, 0.3) {
                            phones.push(&new_mobile);
                        }
                        (&current, Some(old))
                    }
                    RESIDENCE => {
                        if chance(rng, 0.6) {
                            phones.push(&new_mobile);
                        } else if let Some(m) = p.mobile.as_deref().filter(|_| chance(rng, 0.3)) {
                            phones.push(m);
                        }
                        if moved.is_some() && chance(rng, 0.5) {
                            // Registered where they live now, with the relocation flat as the previous address.
                            (moved.as_ref().unwrap_or(&current), Some(&current))
                        } else {
                            (
                                moved.as_ref().unwrap_or(&current),
                                chance(rng, 0.35).then_some(old),
                            )
                        }
                    }
                    _ => {
                        phones.push(&new_mobile);
                        (&current, None)
                    }
                };
                let record = render(rng, source, &p.ident, &phones, address, previous, factor);
                let mut links = vec![(pi, Relation::Own)];
                links.extend(
                    household
                        .iter()
                        .filter(|&&q| q != pi)
                        .map(|&q| (q, Relation::Relative)),
                );
                specials.push(Special {
                    source,
                    record,
                    links,
                });
            }
        }
        // Relatives: siblings and children share the surname; a spouse does not. They share the old address and
        // often the old landline.
        if chance(rng, 0.6) {
            let n = rng.random_range(1..=3);
            for _ in 0..n {
                let y = p.ident.birth.year();
                let who = match rng.random_range(0..3) {
                    0 => {
                        let male = chance(rng, 0.5);
                        Identity::random(rng, Some(p.ident.surname), male, (y - 8, y + 8))
                    }
                    1 => {
                        let surname = if p.ident.male {
                            Some(p.ident.surname)
                        } else {
                            None
                        };
                        {
                            let male = chance(rng, 0.5);
                            Identity::random(rng, surname, male, (y + 22, (y + 34).min(2010)))
                        }
                    }
                    _ => Identity::random(rng, None, !p.ident.male, (y - 5, y + 5)),
                };
                let home = if chance(rng, 0.4) {
                    current.clone()
                } else {
                    Addr::current(rng)
                };
                let own_mobile = mobile(rng);
                let mut phones: Vec<&str> = Vec::new();
                if let Some(l) = p.landline.as_deref().filter(|_| chance(rng, 0.5)) {
                    phones.push(l);
                } else if chance(rng, 0.6) {
                    phones.push(&own_mobile);
                }
                let source = if p.hukou_demolished && chance(rng, 0.7) {
                    ARCHIVE
                } else if config.phone_source && chance(rng, 0.15) {
                    PHONE
                } else {
                    RESIDENCE
                };
                if source == PHONE && phones.is_empty() {
                    phones.push(&own_mobile);
                }
                let mut previous = match source {
                    ARCHIVE => Some(old),
                    RESIDENCE if chance(rng, 0.6) => Some(old),
                    _ => None,
                };
                // A relative is found through something shared with the lost person: the old address, the old
                // landline, or a home with them.
                let shares_home = home.road == current.road
                    && home.lane == current.lane
                    && home.number == current.number;
                let shares_line = p.landline.as_deref().is_some_and(|l| phones.contains(&l));
                let source = if previous.is_none() && !shares_home && !shares_line {
                    previous = Some(old);
                    RESIDENCE
                } else {
                    source
                };
                let record = render(rng, source, &who, &phones, &home, previous, factor);
                let links = household.iter().map(|&q| (q, Relation::Relative)).collect();
                specials.push(Special {
                    source,
                    record,
                    links,
                });
            }
        }
        // Same-name strangers: same (or same-sounding) name, another person.
        if chance(rng, config.stranger_share) {
            let n = rng.random_range(1..=2);
            for _ in 0..n {
                let y = p.ident.birth.year();
                let years = if chance(rng, 0.25) {
                    (y - 2, y + 2)
                } else {
                    (1930, 1995)
                };
                let mut who = Identity::random(rng, Some(p.ident.surname), p.ident.male, years);
                who.given = p.ident.given;
                let mut record_source = if chance(rng, 0.5) { RESIDENCE } else { ARCHIVE };
                if config.phone_source && chance(rng, 0.15) {
                    record_source = PHONE;
                }
                let home = Addr::current(rng);
                let previous =
                    (record_source == ARCHIVE || chance(rng, 0.2)).then(|| Addr::demolished(rng).0);
                let phone = mobile(rng);
                let phones: Vec<&str> = if record_source == PHONE || chance(rng, 0.6) {
                    vec![&phone]
                } else {
                    Vec::new()
                };
                let mut record = render(
                    rng,
                    record_source,
                    &who,
                    &phones,
                    &home,
                    previous.as_ref(),
                    factor,
                );
                if chance(rng, 0.3) {
                    record.name = near_name(rng, &who);
                }
                specials.push(Special {
                    source: record_source,
                    record,
                    links: Vec::new(),
                });
            }
        }
    }
    specials
}

/// The background population of one source, generated on the fly in households.
struct Background {
    source: usize,
    factor: f64,
    house: Option<House>,
}

struct House {
    surname: &'static str,
    year: i32,
    landline: Option<String>,
    address: Addr,
    previous: Option<Addr>,
}

impl Background {
    fn next(&mut self, rng: &mut Rand) -> Record {
        let source = self.source;
        let same_house = self.house.is_some() && chance(rng, 0.3);
        if !same_house {
            let (address, previous) = match source {
                ARCHIVE => (Addr::relocation(rng), Some(Addr::demolished(rng).0)),
                RESIDENCE => {
                    let prev = if chance(rng, 0.2) {
                        Some(if chance(rng, 0.6) {
                            Addr::demolished(rng).0
                        } else {
                            Addr::city(rng)
                        })
                    } else {
                        None
                    };
                    (Addr::current(rng), prev)
                }
                _ => (Addr::current(rng), None),
            };
            let landline = match source {
                ARCHIVE => chance(rng, 0.5).then(|| landline(rng, true)),
                _ => chance(rng, 0.3).then(|| landline(rng, false)),
            };
            self.house = Some(House {
                surname: crate::people::random_surname(rng),
                year: rng.random_range(1925..=1995),
                landline,
                address,
                previous,
            });
        }
        let Some(house) = self.house.as_ref() else {
            return Record::default();
        };
        let male = chance(rng, 0.5);
        let who = if same_house {
            match rng.random_range(0..3) {
                0 => Identity::random(
                    rng,
                    Some(house.surname),
                    male,
                    (house.year - 8, house.year + 8),
                ),
                1 => Identity::random(
                    rng,
                    Some(house.surname),
                    male,
                    (house.year + 22, (house.year + 34).min(2008)),
                ),
                _ => Identity::random(rng, None, male, (house.year - 5, house.year + 5)),
            }
        } else {
            Identity::random(rng, Some(house.surname), male, (house.year, house.year))
        };
        let own = mobile(rng);
        let mut phones: Vec<&str> = Vec::with_capacity(2);
        let r: f64 = rng.random();
        match source {
            ARCHIVE => {
                if let Some(l) = house.landline.as_deref().filter(|_| r < 0.6) {
                    phones.push(l);
                } else if r < 0.7 {
                    phones.push(&own);
                }
            }
            RESIDENCE => {
                if r < 0.6 {
                    phones.push(&own);
                    if r < 0.03
                        && let Some(l) = house.landline.as_deref()
                    {
                        phones.push(l);
                    }
                } else if let Some(l) = house.landline.as_deref().filter(|_| r < 0.8) {
                    phones.push(l);
                }
            }
            _ => {
                if let Some(l) = house.landline.as_deref().filter(|_| r < 0.35) {
                    phones.push(l);
                } else {
                    phones.push(&own);
                }
            }
        }
        render(
            rng,
            source,
            &who,
            &phones,
            &house.address,
            house.previous.as_ref(),
            self.factor,
        )
    }
}

/// Summary of one written source file.
pub(crate) struct SourceCount {
    pub source: usize,
    pub rows: usize,
}

/// Writes every enabled reference source and returns row counts and the truth rows.
pub(crate) fn generate_references(
    config: &GenConfig,
    plant_rng: &mut Rand,
    background_rngs: &mut [Rand; 3],
    roster: &Roster,
    out_dir: &Path,
) -> Result<(Vec<SourceCount>, Vec<TruthRow>), GenError> {
    let enabled: Vec<usize> = if config.phone_source {
        vec![ARCHIVE, RESIDENCE, PHONE]
    } else {
        vec![ARCHIVE, RESIDENCE]
    };
    let mut specials = plant(config, plant_rng, roster);
    let total = config.reference_records;
    if specials.len() > total {
        // Fewer records asked for than planted: keep a seeded subset.
        let keep = rand::seq::index::sample(plant_rng, specials.len(), total).into_vec();
        let mut keep_mask = vec![false; specials.len()];
        for k in keep {
            keep_mask[k] = true;
        }
        let mut k = 0;
        specials.retain(|_| {
            k += 1;
            keep_mask[k - 1]
        });
    }
    let mut per_source: [Vec<Special>; 3] = [Vec::new(), Vec::new(), Vec::new()];
    for s in specials {
        per_source[s.source].push(s);
    }
    let planted: usize = per_source.iter().map(Vec::len).sum();
    let free = total - planted;
    let share_sum: f64 = enabled.iter().map(|&s| SOURCES[s].share).sum();
    let mut sizes = [0usize; 3];
    let mut given = 0;
    for &s in &enabled {
        let n = ((free as f64) * SOURCES[s].share / share_sum).floor() as usize;
        sizes[s] = per_source[s].len() + n;
        given += n;
    }
    sizes[enabled[0]] += free - given;

    let mut counts = Vec::new();
    let mut truth = Vec::new();
    let factor = config.noise.factor();
    for &s in &enabled {
        let source = &SOURCES[s];
        let mut planted = std::mem::take(&mut per_source[s]);
        planted.shuffle(plant_rng);
        let mut positions = rand::seq::index::sample(plant_rng, sizes[s], planted.len()).into_vec();
        positions.sort_unstable();
        let rng = &mut background_rngs[s];
        let mut background = Background {
            source: s,
            factor,
            house: None,
        };
        let mut out = CsvOut::create(&out_dir.join(source.file))?;
        out.write(&REFERENCE_HEADER)?;
        let mut record_id = String::with_capacity(12);
        let mut next = 0usize;
        let mut planted_iter = planted.into_iter();
        for row in 0..sizes[s] {
            record_id.clear();
            record_id.push_str(source.prefix);
            crate::text::push_num(&mut record_id, row as u64 + 1, 8);
            let record = if positions.get(next) == Some(&row) {
                next += 1;
                match planted_iter.next() {
                    Some(special) => {
                        for (person, relation) in special.links {
                            truth.push(TruthRow {
                                person,
                                relation,
                                source: s,
                                row,
                            });
                        }
                        special.record
                    }
                    None => background.next(rng),
                }
            } else {
                background.next(rng)
            };
            out.write(&[
                source.name,
                &record_id,
                &record.name,
                &record.id,
                record.gender,
                &record.birth,
                &record.phone,
                &record.address,
                &record.previous,
            ])?;
        }
        out.finish()?;
        counts.push(SourceCount {
            source: s,
            rows: sizes[s],
        });
    }
    truth.sort_by_key(|t| (t.person, t.relation, t.source, t.row));
    Ok((counts, truth))
}

pub(crate) fn record_id(source: usize, row: usize) -> String {
    format!("{}{:08}", SOURCES[source].prefix, row + 1)
}
