//! Contact phone numbers (联系电话): mainland mobiles (手机), Shanghai landlines (上海固定电话)
//! and masked mobiles (脱敏手机号) such as `138****5678`.

use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::text::{half_width, is_dash};

/// Error when a text cannot be read as a phone number (电话号码).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PhoneError {
    /// Nothing was given.
    #[error("电话号码为空 / phone number is empty")]
    Empty,
    /// A character that has no place in a phone number.
    #[error("电话号码含非法字符 {ch:?} / invalid character {ch:?} in phone number")]
    InvalidCharacter {
        /// The offending character.
        ch: char,
    },
    /// `+`, parentheses or masks in the wrong place.
    #[error("电话号码格式错误 / malformed phone number")]
    Malformed,
    /// An international number outside mainland China.
    #[error("非中国大陆号码 / not a mainland China number")]
    NotMainland,
    /// A landline with an area code other than 021.
    #[error("非上海固定电话 / not a Shanghai landline")]
    NotShanghaiLandline,
    /// 11 digits starting with 1 but not a valid mobile prefix (1[3-9]).
    #[error("手机号码格式错误 / malformed mobile number")]
    InvalidMobile,
    /// 8 digits that cannot be a Shanghai landline (first digit 0 or 1).
    #[error("固定电话号码格式错误 / malformed landline number")]
    InvalidLandline,
    /// A mask (`*`) that does not leave a mobile's first three digits visible.
    #[error("遮盖的电话号码格式错误 / malformed masked phone number")]
    InvalidMask,
    /// A number of digits that fits no accepted form.
    #[error("电话号码位数不对（{digits}位） / wrong number of digits in phone number ({digits})")]
    WrongLength {
        /// Number of digits (and masks) after removing prefixes.
        digits: usize,
    },
}

/// The kind of a [`Phone`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhoneKind {
    /// 手机, 11-digit mainland mobile.
    Mobile,
    /// 固定电话, 8-digit Shanghai landline (area code 021 implied).
    Landline,
    /// 脱敏手机号, a mobile with hidden digits, e.g. `138****5678`.
    MaskedMobile,
}

/// A validated contact phone (联系电话).
///
/// `Debug` shows only a masked form; `Display` shows [`Phone::canonical`]. Serialised as the
/// canonical form.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone {
    canonical: String,
    kind: PhoneKind,
}

fn validate_mobile(digits: &str) -> Result<Phone, PhoneError> {
    let bytes = digits.as_bytes();
    if bytes.len() != 11 {
        return Err(PhoneError::WrongLength {
            digits: bytes.len(),
        });
    }
    let head = bytes.get(..3).unwrap_or_default();
    if head.contains(&b'*') {
        return Err(PhoneError::InvalidMask);
    }
    if !matches!(head, [b'1', b'3'..=b'9', b'0'..=b'9']) {
        return Err(PhoneError::InvalidMobile);
    }
    let kind = if bytes.contains(&b'*') {
        PhoneKind::MaskedMobile
    } else {
        PhoneKind::Mobile
    };
    Ok(Phone {
        canonical: digits.to_owned(),
        kind,
    })
}

fn validate_landline(digits: &str) -> Result<Phone, PhoneError> {
    let bytes = digits.as_bytes();
    if bytes.contains(&b'*') {
        return Err(PhoneError::InvalidMask);
    }
    if bytes.len() != 8 {
        return Err(PhoneError::WrongLength {
            digits: bytes.len(),
        });
    }
    if !matches!(bytes.first(), Some(b'2'..=b'9')) {
        return Err(PhoneError::InvalidLandline);
    }
    Ok(Phone {
        canonical: digits.to_owned(),
        kind: PhoneKind::Landline,
    })
}

