//! Erlang-style processes (docs/LANGUAGE.md §7): the process table, mailboxes, links, monitors,
//! the registry, the clock and the run queue. The VM drives them (`scheduler.rs`): a process
//! is its own VM execution state (registers, frames, handlers), swapped in while it runs.
//!
//! Blocking builtins (`receive`, `recv`, `timer/sleep`) never block the thread: they record
//! what the process waits for and return the [`pause`] marker error; the VM then saves the
//! process at the call instruction and runs others. When the process is woken, the same call
//! runs again and now finds its message (or its deadline passed).
//!
//! Messages and spawned closures are copied ([`copy_value`]): immutable data (numbers,
//! strings, symbols, lists of those) is shared, everything mutable (maps, objects, the cells of
//! closures) is copied, so no process can observe another's mutation.

use crate::error::ErrorValue;
use crate::value::{Closure, Object, Value};
use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};
use std::rc::Rc;
use std::time::{Duration, Instant};

/// A process id: a small integer, unique within a VM and never reused; the main process is
/// [`MAIN_PID`].
pub type Pid = u64;

/// The process that runs the program's top-level forms (and an embedder's calls).
pub const MAIN_PID: Pid = 1;

/// Work (calls and backward jumps) a process may do before it is switched out.
pub const SLICE: u32 = 2000;

/// The marker a blocking builtin returns after recording what its process waits for (never
/// seen by Slight code, which cannot make one either).
pub fn pause() -> ErrorValue {
    ErrorValue::pause_marker()
}

pub(crate) fn is_pause(e: &ErrorValue) -> bool {
    e.pause
}

/// How a process starts.
#[derive(Debug)]
pub(crate) enum Start {
    Call(Value, Vec<Value>),
    /// `(spawn "code")`: source text.
    Code(String),
}

/// What a blocked process waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Wait {
    /// Runnable (in the run queue, or running).
    Nothing,
    /// A new message, or the deadline.
    Message(Option<Instant>),
    /// The deadline only.
    Time(Instant),
    /// A host future (an async host function; `host_async.rs`).
    Future,
}

/// One process.
#[derive(Debug)]
pub(crate) struct Process {
    /// The saved execution state while the process is not running (`None` while it runs).
    pub exec: Option<crate::vm::Exec>,
    pub start: Option<Start>,
    pub mailbox: VecDeque<(Pid, Value)>,
    /// Messages already tried by the `receive` in progress (they stay queued).
    pub scanned: usize,
    pub wait: Wait,
    /// Deadline of the `receive`/`recv`/`timer/sleep` in progress, kept across retries.
    pub deadline: Option<Instant>,
    pub links: Vec<Pid>,
    pub monitors: Vec<Pid>,
    pub trap_exit: bool,
    /// Part of this process is on the Rust stack (it blocks in place): only its own loop may
    /// resume it.
    pub pinned: bool,
    /// An exit signal for a process with frames (pinned, paused, on its own stack), raised
    /// where it resumes.
    pub exit: Option<Reason>,
    /// The reason of the exit signal being raised (what links and monitors are told).
    pub exiting: Option<Reason>,
    /// The pending future of an async host function this process waits for.
    /// (Boxed, like `own_stack`: rare, and an idle process should stay small.)
    pub future: Option<Box<crate::host_async::PendingFuture>>,
    /// The suspended stack of a process running compiled code (`native/own_stack.rs`).
    pub own_stack: Option<Box<crate::native::own_stack::ProcessStack>>,
}

impl Process {
    fn new(start: Option<Start>) -> Process {
        Process {
            exec: None,
            start,
            mailbox: VecDeque::new(),
            scanned: 0,
            wait: Wait::Nothing,
            deadline: None,
            links: Vec::new(),
            monitors: Vec::new(),
            trap_exit: false,
            pinned: false,
            exit: None,
            exiting: None,
            future: None,
            own_stack: None,
        }
    }
}

/// The clock processes wait on: real time, or (for deterministic tests) a virtual clock that
/// jumps to the next deadline when every process is waiting.
#[derive(Clone, Copy, Debug)]
pub enum Clock {
    /// Wall-clock time: waiting sleeps.
    Real,
    /// Virtual time for deterministic tests: waiting never sleeps, the clock jumps to the deadline.
    Virtual {
        /// The real instant the virtual clock was started at.
        start: Instant,
        /// How far virtual time has advanced since `start`.
        elapsed: Duration,
    },
}

/// Pids are small sequential integers: they hash to themselves (the process table is looked up
/// on every send and switch).
#[derive(Default)]
pub(crate) struct PidHasher(u64);

