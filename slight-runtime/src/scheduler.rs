//! The VM side of processes: switching execution states, running time slices, waiting, and
//! the host API (`Vm::spawn`, `Vm::send`, `Vm::run`, ...). The data lives in `process.rs`.
//!
//! Two ways to wait. A spawned process running in its outermost interpreter loop *pauses*:
//! the VM saves it at the blocking call and returns to the scheduler, which runs others and
//! later resumes it there. Anywhere else — the main process (the program's top-level forms and
//! the embedder's calls), a callback called by a builtin, compiled code — the Rust stack holds
//! part of the process, so it *blocks in place*: it is marked pinned and runs the other
//! processes from where it is until it can go on. A pinned process is never resumed by anyone
//! else. Preemption works the same way: a paused process goes to the back of the run queue, a
//! pinned one runs one round of the others in place.

use crate::error::ErrorValue;
use crate::process::{copy_value, is_pause, pause, Pid, Reason, Start, Wait, MAIN_PID};
use crate::value::Value;
use crate::vm::{Entered, Vm};
use std::rc::Rc;

/// A waiting process gives back register and frame space beyond what it uses plus this much
/// (so a process that grows the same way each time it runs, e.g. calling a `receive` guard,
/// does not reallocate every time).
const SPARE_REGISTERS: usize = 8;
const SPARE_FRAMES: usize = 1;

impl Vm {
    /// True when the current process can pause (see the module comment).
    pub(crate) fn can_pause(&self) -> bool {
        self.state.sched.current != MAIN_PID && self.exec.run_depth == 1 && self.exec.native_depth == 0
    }

    /// The time slice is used up and others want to run.
    pub(crate) fn preempt(&mut self) -> Result<(), Rc<ErrorValue>> {
        if !self.on_own_stack() && self.can_pause() {
            return Err(self.pause_marker.clone());
        }
        self.yield_process().map_err(Rc::new)
    }

    /// Lets the others run: pauses the current process (it goes to the back of the run queue
    /// and is resumed at the call) where it can, or runs one round of the others in place.
    pub(crate) fn yield_process(&mut self) -> Result<(), ErrorValue> {
        if self.on_own_stack() {
            return self.suspend_own_stack();
        }
        if self.can_pause() {
            return Err(pause());
        }
        self.yield_in_place()
    }

    /// Runs one round of the other runnable processes, then comes back.
    fn yield_in_place(&mut self) -> Result<(), ErrorValue> {
        let me = self.state.sched.current;
        self.pin(me, true);
        self.state.sched.wake_due();
        self.run_queue_round();
        self.pin(me, false);
        self.take_exit_of(me)
    }

    fn pin(&mut self, pid: Pid, on: bool) {
        if let Some(p) = self.state.sched.procs.get_mut(&pid) {
            p.pinned = on;
        }
    }

    /// An exit signal (`kill`, a linked process's error) that reached a pinned process.
    pub(crate) fn take_exit_of(&mut self, pid: Pid) -> Result<(), ErrorValue> {
        let Some(p) = self.state.sched.procs.get_mut(&pid) else { return Ok(()) };
        match p.exit.take() {
            None => Ok(()),
            Some(reason) => {
                let e = exit_error(&reason);
                p.exiting = Some(reason);
                Err(e)
            }
        }
    }

    /// Blocks the current process in place until it is runnable again (see the module
    /// comment). An error if no process could ever wake it.
    pub(crate) fn block_in_place(&mut self) -> Result<(), ErrorValue> {
        let me = self.state.sched.current;
        self.pin(me, true);
        let r = self.block_loop(me);
        self.pin(me, false);
        r
    }

