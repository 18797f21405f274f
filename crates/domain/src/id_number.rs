//! Resident identity numbers (居民身份证号码).
//!
//! Accepted forms (after trimming; full-width digits, `x`/`X`/`Ｘ` and `*`/`＊` are accepted):
//! - 18 characters: 17 digits and a check digit (校验码) `0`–`9` or `X`, ISO 7064 MOD 11-2.
//!   A wrong check digit is *not* an error: it is reported by [`IdNumber::check_digit_ok`]
//!   and [`IdNumber::cross_check`] so the caller can store it as a warning.
//! - 15 digits, the legacy (一代证) form: 6 region digits, `YYMMDD` in the 1900s and a 3-digit
//!   sequence. It is upgraded to 18 characters (century `19` inserted, check digit computed).
//! - masked (脱敏) forms of either length with `*` at the hidden positions, kept as partial IDs.
//!   `x` is never a mask.

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::code::Gender;
use crate::text::half_width;

/// Earliest birth year accepted in an ID number (same bound as [`crate::parse_date`]).
pub const MIN_BIRTH_YEAR: i32 = 1880;
/// Latest birth year accepted in an ID number.
pub const MAX_BIRTH_YEAR: i32 = 2100;

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS: [u8; 11] = *b"10X98765432";
const MASK: u8 = b'*';

/// Error when a text cannot be read as an ID number (身份证号).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum IdError {
    /// Nothing was given.
    #[error("身份证号为空 / ID number is empty")]
    Empty,
    /// Neither 18 nor 15 characters.
    #[error(
        "身份证号应为18位或15位，实际为{len}位 / ID number must have 18 or 15 characters, got {len}"
    )]
    WrongLength {
        /// Number of characters given (after trimming).
        len: usize,
    },
    /// A character other than a digit, `X` or the mask `*`.
    #[error(
        "身份证号第{position}位含非法字符 {ch:?} / invalid character {ch:?} at position {position} of the ID number"
    )]
    InvalidCharacter {
        /// 1-based position of the character.
        position: usize,
        /// The offending character.
        ch: char,
    },
    /// `X` anywhere but the last position of an 18-character ID.
    #[error(
        "身份证号第{position}位的X只能作为18位号码的校验码 / X at position {position} may only be the check digit of an 18-character ID number"
    )]
    MisplacedX {
        /// 1-based position of the `X`.
        position: usize,
    },
    /// The embedded birth date (出生日期) cannot exist.
    #[error("身份证号中的出生日期不存在 / impossible birth date in ID number")]
    ImpossibleBirthDate,
    /// Every position is masked.
    #[error("身份证号全部被遮盖 / every position of the ID number is masked")]
    FullyMasked,
}

/// The form an ID number was given in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdKind {
    /// 18-character ID (二代证号码), all positions visible.
    Full,
    /// 15-digit legacy ID (一代证号码), upgraded to 18.
    Legacy15,
    /// Masked (脱敏) ID with hidden positions.
    Masked,
}

/// A discrepancy between an ID number and other data on record; stored as a warning.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "warning")]
pub enum IdWarning {
    /// The check digit (校验码) does not match the 17 body digits.
    WrongCheckDigit,
    /// The birth date embedded in the ID differs from the birth date on record.
    BirthDateDisagrees {
        /// Birth date read from the ID number.
        in_id: NaiveDate,
        /// Birth date on record.
        given: NaiveDate,
    },
    /// The gender embedded in the ID differs from the gender on record.
    GenderDisagrees {
        /// Gender read from the ID number.
        in_id: Gender,
        /// Gender on record.
        given: Gender,
    },
}

impl fmt::Display for IdWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdWarning::WrongCheckDigit => {
                f.write_str("身份证号校验位错误 / wrong check digit in ID number")
            }
            IdWarning::BirthDateDisagrees { in_id, given } => write!(
                f,
                "身份证号中的出生日期 {in_id} 与登记的出生日期 {given} 不一致 / birth date {in_id} in ID number disagrees with recorded birth date {given}"
            ),
            IdWarning::GenderDisagrees { in_id, given } => write!(
                f,
                "身份证号中的性别（{}）与登记的性别（{}）不一致 / gender in ID number ({}) disagrees with recorded gender ({})",
                in_id.label_zh(),
                given.label_zh(),
                in_id.as_code(),
                given.as_code()
            ),
        }
    }
}

