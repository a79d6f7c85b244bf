//! `map/` builtins: insertion-ordered maps with keys of any hashable value.

use super::BuiltinDef;

pub const TABLE: &[BuiltinDef] = &[];
