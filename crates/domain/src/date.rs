//! Dates (日期) as clerks type them: `1956-03-07`, `1956-3-7`, `1956/3/7`, `1956.3.7`,
//! `1956年3月7日`, `19560307`, full-width digits (全角数字), Chinese numerals
//! (`一九五六年三月七日`), optionally followed by a time as spreadsheets export it
//! (`1956-03-07 00:00:00`). A lunar-calendar date (农历), marked as such (`农历1950年3月4日`,
//! `阴历…`, `闰` for a leap month) or written in words only the lunar calendar uses (`初八`, `正月`,
//! `冬月`, `腊月`), is converted to the solar calendar (years 1901–2100).

use chrono::NaiveDate;
use thiserror::Error;

use crate::text::{digit_value, half_width};

/// Earliest year accepted by [`parse_date`].
pub const MIN_YEAR: i32 = 1880;
/// Latest year accepted by [`parse_date`].
pub const MAX_YEAR: i32 = 2100;

/// Error when a text cannot be read as a date (日期).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DateError {
    /// Nothing was given.
    #[error("日期为空 / date is empty")]
    Empty,
    /// The text is in none of the accepted formats.
    #[error("无法识别的日期格式 / unrecognised date format")]
    Unrecognised,
    /// The trailing time is malformed.
    #[error("日期后的时间格式错误 / malformed time after the date")]
    BadTime,
    /// The year is outside the accepted range.
    #[error(
        "年份{year}超出范围（{MIN_YEAR}–{MAX_YEAR}） / year {year} outside {MIN_YEAR}..={MAX_YEAR}"
    )]
    YearOutOfRange {
        /// The year given.
        year: i32,
    },
    /// The month or day cannot exist (month 13, 30 February …).
    #[error("日期不存在：{year}年{month}月{day}日 / impossible date: {year}-{month:02}-{day:02}")]
    Impossible {
        /// Year given.
        year: i32,
        /// Month given.
        month: u32,
        /// Day given.
        day: u32,
    },
}

/// Value of a Chinese digit character (〇 一 … 九, also 零 and ○).
fn chinese_digit(c: char) -> Option<u32> {
    Some(match c {
        '〇' | '○' | '零' => 0,
        '一' | '壹' => 1,
        '二' | '贰' | '两' => 2,
        '三' | '叁' => 3,
        '四' | '肆' => 4,
        '五' | '伍' => 5,
        '六' | '陆' => 6,
        '七' | '柒' => 7,
        '八' | '捌' => 8,
        '九' | '玖' => 9,
        _ => return None,
    })
}

/// Value of a digit, ASCII or Chinese.
fn any_digit(c: char) -> Option<u32> {
    digit_value(c).or_else(|| chinese_digit(c))
}

/// Reads a digit-by-digit number (`1956`, `一九五六`, `03`) of `min..=max` digits.
fn positional(text: &str, min: usize, max: usize) -> Option<u32> {
    let count = text.chars().count();
    if count < min || count > max {
        return None;
    }
    text.chars()
        .try_fold(0u32, |acc, c| Some(acc * 10 + any_digit(c)?))
}

/// Reads a month or day: positional digits (`7`, `07`, `〇七`) or Chinese numerals with
/// tens (`十`, `十二`, `二十七`, `廿七`, `卅一`).
fn small_number(text: &str) -> Option<u32> {
    if let Some(n) = positional(text, 1, 2) {
        return Some(n);
    }
    let chars: Vec<char> = text.chars().collect();
    let (tens, rest): (u32, &[char]) = match chars.as_slice() {
        ['十', rest @ ..] => (1, rest),
        ['廿', rest @ ..] => (2, rest),
        ['卅', rest @ ..] => (3, rest),
        [d, '十', rest @ ..] => (chinese_digit(*d).filter(|v| *v > 0)?, rest),
        _ => return None,
    };
    let units = match rest {
        [] => 0,
        [u] => chinese_digit(*u).filter(|v| *v > 0)?,
        _ => return None,
    };
    Some(tens * 10 + units)
}

