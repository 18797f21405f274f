//! sea-orm entities of the tracing workflow, one module per table. Columns hold the stable English
//! codes of [`crate::code`]; labels are rendered at the edge.

pub mod attempt;
pub mod case;
pub mod case_event;
pub mod lead;
pub mod staff;
pub mod vote;