impl Hasher for PidHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

pub(crate) type ProcessTable = HashMap<Pid, Process, BuildHasherDefault<PidHasher>>;

/// All processes of a VM.
#[derive(Debug)]
pub struct Scheduler {
    pub(crate) procs: ProcessTable,
    /// Deadlines of waiting processes, earliest first. Entries go stale when the process stops
    /// waiting or ends; they are skipped when they come up.
    timed: BinaryHeap<Reverse<(Instant, Pid)>>,
    pub(crate) run_queue: VecDeque<Pid>,
    pub(crate) current: Pid,
    next_pid: Pid,
    pub(crate) registry: HashMap<String, Pid>,
    /// The clock process deadlines (`receive` timeouts, `timer/sleep`) use; real unless
    /// [`Scheduler::use_virtual_clock`] was called.
    pub clock: Clock,
    /// Processes waiting for a host future, with the future's waker flag.
    pub(crate) futures: Vec<(Pid, std::sync::Arc<crate::host_async::WakeFlag>)>,
    /// The host task polling `Vm::run_async`, woken when a host future completes.
    pub(crate) host_waker: std::sync::Arc<std::sync::Mutex<Option<std::task::Waker>>>,
}

impl Default for Scheduler {
    fn default() -> Self {
        let mut procs = ProcessTable::default();
        procs.insert(MAIN_PID, Process::new(None));
        Scheduler {
            procs,
            timed: BinaryHeap::new(),
            run_queue: VecDeque::new(),
            current: MAIN_PID,
            next_pid: MAIN_PID + 1,
            registry: HashMap::new(),
            clock: Clock::Real,
            futures: Vec::new(),
            host_waker: Default::default(),
        }
    }
}

/// Why a process ended.
#[derive(Clone, Debug)]
pub(crate) enum Reason {
    Normal,
    Killed,
    Error(Rc<ErrorValue>),
}

impl Reason {
    pub fn to_value(&self) -> Value {
        match self {
            Reason::Normal => Value::Keyword(Rc::new("normal".into())),
            Reason::Killed => Value::Keyword(Rc::new("killed".into())),
            Reason::Error(e) => Value::Error(e.clone()),
        }
    }
}

fn list(items: Vec<Value>) -> Value {
    Value::list_from(items)
}

fn sym(s: &str) -> Value {
    Value::Sym(Rc::new(s.to_string()))
}

impl Scheduler {
    /// The current time on this scheduler's clock.
    pub fn now(&self) -> Instant {
        match self.clock {
            Clock::Real => Instant::now(),
            Clock::Virtual { start, elapsed } => start + elapsed,
        }
    }

    /// Uses a virtual clock from now on (tests): waiting never sleeps, time jumps instead.
    pub fn use_virtual_clock(&mut self) {
        self.clock = Clock::Virtual { start: Instant::now(), elapsed: Duration::ZERO };
    }

    /// A deadline `ms` milliseconds from now.
    pub fn deadline_in(&self, ms: f64) -> Instant {
        let ms = if ms.is_finite() && ms > 0.0 { ms.min(1e12) } else { 0.0 };
        self.now() + Duration::from_secs_f64(ms / 1000.0)
    }

    /// The deadline of a `receive` whose timeout is `ms` (nil: none), for the inline receive
    /// (`Instr::RecvStart`); the same checks and messages as the `%receive` builtin.
    pub(crate) fn timeout_deadline(&self, name: &str, ms: &Value) -> Result<Option<Instant>, ErrorValue> {
        if let Value::Nil = ms {
            return Ok(None);
        }
        let ms = crate::builtins::arg_num(name, std::slice::from_ref(ms), 1)?;
        if !ms.is_finite() || ms < 0.0 {
            return Err(ErrorValue::new("Error", format!("{name}: the timeout must be a number of milliseconds >= 0")));
        }
        Ok(Some(self.deadline_in(ms)))
    }

    /// The pid of the process running now.
    pub fn current(&self) -> Pid {
        self.current
    }

    /// Whether process `pid` exists (has not ended).
    /// (A process sent an exit signal is no longer alive, though it may still have `finally`
    /// blocks to run when it is next scheduled.)
    pub fn is_alive(&self, pid: Pid) -> bool {
        self.procs.get(&pid).is_some_and(|p| p.exit.is_none())
    }

    /// Live pids, ascending.
    pub fn pids(&self) -> Vec<Pid> {
        let mut v: Vec<Pid> = self.procs.iter().filter(|(_, p)| p.exit.is_none()).map(|(&pid, _)| pid).collect();
        v.sort_unstable();
        v
    }

