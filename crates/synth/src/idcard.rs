//! Resident ID numbers (居民身份证号码): 18-digit with the ISO 7064 MOD 11-2 check digit, legacy 15-digit (一代证),
//! and the masked, blank or mistyped forms they take in records.

use chrono::{Datelike, NaiveDate};
use rand::Rng;

use crate::text::{Rand, chance, pick_index, push_num};

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK: [u8; 11] = *b"10X98765432";

/// The check digit (校验码) of the first 17 digits, or `None` if they are not 17 ASCII digits.
pub fn check_digit(first17: &str) -> Option<char> {
    let bytes = first17.as_bytes();
    if bytes.len() != 17 || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = bytes
        .iter()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    Some(char::from(CHECK[(sum % 11) as usize]))
}

/// A person's true identity number parts: region (行政区划代码), birth date and a three-digit sequence whose
/// parity gives the gender (odd = 男, even = 女).
#[derive(Clone, Debug)]
pub(crate) struct IdParts {
    pub region: &'static str,
    pub birth: NaiveDate,
    pub seq: u16,
}

impl IdParts {
    pub(crate) fn new(rng: &mut Rand, region: &'static str, birth: NaiveDate, male: bool) -> Self {
        let mut seq: u16 = rng.random_range(0..500) * 2;
        if male {
            seq += 1;
        }
        IdParts { region, birth, seq }
    }

    /// The valid 18-digit number.
    pub(crate) fn id18(&self) -> String {
        let mut s = String::with_capacity(18);
        self.push17(&mut s);
        let c = check_digit(&s).unwrap_or('0');
        s.push(c);
        s
    }

    fn push17(&self, s: &mut String) {
        let b = self.birth;
        s.push_str(self.region);
        push_num(s, b.year().max(0) as u64, 4);
        push_num(s, u64::from(b.month()), 2);
        push_num(s, u64::from(b.day()), 2);
        push_num(s, u64::from(self.seq), 3);
    }

    /// The legacy 15-digit number: two-digit year, no check digit.
    pub(crate) fn id15(&self) -> String {
        let b = self.birth;
        let mut s = String::with_capacity(15);
        s.push_str(self.region);
        push_num(&mut s, (b.year().max(0) % 100) as u64, 2);
        push_num(&mut s, u64::from(b.month()), 2);
        push_num(&mut s, u64::from(b.day()), 2);
        push_num(&mut s, u64::from(self.seq), 3);
        s
    }
}

/// How an ID number appears in one record.
#[derive(Clone, Copy, Debug)]
pub(crate) struct IdProfile {
    /// Probabilities of: masked, legacy 15-digit, blank, wrong check digit, one mistyped digit. The rest is the
    /// valid 18-digit number.
    pub masked: f64,
    pub legacy: f64,
    pub blank: f64,
    pub wrong_check: f64,
    pub typo: f64,
}

impl IdProfile {
    pub(crate) fn render(&self, rng: &mut Rand, parts: &IdParts, factor: f64) -> String {
        let f = factor;
        let ps = [
            self.masked * f,
            self.legacy * f,
            self.blank * f,
            self.wrong_check * f,
            self.typo * f,
        ];
        let total: f64 = ps.iter().sum();
        let scale = if total > 0.95 { 0.95 / total } else { 1.0 };
        let ps = ps.map(|p| p * scale);
        let form = pick_index(rng, &[ps[0], ps[1], ps[2], ps[3], ps[4], 1.0]);
        match form {
            0 => mask(rng, &parts.id18()),
            1 if parts.birth.year() < 2000 => parts.id15(),
            2 => String::new(),
            3 => {
                let mut s = parts.id18();
                let right = s.pop().unwrap_or('0');
                let wrong = loop {
                    let c = char::from(CHECK[rng.random_range(0..11)]);
                    if c != right {
                        break c;
                    }
                };
                s.push(wrong);
                s
            }
            4 => {
                // One digit of the sequence or the region mistyped; the check digit no longer fits.
                let mut b = parts.id18().into_bytes();
                let i = if chance(rng, 0.5) {
                    rng.random_range(14..17)
                } else {
                    rng.random_range(3..6)
                };
                let old = b[i];
                let new = loop {
                    let d = b'0' + rng.random_range(0..10u8);
                    if d != old {
                        break d;
                    }
                };
                b[i] = new;
                String::from_utf8(b).unwrap_or_default()
            }
            _ => parts.id18(),
        }
    }
}

/// Masked forms seen in extracts shared under PIPL: `310101********123X` and the like.
fn mask(rng: &mut Rand, id: &str) -> String {
    let (keep_front, keep_back) = match rng.random_range(0..10) {
        0..=5 => (6, 4),
        6 | 7 => (3, 4),
        8 => (10, 4),
        _ => (14, 0),
    };
    id.chars()
        .enumerate()
        .map(|(i, c)| {
            if i < keep_front || i >= 18 - keep_back {
                c
            } else {
                '*'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_check_digits() {
        // Published example numbers.
        assert_eq!(check_digit("11010519491231002"), Some('X'));
        assert_eq!(check_digit("44052418800101001"), Some('4'));
        assert_eq!(check_digit("1101051949123100"), None);
    }
}
