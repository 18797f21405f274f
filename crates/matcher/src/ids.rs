//! Comparison of resident ID numbers (身份证号) and phones (电话), built on the validated values of
//! `xunren-domain`: 18-digit, legacy 15-digit (upgraded) and masked IDs are compared on the positions visible in
//! both; mobiles and landlines are compared on their canonical form (with or without 021 / +86).

use xunren_domain::{IdNumber, Phone};

use crate::compare::ComparisonLevel;
use crate::normalize::edit_distance_capped;

/// The canonical 18-character form of an ID number as given (digits, `X`, `*` at masked positions), legacy
/// 15-digit numbers upgraded; `None` if it is not an ID number. Text already in canonical form is taken as is
/// (a fast path: parsing validates the birth date pattern, which is costly for millions of records).
pub fn canonical_id(text: &str) -> Option<String> {
    // Spaces and dashes between groups of digits (310101 19520523 123X) are not part of the number.
    let spaced;
    let mut t = text.trim();
    if t.contains(|c: char| c.is_whitespace() || c == '-') {
        spaced = t
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect::<String>();
        t = &spaced;
    }
    let b = t.as_bytes();
    if b.len() == 18
        && b[..17].iter().all(u8::is_ascii_digit)
        && (b[17].is_ascii_digit() || b[17] == b'X')
    {
        return Some(t.to_string());
    }
    IdNumber::parse(t).ok().map(|id| id.canonical())
}

fn visible_last4(id: &[u8]) -> bool {
    id.get(14..18).is_some_and(|s| !s.contains(&b'*'))
}

/// Compares two canonical IDs (see [`canonical_id`]) on the positions visible in both.
pub fn compare_canonical_ids(a: &str, b: &str) -> ComparisonLevel {
    use ComparisonLevel::*;
    let (x, y) = (a.as_bytes(), b.as_bytes());
    if x.is_empty() || y.is_empty() {
        return Missing;
    }
    if x.len() != 18 || y.len() != 18 {
        return if a.eq_ignore_ascii_case(b) {
            Exact
        } else {
            Different
        };
    }
    let masked = x.contains(&b'*') || y.contains(&b'*');
    let mut compared = 0usize;
    let mut agree = 0usize;
    for (p, q) in x.iter().zip(y) {
        if *p != b'*' && *q != b'*' {
            compared += 1;
            agree += usize::from(p == q);
        }
    }
    if !masked {
        if agree == 18 {
            return Exact;
        }
        if agree == 17 || edit_distance_capped(a, b, 1) <= 1 {
            return OneEdit;
        }
        // Two or three mistyped digits (or a typo plus a wrong check digit).
        if agree >= 15 || edit_distance_capped(a, b, 2) <= 2 {
            return FewDigitsDiffer;
        }
    } else if agree == compared
        && (compared >= 8 || (compared >= 4 && visible_last4(x) && visible_last4(y)))
    {
        // Every digit visible in both agrees. Masks that leave only a few digits (`310***********2859`, as some
        // registers print them) still show the last four with the check digit: agreement there is evidence for,
        // never against (its weight is term-frequency adjusted by the index where a fragment allows).
        return VisibleDigitsAgree;
    }
    fn region_birth(v: &[u8]) -> Option<&[u8]> {
        v.get(0..14).filter(|s| !s.contains(&b'*'))
    }
    if let (Some(p), Some(q)) = (region_birth(x), region_birth(y))
        && p == q
    {
        return IdRegionBirthAgree;
    }
    if masked {
        return Different;
    }
    // Two full numbers: the same birth date digits under another region code is a number reissued after a
    // move; anything else is another person's number, not a typo.
    if x.get(6..14) == y.get(6..14) {
        IdBirthAgree
    } else {
        ClearlyDifferent
    }
}

/// Compares two ID numbers as given (any form). Unparseable values fall back to a digit comparison.
pub fn compare_id_numbers(a: &str, b: &str) -> ComparisonLevel {
    use ComparisonLevel::*;
    match (canonical_id(a), canonical_id(b)) {
        (Some(x), Some(y)) => compare_canonical_ids(&x, &y),
        _ => {
            let da: String = a.chars().filter(char::is_ascii_alphanumeric).collect();
            let db: String = b.chars().filter(char::is_ascii_alphanumeric).collect();
            if da.is_empty() || db.is_empty() {
                Missing
            } else if da.eq_ignore_ascii_case(&db) {
                Exact
            } else if edit_distance_capped(&da, &db, 1) <= 1 {
                OneEdit
            } else {
                Different
            }
        }
    }
}

/// The canonical form of a phone as given ([`Phone::canonical`]: 11 digits for a mobile, 8 for a landline without
/// 021). A Shanghai landline of **seven** digits (with or without 021) was written before the numbers were upgraded
/// to eight digits on 25 November 1995 (电话升位) by putting 6 in front: it is read as that eight-digit number, which
/// is what staff would dial. `None` if the text is no phone.
pub fn canonical_phone(text: &str) -> Option<String> {
    if let Ok(phone) = Phone::parse(text) {
        return Some(phone.canonical().to_string());
    }
    let digits: String = text
        .chars()
        .map(crate::normalize::fold_width)
        .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '—' | '(' | ')'))
        .collect();
    // The country code written without + or 00 (86-21-6321 1234), which the validation of imports does not read
    // as a landline (86 before a mobile only).
    for prefix in ["8621", "86021"] {
        if let Some(local) = digits.strip_prefix(prefix)
            && local.len() == 8
            && let Ok(phone) = Phone::parse(local)
        {
            return Some(phone.canonical().to_string());
        }
    }
    let local = digits.strip_prefix("021").unwrap_or(&digits);
    let old = local.len() == 7
        && local.bytes().all(|b| b.is_ascii_digit())
        && matches!(local.as_bytes().first(), Some(b'2'..=b'9'));
    old.then(|| format!("6{local}"))
}

