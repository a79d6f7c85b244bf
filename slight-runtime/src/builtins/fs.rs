//! `fs/` builtins (capability `fs`; optionally confined to a root directory).

use super::BuiltinDef;

pub const TABLE: &[BuiltinDef] = &[];