    fn block_loop(&mut self, me: Pid) -> Result<(), ErrorValue> {
        loop {
            self.take_exit_of(me)?;
            self.guard.stopped()?;
            self.state.sched.wake_due();
            if self.state.sched.procs.get(&me).is_none_or(|p| p.wait == Wait::Nothing) {
                return Ok(());
            }
            if let Some(pid) = self.state.sched.run_queue.pop_front() {
                self.run_slice(pid);
                continue;
            }
            self.state.sched.wake_due();
            if self.state.sched.procs.get(&me).is_some_and(|p| p.wait == Wait::Nothing) {
                return Ok(());
            }
            if !self.state.sched.run_queue.is_empty() {
                continue;
            }
            // A timer callback may be what sends the awaited message: timers run here, in
            // the waiting process, when they are due.
            // (Timers keep real time: under the virtual clock they wait for the program's end.)
            let real_clock = matches!(self.state.sched.clock, crate::process::Clock::Real);
            let timer = if real_clock { self.next_timer_due() } else { None };
            if timer.is_some_and(|t| t <= std::time::Instant::now()) {
                if let Err(e) = self.fire_due_timer() {
                    let shown = self.to_error(&Rc::new(e));
                    self.write_diagnostic(&format!("timer callback failed:\n{}", shown.rendered));
                }
                continue;
            }
            let process = self.state.sched.next_deadline().map(|(t, _)| t);
            let next = match (process, timer) {
                (Some(p), Some(t)) => Some(p.min(t)),
                (p, t) => p.or(t),
            };
            if self.state.sched.waits_for_host() {
                self.state.sched.park(next);
                continue;
            }
            match next {
                Some(t) => self.sleep_until(t)?,
                None => {
                    if let Some(p) = self.state.sched.procs.get_mut(&me) {
                        p.wait = Wait::Nothing;
                        p.deadline = None;
                        p.scanned = 0;
                    }
                    return Err(ErrorValue::new(
                        "Deadlock",
                        "deadlock: this process waits for a message, and every other process is waiting too",
                    ));
                }
            }
        }
    }

    /// Waits until `t` (sleeps, or advances the virtual clock); an interrupt or the deadline
    /// ends the wait early with its error.
    fn sleep_until(&mut self, t: std::time::Instant) -> Result<(), ErrorValue> {
        match self.state.sched.clock {
            crate::process::Clock::Real => self.guard.sleep_until(t),
            crate::process::Clock::Virtual { .. } => {
                self.state.sched.wait_until(t);
                self.guard.stopped()
            }
        }
    }

    /// Runs process `pid` for one time slice (or until it pauses or ends).
    fn run_slice(&mut self, pid: Pid) {
        let Some(p) = self.state.sched.procs.get_mut(&pid) else { return };
        if p.pinned {
            return; // on the Rust stack below us: only its own loop resumes it
        }
        let exec = p.exec.take().unwrap_or_default();
        let start = p.start.take();
        let own_stack = p.own_stack.take();
        let me = self.state.sched.current;
        let saved = std::mem::replace(&mut self.exec, exec);
        // The switched-out process's partly used slice is counted; the process gets a new one.
        let saved_budget = self.budget;
        self.state.sched.current = pid;
        self.budget = self.guard.switch_slice(saved_budget);
        let r = match start {
            // Compiled code keeps its state on the Rust stack: it gets a stack of its own.
            Some(Start::Call(f @ Value::Compiled(_), args)) => {
                match crate::native::own_stack::ProcessStack::new(f, args) {
                    Ok(stack) => self.run_own_stack(pid, Box::new(stack)),
                    Err(e) => Err(Rc::new(e)),
                }
            }
            Some(Start::Call(f, args)) => self.start_call(&f, &args),
            Some(Start::Code(src)) => self.start_code(&src),
            None => match own_stack {
                Some(stack) => self.run_own_stack(pid, stack),
                None => self.resume_paused(pid),
            },
        };
        let exec = std::mem::replace(&mut self.exec, saved);
        self.budget = self.guard.switch_slice(self.budget);
        self.state.sched.current = me;
        match r {
            Err(e) if is_pause(&e) => {
                if let Some(p) = self.state.sched.procs.get_mut(&pid) {
                    let mut exec = exec;
                    if p.wait != Wait::Nothing {
                        // A waiting process may wait long: keep only what it uses.
                        if exec.stack.capacity() > exec.stack.len() + SPARE_REGISTERS {
                            exec.stack.shrink_to(exec.stack.len() + SPARE_REGISTERS);
                        }
                        if exec.frames.capacity() > exec.frames.len() + SPARE_FRAMES {
                            exec.frames.shrink_to(exec.frames.len() + SPARE_FRAMES);
                        }
                    }
                    p.exec = Some(exec);
                    if p.wait == Wait::Nothing {
                        self.state.sched.run_queue.push_back(pid);
                    }
                }
            }
            Ok(_) => self.state.sched.end(pid, Reason::Normal),
            Err(e) => {
                // A crash report on stderr, like Erlang's. Embedders capturing output learn
                // about crashes through monitors and links instead.
                if !matches!(e.etype.as_str(), "ProcessExit" | "Exit")
                    && matches!(self.output_kind(), crate::vm::Output::Stdout)
                {
                    let shown = self.to_error(&e);
                    self.write_diagnostic(&format!("process #<pid {pid}> ended with an error:\n{}", shown.rendered));
                }
                let reason = self.state.sched.procs.get_mut(&pid).and_then(|p| p.exiting.take());
                self.state.sched.end(pid, reason.unwrap_or(Reason::Error(e)));
            }
        }
    }

