//! `string/` builtins. Strings are UTF-8; lengths and indices count characters.

use super::BuiltinDef;

pub const TABLE: &[BuiltinDef] = &[];