/// Reads a date written with 年, 月 and 日 (or 号), in Arabic or Chinese numerals, whose month or
/// day may be missing: `一九五二年`, `1952年5月`, `一九五二年十二月廿三号`. Returns the year and the
/// month and day when given; `None` unless there is a four-digit year before 年 and every part
/// given reads as a number. Clerks write a year alone when that is all they know: the matcher
/// compares such a date on its year, where [`parse_date`] needs all three parts.
pub fn written_date_parts(text: &str) -> Option<(u32, Option<u32>, Option<u32>)> {
    let (year, rest) = text.split_once('年')?;
    let year = positional(year.trim(), 4, 4)?;
    let (month, rest) = match rest.split_once('月') {
        Some((month, rest)) => (Some(small_number(month.trim())?), rest),
        None => (None, rest),
    };
    let rest = rest.trim();
    let day = rest.strip_suffix(['日', '号', '號']).unwrap_or(rest).trim();
    let day = match day {
        "" => None,
        day => Some(small_number(day)?),
    };
    Some((year, month, day))
}

/// Year, month, day read from the date part (no time, no surrounding whitespace).
fn date_parts(text: &str) -> Option<(u32, u32, u32)> {
    if text.contains('年') {
        let (year, month, day) = written_date_parts(text)?;
        return Some((year, month?, day?));
    }
    if text.len() == 8 && text.bytes().all(|b| b.is_ascii_digit()) {
        return Some((
            positional(text.get(0..4)?, 4, 4)?,
            positional(text.get(4..6)?, 2, 2)?,
            positional(text.get(6..8)?, 2, 2)?,
        ));
    }
    let separator = text.chars().find(|c| !c.is_ascii_digit())?;
    if !matches!(separator, '-' | '/' | '.') {
        return None;
    }
    let mut parts = text.split(separator);
    let (Some(year), Some(month), Some(day), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let ascii = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !(ascii(year) && ascii(month) && ascii(day)) {
        return None;
    }
    Some((
        positional(year, 4, 4)?,
        positional(month, 1, 2)?,
        positional(day, 1, 2)?,
    ))
}

/// Is `text` a time of day: `H:MM`, `H:MM:SS` or `H:MM:SS.fff`?
fn is_time(text: &str) -> bool {
    let (clock, fraction) = match text.split_once('.') {
        Some((clock, fraction)) => (clock, Some(fraction)),
        None => (text, None),
    };
    if let Some(fraction) = fraction
        && (fraction.is_empty()
            || fraction.len() > 9
            || !fraction.bytes().all(|b| b.is_ascii_digit()))
    {
        return false;
    }
    let fields: Vec<&str> = clock.split(':').collect();
    let limits: &[u32] = match fields.len() {
        2 if fraction.is_none() => &[23, 59],
        3 => &[23, 59, 60],
        _ => return false,
    };
    fields
        .iter()
        .zip(limits)
        .enumerate()
        .all(|(i, (field, limit))| {
            let width_ok = if i == 0 {
                (1..=2).contains(&field.len())
            } else {
                field.len() == 2
            };
            width_ok
                && field.bytes().all(|b| b.is_ascii_digit())
                && field.parse::<u32>().is_ok_and(|v| v <= *limit)
        })
}

fn validate(year: u32, month: u32, day: u32) -> Result<NaiveDate, DateError> {
    let year = i32::try_from(year).map_err(|_| DateError::Unrecognised)?;
    if !(MIN_YEAR..=MAX_YEAR).contains(&year) {
        return Err(DateError::YearOutOfRange { year });
    }
    NaiveDate::from_ymd_opt(year, month, day).ok_or(DateError::Impossible { year, month, day })
}

/// The solar date of a lunar-calendar date (农历转公历) — `leap` for a leap month (闰月) — if it
/// exists (years 1901–2100).
pub fn lunar_to_solar(year: u32, month: u32, day: u32, leap: bool) -> Option<NaiveDate> {
    use chinese_lunisolar_calendar::LunisolarDate;
    let (y, m, d) = (
        u16::try_from(year).ok()?,
        u8::try_from(month).ok()?,
        u8::try_from(day).ok()?,
    );
    if !(1901..=2100).contains(&y) || m == 0 || d == 0 {
        return None;
    }
    Some(LunisolarDate::from_ymd(y, m, leap, d).ok()?.to_naive_date())
}

/// Marks of a lunar-calendar date.
const LUNAR_MARKS: [&str; 4] = ["农历", "農曆", "阴历", "陰曆"];
/// Words only lunar-calendar dates use, and what they stand for in a date.
const LUNAR_WORDS: [(&str, &str); 5] = [
    ("正月", "一月"),
    ("冬月", "十一月"),
    ("腊月", "十二月"),
    ("臘月", "十二月"),
    ("初", ""),
];

/// Whether a text is a lunar-calendar date (农历: marked as such, or written in words only the lunar
/// calendar uses); if so, the date in plain words (marks and `闰` removed, `腊月` → `十二月`, `初八`
/// → `八`, no whitespace) and whether the month is a leap month (闰月). The one place that knows
/// these words: the matcher reads raw dates with it too.
pub fn lunar_plain(text: &str) -> Option<(String, bool)> {
    let marked = LUNAR_MARKS.iter().any(|m| text.contains(m));
    if !marked && !LUNAR_WORDS.iter().any(|(w, _)| text.contains(w)) {
        return None;
    }
    let leap = text.contains(['闰', '閏']);
    let mut plain: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '闰' | '閏'))
        .collect();
    for mark in LUNAR_MARKS {
        plain = plain.replace(mark, "");
    }
    for (word, meaning) in LUNAR_WORDS {
        plain = plain.replace(word, meaning);
    }
    Some((plain, leap))
}