    /// Resumes a process paused in the VM. One that was sent an exit signal (`kill`, a
    /// linked process's error) meanwhile raises it where it paused, so its `finally` blocks
    /// run on the way out (a `kill` cannot be caught).
    fn resume_paused(&mut self, pid: Pid) -> Result<Value, Rc<ErrorValue>> {
        let exit = self.state.sched.procs.get_mut(&pid).and_then(|p| p.exit.take());
        if let Some(reason) = exit {
            let e = exit_error(&reason);
            if let Some(p) = self.state.sched.procs.get_mut(&pid) {
                p.exiting = Some(reason);
            }
            let Some(fi) = self.exec.frames.len().checked_sub(1) else { return Err(Rc::new(e)) };
            // The frame was saved at the instruction to run again: raise there.
            let pc = self.exec.frames[fi].pc + 1;
            self.raise(e, fi, pc, 0)?;
        }
        self.interpret(0)
    }

    /// Runs a process on its own stack until it suspends (a pause: the stack is kept with the
    /// process) or ends.
    fn run_own_stack(
        &mut self,
        pid: Pid,
        mut stack: Box<crate::native::own_stack::ProcessStack>,
    ) -> Result<Value, Rc<ErrorValue>> {
        match stack.resume(self) {
            Some(result) => result,
            None => {
                if let Some(p) = self.state.sched.procs.get_mut(&pid) {
                    p.own_stack = Some(stack);
                }
                Err(self.pause_marker.clone())
            }
        }
    }

    /// Starts a spawned process: `(f args...)` as its outermost call (on the VM's stack, or on
    /// a process stack of its own: `native/own_stack.rs`).
    pub(crate) fn start_call(&mut self, f: &Value, args: &[Value]) -> Result<Value, Rc<ErrorValue>> {
        self.exec.stack.clear();
        self.exec.stack.push(f.clone());
        self.exec.stack.extend_from_slice(args);
        match self.enter(0, args.len(), 0) {
            Ok(Entered::Frame) => self.interpret(0),
            Ok(Entered::Value(v)) => Ok(v),
            Err(e) => Err(self.attach(e, None)),
        }
    }

    /// Starts a `(spawn "code")` process: the forms as one function.
    fn start_code(&mut self, src: &str) -> Result<Value, Rc<ErrorValue>> {
        let file = self.sources.add("<spawn>", src);
        let text = self.sources.get(file).expect("just added").text.clone();
        let mut forms = vec![slight_core::Sexp::sym("begin", slight_core::Span::default())];
        let mut reader = slight_core::Reader::new(&text, file);
        while let Some(form) = reader.next_form() {
            forms.push(form.map_err(|e| Rc::new(ErrorValue::from_front(&e)))?);
        }
        let body = slight_core::Sexp::list(forms, slight_core::Span::default());
        let proto = self.compile_form(&body)?;
        let f = Value::Func(Rc::new(crate::value::Closure { proto, captures: Box::new([]) }));
        self.start_call(&f, &[])
    }