/// Removes one leading pair of parentheses around digits, e.g. `(021)`; rejects any other use.
fn remove_parentheses(text: &str) -> Result<String, PhoneError> {
    let opens = text.matches('(').count();
    let closes = text.matches(')').count();
    if opens == 0 && closes == 0 {
        return Ok(text.to_owned());
    }
    if opens != 1 || closes != 1 {
        return Err(PhoneError::Malformed);
    }
    let (Some(open), Some(close)) = (text.find('('), text.find(')')) else {
        return Err(PhoneError::Malformed);
    };
    let inner = text.get(open + 1..close).unwrap_or_default();
    if open != 0 || close < open || inner.is_empty() || !inner.bytes().all(|b| b.is_ascii_digit()) {
        return Err(PhoneError::Malformed);
    }
    Ok(text.chars().filter(|c| *c != '(' && *c != ')').collect())
}

impl Phone {
    /// Parses one phone number; see the module documentation for the accepted forms.
    ///
    /// Accepts optional `+86`, `0086`, `86` (before a mobile only), area code `021`, `(021)`,
    /// `021-`, spaces, dashes and full-width characters. Never panics.
    pub fn parse(text: &str) -> Result<Phone, PhoneError> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(PhoneError::Empty);
        }
        let mut cleaned = String::new();
        for raw in trimmed.chars() {
            let c = half_width(raw);
            match c {
                '0'..='9' | '*' | '+' | '(' | ')' => cleaned.push(c),
                c if c.is_whitespace() || is_dash(c) => {}
                _ => return Err(PhoneError::InvalidCharacter { ch: raw }),
            }
        }
        if cleaned.is_empty() {
            return Err(PhoneError::Empty);
        }
        let (international, rest) = if let Some(rest) = cleaned.strip_prefix("+86") {
            (true, rest)
        } else if cleaned.starts_with('+') {
            return Err(PhoneError::NotMainland);
        } else if let Some(rest) = cleaned.strip_prefix("0086") {
            (true, rest)
        } else if cleaned.starts_with("00") {
            return Err(PhoneError::NotMainland);
        } else {
            (false, cleaned.as_str())
        };
        if rest.contains('+') {
            return Err(PhoneError::Malformed);
        }
        let digits = remove_parentheses(rest)?;
        if digits.is_empty() {
            return Err(PhoneError::WrongLength { digits: 0 });
        }
        if international {
            // Mobiles start with 1 but never with 10 (Beijing's area code).
            if digits.starts_with('1') && !digits.starts_with("10") {
                return validate_mobile(&digits);
            }
            // +86 21 6321 1234, also the common +86 (0)21 …
            let national = digits.strip_prefix('0').unwrap_or(&digits);
            if let Some(local) = national.strip_prefix("21") {
                return validate_landline(local);
            }
            return Err(PhoneError::NotShanghaiLandline);
        }
        let len = digits.len();
        if len == 13
            && let Some(mobile) = digits.strip_prefix("86")
            && mobile.starts_with('1')
        {
            return validate_mobile(mobile);
        }
        if digits.starts_with('1') && len != 8 {
            return validate_mobile(&digits);
        }
        if let Some(local) = digits.strip_prefix("021") {
            return validate_landline(local);
        }
        if digits.starts_with('0') {
            // Another area code (010, 02x, 0xxx) followed by a 7- or 8-digit number.
            return if (10..=12).contains(&len) && !digits.contains('*') {
                Err(PhoneError::NotShanghaiLandline)
            } else {
                Err(PhoneError::WrongLength { digits: len })
            };
        }
        validate_landline(&digits)
    }

    /// The kind of number.
    pub fn kind(&self) -> PhoneKind {
        self.kind
    }

    /// Canonical form: 11 digits for a mobile, 8 digits (without 021) for a landline,
    /// `138****5678` style for a masked mobile.
    pub fn canonical(&self) -> &str {
        &self.canonical
    }

    /// The last four digits, when visible.
    pub fn last4(&self) -> Option<&str> {
        let start = self.canonical.len().checked_sub(4)?;
        let tail = self.canonical.get(start..)?;
        tail.bytes().all(|b| b.is_ascii_digit()).then_some(tail)
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.canonical)
    }
}

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Phone")
            .field("masked", &crate::mask::mask_phone(&self.canonical))
            .field("kind", &self.kind)
            .finish()
    }
}

impl std::str::FromStr for Phone {
    type Err = PhoneError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Phone::parse(s)
    }
}