    pub(crate) fn current_process(&mut self) -> &mut Process {
        self.procs.get_mut(&self.current).expect("the current process exists")
    }

    /// A new runnable process.
    pub(crate) fn spawn(&mut self, start: Start) -> Pid {
        let pid = self.next_pid;
        self.next_pid += 1;
        self.procs.insert(pid, Process::new(Some(start)));
        self.run_queue.push_back(pid);
        pid
    }

    /// Makes `pid` runnable (if it is waiting).
    pub(crate) fn wake(&mut self, pid: Pid) {
        if let Some(p) = self.procs.get_mut(&pid) {
            if p.wait != Wait::Nothing {
                p.wait = Wait::Nothing;
                if !p.pinned && pid != self.current {
                    self.run_queue.push_back(pid);
                }
            }
        }
    }

    /// Another process may need the thread: one is runnable, one waits for a deadline that
    /// the running one would otherwise keep it from noticing, or the running one is not the
    /// main process (whose loop, below it on the Rust stack, may want control back).
    #[inline]
    pub(crate) fn others_runnable(&self) -> bool {
        !self.run_queue.is_empty() || !self.timed.is_empty() || self.current != MAIN_PID
    }

    /// The current process waits for `wait`.
    pub(crate) fn wait_current(&mut self, wait: Wait) {
        let pid = self.current;
        if let Wait::Message(Some(t)) | Wait::Time(t) = wait {
            self.timed.push(Reverse((t, pid)));
        }
        if let Some(p) = self.procs.get_mut(&pid) {
            p.wait = wait;
        }
    }

    /// Whether a heap entry still describes what `pid` waits for.
    fn is_live(&self, t: Instant, pid: Pid) -> bool {
        self.procs.get(&pid).is_some_and(|p| matches!(p.wait, Wait::Message(Some(d)) | Wait::Time(d) if d == t))
    }

    /// Ends `pid` (and, through links, the processes its end takes down). A pinned process
    /// (on the Rust stack) is only told: it ends itself when its loop resumes.
    pub(crate) fn end(&mut self, pid: Pid, reason: Reason) {
        let mut work = vec![(pid, reason)];
        while let Some((pid, reason)) = work.pop() {
            match self.procs.get_mut(&pid) {
                // A process with Rust frames (pinned, or suspended on its own stack) ends itself
                // when resumed, so that its frames unwind.
                // So does a process paused in the VM, so that its `finally` blocks run.
                Some(p)
                    if p.pinned
                        || p.own_stack.is_some()
                        || p.exec.as_ref().is_some_and(|e| !e.frames.is_empty())
                        || pid == self.current
                        || pid == MAIN_PID =>
                {
                    if p.exit.is_none() {
                        p.exit = Some(reason);
                    }
                    let was = p.wait;
                    p.wait = Wait::Nothing;
                    if was != Wait::Nothing && !p.pinned && pid != self.current {
                        self.run_queue.push_back(pid);
                    }
                }
                Some(_) => {
                    for l in self.finish(pid, &reason) {
                        work.push((l, reason.clone()));
                    }
                }
                None => {}
            }
        }
    }

    /// Delivers a message (already copied).
    pub(crate) fn deliver(&mut self, from: Pid, to: Pid, msg: Value) -> bool {
        let Some(p) = self.procs.get_mut(&to) else { return false };
        p.mailbox.push_back((from, msg));
        if matches!(p.wait, Wait::Message(_)) {
            // `wake`, without looking the process up again.
            p.wait = Wait::Nothing;
            if !p.pinned && to != self.current {
                self.run_queue.push_back(to);
            }
        }
        true
    }

    /// Removes an ended process and tells its links and monitors. Returns the linked processes
    /// that must end too (they do not trap exits and the reason is not normal).
    pub(crate) fn finish(&mut self, pid: Pid, reason: &Reason) -> Vec<Pid> {
        let Some(p) = self.procs.remove(&pid) else { return Vec::new() };
        self.run_queue.retain(|&q| q != pid);
        self.registry.retain(|_, &mut q| q != pid);
        let mut cascade = Vec::new();
        for m in p.monitors {
            let msg = list(vec![sym("down"), Value::Pid(pid), reason.to_value()]);
            self.deliver(pid, m, msg);
        }
        for l in p.links {
            let Some(linked) = self.procs.get_mut(&l) else { continue };
            linked.links.retain(|&q| q != pid);
            if linked.trap_exit {
                let msg = list(vec![sym("exit"), Value::Pid(pid), reason.to_value()]);
                self.deliver(pid, l, msg);
            } else if !matches!(reason, Reason::Normal) && l != MAIN_PID {
                cascade.push(l);
            }
        }
        cascade
    }

