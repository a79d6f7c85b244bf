//! `timer/` builtins. `timer/sleep` suspends only the calling process (other processes run
//! meanwhile). `timer/timeout` and `timer/interval` register callbacks that run in the main
//! process, in due order: while it waits (`receive`, `recv`, `timer/sleep`), and after the
//! program's top-level forms have finished (like a JavaScript event loop; `Vm::run_timers`),
//! until none is left; `timer/clear` cancels one.
//! `timer/now` (the current time in milliseconds) is an extension of this implementation.

use super::{arg_num, def, BuiltinDef, Host};
use crate::error::ErrorValue;
use crate::value::Value;

pub const TABLE: &[BuiltinDef] = &[
    def(
        "timer/sleep",
        1,
        Some(1),
        b_sleep,
        "Suspends the calling process for the given number of milliseconds (fractions allowed; other processes run meanwhile); nil. Error if negative, NaN, infinite or too long to represent (over about 1.8e22 ms).",
        "(timer/sleep ms)",
        "(timer/sleep 1) => nil",
    ),
    def(
        "timer/timeout",
        2,
        Some(2),
        |h, a| schedule(h, a, "timer/timeout", false),
        "Runs (f) once, ms milliseconds from now, in the main process: while it waits, or after the program's top-level forms have finished; returns the timer id for timer/clear.",
        "(timer/timeout f ms)",
        "(type/of (timer/timeout (fun () 1) 10)) => \"NUMBER\"",
    ),
    def(
        "timer/interval",
        2,
        Some(2),
        |h, a| schedule(h, a, "timer/interval", true),
        "Runs (f) every ms milliseconds (at least 1) in the main process, while it waits or after the program's top-level forms have finished, until cleared; returns the timer id.",
        "(timer/interval f ms)",
        "(timer/clear (timer/interval (fun () 1) 10)) => true",
    ),
    def(
        "timer/clear",
        1,
        Some(1),
        b_clear,
        "Cancels a timeout or interval by id: true if it was pending, false otherwise.",
        "(timer/clear id)",
        "(timer/clear (timer/timeout (fun () 1) 5)) => true",
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

/// `(timer/timeout f ms)` / `(timer/interval f ms)`; the arguments may come in either order.
fn schedule(h: &mut dyn Host, a: &[Value], name: &str, repeat: bool) -> Result<Value, ErrorValue> {
    let (f, ms) = match (&a[0], &a[1]) {
        (f @ (Value::Func(_) | Value::Builtin(_) | Value::Native(_) | Value::Compiled(_)), _) => {
            (f.clone(), arg_num(name, a, 2)?)
        }
        (_, f @ (Value::Func(_) | Value::Builtin(_) | Value::Native(_) | Value::Compiled(_))) => {
            (f.clone(), arg_num(name, a, 1)?)
        }
        _ => return super::wrong_type(name, 1, "function", &a[0]),
    };
    if !ms.is_finite() || !(0.0..=1e15).contains(&ms) {
        return Err(ErrorValue::new(
            "Error",
            format!("{name}: delay must be a number of milliseconds between 0 and 1e15, got {ms}"),
        ));
    }
    let delay = std::time::Duration::from_secs_f64(ms / 1000.0);
    let origin = h.call_site();
    let state = h.state();
    state.next_timer_id += 1;
    let id = state.next_timer_id;
    let every = repeat.then(|| delay.max(std::time::Duration::from_millis(1)));
    state.timers.push(super::Timer { id, due: std::time::Instant::now() + delay, every, f, origin });
    Ok(Value::Int(id as i64))
}

fn b_clear(h: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    let id = super::arg_int("timer/clear", a, 1)?;
    let timers = &mut h.state().timers;
    let before = timers.len();
    timers.retain(|t| t.id as i64 != id);
    Ok(Value::Bool(timers.len() != before))
}

fn b_sleep(h: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    let ms = arg_num("timer/sleep", a, 1)?;
    if !ms.is_finite() || ms < 0.0 {
        return Err(ErrorValue::new(
            "Error",
            format!("timer/sleep: the duration must be a finite number of milliseconds >= 0, got {}", a[0].repr()),
        ));
    }
    std::time::Duration::try_from_secs_f64(ms / 1000.0)
        .map_err(|_| ErrorValue::new("Error", "timer/sleep: the duration is too long (at most about 1.8e22 ms)"))?;
    super::process::sleep(h, ms)
}

fn b_now(_: &mut dyn Host, _: &[Value]) -> Result<Value, ErrorValue> {
    let ms = match std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => d.as_secs_f64() * 1000.0,
        Err(before) => -before.duration().as_secs_f64() * 1000.0,
    };
    Ok(Value::Float(ms))
}
