//! What an embedder bounds a script by: [`Limits`] (work, memory, depth, sizes, output, time),
//! the [`InterruptHandle`] another thread stops it with, and the progress callback. The VM
//! keeps the accounting in a `Guard`.
//!
//! How the checks are placed. Work is counted in *ticks*, the unit the scheduler already uses
//! for time slices: a call and a loop round (a backward jump) in the VM, a call and a loop
//! round in compiled code, typed compiled code included. Straight-line code between two ticks
//! is bounded by the size of the function, so ticks bound the work. Every [`SLICE`] ticks
//! (sooner when the `instructions` limit is near), `Vm::slice_end` checks the interrupt flag,
//! the deadline, the instruction count and calls the progress callback, in whatever process
//! and however deep in builtin callbacks the code runs. A stop (interrupt, deadline,
//! instructions, progress) is sticky until the outermost `eval`/`call`/`run` returns, so every
//! process and every `finally` block that runs meanwhile stops at its next check. Sizes,
//! output and memory are checked where the value is made, before it is allocated.

use crate::error::ErrorValue;
use crate::process::SLICE;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Bounds on what a script may use; `None` is unbounded. [`Limits::default()`] bounds nothing
/// (what [`Vm::new`](crate::Vm::new) starts with); [`Limits::sandboxed()`] is what
/// [`Vm::sandboxed`](crate::Vm::sandboxed) starts with. Exceeding one raises a `LimitError`
/// naming it, which `try` cannot catch; the VM stays usable and keeps its definitions.
///
/// `instructions`, `output` and `deadline` count from the start of each outermost `eval`,
/// `call`, `run` or timer run; the others hold at every moment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Limits {
    /// Work, in ticks: calls and loop rounds of VM and compiled code (see the module docs).
    pub instructions: Option<u64>,
    /// Bytes of Slight data alive at once (an accounted estimate: strings, lists, maps,
    /// objects, closures, processes and their mailboxes, captured output).
    pub memory: Option<usize>,
    /// Nested calls (VM frames plus compiled calls) in any one process.
    pub call_depth: Option<usize>,
    /// Bytes in one string.
    pub string_len: Option<usize>,
    /// Elements of one list, map or other collection a builtin builds.
    pub collection_len: Option<usize>,
    /// Bytes written by `print`, `say` and the other output builtins.
    pub output: Option<u64>,
    /// Wall-clock time.
    pub deadline: Option<Duration>,
}

impl Limits {
    /// No bounds (the same as `Limits::default()`).
    pub fn none() -> Limits {
        Limits::default()
    }

    /// The bounds [`Vm::sandboxed`](crate::Vm::sandboxed) starts with: 256 MiB of memory,
    /// 10,000 nested calls, strings of 16 MiB, collections of 4 million elements, 16 MiB of
    /// output. No instruction limit and no deadline: how long a script may run is the
    /// embedder's call (set them, or use an [`InterruptHandle`]).
    pub fn sandboxed() -> Limits {
        Limits {
            instructions: None,
            memory: Some(256 << 20),
            call_depth: Some(10_000),
            string_len: Some(16 << 20),
            collection_len: Some(4_000_000),
            output: Some(16 << 20),
            deadline: None,
        }
    }
}

/// What the progress callback ([`Vm::on_progress`](crate::Vm::on_progress)) is told, every
/// time slice.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    /// Ticks since the outermost `eval`/`call`/`run` began.
    pub instructions: u64,
    /// Time since it began.
    pub elapsed: Duration,
    /// The accounted memory in use (bytes).
    pub memory: usize,
}

/// Stops a running evaluation from another thread: [`InterruptHandle::interrupt`] makes it
/// raise an `Interrupted` error (uncatchable) within a time slice, wherever it runs —
/// VM code, compiled code, a builtin's callback, a blocking `receive` or sleep.
#[derive(Clone, Debug)]
pub struct InterruptHandle(Arc<Shared>);

#[derive(Debug)]
struct Shared {
    flag: AtomicBool,
    /// The VM's thread (a `Vm` never leaves the thread that made it), unparked to end a wait.
    thread: std::thread::Thread,
}

impl InterruptHandle {
    /// Asks the VM to stop what it is running. Does nothing to a VM that is idle: the next
    /// evaluation starts afresh.
    pub fn interrupt(&self) {
        self.0.flag.store(true, Ordering::SeqCst);
        self.0.thread.unpark();
    }
}

/// Why a progress callback returned: go on, or stop the script.
pub type ProgressFn = Box<dyn FnMut(&Progress) -> bool>;

