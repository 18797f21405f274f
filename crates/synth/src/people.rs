//! Persons: names (姓名), birth dates (出生日期), phones (联系电话) and the noise records put on them.

use chrono::{Datelike, Duration, NaiveDate};
use rand::Rng;
use std::fmt::Write;

use crate::idcard::IdParts;
use crate::tables::{
    FORMER_GIVEN, GIVEN_FEMALE, GIVEN_MALE, HOMOPHONES, MOBILE_PREFIX, OLDTOWN_LANDLINE,
    OTHER_LANDLINE, REGIONS, SHANGHAINESE, SHAPE_ALIKE, SURNAMES, TRADITIONAL,
};
use crate::text::{Rand, chance, pick, pick_index, pick_str, pick_weighted, push_num};

/// A person's true identity.
#[derive(Clone, Debug)]
pub(crate) struct Identity {
    pub surname: &'static str,
    pub given: &'static str,
    pub male: bool,
    pub birth: NaiveDate,
    pub id: IdParts,
}

impl Identity {
    pub(crate) fn name(&self) -> String {
        let mut s = String::with_capacity(12);
        s.push_str(self.surname);
        s.push_str(self.given);
        s
    }

    pub(crate) fn gender(&self) -> &'static str {
        if self.male { "男" } else { "女" }
    }

    /// A new random person with the given surname (or a random one), gender and birth-year range.
    pub(crate) fn random(
        rng: &mut Rand,
        surname: Option<&'static str>,
        male: bool,
        years: (i32, i32),
    ) -> Self {
        let surname = surname.unwrap_or_else(|| random_surname(rng));
        let birth = birth_in(rng, years.0, years.1);
        let given = given_name(rng, male, birth.year());
        let region = pick_weighted(rng, REGIONS, |r| r.1).0;
        let id = IdParts::new(rng, region, birth, male);
        Identity {
            surname,
            given,
            male,
            birth,
            id,
        }
    }
}

pub(crate) fn random_surname(rng: &mut Rand) -> &'static str {
    pick_weighted(rng, SURNAMES, |s| s.1).0
}

pub(crate) fn given_name(rng: &mut Rand, male: bool, year: i32) -> &'static str {
    let decade = ((year - 1930).max(0) / 10).min(5) as usize;
    // A generation's names linger into the next decade.
    let decade = if decade > 0 && chance(rng, 0.2) {
        decade - 1
    } else {
        decade
    };
    let list = if male {
        GIVEN_MALE[decade]
    } else {
        GIVEN_FEMALE[decade]
    };
    pick_str(rng, list)
}

pub(crate) fn birth_in(rng: &mut Rand, y0: i32, y1: i32) -> NaiveDate {
    let year = rng.random_range(y0.min(y1)..=y1.max(y0));
    let day = rng.random_range(1..=365);
    NaiveDate::from_yo_opt(year, day)
        .unwrap_or_else(|| NaiveDate::from_ymd_opt(year, 6, 1).unwrap_or_default())
}

pub(crate) fn mobile(rng: &mut Rand) -> String {
    let mut s = String::with_capacity(11);
    s.push_str(pick_str(rng, MOBILE_PREFIX));
    push_num(&mut s, rng.random_range(0..100_000_000u64), 8);
    s
}

pub(crate) fn landline(rng: &mut Rand, old_town: bool) -> String {
    let mut s = String::with_capacity(8);
    s.push_str(pick_str(
        rng,
        if old_town {
            OLDTOWN_LANDLINE
        } else {
            OTHER_LANDLINE
        },
    ));
    push_num(&mut s, rng.random_range(0..10_000u64), 4);
    s
}

