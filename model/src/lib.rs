//! The organisation's pure model, the one copy both sides use: the unit tree (paths, subtrees,
//! ownership through ancestors) and the unit-name rule. No I/O, no serde; tested natively.

pub mod name;
pub mod tree;

pub use name::{MAX_UNIT_NAME_CHARS, NameError, is_forbidden_in_unit_name, unit_name};
pub use tree::UnitTree;
