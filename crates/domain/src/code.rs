//! Small coded values (代码值): gender, the role of a certificate holder, the housing type and
//! the contact status.
//!
//! Each enum parses the Chinese term clerks type as well as English snake_case aliases
//! (case-insensitive), stores a stable English code ([`Gender::as_code`] …) in the database
//! and displays its Chinese label.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::text::excerpt;

/// Error when a coded value (代码值) cannot be recognised.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CodeError {
    /// The text is empty.
    #[error("{what_zh}为空 / {what_en} is empty")]
    Empty {
        /// What was expected, in Chinese.
        what_zh: &'static str,
        /// What was expected, in English.
        what_en: &'static str,
    },
    /// The text is not one of the known terms.
    #[error("无法识别的{what_zh}：{given:?} / unrecognised {what_en}: {given:?}")]
    Unknown {
        /// What was expected, in Chinese.
        what_zh: &'static str,
        /// What was expected, in English.
        what_en: &'static str,
        /// The text given (shortened to a few characters).
        given: String,
    },
}

/// Normalises a code for lookup: trims, maps full-width characters, lowercases ASCII and
/// treats `-` and spaces inside like `_`.
fn normalise(text: &str) -> String {
    text.trim()
        .chars()
        .map(crate::text::half_width)
        .map(|c| match c {
            '-' | ' ' => '_',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

macro_rules! coded_enum {
    (
        $(#[$meta:meta])*
        $name:ident, $what_zh:literal, $what_en:literal,
        { $( $(#[$vmeta:meta])* $variant:ident => $code:literal, $label:literal, [$($alias:literal),* $(,)?] );+ $(;)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// Parses the Chinese term or an English alias (case-insensitive, trimmed).
            pub fn parse(text: &str) -> Result<Self, CodeError> {
                let key = normalise(text);
                if key.is_empty() {
                    return Err(CodeError::Empty { what_zh: $what_zh, what_en: $what_en });
                }
                $(
                    if key == $code || key == $label $(|| key == $alias)* {
                        return Ok($name::$variant);
                    }
                )+
                Err(CodeError::Unknown {
                    what_zh: $what_zh,
                    what_en: $what_en,
                    given: excerpt(text.trim(), 20),
                })
            }

            /// Stable English snake_case code, as stored in the database.
            pub fn as_code(&self) -> &'static str {
                match self { $( $name::$variant => $code, )+ }
            }

            /// Chinese label (中文名称).
            pub fn label_zh(&self) -> &'static str {
                match self { $( $name::$variant => $label, )+ }
            }
        }

        impl FromStr for $name {
            type Err = CodeError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.label_zh())
            }
        }
    };
}

coded_enum! {
    /// Gender (性别).
    Gender, "性别", "gender", {
        /// 男, male.
        Male => "male", "男", ["m", "男性", "男士"];
        /// 女, female.
        Female => "female", "女", ["f", "女性", "女士"];
    }
}

coded_enum! {
    /// Role (身份) of a person with respect to a certificate (权证).
    HolderRole, "身份", "holder role", {
        /// 承租人, tenant of record of public housing (公房).
        Tenant => "tenant", "承租人", ["公房承租人"];
        /// 产权人, owner of private housing (私房).
        Owner => "owner", "产权人", ["房屋产权人", "所有权人"];
        /// 同住人, co-resident with a stake in compensation.
        CoResident => "co_resident", "同住人", ["coresident", "共同居住人"];
        /// 单位, an organisation holding a certificate.
        Organisation => "organisation", "单位", ["organization"];
    }
}

coded_enum! {
    /// Housing type (房屋类型).
    HousingType, "房屋类型", "housing type", {
        /// 公房, public housing (rented, tenant of record).
        Public => "public", "公房", ["公有住房", "公有房屋"];
        /// 私房, private housing (owned).
        Private => "private", "私房", ["私有住房", "私有房屋"];
        /// 单位, housing held by an organisation.
        Organisation => "organisation", "单位", ["organization", "单位房", "单位产"];
    }
}

coded_enum! {
    /// Contact status (联系状态) of a person staff try to reach.
    ContactStatus, "联系状态", "contact status", {
        /// 已联系, contacted.
        Contacted => "contacted", "已联系", ["联系上", "已联系上"];
        /// 失联, lost contact (on the 失联名单).
        Lost => "lost", "失联", ["未联系", "联系不上", "未联系上"];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gender_parses_chinese_and_aliases() {
        for t in ["男", "male", "MALE", "m", "M", " 男 ", "男性"] {
            assert_eq!(Gender::parse(t), Ok(Gender::Male), "{t}");
        }
        for t in ["女", "female", "Female", "f", "F", "Ｆ"] {
            assert_eq!(Gender::parse(t), Ok(Gender::Female), "{t}");
        }
        assert!(matches!(Gender::parse(""), Err(CodeError::Empty { .. })));
        assert!(matches!(Gender::parse("x"), Err(CodeError::Unknown { .. })));
        assert_eq!(Gender::Male.as_code(), "male");
        assert_eq!(Gender::Female.label_zh(), "女");
        assert_eq!(Gender::Female.to_string(), "女");
        assert_eq!("男".parse::<Gender>(), Ok(Gender::Male));
    }

    #[test]
    fn holder_role_codes() {
        let cases = [
            ("承租人", HolderRole::Tenant, "tenant"),
            ("产权人", HolderRole::Owner, "owner"),
            ("同住人", HolderRole::CoResident, "co_resident"),
            ("单位", HolderRole::Organisation, "organisation"),
        ];
        for (zh, role, code) in cases {
            assert_eq!(HolderRole::parse(zh), Ok(role));
            assert_eq!(HolderRole::parse(code), Ok(role));
            assert_eq!(HolderRole::parse(&code.to_uppercase()), Ok(role));
            assert_eq!(role.as_code(), code);
            assert_eq!(role.label_zh(), zh);
            assert_eq!(role.to_string(), zh);
        }
        assert_eq!(HolderRole::parse("Co-Resident"), Ok(HolderRole::CoResident));
        assert_eq!(
            HolderRole::parse("organization"),
            Ok(HolderRole::Organisation)
        );
        assert!(HolderRole::parse("房东").is_err());
    }

    #[test]
    fn housing_type_codes() {
        let cases = [
            ("公房", HousingType::Public, "public"),
            ("私房", HousingType::Private, "private"),
            ("单位", HousingType::Organisation, "organisation"),
        ];
        for (zh, t, code) in cases {
            assert_eq!(HousingType::parse(zh), Ok(t));
            assert_eq!(HousingType::parse(code), Ok(t));
            assert_eq!(t.as_code(), code);
            assert_eq!(t.to_string(), zh);
        }
        assert!(HousingType::parse("商品房").is_err());
    }

    #[test]
    fn contact_status_codes() {
        for t in ["已联系", "联系上", "已联系上", "contacted", "CONTACTED"] {
            assert_eq!(ContactStatus::parse(t), Ok(ContactStatus::Contacted), "{t}");
        }
        for t in ["失联", "未联系", "联系不上", "lost", "Lost"] {
            assert_eq!(ContactStatus::parse(t), Ok(ContactStatus::Lost), "{t}");
        }
        assert_eq!(ContactStatus::Lost.as_code(), "lost");
        assert_eq!(ContactStatus::Contacted.to_string(), "已联系");
        assert!(ContactStatus::parse("在联系").is_err());
    }

    #[test]
    fn codes_round_trip_and_serde() {
        for g in Gender::ALL {
            assert_eq!(Gender::parse(g.as_code()), Ok(*g));
            assert_eq!(Gender::parse(g.label_zh()), Ok(*g));
        }
        for r in HolderRole::ALL {
            assert_eq!(HolderRole::parse(r.as_code()), Ok(*r));
            assert_eq!(HolderRole::parse(r.label_zh()), Ok(*r));
        }
        for h in HousingType::ALL {
            assert_eq!(HousingType::parse(h.as_code()), Ok(*h));
        }
        for c in ContactStatus::ALL {
            assert_eq!(ContactStatus::parse(c.as_code()), Ok(*c));
        }
    }

    #[test]
    fn error_display_is_bilingual_and_short() {
        let e = Gender::parse(&"x".repeat(10_000)).unwrap_err();
        let s = e.to_string();
        assert!(s.starts_with("无法识别的性别"));
        assert!(s.contains(" / unrecognised gender"));
        assert!(s.len() < 200);
        assert_eq!(
            Gender::parse(" ").unwrap_err().to_string(),
            "性别为空 / gender is empty"
        );
    }
}