    // ---- the host API ----

    /// Spawns a process running `(f args...)` (copies of them); its pid.
    pub fn spawn(&mut self, f: &Value, args: &[Value]) -> Pid {
        let f = copy_value(f);
        let args = args.iter().map(copy_value).collect();
        self.state.sched.spawn(Start::Call(f, args))
    }

    /// Sends a copy of `msg` to `pid` (from the main process); false if there is no such process.
    pub fn send(&mut self, pid: Pid, msg: &Value) -> bool {
        let from = self.state.sched.current;
        self.state.sched.deliver(from, pid, copy_value(msg))
    }

    /// Takes the oldest message sent to the main process, if any: `(sender, message)`.
    pub fn try_receive(&mut self) -> Option<(Pid, Value)> {
        self.state.sched.procs.get_mut(&MAIN_PID)?.mailbox.pop_front()
    }

    /// Runs processes until every process has ended or waits for a message that no process
    /// can send (waiting for timers as needed). Returns the pids of those still waiting.
    pub fn run(&mut self) -> Vec<Pid> {
        self.run_for(None)
    }

    /// Like [`run`](Self::run), but stops after about `slices` time slices; also returns when
    /// nothing is runnable without waiting for the clock.
    pub fn run_slices(&mut self, slices: usize) -> Vec<Pid> {
        self.run_for(Some(slices))
    }

    fn run_for(&mut self, limit: Option<usize>) -> Vec<Pid> {
        let me = self.state.sched.current;
        self.pin(me, true);
        self.host_enter();
        let mut slices = 0usize;
        loop {
            if limit.is_some_and(|l| slices >= l) {
                break;
            }
            if self.guard.stopped().is_err() {
                // Stopped (interrupt, deadline): the processes that run meanwhile end with
                // the stop's error at their next check; the waiting ones are left waiting.
                self.run_queue_round();
                break;
            }
            self.state.sched.wake_due();
            if let Some(pid) = self.state.sched.run_queue.pop_front() {
                self.run_slice(pid);
                slices += 1;
                continue;
            }
            if !self.state.sched.run_queue.is_empty() {
                continue;
            }
            let deadline = self.state.sched.next_deadline().map(|(t, _)| t);
            if limit.is_none() && self.state.sched.waits_for_host() {
                self.state.sched.park(deadline);
                continue;
            }
            match deadline {
                Some(t) if limit.is_none() => {
                    let _ = self.sleep_until(t);
                }
                _ => break,
            }
        }
        self.host_leave();
        self.pin(me, false);
        self.blocked()
    }

    /// Runs every process in the run queue once (after a stop: each ends at its first check).
    fn run_queue_round(&mut self) {
        let round = self.state.sched.run_queue.len();
        for _ in 0..round {
            let Some(pid) = self.state.sched.run_queue.pop_front() else { break };
            self.run_slice(pid);
        }
    }

    /// Processes other than the current one that wait with no deadline.
    pub fn blocked(&self) -> Vec<Pid> {
        let me = self.state.sched.current;
        let mut v: Vec<Pid> = self
            .state
            .sched
            .procs
            .iter()
            .filter(|(&pid, p)| pid != me && p.wait == Wait::Message(None))
            .map(|(&pid, _)| pid)
            .collect();
        v.sort_unstable();
        v
    }

    /// Number of live processes (the main process included).
    pub fn process_count(&self) -> usize {
        self.state.sched.procs.values().filter(|p| p.exit.is_none()).count()
    }

    /// Uses a virtual clock: waiting never sleeps, time jumps to the next deadline instead
    /// (deterministic tests of timeouts).
    pub fn use_virtual_clock(&mut self) {
        self.state.sched.use_virtual_clock();
    }

