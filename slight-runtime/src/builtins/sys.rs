//! `sys/` builtins (capability `sys`).

use super::BuiltinDef;

pub const TABLE: &[BuiltinDef] = &[];