impl TryFrom<String> for Phone {
    type Error = PhoneError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Phone::parse(&value)
    }
}

impl From<Phone> for String {
    fn from(value: Phone) -> Self {
        value.canonical
    }
}

/// Separators between several phones in one cell (whitespace is handled separately).
pub(crate) fn is_list_separator(c: char) -> bool {
    matches!(c, '、' | ';' | '；' | ',' | '，' | '/' | '／' | '\n' | '\r')
}

/// Most whitespace-separated tokens that may form one phone, e.g. `+86 21 - 6321 - 1234`.
const MAX_TOKENS_PER_PHONE: usize = 8;

/// Byte spans of the whitespace-separated tokens of `piece`.
fn token_spans(piece: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut start = None;
    for (i, c) in piece.char_indices() {
        if half_width(c).is_whitespace() {
            if let Some(s) = start.take() {
                spans.push((s, i));
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        spans.push((s, piece.len()));
    }
    spans
}

/// A stretch of a piece: one phone, or a token that forms no phone with its neighbours.
pub(crate) enum Segment {
    /// Bytes `start..end` of the piece hold one phone.
    Phone {
        start: usize,
        end: usize,
        phone: Phone,
    },
    /// Bytes `start..end` (one token) are no phone.
    Junk {
        start: usize,
        end: usize,
        error: PhoneError,
    },
}

/// Splits one piece (between list separators) into phones: whitespace separates phones only
/// where the neighbouring tokens do not form one phone together (longest match first).
/// With `stop_at_junk` the result ends at the first token that forms no phone.
pub(crate) fn segment_piece(piece: &str, stop_at_junk: bool) -> Vec<Segment> {
    let spans = token_spans(piece);
    let mut segments = Vec::new();
    let mut i = 0;
    while let Some(&(start, first_end)) = spans.get(i) {
        let longest = (spans.len() - i).min(MAX_TOKENS_PER_PHONE);
        let mut first_error = None;
        let mut found = None;
        for count in (1..=longest).rev() {
            let Some(&(_, end)) = spans.get(i + count - 1) else {
                continue;
            };
            match Phone::parse(piece.get(start..end).unwrap_or_default()) {
                Ok(phone) => {
                    found = Some((phone, end, count));
                    break;
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        match found {
            Some((phone, end, count)) => {
                segments.push(Segment::Phone { start, end, phone });
                i += count;
            }
            None => {
                segments.push(Segment::Junk {
                    start,
                    end: first_end,
                    error: first_error.unwrap_or(PhoneError::Empty),
                });
                if stop_at_junk {
                    break;
                }
                i += 1;
            }
        }
    }
    segments
}

/// Parses a cell holding several phones separated by `、` `;` `；` `,` `，` `/` or whitespace.
///
/// Duplicates (same canonical form) are removed, keeping the first; an empty cell gives an
/// empty list. `021 6321 1234` is one landline, `13812345678 13912345678` two mobiles.
pub fn parse_phone_list(text: &str) -> Result<Vec<Phone>, PhoneError> {
    let mut phones = Vec::new();
    for piece in text.split(|c| is_list_separator(half_width(c))) {
        let piece = piece.trim();
        if piece.is_empty() {
            continue;
        }
        for segment in segment_piece(piece, true) {
            match segment {
                Segment::Phone { phone, .. } => phones.push(phone),
                Segment::Junk { error, .. } => return Err(error),
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    phones.retain(|phone| seen.insert(phone.canonical.clone()));
    Ok(phones)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> Phone {
        match Phone::parse(text) {
            Ok(p) => p,
            Err(e) => panic!("{text:?}: {e}"),
        }
    }

    #[test]
    fn mobiles() {
        for text in [
            "13812345678",
            " 13812345678 ",
            "138 1234 5678",
            "138-1234-5678",
            "+8613812345678",
            "+86 138 1234 5678",
            "+86-13812345678",
            "008613812345678",
            "0086 138 1234 5678",
            "86 13812345678",
            "8613812345678",
            "１３８１２３４５６７８",
            "＋８６　１３８１２３４５６７８",
            "138－1234－5678",
        ] {
            let p = ok(text);
            assert_eq!(p.kind(), PhoneKind::Mobile, "{text}");
            assert_eq!(p.canonical(), "13812345678", "{text}");
            assert_eq!(p.last4(), Some("5678"));
        }
        for prefix in 3..=9 {
            assert!(Phone::parse(&format!("1{prefix}912345678")).is_ok());
        }
        assert_eq!(Phone::parse("12812345678"), Err(PhoneError::InvalidMobile));
        assert_eq!(Phone::parse("10012345678"), Err(PhoneError::InvalidMobile));
        assert_eq!(
            Phone::parse("1381234567"),
            Err(PhoneError::WrongLength { digits: 10 })
        );
        assert_eq!(
            Phone::parse("138123456789"),
            Err(PhoneError::WrongLength { digits: 12 })
        );
    }

    #[test]
    fn landlines() {
        for text in [
            "63211234",
            "6321 1234",
            "6321-1234",
            "021 6321 1234",
            "021-63211234",
            "02163211234",
            "(021)63211234",
            "(021) 6321-1234",
            "（０２１）６３２１１２３４",
            "+86 21 6321 1234",
            "+86 (21) 6321 1234",
            "+86 (0)21 6321 1234",
            "0086 21 63211234",
        ] {
            let p = ok(text);
            assert_eq!(p.kind(), PhoneKind::Landline, "{text}");
            assert_eq!(p.canonical(), "63211234", "{text}");
            assert_eq!(p.last4(), Some("1234"));
        }
        assert_eq!(
            Phone::parse("6321123"),
            Err(PhoneError::WrongLength { digits: 7 })
        );
        assert_eq!(Phone::parse("12345678"), Err(PhoneError::InvalidLandline));
        assert_eq!(
            Phone::parse("021-12345678"),
            Err(PhoneError::InvalidLandline)
        );
        assert_eq!(
            Phone::parse("010-63211234"),
            Err(PhoneError::NotShanghaiLandline)
        );
        assert_eq!(
            Phone::parse("0571 8888 1234"),
            Err(PhoneError::NotShanghaiLandline)
        );
        assert_eq!(
            Phone::parse("+86 10 6321 1234"),
            Err(PhoneError::NotShanghaiLandline)
        );
        // "86 " is accepted only before a mobile.
        assert!(Phone::parse("86 21 63211234").is_err());
        assert!(Phone::parse("021(6321)1234").is_err());
        assert!(Phone::parse("6321-1234 ext 8").is_err());
    }

    #[test]
    fn masked_mobiles() {
        for text in [
            "138****5678",
            "138 **** 5678",
            "+86 138****5678",
            "１３８＊＊＊＊５６７８",
        ] {
            let p = ok(text);
            assert_eq!(p.kind(), PhoneKind::MaskedMobile, "{text}");
            assert_eq!(p.canonical(), "138****5678");
            assert_eq!(p.last4(), Some("5678"));
        }
        assert_eq!(ok("1381234****").last4(), None);
        assert_eq!(Phone::parse("1**12345678"), Err(PhoneError::InvalidMask));
        assert_eq!(Phone::parse("6321****"), Err(PhoneError::InvalidMask));
        assert!(Phone::parse("138xxxx5678").is_err());
    }

    #[test]
    fn other_errors() {
        use PhoneError::*;
        assert_eq!(Phone::parse(""), Err(Empty));
        assert_eq!(Phone::parse("  "), Err(Empty));
        assert_eq!(Phone::parse("--"), Err(Empty));
        assert_eq!(Phone::parse("abc"), Err(InvalidCharacter { ch: 'a' }));
        assert_eq!(
            Phone::parse("电话13812345678"),
            Err(InvalidCharacter { ch: '电' })
        );
        assert_eq!(
            Phone::parse("📞13812345678"),
            Err(InvalidCharacter { ch: '📞' })
        );
        assert_eq!(Phone::parse("+1 415 555 1234"), Err(NotMainland));
        assert_eq!(Phone::parse("001 415 555 1234"), Err(NotMainland));
        assert_eq!(Phone::parse("138+12345678"), Err(Malformed));
        assert_eq!(Phone::parse("(138"), Err(Malformed));
        assert_eq!(Phone::parse("+86"), Err(WrongLength { digits: 0 }));
        assert_eq!(
            Phone::parse(&"1".repeat(1_000_000)),
            Err(WrongLength { digits: 1_000_000 })
        );
    }

    #[test]
    fn errors_display_bilingual() {
        for e in [
            PhoneError::Empty,
            PhoneError::InvalidCharacter { ch: 'a' },
            PhoneError::Malformed,
            PhoneError::NotMainland,
            PhoneError::NotShanghaiLandline,
            PhoneError::InvalidMobile,
            PhoneError::InvalidLandline,
            PhoneError::InvalidMask,
            PhoneError::WrongLength { digits: 7 },
        ] {
            let s = e.to_string();
            let (zh, en) = s.split_once(" / ").unwrap();
            assert!(!zh.is_ascii(), "{s}");
            assert!(en.is_ascii(), "{s}");
        }
        assert_eq!(
            PhoneError::NotShanghaiLandline.to_string(),
            "非上海固定电话 / not a Shanghai landline"
        );
    }

    #[test]
    fn lists() {
        let canon = |text: &str| -> Vec<String> {
            parse_phone_list(text)
                .unwrap()
                .iter()
                .map(|p| p.canonical().to_owned())
                .collect()
        };
        assert!(parse_phone_list("").unwrap().is_empty());
        assert!(parse_phone_list("  、 ;").unwrap().is_empty());
        assert_eq!(canon("021 6321 1234"), ["63211234"]);
        assert_eq!(
            canon("13812345678 13912345678"),
            ["13812345678", "13912345678"]
        );
        assert_eq!(
            canon("13812345678、63211234；13912345678,021-63215678，138****5678/86 13712345678"),
            [
                "13812345678",
                "63211234",
                "13912345678",
                "63215678",
                "138****5678",
                "13712345678"
            ]
        );
        assert_eq!(
            canon("13812345678、138 1234 5678; +8613812345678"),
            ["13812345678"]
        );
        assert_eq!(
            canon("021 6321 1234 138 1234 5678"),
            ["63211234", "13812345678"]
        );
        assert_eq!(
            canon("+86 138 1234 5678   6321 1234"),
            ["13812345678", "63211234"]
        );
        assert_eq!(
            canon("13812345678\n13912345678"),
            ["13812345678", "13912345678"]
        );
        assert_eq!(
            parse_phone_list("13812345678、1234567"),
            Err(PhoneError::WrongLength { digits: 7 })
        );
        assert_eq!(
            parse_phone_list("13812345678 abc"),
            Err(PhoneError::InvalidCharacter { ch: 'a' })
        );
        assert_eq!(
            parse_phone_list("021 6321 12345"),
            Err(PhoneError::WrongLength { digits: 9 })
        );
        assert!(parse_phone_list("010-63211234、13812345678").is_err());
    }

    #[test]
    fn big_list_is_fast() {
        let text = (0..50_000)
            .map(|i| format!("139{:08}", i))
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(parse_phone_list(&text).unwrap().len(), 50_000);
    }

    #[test]
    fn debug_masks_and_serde_round_trips() {
        let p = ok("+86 138 1234 5678");
        let debug = format!("{p:?}");
        assert!(!debug.contains("1234"), "{debug}");
        assert_eq!(p.to_string(), "13812345678");
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(json, "\"13812345678\"");
        assert_eq!(serde_json::from_str::<Phone>(&json).unwrap(), p);
        let m = ok("138****5678");
        assert_eq!(
            serde_json::from_str::<Phone>(&serde_json::to_string(&m).unwrap()).unwrap(),
            m
        );
        assert!(serde_json::from_str::<Phone>("\"1234\"").is_err());
        assert_eq!(
            "63211234".parse::<Phone>().unwrap().kind(),
            PhoneKind::Landline
        );
    }
}