    /// Runs the processes as a `futures` [`Future`](std::future::Future) inside the host's own
    /// executor: each poll runs a few time slices and yields, so other tasks of the host get
    /// their turn; it completes (with the blocked pids) when [`run`](Self::run) would return.
    pub fn run_async(&mut self) -> RunFuture<'_> {
        RunFuture { vm: self }
    }
}

/// See [`Vm::run_async`].
pub struct RunFuture<'a> {
    vm: &'a mut Vm,
}

impl std::future::Future for RunFuture<'_> {
    type Output = Vec<Pid>;
    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<Vec<Pid>> {
        poll_run(self.vm, cx)
    }
}

/// See [`Vm::messages`].
pub struct MessageStream<'a> {
    vm: &'a mut Vm,
}

impl futures_core::Stream for MessageStream<'_> {
    type Item = (Pid, Value);
    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<(Pid, Value)>> {
        let vm = &mut *self.vm;
        if let Some(m) = vm.try_receive() {
            return std::task::Poll::Ready(Some(m));
        }
        match poll_run(vm, cx) {
            // Nothing can run any more: the stream ends after what has arrived.
            std::task::Poll::Ready(_) => std::task::Poll::Ready(vm.try_receive()),
            std::task::Poll::Pending => match vm.try_receive() {
                Some(m) => std::task::Poll::Ready(Some(m)),
                None => std::task::Poll::Pending,
            },
        }
    }
}

impl Vm {
    /// The messages sent to the main process, as a `futures` `Stream` for the host's executor:
    /// polling it runs the processes (like [`run_async`](Self::run_async)); it ends when no
    /// process can run any more and every message has been taken.
    pub fn messages(&mut self) -> MessageStream<'_> {
        MessageStream { vm: self }
    }
}

/// One poll of [`RunFuture`]: runs a few slices; ready (with the blocked pids) when nothing
/// can run any more, pending otherwise (with a wake-up arranged).
fn poll_run(vm: &mut Vm, cx: &mut std::task::Context<'_>) -> std::task::Poll<Vec<Pid>> {
    vm.run_slices(16);
    let deadline = vm.state.sched.next_deadline();
    if vm.state.sched.run_queue.is_empty() && vm.state.sched.waits_for_host() {
        // A host future will wake this task (and the deadline, if sooner, below).
        if let Ok(mut w) = vm.state.sched.host_waker.lock() {
            *w = Some(cx.waker().clone());
        }
        if vm.state.sched.futures.iter().any(|(_, f)| f.is_woken()) {
            cx.waker().wake_by_ref();
            return std::task::Poll::Pending;
        }
        if deadline.is_none() {
            return std::task::Poll::Pending;
        }
    }
    let sched = &vm.state.sched;
    if sched.run_queue.is_empty() {
        let Some((t, _)) = deadline else {
            return std::task::Poll::Ready(vm.blocked());
        };
        // Waiting for the clock: a timer thread wakes the task at the deadline.
        let waker = cx.waker().clone();
        let wait = t.saturating_duration_since(sched.now());
        std::thread::spawn(move || {
            std::thread::sleep(wait);
            waker.wake();
        });
        return std::task::Poll::Pending;
    }
    cx.waker().wake_by_ref();
    std::task::Poll::Pending
}

/// The error an exit signal raises in the process it ends. As in Erlang, a signal is not an
/// exception: `try` does not catch it (its `finally` blocks run); a process that wants to
/// outlive its links traps exits (`trap-exit`) and gets a message instead.
pub(crate) fn exit_error(reason: &Reason) -> ErrorValue {
    match reason {
        Reason::Error(e) => {
            ErrorValue::uncatchable("ProcessExit", format!("exit: linked process failed: {}", e.message))
        }
        Reason::Killed => ErrorValue::uncatchable("ProcessExit", "killed"),
        Reason::Normal => ErrorValue::uncatchable("ProcessExit", "exit: normal"),
    }
}