/// A resident identity number (居民身份证号码), full, legacy 15-digit or masked.
///
/// A value of this type is always well formed; the check digit may still be wrong
/// (see [`IdNumber::check_digit_ok`]). Equality is structural (it includes the text as
/// given); compare [`IdNumber::canonical`] to ask whether two values denote the same number.
///
/// `Debug` shows only a masked form, so that values may appear in logs; `Display` shows the
/// full canonical form. Serialised as the text as given.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IdNumber {
    given: String,
    /// Always 18 ASCII bytes: digits, `X` (last position only) or `*`.
    canonical: String,
    kind: IdKind,
}

/// ISO 7064 MOD 11-2 check character of 17 body digits (given as ASCII digits).
fn check_char(body: &[u8]) -> Option<u8> {
    if body.len() != 17 {
        return None;
    }
    let mut sum = 0u32;
    for (b, w) in body.iter().zip(WEIGHTS) {
        if !b.is_ascii_digit() {
            return None;
        }
        sum += u32::from(b - b'0') * w;
    }
    CHECK_CHARS.get((sum % 11) as usize).copied()
}

/// Does `pattern` (ASCII digits and `*`) match the zero-padded decimal `value`?
fn matches_pattern(pattern: &[u8], value: u32) -> bool {
    let mut rest = value;
    for p in pattern.iter().rev() {
        let digit = b'0' + (rest % 10) as u8;
        rest /= 10;
        if *p != MASK && *p != digit {
            return false;
        }
    }
    rest == 0
}

/// The number written by `digits` (ASCII digits only), if it has no mask.
fn visible_number(digits: &[u8]) -> Option<u32> {
    digits.iter().try_fold(0u32, |n, d| {
        d.is_ascii_digit()
            .then(|| n.saturating_mul(10).saturating_add(u32::from(d - b'0')))
    })
}

/// Is there a real date in the accepted year range matching the `YYYYMMDD` pattern?
fn birth_date_possible(pattern: &[u8]) -> bool {
    let (Some(y), Some(m), Some(d)) = (pattern.get(0..4), pattern.get(4..6), pattern.get(6..8))
    else {
        return false;
    };
    // Fully visible (the common case): one date to check.
    if let (Some(year), Some(month), Some(day)) =
        (visible_number(y), visible_number(m), visible_number(d))
    {
        return i32::try_from(year).is_ok_and(|year| {
            (MIN_BIRTH_YEAR..=MAX_BIRTH_YEAR).contains(&year)
                && NaiveDate::from_ymd_opt(year, month, day).is_some()
        });
    }
    let years: Vec<i32> = (MIN_BIRTH_YEAR..=MAX_BIRTH_YEAR)
        .filter(|year| u32::try_from(*year).is_ok_and(|v| matches_pattern(y, v)))
        .collect();
    if years.is_empty() {
        return false;
    }
    (1..=12u32)
        .filter(|month| matches_pattern(m, *month))
        .any(|month| {
            (1..=31u32)
                .filter(|day| matches_pattern(d, *day))
                .any(|day| {
                    years
                        .iter()
                        .any(|year| NaiveDate::from_ymd_opt(*year, month, day).is_some())
                })
        })
}

impl IdNumber {
    /// Parses an ID number; see the module documentation for the accepted forms.
    ///
    /// Never panics; every malformed input yields an [`IdError`]. A wrong check digit is
    /// accepted (see [`IdNumber::check_digit_ok`]).
    pub fn parse(text: &str) -> Result<IdNumber, IdError> {
        let given = text.trim();
        if given.is_empty() {
            return Err(IdError::Empty);
        }
        let mut chars: Vec<u8> = Vec::with_capacity(18);
        for (index, raw) in given.chars().enumerate() {
            let position = index + 1;
            let c = half_width(raw);
            match c {
                '0'..='9' | '*' => chars.push(c as u8),
                'x' | 'X' => chars.push(b'X'),
                _ => return Err(IdError::InvalidCharacter { position, ch: raw }),
            }
            if chars.len() > 18 {
                return Err(IdError::WrongLength {
                    len: given.chars().count(),
                });
            }
        }
        let len = chars.len();
        if len != 18 && len != 15 {
            return Err(IdError::WrongLength { len });
        }
        for (index, c) in chars.iter().enumerate() {
            if *c == b'X' && !(len == 18 && index == 17) {
                return Err(IdError::MisplacedX {
                    position: index + 1,
                });
            }
        }
        if chars.iter().all(|c| *c == MASK) {
            return Err(IdError::FullyMasked);
        }
        let masked = chars.contains(&MASK);
        let canonical: Vec<u8> = if len == 18 {
            chars
        } else {
            let (region, rest) = chars.split_at(6);
            let mut upgraded = Vec::with_capacity(18);
            upgraded.extend_from_slice(region);
            upgraded.extend_from_slice(b"19");
            upgraded.extend_from_slice(rest);
            let check = if masked {
                MASK
            } else {
                check_char(&upgraded).unwrap_or(MASK)
            };
            upgraded.push(check);
            upgraded
        };
        let Some(date) = canonical.get(6..14) else {
            return Err(IdError::WrongLength { len });
        };
        if !birth_date_possible(date) {
            return Err(IdError::ImpossibleBirthDate);
        }
        let kind = if masked {
            IdKind::Masked
        } else if len == 15 {
            IdKind::Legacy15
        } else {
            IdKind::Full
        };
        let canonical = String::from_utf8(canonical).map_err(|_| IdError::WrongLength { len })?;
        Ok(IdNumber {
            given: given.to_owned(),
            canonical,
            kind,
        })
    }

