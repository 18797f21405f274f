//! xunren-match (寻人匹配): fuzzy matching of persons whose registered address is out of date.
pub mod address;
pub mod compare;
pub mod error;
pub mod ids;
pub mod index;
pub mod link;
pub mod model;
pub mod normalize;

pub use error::{IndexError, LinkError};
