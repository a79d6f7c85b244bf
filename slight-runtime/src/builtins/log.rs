//! `log/` builtins: levelled logging through the VM's output sink.

use super::BuiltinDef;

pub const TABLE: &[BuiltinDef] = &[];