    /// The form the number was given in.
    pub fn kind(&self) -> IdKind {
        self.kind
    }

    /// The trimmed text as given, kept for the record.
    pub fn as_given(&self) -> &str {
        &self.given
    }

    /// The 18-character canonical form: digits and uppercase `X`, with `*` at hidden positions
    /// (a masked 15-digit ID gets century `19` and a hidden check digit).
    pub fn canonical(&self) -> String {
        self.canonical.clone()
    }

    /// The canonical form, borrowed.
    pub fn canonical_str(&self) -> &str {
        &self.canonical
    }

    fn bytes(&self) -> &[u8] {
        self.canonical.as_bytes()
    }

    fn visible(&self, range: std::ops::Range<usize>) -> Option<&str> {
        let part = self.canonical.get(range)?;
        part.bytes().all(|b| b != MASK).then_some(part)
    }

    /// Whether the check digit matches the body; `None` when the check digit or any body digit
    /// is hidden. Always `Some(true)` for an upgraded legacy ID.
    pub fn check_digit_ok(&self) -> Option<bool> {
        let bytes = self.bytes();
        let given = *bytes.get(17)?;
        if given == MASK {
            return None;
        }
        let computed = check_char(bytes.get(..17)?)?;
        Some(computed == given)
    }

    /// The embedded birth date (出生日期), when all 8 positions are visible.
    pub fn birth_date(&self) -> Option<NaiveDate> {
        let text = self.visible(6..14)?;
        NaiveDate::parse_from_str(text, "%Y%m%d").ok()
    }

    /// The embedded birth year, when its 4 positions are visible.
    pub fn birth_year(&self) -> Option<i32> {
        self.visible(6..10)?.parse().ok()
    }

    /// The gender (性别) given by the 17th digit (odd = male), when visible.
    pub fn gender(&self) -> Option<Gender> {
        let digit = self.bytes().get(16)?;
        if !digit.is_ascii_digit() {
            return None;
        }
        Some(if (digit - b'0') % 2 == 1 {
            Gender::Male
        } else {
            Gender::Female
        })
    }

    /// The 6-digit administrative region code (行政区划代码), when visible.
    pub fn region_code(&self) -> Option<&str> {
        self.visible(0..6)
    }

    /// Compares the canonical forms on the positions visible in both:
    /// `(agreeing, compared)`, or `None` when no position is visible in both.
    pub fn visible_positions_agree(&self, other: &IdNumber) -> Option<(usize, usize)> {
        let mut agreeing = 0;
        let mut compared = 0;
        for (a, b) in self.bytes().iter().zip(other.bytes()) {
            if *a != MASK && *b != MASK {
                compared += 1;
                if a == b {
                    agreeing += 1;
                }
            }
        }
        (compared > 0).then_some((agreeing, compared))
    }