/// The VM's side of the limits: the counters since the outermost entry, the interrupt flag,
/// and the sticky stop.
pub(crate) struct Guard {
    pub limits: Limits,
    shared: Arc<Shared>,
    /// Nesting of host entries (`eval` inside a host function called by `eval` is one run).
    entries: u32,
    started: Instant,
    deadline_at: Option<Instant>,
    /// Ticks of the slices completed since the outermost entry.
    used: u64,
    /// The length the current slice started with (`Vm::budget` counts it down).
    pub slice: u32,
    /// Bytes of output since the outermost entry.
    output: u64,
    /// Set once a stop is found; every later check gives it again until the entry ends.
    stopped: Option<ErrorValue>,
    progress: Option<ProgressFn>,
    /// The status `sys/exit` asked for: every process stops, until the embedder clears it.
    pub exit: Option<i32>,
}

impl Guard {
    pub fn new() -> Guard {
        Guard {
            limits: Limits::default(),
            shared: Arc::new(Shared { flag: AtomicBool::new(false), thread: std::thread::current() }),
            entries: 0,
            started: Instant::now(),
            deadline_at: None,
            used: 0,
            slice: SLICE,
            output: 0,
            stopped: None,
            progress: None,
            exit: None,
        }
    }

    pub fn handle(&self) -> InterruptHandle {
        InterruptHandle(self.shared.clone())
    }

    pub fn set_progress(&mut self, f: Option<ProgressFn>) {
        self.progress = f;
    }

    /// An outermost entry starts the counters afresh; returns the first slice's length.
    pub fn enter(&mut self) -> Option<u32> {
        self.entries += 1;
        if self.entries > 1 {
            return None;
        }
        self.started = Instant::now();
        self.deadline_at = self.limits.deadline.map(|d| self.started + d);
        self.used = 0;
        self.output = 0;
        self.stopped = None;
        self.shared.flag.store(false, Ordering::SeqCst);
        self.slice = self.next_slice();
        Some(self.slice)
    }

    pub fn leave(&mut self) {
        self.entries = self.entries.saturating_sub(1);
        if self.entries == 0 {
            self.stopped = None;
        }
    }

    /// The next slice: [`SLICE`] ticks, fewer when the instruction limit is nearer, so it
    /// is found exactly.
    pub fn next_slice(&self) -> u32 {
        match self.limits.instructions {
            Some(max) => (max.saturating_add(1).saturating_sub(self.used)).clamp(1, SLICE as u64) as u32,
            None => SLICE,
        }
    }

    /// A slice of `self.slice` ticks was used up; the next one's length.
    pub fn complete_slice(&mut self) -> u32 {
        self.used += self.slice as u64;
        self.slice = self.next_slice();
        self.slice
    }

    /// Adds a partly used slice (the process that ran it was switched out with `left` ticks
    /// unused) and starts a fresh one; its length.
    pub fn switch_slice(&mut self, left: u32) -> u32 {
        self.used += self.slice.saturating_sub(left) as u64;
        self.slice = self.next_slice();
        self.slice
    }

    /// The stop checks of a slice end: interrupt, deadline, instructions, progress callback.
    pub fn check(&mut self, memory: usize) -> Result<(), ErrorValue> {
        if let Some(code) = self.exit {
            return Err(exit_error(code));
        }
        if let Some(e) = &self.stopped {
            return Err(e.clone());
        }
        let stop = self.find_stop(memory);
        if let Some(e) = &stop {
            self.stopped = Some(e.clone());
        }
        stop.map_or(Ok(()), Err)
    }

    /// The stop a host entry has already hit, if any (a blocked process checks it while it
    /// waits).
    pub fn stopped(&mut self) -> Result<(), ErrorValue> {
        if let Some(code) = self.exit {
            return Err(exit_error(code));
        }
        if self.shared.flag.load(Ordering::Relaxed) && self.stopped.is_none() {
            self.shared.flag.store(false, Ordering::SeqCst);
            self.stopped = Some(interrupted("interrupted"));
        }
        if self.stopped.is_none() && self.deadline_at.is_some_and(|t| Instant::now() >= t) {
            self.stopped = Some(self.deadline_error());
        }
        self.stopped.clone().map_or(Ok(()), Err)
    }

    fn find_stop(&mut self, memory: usize) -> Option<ErrorValue> {
        if self.shared.flag.swap(false, Ordering::SeqCst) {
            return Some(interrupted("interrupted"));
        }
        if let Some(max) = self.limits.instructions {
            if self.used > max {
                return Some(ErrorValue::limit("instructions", max));
            }
        }
        let now = self.deadline_at.map(|_| Instant::now());
        if let (Some(at), Some(now)) = (self.deadline_at, now) {
            if now >= at {
                return Some(self.deadline_error());
            }
        }
        if let Some(f) = &mut self.progress {
            let p = Progress { instructions: self.used, elapsed: self.started.elapsed(), memory };
            if !f(&p) {
                return Some(interrupted("stopped by the progress callback"));
            }
        }
        None
    }

    fn deadline_error(&self) -> ErrorValue {
        let d = self.limits.deadline.unwrap_or_default();
        ErrorValue::limit("deadline", format!("{} ms", d.as_millis()))
    }

