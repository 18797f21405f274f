//! Reports for supervisors.