    /// Checks the ID against the birth date and gender on record; returns the warnings
    /// (empty when nothing disagrees or nothing can be compared).
    pub fn cross_check(
        &self,
        birth_date: Option<NaiveDate>,
        gender: Option<Gender>,
    ) -> Vec<IdWarning> {
        let mut warnings = Vec::new();
        if self.check_digit_ok() == Some(false) {
            warnings.push(IdWarning::WrongCheckDigit);
        }
        if let (Some(in_id), Some(given)) = (self.birth_date(), birth_date)
            && in_id != given
        {
            warnings.push(IdWarning::BirthDateDisagrees { in_id, given });
        }
        if let (Some(in_id), Some(given)) = (self.gender(), gender)
            && in_id != given
        {
            warnings.push(IdWarning::GenderDisagrees { in_id, given });
        }
        warnings
    }

    /// Age in whole years on `on`, when the birth date is visible and not after `on`.
    pub fn age_on(&self, on: NaiveDate) -> Option<u32> {
        on.years_since(self.birth_date()?)
    }
}

impl fmt::Display for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.canonical)
    }
}

impl fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdNumber")
            .field("masked", &crate::mask::mask_id(&self.canonical))
            .field("kind", &self.kind)
            .finish()
    }
}

impl std::str::FromStr for IdNumber {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        IdNumber::parse(s)
    }
}

impl TryFrom<String> for IdNumber {
    type Error = IdError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        IdNumber::parse(&value)
    }
}

