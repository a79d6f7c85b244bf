//! `type/` builtins beyond `type/of`: `type/is?` and `type/assert`.

use super::BuiltinDef;

pub const TABLE: &[BuiltinDef] = &[];
