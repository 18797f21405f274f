//! Shanghai addresses (地址) as components — district 区, town 镇, road 路, lane 弄, branch lane 支弄, number 号,
//! room 室 — and the many ways records write the same address.

use rand::Rng;

use crate::tables::{CITY, DEMOLISHED, NAMED_ROOMS, RELOCATION, Road};
use crate::text::{Rand, chance, cn_count, cn_digits, fullwidth, pick, pick_index, pick_str};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Room {
    None,
    Numbered(u32),
    Named(&'static str),
}

#[derive(Clone, Debug)]
pub(crate) struct Addr {
    /// District (区) by today's name.
    pub district: &'static str,
    /// District name in records of the time (南市区, 卢湾区), if it differs.
    pub old_district: Option<&'static str>,
    pub town: Option<&'static str>,
    pub road: &'static str,
    pub lane: Option<u32>,
    pub branch: Option<u32>,
    pub number: u32,
    pub room: Room,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Numerals {
    Arabic,
    Chinese,
    FullWidth,
}

fn push_num(out: &mut String, n: u32, style: Numerals) {
    match style {
        Numerals::Arabic => crate::text::push_num(out, u64::from(n), 1),
        Numerals::Chinese => cn_count(n, out),
        Numerals::FullWidth => fullwidth(n, out),
    }
}

impl Addr {
    /// A house of the base on `road`.
    pub(crate) fn base_house(rng: &mut Rand, road: &Road) -> Addr {
        let (lane, branch, number) = if road.lanes && chance(rng, 0.75) {
            let lane = rng.random_range(1..=320);
            let branch = if chance(rng, 0.06) {
                Some(rng.random_range(1..=4))
            } else {
                None
            };
            (Some(lane), branch, rng.random_range(1..=48))
        } else {
            (None, None, rng.random_range(1..=420))
        };
        Addr {
            district: "黄浦区",
            old_district: None,
            town: None,
            road: road.name,
            lane,
            branch,
            number,
            room: Room::None,
        }
    }

    /// An address in a lane demolished by an earlier redevelopment (旧改), with the year it was cleared.
    pub(crate) fn demolished(rng: &mut Rand) -> (Addr, u16) {
        let old = pick(rng, DEMOLISHED);
        let (lane, number) = if old.lanes {
            (Some(rng.random_range(1..=260)), rng.random_range(1..=45))
        } else {
            (None, rng.random_range(1..=180))
        };
        let old_district = (old.old_district != "黄浦区").then_some(old.old_district);
        let room = if chance(rng, 0.3) {
            Room::Named(pick_str(rng, NAMED_ROOMS))
        } else if chance(rng, 0.3) {
            Room::Numbered(rng.random_range(1..=6))
        } else {
            Room::None
        };
        let addr = Addr {
            district: "黄浦区",
            old_district,
            town: None,
            road: old.name,
            lane,
            branch: None,
            number,
            room,
        };
        (addr, old.year)
    }

    /// A flat in a relocation estate (安置房) of an outer district.
    pub(crate) fn relocation(rng: &mut Rand) -> Addr {
        let t = pick(rng, RELOCATION);
        Addr {
            district: t.district,
            old_district: None,
            town: Some(t.town),
            road: pick_str(rng, t.roads),
            lane: Some(rng.random_range(10..=260) * 10 + rng.random_range(0..10)),
            branch: None,
            number: rng.random_range(1..=80),
            room: Room::Numbered(rng.random_range(1..=18) * 100 + rng.random_range(1..=6)),
        }
    }

    /// A flat in the central city.
    pub(crate) fn city(rng: &mut Rand) -> Addr {
        let (district, roads) = pick(rng, CITY);
        let lane = if chance(rng, 0.7) {
            Some(rng.random_range(1..=900))
        } else {
            None
        };
        Addr {
            district,
            old_district: None,
            town: None,
            road: pick_str(rng, roads),
            lane,
            branch: None,
            number: rng.random_range(1..=120),
            room: if chance(rng, 0.8) {
                Room::Numbered(rng.random_range(1..=12) * 100 + rng.random_range(1..=8))
            } else {
                Room::None
            },
        }
    }

    /// Where a person lives now: relocation estates for most, the central city for the rest.
    pub(crate) fn current(rng: &mut Rand) -> Addr {
        if chance(rng, 0.6) {
            Addr::relocation(rng)
        } else {
            Addr::city(rng)
        }
    }

    /// The canonical form: `乔家路12弄3号前楼`, with `上海市黄浦区` in front when `prefix` is set.
    pub(crate) fn canonical(&self, prefix: bool) -> String {
        let mut out = String::with_capacity(48);
        if prefix {
            out.push_str("上海市");
            out.push_str(self.district);
            if let Some(t) = self.town {
                out.push_str(t);
            }
        }
        self.push_body(&mut out, Numerals::Arabic, false, true);
        out
    }

    fn push_body(&self, out: &mut String, nums: Numerals, dash: bool, room: bool) {
        out.push_str(self.road);
        if let Some(l) = self.lane {
            push_num(out, l, nums);
            out.push('弄');
            if let Some(b) = self.branch {
                push_num(out, b, nums);
                out.push_str("支弄");
            }
            if dash {
                out.push('-');
                push_num(out, self.number, nums);
            } else {
                push_num(out, self.number, nums);
                out.push('号');
            }
        } else {
            push_num(out, self.number, nums);
            out.push('号');
        }
        if room {
            match self.room {
                Room::None => {}
                Room::Named(r) => out.push_str(r),
                Room::Numbered(r) => {
                    if dash {
                        out.push('-');
                    }
                    match nums {
                        Numerals::Chinese if r >= 100 => cn_digits(r, out),
                        _ => push_num(out, r, nums),
                    }
                    if !dash {
                        out.push('室');
                    }
                }
            }
        }
    }

    /// The address as one record writes it: prefix or not, old district name, Chinese or full-width numerals,
    /// `12弄-3` separators, room left out; with `factor` > 0 also a wrong house number or a dropped lane.
    pub(crate) fn render(&self, rng: &mut Rand, factor: f64, old_records: bool) -> String {
        let mut out = String::with_capacity(64);
        let district = match self.old_district {
            Some(d) if old_records && chance(rng, 0.7) => d,
            _ => self.district,
        };
        let central = self.town.is_none();
        match pick_index(rng, &[if central { 0.3 } else { 0.05 }, 0.4, 0.2, 0.05]) {
            0 => {}
            1 => out.push_str(district),
            2 => {
                out.push_str("上海市");
                out.push_str(district);
            }
            _ => {
                out.push_str("上海");
                out.push_str(district);
            }
        }
        if let Some(t) = self.town
            && chance(rng, 0.55)
        {
            out.push_str(t);
        }
        let nums = match pick_index(rng, &[0.8, 0.13, 0.07]) {
            0 => Numerals::Arabic,
            1 => Numerals::Chinese,
            _ => Numerals::FullWidth,
        };
        let dash = self.lane.is_some() && chance(rng, 0.1);
        let room = chance(rng, 0.8);
        if factor > 0.0 && (chance(rng, 0.02 * factor) || chance(rng, 0.015 * factor)) {
            let mut a = self.clone();
            if a.lane.is_some() && chance(rng, 0.4) {
                a.lane = None;
            } else {
                a.number = if a.number > 1 && chance(rng, 0.5) {
                    a.number - 1
                } else {
                    a.number + 1
                };
            }
            a.push_body(&mut out, nums, dash, room);
        } else {
            self.push_body(&mut out, nums, dash, room);
        }
        out
    }
}
