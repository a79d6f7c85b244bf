//! Process builtins (§7): `spawn`, `send`, `self`, `recv`, links, monitors, the registry, and
//! `%receive`, which the `receive` form expands into. Blocking ones record what the process
//! waits for and call [`Host::wait`] (see `process.rs` for the pause/resume protocol); they are
//! written so that running them again after a pause continues where they stopped.

use super::{arg_num, def, wrong_type, BuiltinDef, Host};
use crate::error::ErrorValue;
use crate::process::{copy_value, Pid, Reason, Start, Wait};
use crate::value::Value;
use std::rc::Rc;

pub const TABLE: &[BuiltinDef] = &[
    def(
        "spawn",
        1,
        None,
        b_spawn,
        "Runs (f args...) in a new process and returns its pid; f and the arguments are copied. (spawn \"code\") runs source text (compat).",
        "(spawn f arg...)",
        "(type/of (spawn (fun () 1))) => \"PID\"",
    ),
    def(
        "spawn-link",
        1,
        None,
        b_spawn_link,
        "Like spawn, and links the new process to the caller.",
        "(spawn-link f arg...)",
        "(type/of (spawn-link (fun () 1))) => \"PID\"",
    ),
    def(
        "send",
        2,
        Some(2),
        b_send,
        "Copies msg into the mailbox of pid; true. Error if there is no such process.",
        "(send pid msg)",
        "(send (self) :hello) => true",
    ),
    def("self", 0, Some(0), b_self, "The pid of the calling process.", "(self)", "(type/of (self)) => \"PID\""),
    def(
        "is-alive?",
        1,
        Some(1),
        b_is_alive,
        "True if the process has not ended.",
        "(is-alive? pid)",
        "(is-alive? (self)) => true",
    ),
    def(
        "kill",
        1,
        Some(1),
        b_kill,
        "Ends the process (reason :killed; links and monitors are told); true if it was alive.",
        "(kill pid)",
        "(kill (spawn (fun () (recv)))) => true",
    ),
    def(
        "processes",
        0,
        Some(0),
        b_processes,
        "The pids of all live processes, oldest first.",
        "(processes)",
        "(list/includes? (processes) (self)) => true",
    ),
    def(
        "link",
        1,
        Some(1),
        b_link,
        "Links the caller and pid: when one ends with an error, the other ends too (or gets an (exit pid reason) message if it traps exits). True.",
        "(link pid)",
        "(link (spawn (fun () 1))) => true",
    ),
    def(
        "monitor",
        1,
        Some(1),
        b_monitor,
        "When pid ends, the caller gets a (down pid reason) message (:normal, :killed, :noproc or the error). True.",
        "(monitor pid)",
        "(monitor (spawn (fun () 1))) => true",
    ),
    def(
        "trap-exit",
        1,
        Some(1),
        b_trap_exit,
        "With true, exit signals from linked processes become (exit pid reason) messages instead of ending the caller. Returns the previous setting.",
        "(trap-exit flag)",
        "(trap-exit false) => false",
    ),
    def(
        "register",
        2,
        Some(2),
        b_register,
        "Names a process (a symbol, keyword or string); true.",
        "(register name pid)",
        "(register 'me (self)) => true",
    ),
    def(
        "whereis",
        1,
        Some(1),
        b_whereis,
        "The pid registered under name, or nil.",
        "(whereis name)",
        "(whereis 'nobody-here) => nil",
    ),
    def(
        "recv",
        0,
        Some(1),
        b_recv,
        "The next message as (sender-pid msg), waiting for one; with ms, nil if none arrives in time (compat).",
        "(recv [ms])",
        "(recv 0) => nil",
    ),
    def(
        "%receive",
        2,
        Some(2),
        b_receive,
        "The primitive under receive: (pred msg) gives the index of the first matching clause or false; waits for a message for which it is a number, removes it and returns (index msg); false when the ms deadline (nil: none) passes.",
        "(%receive pred ms)",
        "(%receive (fun (m) false) 0) => false",
    ),
];

fn pid_arg(name: &str, a: &[Value], pos: usize) -> Result<Pid, ErrorValue> {
    match &a[pos - 1] {
        Value::Pid(p) => Ok(*p),
        other => wrong_type(name, pos, "pid", other),
    }
}

