//! `json/` builtins: parse (objects become maps) and stringify.

use super::BuiltinDef;

pub const TABLE: &[BuiltinDef] = &[];
