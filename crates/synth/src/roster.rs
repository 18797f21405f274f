//! The expropriation office's roster (花名册): certificates (权证) and the persons on them, and the first-round
//! votes (一轮征询意见).

use chrono::Datelike;
use rand::Rng;
use std::collections::BTreeSet;
use std::path::Path;

use crate::address::{Addr, Room};
use crate::people::{Identity, format_date, landline, mobile, render_phones};
use crate::tables::{
    Committee, LAOXIMEN_COMMITTEES, NAMED_ROOMS, ORG_KIND, ORG_PREFIX, ORG_ROADS, ORG_WORD,
    XIAONANMEN_COMMITTEES,
};
use crate::text::{Rand, chance, pick, pick_str, pick_weighted};
use crate::{CsvOut, GenConfig, GenError, ROSTER_HEADER, VOTES_HEADER};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CertKind {
    Public,
    Private,
    Organisation,
}

pub(crate) struct Cert {
    pub no: String,
    pub kind: CertKind,
    pub department: &'static str,
    pub subdistrict: &'static str,
    pub committee: &'static str,
    pub addr: Addr,
}

/// A natural person on the roster with the facts the reference generator needs.
pub(crate) struct RosterPerson {
    pub cert: usize,
    pub roster_name: String,
    pub ident: Identity,
    /// Registered address (户籍地址).
    pub hukou: Addr,
    /// The registered address is in a lane demolished by an earlier redevelopment.
    pub hukou_demolished: bool,
    /// The old house's landline, if the household had one.
    pub landline: Option<String>,
    /// The mobile the office has on file.
    pub mobile: Option<String>,
    pub lost: bool,
}

pub(crate) struct Roster {
    pub certs: Vec<Cert>,
    pub persons: Vec<RosterPerson>,
    pub rows: usize,
    pub organisations: usize,
    pub by_subdistrict: [usize; 2],
}

/// Certificates per group in the article's proportions: 老西门街道 1,191, 小南门街道 772, organisations 39 of 2,002.
pub(crate) fn split_certificates(total: usize) -> [usize; 3] {
    let a = ((total as f64) * 1191.0 / 2002.0).round() as usize;
    let b = (((total as f64) * 772.0 / 2002.0).round() as usize).min(total - a.min(total));
    let a = a.min(total);
    [a, b, total - a - b]
}

fn cert_number(i: usize, total: usize) -> String {
    let width = total.to_string().len().max(4);
    format!("QJB-{:0width$}", i + 1)
}

