//! `timer/` builtins. `timer/sleep` blocks the calling thread for now (once processes exist it
//! will suspend only the calling process). `timer/timeout`, `timer/interval` and `timer/clear`
//! need the process scheduler, which does not exist yet: they raise
//! `timer/timeout: needs the process scheduler (not available yet)`. `timer/now` (the current
//! time in milliseconds) is an extension of this implementation.

use super::{arg_num, def, BuiltinDef, Host};
use crate::error::ErrorValue;
use crate::value::Value;

pub const TABLE: &[BuiltinDef] = &[
    def(
        "timer/sleep",
        1,
        Some(1),
        b_sleep,
        "Blocks for the given number of milliseconds (fractions allowed); nil. Error if negative, NaN, infinite or too long to represent (over about 1.8e22 ms).",
        "(timer/sleep ms)",
        "(timer/sleep 1) => nil",
    ),
    def(
        "timer/timeout",
        2,
        Some(2),
        |_, _| not_yet("timer/timeout"),
        "Calls f once after ms milliseconds. Not available yet: always raises an error (needs the process scheduler).",
        "(timer/timeout ms f)",
        "(try (timer/timeout 10 (fun () 1)) (catch e (error/message e))) => \"timer/timeout: needs the process scheduler (not available yet)\"",
    ),
    def(
        "timer/interval",
        2,
        Some(2),
        |_, _| not_yet("timer/interval"),
        "Calls f every ms milliseconds. Not available yet: always raises an error (needs the process scheduler).",
        "(timer/interval ms f)",
        "(try (timer/interval 10 (fun () 1)) (catch e (error/type e))) => \"Error\"",
    ),
    def(
        "timer/clear",
        1,
        Some(1),
        |_, _| not_yet("timer/clear"),
        "Cancels a timeout or interval. Not available yet: always raises an error (needs the process scheduler).",
        "(timer/clear id)",
        "(try (timer/clear 1) (catch e (error/type e))) => \"Error\"",
    ),
    def(
        "timer/now",
        0,
        Some(0),
        b_now,
        "Milliseconds since the Unix epoch, as a float with sub-millisecond precision (an extension).",
        "(timer/now)",
        "(> (timer/now) 0) => true",
    ),
];

fn not_yet(name: &str) -> Result<Value, ErrorValue> {
    Err(ErrorValue::new("Error", format!("{name}: needs the process scheduler (not available yet)")))
}

fn b_sleep(_: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    let ms = arg_num("timer/sleep", a, 1)?;
    if !ms.is_finite() || ms < 0.0 {
        return Err(ErrorValue::new(
            "Error",
            format!("timer/sleep: the duration must be a finite number of milliseconds >= 0, got {}", a[0].repr()),
        ));
    }
    let duration = std::time::Duration::try_from_secs_f64(ms / 1000.0)
        .map_err(|_| ErrorValue::new("Error", "timer/sleep: the duration is too long (at most about 1.8e22 ms)"))?;
    std::thread::sleep(duration);
    Ok(Value::Nil)
}

fn b_now(_: &mut dyn Host, _: &[Value]) -> Result<Value, ErrorValue> {
    let ms = match std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => d.as_secs_f64() * 1000.0,
        Err(before) => -before.duration().as_secs_f64() * 1000.0,
    };
    Ok(Value::Float(ms))
}