    /// The earliest deadline of a waiting process.
    pub(crate) fn next_deadline(&mut self) -> Option<(Instant, Pid)> {
        while let Some(&Reverse((t, pid))) = self.timed.peek() {
            if self.is_live(t, pid) {
                return Some((t, pid));
            }
            self.timed.pop();
        }
        None
    }

    /// Wakes every process whose deadline has passed, or whose host future was woken.
    pub(crate) fn wake_due(&mut self) {
        if !self.futures.is_empty() {
            self.wake_futures();
        }
        if self.timed.is_empty() {
            return;
        }
        let now = self.now();
        while let Some(&Reverse((t, pid))) = self.timed.peek() {
            if t > now {
                break;
            }
            self.timed.pop();
            if self.is_live(t, pid) {
                self.wake(pid);
            }
        }
    }

    fn wake_futures(&mut self) {
        let mut woken = Vec::new();
        self.futures.retain(|(pid, flag)| {
            let live = flag.is_woken();
            if live {
                woken.push(*pid);
            }
            !live
        });
        for pid in woken {
            if self.procs.get(&pid).is_some_and(|p| p.wait == Wait::Future) {
                self.wake(pid);
            }
        }
    }

    /// True while some process waits for a host future (the scheduler must wait for it rather
    /// than report a deadlock or finish).
    pub(crate) fn waits_for_host(&mut self) -> bool {
        self.futures.retain(|(pid, _)| self.procs.get(pid).is_some_and(|p| p.wait == Wait::Future));
        !self.futures.is_empty()
    }

    /// Sleeps until a host future is woken, or until `until`.
    pub(crate) fn park(&mut self, until: Option<Instant>) {
        if self.futures.iter().any(|(_, f)| f.is_woken()) {
            return;
        }
        match until {
            Some(t) => std::thread::park_timeout(t.saturating_duration_since(Instant::now())),
            None => std::thread::park(),
        }
    }

    /// Waits (sleeps, or advances the virtual clock) until `t`.
    pub(crate) fn wait_until(&mut self, t: Instant) {
        match &mut self.clock {
            Clock::Real => {
                let now = Instant::now();
                if t > now {
                    std::thread::sleep(t - now);
                }
            }
            Clock::Virtual { start, elapsed } => {
                if t > *start + *elapsed {
                    *elapsed = t - *start;
                }
            }
        }
    }
}

/// A copy of `v` that shares nothing mutable with it (see the module comment). Iterative:
/// any depth of nesting copies without Rust recursion; each distinct container is copied once
/// (shared parts stay shared in the copy, cycles through maps, objects and cells are kept).
pub fn copy_value(v: &Value) -> Value {
    if !needs_copy(v) {
        return v.clone();
    }
    Copier::default().copy(v)
}

/// Nodes looked at before [`needs_copy`] gives up and says yes.
const NEEDS_COPY_BUDGET: usize = 4096;

/// True if `v` reaches something mutable (a map, an object, a cell); immutable data is shared.
/// Looks at most [`NEEDS_COPY_BUDGET`] nodes (beyond that it answers yes).
fn needs_copy(v: &Value) -> bool {
    let mut work: Vec<Value> = vec![v.clone()];
    let mut seen = 0usize;
    while let Some(x) = work.pop() {
        seen += 1;
        if seen > NEEDS_COPY_BUDGET {
            return true;
        }
        match &x {
            Value::Map(_) | Value::Object(_) | Value::Cell(_) => return true,
            Value::Func(c) => work.extend(c.captures.iter().cloned()),
            Value::Compiled(c) => work.extend(c.env.iter().cloned()),
            Value::List(_) => work.extend(x.list_iter().filter(|e| !is_flat(e))),
            Value::Error(e) => work.push(e.payload.clone()),
            _ => {}
        }
    }
    false
}

/// Values with nothing inside to copy.
fn is_flat(v: &Value) -> bool {
    !matches!(
        v,
        Value::Map(_)
            | Value::Object(_)
            | Value::Cell(_)
            | Value::Func(_)
            | Value::Compiled(_)
            | Value::List(Some(_))
            | Value::Error(_)
    )
}

/// The address that identifies a container (for sharing and cycles).
fn address(v: &Value) -> usize {
    match v {
        Value::Map(m) => Rc::as_ptr(m) as *const u8 as usize,
        Value::Object(o) => Rc::as_ptr(o) as *const u8 as usize,
        Value::Cell(c) => Rc::as_ptr(c) as *const u8 as usize,
        Value::Func(c) => Rc::as_ptr(c) as *const u8 as usize,
        Value::Compiled(c) => Rc::as_ptr(c) as *const u8 as usize,
        Value::List(Some(l)) => Rc::as_ptr(l) as *const u8 as usize,
        Value::Error(e) => Rc::as_ptr(e) as *const u8 as usize,
        _ => 0,
    }
}

