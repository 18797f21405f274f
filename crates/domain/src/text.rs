//! Small text helpers shared by the parsers (private).

/// Maps a full-width (全角) ASCII variant to its half-width form and the ideographic
/// space (全角空格) to an ASCII space; every other character is returned unchanged.
pub(crate) fn half_width(c: char) -> char {
    match c {
        '\u{3000}' => ' ',
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

/// Dashes clerks type between digit groups: ASCII hyphen and the common Unicode dashes.
pub(crate) fn is_dash(c: char) -> bool {
    matches!(
        c,
        '-' | '\u{2010}'
            | '\u{2011}'
            | '\u{2012}'
            | '\u{2013}'
            | '\u{2014}'
            | '\u{2212}'
            | '\u{FE63}'
    )
}

/// Value of an ASCII digit character.
pub(crate) fn digit_value(c: char) -> Option<u32> {
    if c.is_ascii_digit() {
        c.to_digit(10)
    } else {
        None
    }
}

/// Shortens `text` for inclusion in an error message (at most `max` characters, then `…`).
pub(crate) fn excerpt(text: &str, max: usize) -> String {
    let mut out: String = text.chars().take(max).collect();
    if text.chars().nth(max).is_some() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_width_maps_to_ascii() {
        assert_eq!(half_width('０'), '0');
        assert_eq!(half_width('９'), '9');
        assert_eq!(half_width('Ｘ'), 'X');
        assert_eq!(half_width('＊'), '*');
        assert_eq!(half_width('（'), '(');
        assert_eq!(half_width('\u{3000}'), ' ');
        assert_eq!(half_width('张'), '张');
    }

    #[test]
    fn excerpt_is_char_aware() {
        assert_eq!(excerpt("张三李四", 2), "张三…");
        assert_eq!(excerpt("张三", 2), "张三");
        assert_eq!(excerpt("", 2), "");
    }
}
