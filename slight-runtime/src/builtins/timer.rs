//! `timer/` builtins.

use super::BuiltinDef;

pub const TABLE: &[BuiltinDef] = &[];