/// One phone written as clerks write it: `021-63281234`, `138 1234 5678`, `+86 13812345678` …
pub(crate) fn render_phone(rng: &mut Rand, digits: &str, out: &mut String) {
    if digits.len() == 11 {
        match pick_index(rng, &[0.9, 0.04, 0.03, 0.03]) {
            0 => out.push_str(digits),
            1 => {
                out.push_str(&digits[..3]);
                out.push(' ');
                out.push_str(&digits[3..7]);
                out.push(' ');
                out.push_str(&digits[7..]);
            }
            2 => {
                out.push_str("+86 ");
                out.push_str(digits);
            }
            _ => {
                out.push_str(&digits[..3]);
                out.push('-');
                out.push_str(&digits[3..7]);
                out.push('-');
                out.push_str(&digits[7..]);
            }
        }
    } else {
        match pick_index(rng, &[0.6, 0.25, 0.08, 0.04, 0.03]) {
            0 => {}
            1 => out.push_str("021-"),
            2 => out.push_str("021"),
            3 => out.push_str("(021)"),
            _ => out.push_str("+86 21 "),
        }
        out.push_str(digits);
    }
}

/// Several phones in one cell, separated by `、`.
pub(crate) fn render_phones(rng: &mut Rand, phones: &[&str]) -> String {
    let mut s = String::with_capacity(24);
    for (i, p) in phones.iter().enumerate() {
        if i > 0 {
            s.push('、');
        }
        render_phone(rng, p, &mut s);
    }
    s
}

/// A birth date in one of the clerks' formats.
pub(crate) fn format_date(rng: &mut Rand, d: NaiveDate, out: &mut String) {
    let (y, m, day) = (d.year(), d.month(), d.day());
    let (y, m, day) = (y as u64, u64::from(m), u64::from(day));
    match pick_index(rng, &[0.4, 0.2, 0.15, 0.15, 0.1]) {
        0 => {
            push_num(out, y, 4);
            out.push('-');
            push_num(out, m, 2);
            out.push('-');
            push_num(out, day, 2);
        }
        1 => {
            push_num(out, y, 4);
            out.push('/');
            push_num(out, m, 1);
            out.push('/');
            push_num(out, day, 1);
        }
        2 => {
            push_num(out, y, 4);
            out.push('年');
            push_num(out, m, 1);
            out.push('月');
            push_num(out, day, 1);
            out.push('日');
        }
        3 => {
            push_num(out, y, 4);
            push_num(out, m, 2);
            push_num(out, day, 2);
        }
        _ => {
            push_num(out, y, 4);
            out.push('.');
            push_num(out, m, 2);
            out.push('.');
            push_num(out, day, 2);
        }
    }
}

/// A birth date as a record gives it: `missing` is the source's own chance of leaving it out; `factor` scales
/// day/month swaps, year-only dates, lunar-calendar dates (农历, about a month early) and typos.
pub(crate) fn render_birth(rng: &mut Rand, d: NaiveDate, factor: f64, missing: f64) -> String {
    let mut out = String::with_capacity(16);
    let f = factor;
    match pick_index(
        rng,
        &[
            missing + 0.03 * f,
            0.03 * f,
            0.03 * f,
            0.04 * f,
            0.015 * f,
            1.0,
        ],
    ) {
        0 => {}
        1 => {
            // Day and month swapped, where that still reads as a date.
            match NaiveDate::from_ymd_opt(d.year(), d.day(), d.month()) {
                Some(s) if d.day() != d.month() => format_date(rng, s, &mut out),
                _ => format_date(rng, d, &mut out),
            }
        }
        2 => {
            let _ = if chance(rng, 0.5) {
                write!(out, "{}", d.year())
            } else {
                write!(out, "{}年", d.year())
            };
        }
        3 => {
            let lunar = d - Duration::days(rng.random_range(18..=50));
            format_date(rng, lunar, &mut out);
        }
        4 => {
            let shifted = if chance(rng, 0.5) {
                d.with_year(d.year() + if chance(rng, 0.5) { 1 } else { -1 })
            } else {
                Some(d + Duration::days(rng.random_range(1..=3)))
            };
            format_date(rng, shifted.unwrap_or(d), &mut out);
        }
        _ => format_date(rng, d, &mut out),
    }
    out
}

pub(crate) fn render_gender(rng: &mut Rand, male: bool, factor: f64, missing: f64) -> &'static str {
    match pick_index(rng, &[missing + 0.03 * factor, 0.004 * factor, 1.0]) {
        0 => "",
        1 => {
            if male {
                "女"
            } else {
                "男"
            }
        }
        _ => {
            if male {
                "男"
            } else {
                "女"
            }
        }
    }
}