/// What to do when a container's children have been copied (they are the top `n` results).
enum Step {
    Visit(Value),
    /// Fill a mutable container's empty copy (made at the first visit, for cycles).
    Fill {
        original: Value,
        copy: Value,
        n: usize,
    },
    /// Build an immutable container from its copied children.
    Build {
        original: Value,
        n: usize,
    },
}

/// The state of one [`copy_value`]: a work stack and a stack of results, no recursion.
#[derive(Default)]
struct Copier {
    work: Vec<Step>,
    results: Vec<Value>,
    /// Copies made, by the original's address.
    seen: HashMap<usize, Value>,
}

impl Copier {
    fn copy(mut self, v: &Value) -> Value {
        self.work.push(Step::Visit(v.clone()));
        while let Some(step) = self.work.pop() {
            match step {
                Step::Visit(v) => self.visit(v),
                Step::Fill { original, copy, n } => {
                    let children = self.results.split_off(self.results.len() - n);
                    fill(&original, &copy, children);
                }
                Step::Build { original, n } => {
                    let children = self.results.split_off(self.results.len() - n);
                    let copy = build(&original, children);
                    self.seen.insert(address(&original), copy.clone());
                    self.results.push(copy);
                }
            }
        }
        self.results.pop().unwrap_or_default()
    }

    fn visit(&mut self, v: Value) {
        if is_flat(&v) {
            self.results.push(v);
            return;
        }
        if let Some(done) = self.seen.get(&address(&v)) {
            self.results.push(done.clone());
            return;
        }
        let children = children(&v);
        let n = children.len();
        match &v {
            Value::Map(_) | Value::Object(_) | Value::Cell(_) => {
                let copy = empty_copy(&v);
                self.seen.insert(address(&v), copy.clone());
                self.results.push(copy.clone());
                self.work.push(Step::Fill { original: v, copy, n });
            }
            _ => self.work.push(Step::Build { original: v, n }),
        }
        self.work.extend(children.into_iter().rev().map(Step::Visit));
    }
}

/// The values inside a container, in order (a map's as key, value, key, value, ...).
fn children(v: &Value) -> Vec<Value> {
    match v {
        Value::Map(m) => m.borrow().iter().flat_map(|(k, x)| [k.0.clone(), x.clone()]).collect(),
        Value::Object(o) => o.slots.borrow().clone(),
        Value::Cell(c) => vec![c.borrow().clone()],
        Value::Func(c) => c.captures.to_vec(),
        Value::Compiled(c) => c.env.to_vec(),
        Value::List(_) => v.list_iter().collect(),
        Value::Error(e) => vec![e.payload.clone()],
        _ => Vec::new(),
    }
}

/// A fresh, empty mutable container of the same kind as `v`.
fn empty_copy(v: &Value) -> Value {
    match v {
        Value::Map(_) => Value::Map(Rc::new(RefCell::new(crate::value::MapObj::default()))),
        Value::Object(o) => Value::Object(Rc::new(Object { class: o.class.clone(), slots: RefCell::new(Vec::new()) })),
        _ => Value::Cell(Rc::new(RefCell::new(Value::Nil))),
    }
}

fn fill(original: &Value, copy: &Value, children: Vec<Value>) {
    match (original, copy) {
        (Value::Map(_), Value::Map(m)) => {
            let mut m = m.borrow_mut();
            let mut it = children.into_iter();
            while let (Some(k), Some(x)) = (it.next(), it.next()) {
                m.insert(crate::value::Key(k), x);
            }
        }
        (Value::Object(_), Value::Object(o)) => *o.slots.borrow_mut() = children,
        (_, Value::Cell(c)) => *c.borrow_mut() = children.into_iter().next().unwrap_or_default(),
        _ => {}
    }
}

fn build(original: &Value, children: Vec<Value>) -> Value {
    match original {
        Value::Func(c) => Value::Func(Rc::new(Closure { proto: c.proto.clone(), captures: children.into() })),
        Value::Compiled(c) => crate::native::rt::closure(c.info, children),
        Value::List(_) => Value::list_from(children),
        Value::Error(e) => {
            let mut e2 = (**e).clone();
            e2.payload = children.into_iter().next().unwrap_or_default();
            Value::Error(Rc::new(e2))
        }
        other => other.clone(),
    }
}