/// Compares two phone numbers as given. A masked mobile (`138****5678`) agrees with a full one when all visible
/// digits agree; an old seven-digit landline agrees with its eight-digit form ([`canonical_phone`]).
pub fn compare_phones(a: &str, b: &str) -> ComparisonLevel {
    use ComparisonLevel::*;
    match (canonical_phone(a), canonical_phone(b)) {
        (Some(cx), Some(cy)) => {
            let (cx, cy) = (cx.as_str(), cy.as_str());
            if cx == cy && !cx.contains('*') {
                return Exact;
            }
            if cx.len() == cy.len() && (cx.contains('*') || cy.contains('*')) {
                let agree = cx
                    .bytes()
                    .zip(cy.bytes())
                    .all(|(p, q)| p == b'*' || q == b'*' || p == q);
                return if agree { VisibleDigitsAgree } else { Different };
            }
            if edit_distance_capped(cx, cy, 1) <= 1 {
                OneEdit
            } else {
                Different
            }
        }
        _ => {
            let da: String = a.chars().filter(char::is_ascii_digit).collect();
            let db: String = b.chars().filter(char::is_ascii_digit).collect();
            if da.is_empty() || db.is_empty() {
                Missing
            } else if da == db {
                Exact
            } else {
                Different
            }
        }
    }
}

/// Canonical phone and its last four digits, for blocking keys; `None` if the text is not a phone.
pub fn phone_keys(text: &str) -> Option<(String, Option<String>)> {
    let canonical = canonical_phone(text)?;
    let last4 = canonical
        .get(canonical.len().saturating_sub(4)..)
        .filter(|t| t.len() == 4 && t.bytes().all(|b| b.is_ascii_digit()))
        .map(str::to_string);
    Some((canonical, last4))
}

/// Blocking fragments of an ID number: birth date part (`YYYYMMDD`) and the last four characters, when visible.
pub fn id_keys(text: &str) -> (Option<String>, Option<String>, Option<String>) {
    match canonical_id(text) {
        Some(c) => {
            let full = (!c.contains('*')).then(|| c.clone());
            let birth = c
                .get(6..14)
                .filter(|s| !s.contains('*'))
                .map(str::to_string);
            let last4 = c
                .get(14..18)
                .filter(|s| !s.contains('*'))
                .map(str::to_string);
            (full, birth, last4)
        }
        None => (None, None, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ComparisonLevel::*;

    #[test]
    fn ids() {
        let full = "310101195001011234";
        assert_eq!(compare_id_numbers(full, full), Exact);
        assert_eq!(compare_id_numbers(full, "310101 19500101 1234"), Exact);
        assert_eq!(canonical_id("310101-195001011234").as_deref(), Some(full));
        assert_eq!(
            compare_id_numbers(full, "310101********1234"),
            VisibleDigitsAgree
        );
        assert_eq!(compare_id_numbers(full, "310101********9999"), Different);
        assert_eq!(compare_id_numbers(full, ""), Missing);
        assert_eq!(compare_id_numbers(full, "310101195001011243"), OneEdit);
        assert_eq!(
            compare_id_numbers(full, "310101195001019999"),
            IdRegionBirthAgree
        );
        // Two full numbers: two typos, birth digits only, clearly another number.
        assert_eq!(
            compare_id_numbers(full, "310101195001011299"),
            FewDigitsDiffer
        );
        assert_eq!(compare_id_numbers(full, "320581195001015678"), IdBirthAgree);
        assert_eq!(
            compare_id_numbers(full, "310101197803154321"),
            ClearlyDifferent
        );
        // Masked numbers whose visible digits disagree stay `Different` (too few digits to be decisive).
        assert_eq!(compare_id_numbers(full, "310101********4321"), Different);
        // Masked down to the first three and the last four: agreement on what is visible, not a disagreement.
        assert_eq!(
            compare_id_numbers("310109195506182859", "310***********2859"),
            VisibleDigitsAgree
        );
        assert_eq!(
            compare_id_numbers("310109195506182859", "310***********2858"),
            Different
        );

        // A legacy 15-digit number is upgraded to 18 digits with the computed check digit.
        assert_eq!(
            compare_id_numbers("310101195001011236", "310101500101123"),
            Exact
        );
    }

    #[test]
    fn phones() {
        assert_eq!(compare_phones("13812345678", "+86 138 1234 5678"), Exact);
        assert_eq!(
            compare_phones("13812345678", "138****5678"),
            VisibleDigitsAgree
        );
        assert_eq!(compare_phones("63281234", "021-63281234"), Exact);
        // Before the 1995 upgrade (电话升位) the same line had seven digits.
        assert_eq!(compare_phones("3281234", "021-63281234"), Exact);
        assert_eq!(compare_phones("021-3281234", "63281234"), Exact);
        assert_eq!(compare_phones("3281234", "63281235"), OneEdit);
        assert_eq!(canonical_phone("1281234"), None);
        assert_eq!(
            canonical_phone("86-21-63281234").as_deref(),
            Some("63281234")
        );
        assert_eq!(
            phone_keys("3281234"),
            Some(("63281234".to_string(), Some("1234".to_string())))
        );
        assert_eq!(compare_phones("13812345678", "13912345670"), Different);
        assert_eq!(compare_phones("", "13912345670"), Missing);
    }
}