/// Starts a process. What can be checked at the `spawn` (the function's type, a VM
/// function's arity) is an error there, at the caller's position, not in the new process.
fn spawn_with(h: &mut dyn Host, name: &str, a: &[Value]) -> Result<Pid, ErrorValue> {
    let start = match &a[0] {
        Value::Str(code) => Start::Code(code.to_string()),
        Value::Func(c) if !c.proto.variadic && c.proto.nparams as usize != a.len() - 1 => {
            return Err(crate::vm::arity_error(c.proto.name.as_deref(), c.proto.nparams as usize, false, a.len() - 1));
        }
        Value::Compiled(c) if !c.info.variadic && c.info.nparams as usize != a.len() - 1 => {
            return Err(crate::vm::arity_error(c.info.name, c.info.nparams as usize, false, a.len() - 1));
        }
        f @ (Value::Func(_)
        | Value::Builtin(_)
        | Value::Native(_)
        | Value::Compiled(_)
        | Value::Sym(_)
        | Value::Object(_)) => Start::Call(copy_value(f), a[1..].iter().map(copy_value).collect()),
        other => return wrong_type(name, 1, "function", other),
    };
    Ok(h.state().sched.spawn(start))
}

fn b_spawn(h: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    Ok(Value::Pid(spawn_with(h, "spawn", a)?))
}

fn b_spawn_link(h: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    let pid = spawn_with(h, "spawn-link", a)?;
    link(h, pid);
    Ok(Value::Pid(pid))
}

fn b_send(h: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    let to = match &a[0] {
        Value::Pid(p) => *p,
        name @ (Value::Sym(_) | Value::Keyword(_) | Value::Str(_)) => {
            let key = name.to_print_string();
            match h.state().sched.registry.get(&key) {
                Some(p) => *p,
                None => {
                    return Err(ErrorValue::new(
                        "Error",
                        format!("Cannot send to {key}: no process is registered as {key}"),
                    ))
                }
            }
        }
        other => return wrong_type("send", 1, "pid", other),
    };
    let sched = &mut h.state().sched;
    let from = sched.current();
    if !sched.deliver(from, to, copy_value(&a[1])) {
        return Err(ErrorValue::new("Error", format!("Cannot send to process {to}: process does not exist")));
    }
    Ok(Value::Bool(true))
}

fn b_self(h: &mut dyn Host, _: &[Value]) -> Result<Value, ErrorValue> {
    Ok(Value::Pid(h.state().sched.current()))
}

fn b_is_alive(h: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    let pid = pid_arg("is-alive?", a, 1)?;
    let sched = &h.state().sched;
    Ok(Value::Bool(sched.procs.get(&pid).is_some_and(|p| p.exit.is_none())))
}

fn b_kill(h: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    let pid = pid_arg("kill", a, 1)?;
    let sched = &mut h.state().sched;
    if !sched.is_alive(pid) {
        return Ok(Value::Bool(false));
    }
    if pid == sched.current() {
        return Err(crate::scheduler::exit_error(&Reason::Killed));
    }
    sched.end(pid, Reason::Killed);
    Ok(Value::Bool(true))
}

fn b_processes(h: &mut dyn Host, _: &[Value]) -> Result<Value, ErrorValue> {
    Ok(Value::list_from(h.state().sched.pids().into_iter().map(Value::Pid).collect::<Vec<_>>()))
}

fn link(h: &mut dyn Host, pid: Pid) -> bool {
    let sched = &mut h.state().sched;
    let me = sched.current();
    if pid == me || !sched.is_alive(pid) {
        return false;
    }
    for (a, b) in [(me, pid), (pid, me)] {
        if let Some(p) = sched.procs.get_mut(&a) {
            if !p.links.contains(&b) {
                p.links.push(b);
            }
        }
    }
    true
}

fn b_link(h: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    let pid = pid_arg("link", a, 1)?;
    if !h.state().sched.is_alive(pid) {
        return Err(ErrorValue::new("Error", format!("Cannot link to process {pid}: process does not exist")));
    }
    link(h, pid);
    Ok(Value::Bool(true))
}

fn b_monitor(h: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    let pid = pid_arg("monitor", a, 1)?;
    let sched = &mut h.state().sched;
    let me = sched.current();
    match sched.procs.get_mut(&pid) {
        Some(p) => {
            if !p.monitors.contains(&me) {
                p.monitors.push(me);
            }
        }
        None => {
            let msg = Value::list_from(vec![
                Value::Sym(Rc::new("down".into())),
                Value::Pid(pid),
                Value::Keyword(Rc::new("noproc".into())),
            ]);
            sched.deliver(pid, me, msg);
        }
    }
    Ok(Value::Bool(true))
}

