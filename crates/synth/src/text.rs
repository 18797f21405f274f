//! Small helpers: seeded random choices and the ways clerks write numbers (数字写法).

use rand::Rng;
use rand_chacha::ChaCha8Rng;

pub(crate) type Rand = ChaCha8Rng;

/// True with probability `p` (clamped to [0, 1]).
pub(crate) fn chance(rng: &mut Rand, p: f64) -> bool {
    if p <= 0.0 {
        return false;
    }
    rng.random::<f64>() < p
}

/// One element of a non-empty slice.
pub(crate) fn pick<'a, T>(rng: &mut Rand, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

/// One string of a non-empty table of static strings.
pub(crate) fn pick_str(rng: &mut Rand, items: &[&'static str]) -> &'static str {
    items[rng.random_range(0..items.len())]
}

/// One element of a weighted, non-empty slice.
pub(crate) fn pick_weighted<'a, T>(
    rng: &mut Rand,
    items: &'a [T],
    weight: impl Fn(&T) -> u32,
) -> &'a T {
    let total: u32 = items.iter().map(&weight).sum();
    let mut x = rng.random_range(0..total.max(1));
    for item in items {
        let w = weight(item);
        if x < w {
            return item;
        }
        x -= w;
    }
    &items[items.len() - 1]
}

/// Index chosen according to the probabilities `ps` (the remainder goes to the last index).
pub(crate) fn pick_index(rng: &mut Rand, ps: &[f64]) -> usize {
    let mut x = rng.random::<f64>();
    for (i, p) in ps.iter().enumerate() {
        if x < *p {
            return i;
        }
        x -= p;
    }
    ps.len().saturating_sub(1)
}

/// Appends `n` in decimal, left-padded with zeros to `width` digits (no formatting machinery: this is hot).
pub(crate) fn push_num(out: &mut String, n: u64, width: usize) {
    let mut buf = [b'0'; 20];
    let mut i = buf.len();
    let mut n = n;
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let start = i.min(buf.len().saturating_sub(width));
    for &b in &buf[start..] {
        out.push(char::from(b));
    }
}

const CN_DIGITS: [char; 10] = ['零', '一', '二', '三', '四', '五', '六', '七', '八', '九'];

/// A count in Chinese numerals as used in addresses: 12 → 十二, 103 → 一百零三, 1589 → 一千五百八十九.
pub(crate) fn cn_count(n: u32, out: &mut String) {
    if n == 0 {
        out.push('零');
        return;
    }
    if n >= 10_000 {
        cn_digits(n, out);
        return;
    }
    let digits = [n / 1000, (n / 100) % 10, (n / 10) % 10, n % 10];
    let units = ['千', '百', '十', '\0'];
    let first = digits.iter().position(|d| *d != 0).unwrap_or(3);
    let mut pending_zero = false;
    for i in first..4 {
        let d = digits[i] as usize;
        if d == 0 {
            pending_zero = true;
            continue;
        }
        if pending_zero {
            out.push('零');
            pending_zero = false;
        }
        // 十二 rather than 一十二 when the number starts with the tens.
        if !(i == 2 && d == 1 && i == first) {
            out.push(CN_DIGITS[d]);
        }
        if units[i] != '\0' {
            out.push(units[i]);
        }
    }
}

/// A number read digit by digit, as room numbers are: 201 → 二〇一.
pub(crate) fn cn_digits(n: u32, out: &mut String) {
    for c in n.to_string().chars() {
        let d = c.to_digit(10).unwrap_or(0) as usize;
        out.push(if d == 0 { '〇' } else { CN_DIGITS[d] });
    }
}

/// Full-width digits (全角数字): 12 → １２.
pub(crate) fn fullwidth(n: u32, out: &mut String) {
    for c in n.to_string().chars() {
        let d = c.to_digit(10).unwrap_or(0);
        out.push(char::from_u32(0xFF10 + d).unwrap_or(c));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cn(n: u32) -> String {
        let mut s = String::new();
        cn_count(n, &mut s);
        s
    }

    #[test]
    fn chinese_counts() {
        assert_eq!(cn(3), "三");
        assert_eq!(cn(10), "十");
        assert_eq!(cn(12), "十二");
        assert_eq!(cn(20), "二十");
        assert_eq!(cn(103), "一百零三");
        assert_eq!(cn(110), "一百一十");
        assert_eq!(cn(1589), "一千五百八十九");
        assert_eq!(cn(1005), "一千零五");
        let mut s = String::new();
        push_num(&mut s, 7, 3);
        push_num(&mut s, 12345, 2);
        push_num(&mut s, 0, 1);
        assert_eq!(s, "007123450");
        s.clear();
        cn_digits(201, &mut s);
        assert_eq!(s, "二〇一");
        s.clear();
        fullwidth(12, &mut s);
        assert_eq!(s, "１２");
    }
}