/// A lunar-calendar date converted to the solar calendar; `None` when the text is not one.
fn lunar_date(text: &str) -> Option<Result<NaiveDate, DateError>> {
    let (plain, leap) = lunar_plain(text)?;
    let Some((year, month, day)) = date_parts(&plain) else {
        return Some(Err(DateError::Unrecognised));
    };
    let solar = lunar_to_solar(year, month, day, leap).ok_or(DateError::Impossible {
        year: i32::try_from(year).unwrap_or(i32::MAX),
        month,
        day,
    });
    Some(solar.and_then(|d| {
        use chrono::Datelike;
        // The solar date is checked like any other (the year range).
        validate(d.year() as u32, d.month(), d.day())
    }))
}

/// Parses a date as clerks type it (see the module documentation). Rejects impossible
/// dates and years outside 1880..=2100; never panics.
pub fn parse_date(text: &str) -> Result<NaiveDate, DateError> {
    let normalised: String = text.trim().chars().map(half_width).collect();
    let normalised = normalised.trim();
    if normalised.is_empty() {
        return Err(DateError::Empty);
    }
    // Long texts are never dates; avoid working on them.
    if normalised.chars().count() > 64 {
        return Err(DateError::Unrecognised);
    }
    if let Some(lunar) = lunar_date(normalised) {
        return lunar;
    }
    // A date, then whitespace (or ISO `T`) and a time.
    let split = normalised
        .split_once(char::is_whitespace)
        .map(|(d, t)| (d, t.trim()))
        .or_else(|| {
            normalised
                .split_once('T')
                .filter(|(d, _)| d.ends_with(|c: char| c.is_ascii_digit()))
        });
    if let Some((date, time)) = split
        && let Some((y, m, d)) = date_parts(date)
    {
        return if is_time(time) {
            validate(y, m, d)
        } else {
            Err(DateError::BadTime)
        };
    }
    // Whitespace typed inside the date: `1956 年 3 月 7 日`, `1956 - 03 - 07`.
    let compact: String = normalised.chars().filter(|c| !c.is_whitespace()).collect();
    let (y, m, d) = date_parts(&compact).ok_or(DateError::Unrecognised)?;
    validate(y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn lunar_dates_are_converted() {
        // 农历 1950-03-04 is 1950-04-20; 腊月初八 of 1952 fell on 22 January 1953.
        for text in [
            "农历1950年3月4日",
            "农历 1950年三月初四",
            "阴历一九五〇年三月初四",
            "農曆1950年3月4日",
        ] {
            assert_eq!(parse_date(text), Ok(date(1950, 4, 20)), "{text}");
        }
        assert_eq!(parse_date("1952年腊月初八"), Ok(date(1953, 1, 22)));
        assert_eq!(parse_date("1952年正月初一"), Ok(date(1952, 1, 27)));
        // A leap month is another month: 1955 had a leap third month.
        assert_ne!(
            parse_date("农历1955年闰三月初一"),
            parse_date("农历1955年三月初一")
        );
        assert!(parse_date("农历1955年闰三月初一").is_ok());
        assert!(matches!(
            parse_date("农历1950年13月4日"),
            Err(DateError::Impossible { .. })
        ));
        assert_eq!(parse_date("农历"), Err(DateError::Unrecognised));
        assert!(parse_date("农历1850年3月4日").is_err());
    }

    #[test]
    fn accepted_formats() {
        let expected = date(1956, 3, 7);
        for text in [
            "1956-03-07",
            "1956-3-7",
            "1956/3/7",
            "1956/03/07",
            "1956.3.7",
            "1956年3月7日",
            "1956年03月07日",
            "1956年3月7号",
            "1956年3月7",
            "19560307",
            "１９５６－０３－０７",
            "１９５６年３月７日",
            "１９５６０３０７",
            "一九五六年三月七日",
            "一九五六年〇三月〇七日",
            "一九五六年3月7日",
            "1956-03-07 00:00:00",
            "1956-03-07 00:00",
            "1956/3/7 0:00:00",
            "1956-03-07T00:00:00",
            "1956-03-07 00:00:00.000",
            "1956年3月7日 00:00:00",
            " 1956-03-07\t",
            "1956 年 3 月 7 日",
            "1956 - 03 - 07",
        ] {
            assert_eq!(parse_date(text), Ok(expected), "{text}");
        }
    }

    #[test]
    fn chinese_numerals() {
        assert_eq!(
            parse_date("一九四九年十二月三十一日"),
            Ok(date(1949, 12, 31))
        );
        assert_eq!(parse_date("二〇〇〇年十月十日"), Ok(date(2000, 10, 10)));
        assert_eq!(parse_date("一九五〇年十一月二十日"), Ok(date(1950, 11, 20)));
        assert_eq!(parse_date("一九五○年一月廿七日"), Ok(date(1950, 1, 27)));
        assert_eq!(parse_date("一九五零年一月卅一日"), Ok(date(1950, 1, 31)));
        assert_eq!(parse_date("一九五六年三月十七日"), Ok(date(1956, 3, 17)));
        assert_eq!(parse_date("一九五六年三月二十九日"), Ok(date(1956, 3, 29)));
        assert_eq!(parse_date("一九五六年三月十日"), Ok(date(1956, 3, 10)));
        assert_eq!(parse_date("一九五六年三月一十日"), Ok(date(1956, 3, 10)));
        assert!(parse_date("一九五六年三月十十日").is_err());
        assert!(parse_date("一九五六年三月零十日").is_err());
        assert!(parse_date("五六年三月七日").is_err());
    }

    #[test]
    fn written_dates_may_lack_month_or_day() {
        assert_eq!(written_date_parts("一九五二年"), Some((1952, None, None)));
        assert_eq!(written_date_parts("1952年5月"), Some((1952, Some(5), None)));
        assert_eq!(
            written_date_parts("一九五二年十二月廿三號"),
            Some((1952, Some(12), Some(23)))
        );
        assert_eq!(
            written_date_parts("1952年 5月 23日"),
            Some((1952, Some(5), Some(23)))
        );
        assert_eq!(
            written_date_parts("1952年23日"),
            Some((1952, None, Some(23)))
        );
        // Not a written date: no 年, a two-digit year, a part that is no number, words after it.
        assert_eq!(written_date_parts("五月二十三日"), None);
        assert_eq!(written_date_parts("五二年五月"), None);
        assert_eq!(written_date_parts("1952年一百月"), None);
        assert_eq!(written_date_parts("1952年5月23日生"), None);
        // parse_date still wants all three parts.
        assert_eq!(parse_date("1952年5月"), Err(DateError::Unrecognised));
        assert_eq!(parse_date("一九五二年五月廿三號"), Ok(date(1952, 5, 23)));
    }

    #[test]
    fn rejects() {
        use DateError::*;
        assert_eq!(parse_date(""), Err(Empty));
        assert_eq!(parse_date(" \u{3000} "), Err(Empty));
        assert_eq!(
            parse_date("1956-02-30"),
            Err(Impossible {
                year: 1956,
                month: 2,
                day: 30
            })
        );
        assert_eq!(
            parse_date("1957-02-29"),
            Err(Impossible {
                year: 1957,
                month: 2,
                day: 29
            })
        );
        assert_eq!(
            parse_date("1956-13-01"),
            Err(Impossible {
                year: 1956,
                month: 13,
                day: 1
            })
        );
        assert_eq!(
            parse_date("1956-00-10"),
            Err(Impossible {
                year: 1956,
                month: 0,
                day: 10
            })
        );
        assert_eq!(
            parse_date("19560230"),
            Err(Impossible {
                year: 1956,
                month: 2,
                day: 30
            })
        );
        assert_eq!(parse_date("1879-12-31"), Err(YearOutOfRange { year: 1879 }));
        assert_eq!(parse_date("2101-01-01"), Err(YearOutOfRange { year: 2101 }));
        assert_eq!(parse_date("0000-01-01"), Err(YearOutOfRange { year: 0 }));
        assert_eq!(parse_date("1880-01-01"), Ok(date(1880, 1, 1)));
        assert_eq!(parse_date("2100-12-31"), Ok(date(2100, 12, 31)));
        assert_eq!(parse_date("1956-03-07 25:00:00"), Err(BadTime));
        assert_eq!(parse_date("1956-03-07 lunch"), Err(BadTime));
        for text in [
            "1956-03",
            "1956年3月",
            "56-03-07",
            "7/3/1956",
            "1956-03/07",
            "1956--03-07",
            "1956-003-07",
            "1956-03-07-01",
            "19560307 1",
            "1956037",
            "abc",
            "😀",
            "1956-03-07😀",
            "\u{0}",
            "1956\u{7}-03-07",
            "１９５６－３－７－",
            "1956年3月7日日",
        ] {
            assert!(parse_date(text).is_err(), "{text}");
        }
        assert_eq!(parse_date(&"1".repeat(1_000_000)), Err(Unrecognised));
    }

    #[test]
    fn errors_display_bilingual() {
        let e = parse_date("1956-02-30").unwrap_err().to_string();
        assert_eq!(e, "日期不存在：1956年2月30日 / impossible date: 1956-02-30");
        let e = parse_date("1800-01-01").unwrap_err().to_string();
        assert_eq!(
            e,
            "年份1800超出范围（1880–2100） / year 1800 outside 1880..=2100"
        );
        assert_eq!(DateError::Empty.to_string(), "日期为空 / date is empty");
    }
}
