//! sea-orm entities, one module per table. Columns holding domain codes (role, gender, housing
//! type, contact status) store the stable English codes of `xunren-domain`.

pub mod base;
pub mod certificate;
pub mod committee;
pub mod department;
pub mod import_batch;
pub mod import_warning;
pub mod match_candidate;
pub mod match_index_chunk;
pub mod match_run;
pub mod person;
pub mod reference_record;
pub mod reference_source;
pub mod subdistrict;
