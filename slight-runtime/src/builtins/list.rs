//! `list/` builtins beyond the core list operations: take, drop, includes?, flatten, sort, …

use super::BuiltinDef;

pub const TABLE: &[BuiltinDef] = &[];