fn make_certs(rng: &mut Rand, total: usize) -> Vec<Cert> {
    let [lx, xn, org] = split_certificates(total);
    let mut certs: Vec<Cert> = Vec::with_capacity(total);
    let mut used: BTreeSet<(&'static str, Option<u32>, Option<u32>, u32)> = BTreeSet::new();
    // Certificates in one building (号) share the house and differ by room.
    let mut buildings: Vec<Vec<usize>> = Vec::new();
    let groups: [(&'static str, &'static [Committee], usize); 2] = [
        ("老西门街道", LAOXIMEN_COMMITTEES, lx),
        ("小南门街道", XIAONANMEN_COMMITTEES, xn),
    ];
    for (subdistrict, committees, n) in groups {
        let mut current: Option<(usize, &'static str)> = None;
        for _ in 0..n {
            let reuse = match current {
                Some((b, c)) if buildings[b].len() < 6 && chance(rng, 0.55) => Some((b, c)),
                _ => None,
            };
            let i = certs.len();
            let (b, committee, addr) = if let Some((b, c)) = reuse {
                (b, c, certs[buildings[b][0]].addr.clone())
            } else {
                let committee = pick_weighted(rng, committees, |c| c.weight);
                let road = *pick(rng, committee.roads);
                let mut addr = Addr::base_house(rng, &road);
                for _ in 0..50 {
                    if used.insert((addr.road, addr.lane, addr.branch, addr.number)) {
                        break;
                    }
                    let road = *pick(rng, committee.roads);
                    addr = Addr::base_house(rng, &road);
                }
                buildings.push(Vec::new());
                (buildings.len() - 1, committee.name, addr)
            };
            buildings[b].push(i);
            current = Some((b, committee));
            let kind = if chance(rng, 0.68) {
                CertKind::Public
            } else {
                CertKind::Private
            };
            certs.push(Cert {
                no: cert_number(i, total),
                kind,
                department: "征收一所",
                subdistrict,
                committee,
                addr,
            });
        }
    }
    for building in &buildings {
        if building.len() == 1 {
            if chance(rng, 0.2) {
                certs[building[0]].addr.room = Room::Numbered(rng.random_range(1..=3));
            }
            continue;
        }
        let named = building.len() <= NAMED_ROOMS.len() && chance(rng, 0.5);
        let start = rng.random_range(0..NAMED_ROOMS.len());
        for (k, &c) in building.iter().enumerate() {
            certs[c].addr.room = if named {
                Room::Named(NAMED_ROOMS[(start + k) % NAMED_ROOMS.len()])
            } else {
                Room::Numbered(k as u32 + 1)
            };
        }
    }
    for _ in 0..org {
        let i = certs.len();
        let road = pick_str(rng, ORG_ROADS);
        let addr = Addr {
            district: "黄浦区",
            old_district: None,
            town: None,
            road,
            lane: None,
            branch: None,
            number: rng.random_range(1..=600),
            room: Room::None,
        };
        let subdistrict = match rng.random_range(0..4) {
            0 => "老西门街道",
            1 => "小南门街道",
            _ => "",
        };
        certs.push(Cert {
            no: cert_number(i, total),
            kind: CertKind::Organisation,
            department: "征收三所",
            subdistrict,
            committee: "",
            addr,
        });
    }
    certs
}

/// Members of one household: the holder first, then co-residents (同住人).
fn household(rng: &mut Rand, size: usize) -> Vec<Identity> {
    let male = chance(rng, 0.6);
    let y = 1930 + rng.random_range(0..=48).min(rng.random_range(0..=48));
    let holder = Identity::random(rng, None, male, (y, y));
    let mut members = vec![holder];
    if size >= 2 && chance(rng, 0.75) {
        let y = members[0].birth.year()
            + if male {
                rng.random_range(0..=6)
            } else {
                -rng.random_range(0..=6)
            };
        let spouse = Identity::random(rng, None, !male, (y, y));
        members.push(spouse);
    }
    let father_surname = members
        .iter()
        .find(|m| m.male)
        .map(|m| m.surname)
        .unwrap_or(members[0].surname);
    let mother_year = members.iter().find(|m| !m.male).map(|m| m.birth.year());
    let base_year = mother_year.unwrap_or(members[0].birth.year());
    while members.len() < size {
        let sibling = members.len() == 1 && chance(rng, 0.4);
        let person = if sibling {
            let y = base_year + rng.random_range(-8..=8);
            {
                let male = chance(rng, 0.5);
                Identity::random(rng, Some(members[0].surname), male, (y, y))
            }
        } else {
            let y = (base_year + rng.random_range(22..=34)).min(2012);
            {
                let male = chance(rng, 0.5);
                Identity::random(rng, Some(father_surname), male, (y, y))
            }
        };
        if members
            .iter()
            .any(|m| m.surname == person.surname && m.given == person.given)
        {
            continue;
        }
        members.push(person);
    }
    members
}

fn org_name(rng: &mut Rand, used: &mut BTreeSet<String>) -> String {
    for k in 0.. {
        let mut s = String::new();
        s.push_str(pick_str(rng, ORG_PREFIX));
        s.push_str(pick_str(rng, ORG_WORD));
        s.push_str(pick_str(rng, ORG_KIND));
        if k > 20 {
            s.push_str(&format!("{k}"));
        }
        if used.insert(s.clone()) {
            return s;
        }
    }
    String::new()
}

/// Generates the roster and writes `roster.csv` (and `votes.csv` when asked).
pub(crate) fn generate_roster(
    config: &GenConfig,
    rng: &mut Rand,
    roster_path: &Path,
    votes_path: Option<&Path>,
) -> Result<Roster, GenError> {
    let certs = make_certs(rng, config.certificates);
    let mut out = CsvOut::create(roster_path)?;
    out.write(&ROSTER_HEADER)?;
    let mut persons = Vec::new();
    let mut org_names = BTreeSet::new();
    let mut organisations = 0;
    let mut by_subdistrict = [0usize; 2];
    // Whole households are lost (the family moved together) or single persons are.
    let share = config.lost_share.clamp(0.0, 1.0);
    let p_household = share * 0.5;
    let p_person = if p_household < 1.0 {
        (share - p_household) / (1.0 - p_household)
    } else {
        1.0
    };
    let mut rows = 0usize;
    for (ci, cert) in certs.iter().enumerate() {
        let address = cert.addr.canonical(false);
        if cert.kind == CertKind::Organisation {
            organisations += 1;
            let name = org_name(rng, &mut org_names);
            let phone = landline(rng, true);
            let phone = render_phones(rng, &[&phone]);
            out.write(&[
                cert.no.as_str(),
                &address,
                "单位",
                cert.department,
                cert.subdistrict,
                "",
                &name,
                "单位",
                "",
                "",
                "",
                &phone,
                "",
                "已联系",
            ])?;
            rows += 1;
            continue;
        }
        by_subdistrict[usize::from(cert.subdistrict == "小南门街道")] += 1;
        let size = match rng.random_range(0..100) {
            0..=24 => 1,
            25..=59 => 2,
            60..=84 => 3,
            _ => 4,
        };
        let members = household(rng, size);
        let household_lost = chance(rng, p_household);
        let house_line = chance(rng, 0.7).then(|| landline(rng, true));
        // A household registered at a lane cleared by an earlier redevelopment (人户分离).
        let household_old = if chance(rng, 0.6) {
            Some(Addr::demolished(rng).0)
        } else {
            None
        };
        for (k, ident) in members.into_iter().enumerate() {
            let lost = household_lost || chance(rng, p_person);
            let (hukou, hukou_demolished) = match (&household_old, lost) {
                (Some(old), true) if household_lost => (old.clone(), true),
                (_, true) if !household_lost && chance(rng, 0.6) => (Addr::demolished(rng).0, true),
                (_, false) if chance(rng, 0.07) => (Addr::demolished(rng).0, true),
                (_, false) if chance(rng, 0.04) => (Addr::city(rng), false),
                _ => (cert.addr.clone(), false),
            };
            let role = match (k, cert.kind) {
                (0, CertKind::Public) => "承租人",
                (0, _) => "产权人",
                _ => "同住人",
            };
            let adult = ident.birth.year() <= 2004;
            let own_mobile = adult.then(|| mobile(rng));
            let mut phones: Vec<&str> = Vec::new();
            let r: f64 = rng.random();
            if lost {
                if let Some(l) = house_line.as_deref().filter(|_| r < 0.45) {
                    phones.push(l);
                } else if let Some(m) = own_mobile.as_deref().filter(|_| r < 0.8) {
                    phones.push(m);
                }
            } else if let Some(m) = own_mobile.as_deref().filter(|_| r < 0.85) {
                phones.push(m);
                if let Some(l) = house_line.as_deref().filter(|_| r < 0.1) {
                    phones.push(l);
                }
            } else if let Some(l) = house_line.as_deref() {
                phones.push(l);
            }
            let on_file_mobile = phones
                .iter()
                .find(|p| p.len() == 11)
                .map(|p| (*p).to_string());
            let phone = render_phones(rng, &phones);
            let id = match rng.random_range(0..100) {
                0..=90 => ident.id.id18(),
                91..=94 if ident.birth.year() < 2000 => ident.id.id15(),
                91..=94 => ident.id.id18(),
                _ => String::new(),
            };
            let mut birth = String::new();
            format_date(rng, ident.birth, &mut birth);
            let name = ident.name();
            out.write(&[
                cert.no.as_str(),
                &address,
                if cert.kind == CertKind::Public {
                    "公房"
                } else {
                    "私房"
                },
                cert.department,
                cert.subdistrict,
                cert.committee,
                &name,
                role,
                &id,
                ident.gender(),
                &birth,
                &phone,
                &hukou.canonical(true),
                if lost { "失联" } else { "已联系" },
            ])?;
            rows += 1;
            persons.push(RosterPerson {
                cert: ci,
                roster_name: name,
                ident,
                hukou,
                hukou_demolished,
                landline: house_line.clone(),
                mobile: on_file_mobile,
                lost,
            });
        }
    }
    out.finish()?;
    if let Some(path) = votes_path {
        let mut votes = CsvOut::create(path)?;
        votes.write(&VOTES_HEADER)?;
        let agree = config.agree_share.clamp(0.0, 1.0);
        for cert in &certs {
            let opinion = if chance(rng, 1.0 - agree) {
                pick_str(rng, &["反对", "弃权", "废票"])
            } else {
                "同意"
            };
            votes.write(&[cert.no.as_str(), "1", opinion])?;
        }
        votes.finish()?;
    }
    Ok(Roster {
        certs,
        persons,
        rows,
        organisations,
        by_subdistrict,
    })
}