fn b_trap_exit(h: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    let on = a[0].is_truthy();
    let sched = &mut h.state().sched;
    let me = sched.current();
    let p = sched.procs.get_mut(&me).expect("the current process exists");
    let before = p.trap_exit;
    p.trap_exit = on;
    Ok(Value::Bool(before))
}

fn name_key(name: &str, v: &Value) -> Result<String, ErrorValue> {
    match v {
        Value::Sym(_) | Value::Keyword(_) | Value::Str(_) => Ok(v.to_print_string()),
        other => wrong_type(name, 1, "symbol, keyword or string", other),
    }
}

fn b_register(h: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    let key = name_key("register", &a[0])?;
    let pid = pid_arg("register", a, 2)?;
    let sched = &mut h.state().sched;
    if !sched.is_alive(pid) {
        return Err(ErrorValue::new("Error", format!("Cannot register process {pid}: process does not exist")));
    }
    // A name held by a live process stays its own: no one can take over its messages.
    if let Some(&holder) = sched.registry.get(&key).filter(|&&q| q != pid && sched.is_alive(q)) {
        return Err(ErrorValue::new(
            "Error",
            format!("Cannot register process {pid} as {key}: the name is taken by process {holder}"),
        ));
    }
    sched.registry.insert(key, pid);
    Ok(Value::Bool(true))
}

fn b_whereis(h: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    let key = name_key("whereis", &a[0])?;
    Ok(h.state().sched.registry.get(&key).map_or(Value::Nil, |p| Value::Pid(*p)))
}

/// Sets the deadline of the wait in progress (kept across pauses), from an `ms` argument.
fn deadline(h: &mut dyn Host, name: &str, ms: Option<&Value>) -> Result<Option<std::time::Instant>, ErrorValue> {
    let ms = match ms {
        None | Some(Value::Nil) => return Ok(h.state().sched.current_process().deadline),
        Some(_) => arg_num(name, std::slice::from_ref(ms.expect("some")), 1)?,
    };
    if !ms.is_finite() || ms < 0.0 {
        return Err(ErrorValue::new("Error", format!("{name}: the timeout must be a number of milliseconds >= 0")));
    }
    let sched = &mut h.state().sched;
    let at = sched.deadline_in(ms);
    let p = sched.current_process();
    Ok(Some(*p.deadline.get_or_insert(at)))
}

/// Ends the wait in progress.
fn done_waiting(h: &mut dyn Host) {
    let p = h.state().sched.current_process();
    p.deadline = None;
    p.scanned = 0;
    p.wait = Wait::Nothing;
}

fn b_recv(h: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    let until = deadline(h, "recv", a.first())?;
    loop {
        let sched = &mut h.state().sched;
        let p = sched.current_process();
        if let Some((from, msg)) = p.mailbox.pop_front() {
            done_waiting(h);
            return Ok(Value::list_from(vec![Value::Pid(from), msg]));
        }
        if until.is_some_and(|t| t <= h.state().sched.now()) {
            done_waiting(h);
            return Ok(Value::Nil);
        }
        h.state().sched.wait_current(Wait::Message(until));
        h.wait()?;
    }
}

fn b_receive(h: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    let pred = a[0].clone();
    let until = deadline(h, "receive", a.get(1))?;
    loop {
        // Try the messages that arrived since the last look, oldest first.
        loop {
            let p = h.state().sched.current_process();
            let Some((_, msg)) = p.mailbox.get(p.scanned).cloned() else { break };
            let verdict = h.call(&pred, std::slice::from_ref(&msg))?;
            let p = h.state().sched.current_process();
            if let Value::Int(i) = verdict {
                let at = p.scanned;
                p.mailbox.remove(at);
                done_waiting(h);
                return Ok(Value::list_from(vec![Value::Int(i), msg]));
            }
            p.scanned += 1;
        }
        let sched = &mut h.state().sched;
        if until.is_some_and(|t| t <= sched.now()) {
            done_waiting(h);
            return Ok(Value::Bool(false));
        }
        sched.wait_current(Wait::Message(until));
        h.wait()?;
    }
}

/// `timer/sleep` with processes: suspends only the calling process.
pub fn sleep(h: &mut dyn Host, ms: f64) -> Result<Value, ErrorValue> {
    let until = deadline(h, "timer/sleep", Some(&Value::Float(ms)))?.expect("a deadline");
    loop {
        let sched = &mut h.state().sched;
        if sched.now() >= until {
            done_waiting(h);
            return Ok(Value::Nil);
        }
        sched.wait_current(Wait::Time(until));
        h.wait()?;
    }
}
