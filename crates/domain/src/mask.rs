//! Masking (脱敏) of personal information for display and logs, as PIPL (个人信息保护法)
//! expects: ID numbers keep the first 6 and last 4 characters, mobiles the first 3 and last 4
//! digits, landlines the first 4 digits, names the first character.
//!
//! All functions are char-aware, never panic and return exactly as many characters as given
//! (whitespace and separators stay where they are).

use crate::phone::{Phone, PhoneKind, Segment, is_list_separator, segment_piece};
use crate::text::half_width;

const MASK: char = '*';

/// Keeps the first `head` and the last `tail` non-whitespace characters, masks the other
/// non-whitespace characters; masks everything (but whitespace) when fewer than
/// `head + tail + 1` characters would be left, so something is always hidden.
fn keep_ends(text: &str, head: usize, tail: usize) -> String {
    let significant = text.chars().filter(|c| !c.is_whitespace()).count();
    let reveal = significant > head + tail;
    let mut index = 0;
    text.chars()
        .map(|c| {
            if c.is_whitespace() {
                return c;
            }
            let keep = reveal && (index < head || index >= significant - tail);
            index += 1;
            if keep { c } else { MASK }
        })
        .collect()
}

/// Masks an ID number (身份证号): first 6 and last 4 characters visible, the middle as `*`,
/// e.g. `310101********123X`. Texts of 10 characters or fewer are masked entirely.
pub fn mask_id(text: &str) -> String {
    keep_ends(text, 6, 4)
}

/// Masks a name (姓名): keeps the first character, masks the rest: `张三` → `张*`,
/// `欧阳明华` → `欧***`. Whitespace is kept.
pub fn mask_name(text: &str) -> String {
    let mut seen_first = false;
    text.chars()
        .map(|c| {
            if c.is_whitespace() {
                c
            } else if seen_first {
                MASK
            } else {
                seen_first = true;
                c
            }
        })
        .collect()
}

/// Is this character a digit slot of a phone (digit or mask)?
fn is_slot(c: char) -> bool {
    let c = half_width(c);
    c.is_ascii_digit() || c == '*'
}

/// Masks one recognised phone in place: digits of the national number beyond the visible
/// ones become `*`; prefixes (+86, 021) and formatting stay.
fn mask_phone_in_place(text: &str, phone: &Phone, out: &mut String) {
    let slots = text.chars().filter(|c| is_slot(*c)).count();
    // (length of the national number, visible head, visible tail)
    let (len, head, tail) = match phone.kind() {
        PhoneKind::Mobile | PhoneKind::MaskedMobile => (11, 3, 4),
        PhoneKind::Landline => (8, 4, 0),
    };
    let first = slots.saturating_sub(len);
    let mut index = 0;
    for c in text.chars() {
        if !is_slot(c) {
            out.push(c);
            continue;
        }
        let position = index;
        index += 1;
        let in_number = position >= first;
        let offset = position.saturating_sub(first);
        if !in_number || offset < head || offset >= len - tail {
            out.push(c);
        } else {
            out.push(MASK);
        }
    }
}

/// Masks letters and digits of a text that is no phone.
fn mask_all(text: &str, out: &mut String) {
    out.extend(
        text.chars()
            .map(|c| if c.is_alphanumeric() { MASK } else { c }),
    );
}

/// Masks a phone cell (联系电话): mobiles keep the first 3 and last 4 digits (`138****5678`),
/// Shanghai landlines the first 4 (`6321****`); prefixes and formatting are kept, and each
/// phone of a list is masked on its own. Anything that is not a phone has all letters and
/// digits masked.
pub fn mask_phone(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        let (piece, separator, next) = match rest
            .char_indices()
            .find(|(_, c)| is_list_separator(half_width(*c)))
        {
            Some((i, c)) => (
                rest.get(..i).unwrap_or_default(),
                Some(c),
                rest.get(i + c.len_utf8()..).unwrap_or_default(),
            ),
            None => (rest, None, ""),
        };
        mask_piece(piece, &mut out);
        match separator {
            Some(c) => out.push(c),
            None => break,
        }
        rest = next;
    }
    out
}

fn mask_piece(piece: &str, out: &mut String) {
    let mut done = 0;
    for segment in segment_piece(piece, false) {
        let (start, end) = match &segment {
            Segment::Phone { start, end, .. } | Segment::Junk { start, end, .. } => (*start, *end),
        };
        // Whitespace between segments.
        out.push_str(piece.get(done..start).unwrap_or_default());
        let part = piece.get(start..end).unwrap_or_default();
        match &segment {
            Segment::Phone { phone, .. } => mask_phone_in_place(part, phone, out),
            Segment::Junk { .. } => mask_all(part, out),
        }
        done = end;
    }
    out.push_str(piece.get(done..).unwrap_or_default());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        assert_eq!(mask_id("31010119491231123X"), "310101********123X");
        assert_eq!(mask_id("110105491231002"), "110105*****1002");
        assert_eq!(
            mask_id("１１０１０５１９４９１２３１００２Ｘ"),
            "１１０１０５********００２Ｘ"
        );
        assert_eq!(mask_id(" 31010119491231123X "), " 310101********123X ");
        assert_eq!(mask_id("1234567890"), "**********");
        assert_eq!(mask_id("12345678901"), "123456*8901");
        assert_eq!(mask_id(""), "");
        assert_eq!(mask_id("张"), "*");
    }

    #[test]
    fn names() {
        assert_eq!(mask_name("张三"), "张*");
        assert_eq!(mask_name("欧阳明华"), "欧***");
        assert_eq!(mask_name("张"), "张");
        assert_eq!(mask_name(""), "");
        assert_eq!(mask_name(" 李四"), " 李*");
        assert_eq!(mask_name("阿卜杜·热合曼"), "阿******");
        assert_eq!(mask_name("👨‍👩‍👧"), "👨****");
    }

    #[test]
    fn phones() {
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("138 1234 5678"), "138 **** 5678");
        assert_eq!(mask_phone("+86 138-1234-5678"), "+86 138-****-5678");
        assert_eq!(mask_phone("8613812345678"), "86138****5678");
        assert_eq!(mask_phone("138****5678"), "138****5678");
        assert_eq!(mask_phone("63211234"), "6321****");
        assert_eq!(mask_phone("021-6321 1234"), "021-6321 ****");
        assert_eq!(mask_phone("(021)63211234"), "(021)6321****");
        assert_eq!(mask_phone("１３８１２３４５６７８"), "１３８****５６７８");
        assert_eq!(
            mask_phone("13812345678、021 6321 1234；13912345678 63215678"),
            "138****5678、021 6321 ****；139****5678 6321****"
        );
        assert_eq!(mask_phone("张先生13812345678"), "**************");
        assert_eq!(mask_phone("1234567"), "*******");
        assert_eq!(mask_phone("13812345678 abc"), "138****5678 ***");
        assert_eq!(mask_phone(""), "");
        assert_eq!(mask_phone("、、"), "、、");
    }

    #[test]
    fn keeps_char_count() {
        for text in [
            "13812345678 😀",
            "张三 李四",
            "\u{0}\u{7}",
            "ａｂｃ、；",
            "310101＊＊123",
        ] {
            for f in [mask_id, mask_name, mask_phone] {
                assert_eq!(f(text).chars().count(), text.chars().count(), "{text}");
            }
        }
    }
}
