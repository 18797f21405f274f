//! # xunren-domain: validated domain values (领域值)
//!
//! This crate owns the small values every other part of xunren (寻人, the missing-resident
//! tracing engine for Shanghai old-town redevelopment, 旧区改造) reads from spreadsheets and
//! stores: resident identity numbers (居民身份证号码), contact phones (联系电话), dates
//! (日期), coded values such as gender (性别), holder role (身份), housing type (房屋类型) and
//! contact status (联系状态), and the masking (脱敏) of personal information.
//!
//! The rule is the one of *Zero To Production*: **a value that exists is valid**. Each type
//! has a `parse` constructor that checks the text as clerks type it (full-width digits,
//! Chinese numerals, prefixes, masks …) and returns either the value or a `thiserror` error
//! whose message is bilingual, Chinese first then English. Parsers never panic, whatever the
//! input (empty, 1 MB long, emoji, control characters).
//!
//! Soft problems that must not reject a record — a wrong ID check digit, a birth date on
//! record that disagrees with the ID — are reported as [`IdWarning`]s for the caller to store.
//!
//! ID numbers and whereabouts are sensitive personal information (个人信息保护法 art. 28):
//! `Debug` of [`IdNumber`] and [`Phone`] shows only masked forms, and [`mask`] offers the
//! masking used for display by default.
//!
//! ```
//! use xunren_domain::{Gender, IdKind, IdNumber, Phone, PhoneKind, mask_phone, parse_date};
//!
//! let id = IdNumber::parse("110105491231002").unwrap(); // legacy 15-digit (一代证)
//! assert_eq!(id.kind(), IdKind::Legacy15);
//! assert_eq!(id.canonical(), "11010519491231002X");
//! assert_eq!(id.gender(), Some(Gender::Female));
//! assert_eq!(id.birth_date(), parse_date("一九四九年十二月三十一日").ok());
//!
//! let phone = Phone::parse("(021) 6321-1234").unwrap();
//! assert_eq!((phone.kind(), phone.canonical()), (PhoneKind::Landline, "63211234"));
//! assert_eq!(mask_phone("+86 138 1234 5678"), "+86 138 **** 5678");
//! ```

pub mod code;
pub mod date;
pub mod id_number;
pub mod mask;
pub mod phone;
mod text;

pub use code::{CodeError, ContactStatus, Gender, HolderRole, HousingType};
pub use date::{DateError, lunar_plain, lunar_to_solar, parse_date, written_date_parts};
pub use id_number::{IdError, IdKind, IdNumber, IdWarning};
pub use mask::{mask_id, mask_name, mask_phone};
pub use phone::{Phone, PhoneError, PhoneKind, parse_phone_list};