fn lookup<'a>(table: &'a [(char, &'a [char])], c: char) -> Option<&'a [char]> {
    table.iter().find(|(k, _)| *k == c).map(|(_, v)| *v)
}

/// A name as a record writes it. With probabilities scaled by `factor`: a homophone (同音字) in the given name,
/// traditional characters (繁体), a shape-alike character (形近字), a Shanghainese surname confusion (王/黄), a
/// former given name (曾用名), a space inside the name, a dropped last character.
pub(crate) fn render_name(rng: &mut Rand, person: &Identity, factor: f64) -> String {
    let f = factor;
    if f <= 0.0 {
        return person.name();
    }
    let former = chance(rng, 0.015 * f);
    let homophone = chance(rng, 0.08 * f);
    let shanghainese = chance(rng, 0.025 * f);
    let shape = chance(rng, 0.02 * f);
    let traditional = chance(rng, 0.05 * f);
    let dropped = chance(rng, 0.005 * f);
    let space = pick_index(rng, &[0.015 * f, 0.008 * f, 1.0]);
    if !(former || homophone || shanghainese || shape || traditional || dropped) {
        let mut out = String::with_capacity(16);
        out.push_str(person.surname);
        match space {
            0 => out.push(' '),
            1 => out.push('\u{3000}'),
            _ => {}
        }
        out.push_str(person.given);
        return out;
    }
    let mut surname: Vec<char> = person.surname.chars().collect();
    let mut given: Vec<char> = if former {
        if person.birth.year() < 1965 {
            pick(rng, FORMER_GIVEN).chars().collect()
        } else {
            given_name(rng, person.male, person.birth.year() - 15)
                .chars()
                .collect()
        }
    } else {
        person.given.chars().collect()
    };
    if homophone {
        let candidates: Vec<usize> = (0..given.len())
            .filter(|i| lookup(HOMOPHONES, given[*i]).is_some())
            .collect();
        if !candidates.is_empty() {
            let i = *pick(rng, &candidates);
            if let Some(alts) = lookup(HOMOPHONES, given[i]) {
                given[i] = *pick(rng, alts);
            }
        }
    }
    if shanghainese
        && let Some((_, to)) = SHANGHAINESE
            .iter()
            .find(|(k, _)| Some(*k) == surname.first().copied())
    {
        surname[0] = *to;
    }
    if shape {
        let n = surname.len() + given.len();
        let i = rng.random_range(0..n);
        let c = if i < surname.len() {
            &mut surname[i]
        } else {
            &mut given[i - surname.len()]
        };
        if let Some(alts) = lookup(SHAPE_ALIKE, *c) {
            *c = *pick(rng, alts);
        }
    }
    if traditional {
        for c in surname.iter_mut().chain(given.iter_mut()) {
            if let Some((_, t)) = TRADITIONAL.iter().find(|(s, _)| s == c)
                && chance(rng, 0.85)
            {
                *c = *t;
            }
        }
    }
    if dropped && given.len() >= 2 {
        given.pop();
    }
    let mut out = String::with_capacity(16);
    out.extend(surname.iter());
    match space {
        0 => out.push(' '),
        1 => out.push('\u{3000}'),
        _ => {}
    }
    out.extend(given.iter());
    out
}

/// A name that sounds or looks like `person`'s: for same-name strangers (同名不同人).
pub(crate) fn near_name(rng: &mut Rand, person: &Identity) -> String {
    let mut given: Vec<char> = person.given.chars().collect();
    let candidates: Vec<usize> = (0..given.len())
        .filter(|i| lookup(HOMOPHONES, given[*i]).is_some())
        .collect();
    if let Some(i) = candidates.first().copied() {
        let i = if candidates.len() > 1 {
            *pick(rng, &candidates)
        } else {
            i
        };
        if let Some(alts) = lookup(HOMOPHONES, given[i]) {
            given[i] = *pick(rng, alts);
        }
    }
    let mut out = String::from(person.surname);
    out.extend(given.iter());
    out
}
