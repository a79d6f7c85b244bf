//! `log/` builtins: leveled messages. `(log/info "loaded" 3)` prints `[INFO] loaded 3` — the
//! arguments in print form separated by spaces, after the level's tag — as program output
//! (through [`Host::write_out`], like `print`, so it is captured and ordered with the rest of
//! the output). A message is printed when logging is enabled (the default) and its level is at
//! least the minimum level (default `:info`, so `log/debug` is silent until
//! `(log/enable :debug)`). The settings belong to the VM.

use super::{def, BuiltinDef, Host};
use crate::error::ErrorValue;
use crate::value::Value;

pub const TABLE: &[BuiltinDef] = &[
    def(
        "log/debug",
        0,
        None,
        |h, a| log(h, 0, a),
        "Prints `[DEBUG] args...` (print form, space-separated) when logging is enabled at level :debug; nil.",
        "(log/debug x...)",
        "(log/debug \"details\" 42) => nil",
    ),
    def(
        "log/info",
        0,
        None,
        |h, a| log(h, 1, a),
        "Prints `[INFO] args...` (print form, space-separated) when logging is enabled at level :info or lower (the default); nil.",
        "(log/info x...)",
        "(log/info \"started\" 3) => nil",
    ),
    def(
        "log/warn",
        0,
        None,
        |h, a| log(h, 2, a),
        "Prints `[WARN] args...` to the program output when logging is enabled at level :warn or lower; nil.",
        "(log/warn x...)",
        "(log/warn \"disk almost full\") => nil",
    ),
    def(
        "log/error",
        0,
        None,
        |h, a| log(h, 3, a),
        "Prints `[ERROR] args...` to the program output when logging is enabled; nil. (It does not raise.)",
        "(log/error x...)",
        "(log/error \"failed:\" \"x.txt\") => nil",
    ),
    def(
        "log/enable",
        0,
        Some(1),
        b_enable,
        "Turns logging on; with a level (:debug :info :warn :error, or the same as a string) also sets the lowest level printed; nil. Error for an unknown level.",
        "(log/enable [level])",
        "(log/enable :debug) => nil",
    ),
    def(
        "log/disable",
        0,
        Some(0),
        b_disable,
        "Turns logging off (log/* print nothing until log/enable); nil.",
        "(log/disable)",
        "(log/disable) => nil",
    ),
];

const LEVELS: [&str; 4] = ["DEBUG", "INFO", "WARN", "ERROR"];

fn log(h: &mut dyn Host, level: u8, a: &[Value]) -> Result<Value, ErrorValue> {
    let state = h.state();
    if !state.log_enabled || level < state.log_level {
        return Ok(Value::Nil);
    }
    let mut line = format!("[{}]", LEVELS[level as usize]);
    if !a.is_empty() {
        line.push(' ');
        line.push_str(&super::core::join_print_within(h, a)?);
    }
    line.push('\n');
    h.write_out(&line)?;
    Ok(Value::Nil)
}

fn b_enable(h: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    let level = match a.first() {
        None => None,
        Some(Value::Keyword(s)) | Some(Value::Str(s)) => match s.as_str() {
            "debug" => Some(0),
            "info" => Some(1),
            "warn" => Some(2),
            "error" => Some(3),
            _ => {
                return Err(ErrorValue::new(
                    "Error",
                    format!("log/enable: unknown level {} (expected :debug, :info, :warn or :error)", a[0].repr()),
                ))
            }
        },
        Some(other) => return super::wrong_type("log/enable", 1, "keyword", other),
    };
    let state = h.state();
    state.log_enabled = true;
    if let Some(level) = level {
        state.log_level = level;
    }
    Ok(Value::Nil)
}

fn b_disable(h: &mut dyn Host, _: &[Value]) -> Result<Value, ErrorValue> {
    h.state().log_enabled = false;
    Ok(Value::Nil)
}