    /// How long a waiting process may sleep before it must look at the stop conditions again:
    /// until `until`, but not past the deadline.
    pub fn sleep_until(&mut self, until: Instant) -> Result<(), ErrorValue> {
        self.stopped()?;
        let until = match self.deadline_at {
            Some(d) if d < until => d,
            _ => until,
        };
        let now = Instant::now();
        if until > now {
            // Woken early by `interrupt` (or spuriously): the caller looks again.
            std::thread::park_timeout(until - now);
        }
        self.stopped()
    }

    /// Counts `n` bytes of output against the `output` limit.
    pub fn output(&mut self, n: usize) -> Result<(), ErrorValue> {
        self.output += n as u64;
        match self.limits.output {
            Some(max) if self.output > max => Err(ErrorValue::limit("output", format!("{max} bytes"))),
            _ => Ok(()),
        }
    }
}

/// The error `(sys/exit code)` raises: uncatchable, so the program ends at once (its
/// `finally` blocks run), in whatever process it was called.
pub(crate) fn exit_error(code: i32) -> ErrorValue {
    ErrorValue::uncatchable("Exit", format!("exit {code}"))
}

/// An `Interrupted` error (uncatchable).
pub(crate) fn interrupted(message: &str) -> ErrorValue {
    ErrorValue::uncatchable("Interrupted", message)
}

impl crate::Vm {
    /// Sets the limits (see [`Limits`]); they apply from the next check on.
    pub fn set_limits(&mut self, limits: Limits) {
        self.max_frames = limits.call_depth.map_or(crate::vm::MAX_FRAMES, |d| d.min(crate::vm::MAX_FRAMES));
        self.guard.limits = limits;
        self.budget = self.guard.switch_slice(self.budget);
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.guard.limits
    }

    /// A handle another thread can stop this VM's running evaluation with.
    pub fn interrupt_handle(&self) -> InterruptHandle {
        self.guard.handle()
    }

    /// Calls `f` every time slice (a few thousand ticks) while a script runs; when it returns
    /// false the script stops with an `Interrupted` error. `f` must not call back into the VM.
    pub fn on_progress(&mut self, f: impl FnMut(&Progress) -> bool + 'static) {
        self.guard.set_progress(Some(Box::new(f)));
    }

    /// The status a script asked to exit with (`sys/exit`), if it did. Until
    /// [`clear_exit`](Self::clear_exit), everything the VM runs stops at once with the same
    /// `Exit` error.
    pub fn exit_requested(&self) -> Option<i32> {
        self.guard.exit
    }

    /// Forgets a `sys/exit` request, so the VM runs code again.
    pub fn clear_exit(&mut self) {
        self.guard.exit = None;
    }

    /// Removes the progress callback.
    pub fn clear_progress(&mut self) {
        self.guard.set_progress(None);
    }

    /// A time slice's ticks are used up: counts them and makes the stop checks. The budget is
    /// refilled first, so the check runs once per slice whatever the caller does next.
    pub(crate) fn slice_end(&mut self) -> Result<(), ErrorValue> {
        self.budget = self.guard.complete_slice();
        let memory = self.memory_in_use();
        self.check_memory(0)?;
        self.guard.check(memory)
    }

    /// The accounted memory in use (bytes): what this thread allocated since the VM was made
    /// and has not freed, when a [`CountingAllocator`](crate::CountingAllocator) is installed;
    /// 0 otherwise.
    pub fn memory_in_use(&self) -> usize {
        (crate::memory::thread_live() - self.memory_baseline).max(0) as usize
    }

    /// A `LimitError` if `more` bytes on top of what is in use would pass the `memory` limit
    /// (never without a counting allocator: nothing is known then).
    pub(crate) fn check_memory(&self, more: usize) -> Result<(), ErrorValue> {
        match self.guard.limits.memory {
            Some(max) if crate::memory::counting() && self.memory_in_use().saturating_add(more) > max => {
                Err(ErrorValue::limit("memory", format!("{max} bytes")))
            }
            _ => Ok(()),
        }
    }

    /// Starts an embedder's entry (`eval`, `call`, `run`, timers): the outermost one starts the
    /// counts of `instructions`, `output` and `deadline` afresh.
    pub(crate) fn host_enter(&mut self) {
        if let Some(slice) = self.guard.enter() {
            self.budget = slice;
        }
    }

    /// Ends an embedder's entry.
    pub(crate) fn host_leave(&mut self) {
        self.guard.leave();
    }

    /// The error for a call nesting past `max_frames`: the `call_depth` limit when that is
    /// what was reached, else a (catchable) `StackOverflow`.
    pub(crate) fn too_deep(&self) -> ErrorValue {
        match self.guard.limits.call_depth {
            Some(d) if d < crate::vm::MAX_FRAMES => ErrorValue::limit("call_depth", d),
            _ => ErrorValue::new("StackOverflow", "stack overflow"),
        }
    }
}