impl From<IdNumber> for String {
    fn from(value: IdNumber) -> Self {
        value.given
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Independent check-digit computation: weight of position i is 2^(17-i) mod 11.
    fn reference_check(body17: &str) -> char {
        let sum: u64 = body17
            .chars()
            .enumerate()
            .map(|(i, c)| u64::from(c.to_digit(10).unwrap()) * ((1u64 << (17 - i)) % 11))
            .sum();
        let r = (12 - (sum % 11)) % 11;
        if r == 10 {
            'X'
        } else {
            char::from_digit(r as u32, 10).unwrap()
        }
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn reference_check_agrees_with_known_examples() {
        assert_eq!(reference_check("11010519491231002"), 'X');
        assert_eq!(reference_check("44052418800101001"), '4');
    }

    #[test]
    fn known_good_full_ids() {
        let id = IdNumber::parse("11010519491231002X").unwrap();
        assert_eq!(id.kind(), IdKind::Full);
        assert_eq!(id.check_digit_ok(), Some(true));
        assert_eq!(id.birth_date(), Some(date(1949, 12, 31)));
        assert_eq!(id.birth_year(), Some(1949));
        assert_eq!(id.gender(), Some(Gender::Female));
        assert_eq!(id.region_code(), Some("110105"));
        assert_eq!(id.canonical(), "11010519491231002X");
        assert_eq!(id.to_string(), "11010519491231002X");
        assert!(
            id.cross_check(Some(date(1949, 12, 31)), Some(Gender::Female))
                .is_empty()
        );

        let id = IdNumber::parse("440524188001010014").unwrap();
        assert_eq!(id.kind(), IdKind::Full);
        assert_eq!(id.check_digit_ok(), Some(true));
        assert_eq!(id.birth_date(), Some(date(1880, 1, 1)));
        assert_eq!(id.gender(), Some(Gender::Male));
        assert_eq!(id.age_on(date(1900, 1, 1)), Some(20));
    }

    #[test]
    fn accepts_case_full_width_and_whitespace() {
        for text in [
            "11010519491231002x",
            "  11010519491231002X\t",
            "１１０１０５１９４９１２３１００２Ｘ",
            "１１０１０５１９４９１２３１００２ｘ",
            "\u{3000}11010519491231002X\u{3000}",
        ] {
            let id = IdNumber::parse(text).unwrap();
            assert_eq!(id.canonical(), "11010519491231002X", "{text}");
            assert_eq!(id.kind(), IdKind::Full);
            assert_eq!(id.as_given(), text.trim());
        }
    }

    #[test]
    fn wrong_check_digit_is_a_warning_not_an_error() {
        let id = IdNumber::parse("110105194912310021").unwrap();
        assert_eq!(id.kind(), IdKind::Full);
        assert_eq!(id.check_digit_ok(), Some(false));
        assert_eq!(id.cross_check(None, None), vec![IdWarning::WrongCheckDigit]);
        assert_eq!(
            IdWarning::WrongCheckDigit.to_string(),
            "身份证号校验位错误 / wrong check digit in ID number"
        );
    }

    #[test]
    fn legacy_15_is_upgraded() {
        let id = IdNumber::parse("110105491231002").unwrap();
        assert_eq!(id.kind(), IdKind::Legacy15);
        assert_eq!(id.canonical(), "11010519491231002X");
        assert_eq!(id.as_given(), "110105491231002");
        assert_eq!(id.check_digit_ok(), Some(true));
        assert_eq!(id.birth_date(), Some(date(1949, 12, 31)));
        assert_eq!(id.gender(), Some(Gender::Female));

        let id = IdNumber::parse("310101560307123").unwrap();
        let body = "31010119560307123";
        assert_eq!(id.canonical(), format!("{body}{}", reference_check(body)));
        assert_eq!(id.gender(), Some(Gender::Male));
        // The upgraded form parses as a full ID.
        assert_eq!(
            IdNumber::parse(&id.canonical()).unwrap().kind(),
            IdKind::Full
        );
        assert_eq!(
            IdNumber::parse("110105491331002"),
            Err(IdError::ImpossibleBirthDate)
        );
    }

    #[test]
    fn masked_ids_are_partial() {
        let id = IdNumber::parse("310101********123X").unwrap();
        assert_eq!(id.kind(), IdKind::Masked);
        assert_eq!(id.canonical(), "310101********123X");
        assert_eq!(id.check_digit_ok(), None);
        assert_eq!(id.birth_date(), None);
        assert_eq!(id.birth_year(), None);
        assert_eq!(id.gender(), Some(Gender::Male));
        assert_eq!(id.region_code(), Some("310101"));
        assert!(
            id.cross_check(Some(date(1950, 1, 1)), Some(Gender::Male))
                .is_empty()
        );

        let id = IdNumber::parse("３１０１０１＊＊＊＊＊＊＊＊１２３ｘ").unwrap();
        assert_eq!(id.canonical(), "310101********123X");

        let id = IdNumber::parse("3101011956******24").unwrap();
        assert_eq!(id.birth_year(), Some(1956));
        assert_eq!(id.birth_date(), None);
        assert_eq!(id.gender(), Some(Gender::Female));
        let id = IdNumber::parse("3101011956********").unwrap();
        assert_eq!(id.gender(), None);

        let id = IdNumber::parse("******19491231002X").unwrap();
        assert_eq!(id.region_code(), None);
        assert_eq!(id.birth_date(), Some(date(1949, 12, 31)));
        assert_eq!(id.check_digit_ok(), None);

        // Masked 15-digit: century 19 inserted, check digit hidden.
        let id = IdNumber::parse("310101*****1234").unwrap();
        assert_eq!(id.kind(), IdKind::Masked);
        assert_eq!(id.canonical(), "31010119*****1234*");
        assert_eq!(id.birth_year(), None);
        assert_eq!(id.gender(), Some(Gender::Female));
        assert_eq!(id.check_digit_ok(), None);
    }

    #[test]
    fn errors() {
        use IdError::*;
        let cases: Vec<(String, IdError)> = vec![
            ("".into(), Empty),
            ("   ".into(), Empty),
            ("1234".into(), WrongLength { len: 4 }),
            ("1101051949123100".into(), WrongLength { len: 16 }),
            ("11010519491231002X1".into(), WrongLength { len: 19 }),
            // 17 characters: neither 18 nor 15.
            ("310101*******1234".into(), WrongLength { len: 17 }),
            ("9".repeat(1_000_000), WrongLength { len: 1_000_000 }),
            (
                "11010519491231002A".into(),
                InvalidCharacter {
                    position: 18,
                    ch: 'A',
                },
            ),
            (
                "110105 19491231002X".into(),
                InvalidCharacter {
                    position: 7,
                    ch: ' ',
                },
            ),
            (
                "😀".into(),
                InvalidCharacter {
                    position: 1,
                    ch: '😀',
                },
            ),
            (
                "11010519491231002\u{0}".into(),
                InvalidCharacter {
                    position: 18,
                    ch: '\u{0}',
                },
            ),
            (
                "一一0105194912310021".into(),
                InvalidCharacter {
                    position: 1,
                    ch: '一',
                },
            ),
            ("X10105194912310021".into(), MisplacedX { position: 1 }),
            ("11010549123100X".into(), MisplacedX { position: 15 }),
            ("110105194913310021".into(), ImpossibleBirthDate),
            ("110105194902300021".into(), ImpossibleBirthDate),
            ("110105195002290021".into(), ImpossibleBirthDate),
            ("110105194900100021".into(), ImpossibleBirthDate),
            ("110105170001010011".into(), ImpossibleBirthDate),
            ("110105300001010011".into(), ImpossibleBirthDate),
            ("310101****13**123X".into(), ImpossibleBirthDate),
            ("310101******32123X".into(), ImpossibleBirthDate),
            // February 3x is impossible whatever the hidden digit.
            ("310101****023*123X".into(), ImpossibleBirthDate),
            ("******************".into(), FullyMasked),
            ("＊＊＊＊＊＊＊＊＊＊＊＊＊＊＊".into(), FullyMasked),
        ];
        for (text, expected) in cases {
            assert_eq!(
                IdNumber::parse(&text),
                Err(expected),
                "{}",
                text.chars().take(30).collect::<String>()
            );
        }
        // Leap day in a leap year is fine; a possible masked date is fine.
        assert!(IdNumber::parse("110105195202290021").is_ok());
        assert!(IdNumber::parse("310101****02*1123X").is_ok());
        assert!(IdNumber::parse("310101****1*3*123X").is_ok());
    }

    #[test]
    fn error_display_is_bilingual() {
        assert_eq!(
            IdError::Empty.to_string(),
            "身份证号为空 / ID number is empty"
        );
        let e = IdNumber::parse("1234").unwrap_err().to_string();
        assert!(e.starts_with("身份证号应为18位或15位"), "{e}");
        assert!(
            e.contains(" / ID number must have 18 or 15 characters, got 4"),
            "{e}"
        );
    }

    #[test]
    fn visible_positions_agree_compares_common_positions() {
        let full = IdNumber::parse("11010519491231002X").unwrap();
        let masked = IdNumber::parse("110105********002X").unwrap();
        assert_eq!(full.visible_positions_agree(&masked), Some((10, 10)));
        assert_eq!(masked.visible_positions_agree(&full), Some((10, 10)));
        let other = IdNumber::parse("110105********003X").unwrap();
        assert_eq!(full.visible_positions_agree(&other), Some((9, 10)));
        assert_eq!(full.visible_positions_agree(&full), Some((18, 18)));
        let legacy = IdNumber::parse("110105491231002").unwrap();
        assert_eq!(full.visible_positions_agree(&legacy), Some((18, 18)));
        let a = IdNumber::parse("110105************").unwrap();
        let b = IdNumber::parse("******19491231002X").unwrap();
        assert_eq!(a.visible_positions_agree(&b), None);
    }

    #[test]
    fn cross_check_reports_disagreements() {
        let id = IdNumber::parse("110105194912310021").unwrap();
        let warnings = id.cross_check(Some(date(1950, 1, 1)), Some(Gender::Male));
        assert_eq!(
            warnings,
            vec![
                IdWarning::WrongCheckDigit,
                IdWarning::BirthDateDisagrees {
                    in_id: date(1949, 12, 31),
                    given: date(1950, 1, 1)
                },
                IdWarning::GenderDisagrees {
                    in_id: Gender::Female,
                    given: Gender::Male
                },
            ]
        );
        for w in &warnings {
            let s = w.to_string();
            let (zh, en) = s.split_once(" / ").unwrap();
            assert!(!zh.is_ascii() && !zh.is_empty(), "{s}");
            assert!(!en.is_empty(), "{s}");
        }
        assert!(warnings[1].to_string().contains("1949-12-31"));
        let ok = IdNumber::parse("11010519491231002X").unwrap();
        assert!(ok.cross_check(None, None).is_empty());
    }

    #[test]
    fn debug_does_not_leak_the_number() {
        let id = IdNumber::parse("11010519491231002X").unwrap();
        let debug = format!("{id:?}");
        assert!(!debug.contains("19491231"), "{debug}");
        assert!(debug.contains("110105********002X"), "{debug}");
    }

    #[test]
    fn from_str_and_serde() {
        let id: IdNumber = "110105491231002".parse().unwrap();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, "\"110105491231002\"");
        let back: IdNumber = serde_json::from_str(&json).unwrap();
        assert_eq!(back, id);
        assert!(serde_json::from_str::<IdNumber>("\"123\"").is_err());
        assert_eq!(
            serde_json::to_string(&IdKind::Legacy15).unwrap(),
            "\"legacy15\""
        );
        let w = IdWarning::GenderDisagrees {
            in_id: Gender::Male,
            given: Gender::Female,
        };
        let back: IdWarning = serde_json::from_str(&serde_json::to_string(&w).unwrap()).unwrap();
        assert_eq!(back, w);
    }
}
