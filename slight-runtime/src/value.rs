//! The one `Value` type shared by the VM, the builtins and (later) compiled code, with its
//! structural equality, hashing, `type/of` names and the two printed forms (`print` and REPL).

use crate::bytecode::Proto;
use crate::error::ErrorValue;
use indexmap::IndexMap;
use slight_core::sexp::{format_float, write_escaped};
use std::cell::RefCell;
use std::fmt::{self, Write as _};
use std::hash::{Hash, Hasher};
use std::rc::Rc;

/// A Slight value: 16 bytes, cheap to clone (heap data behind `Rc`).
#[derive(Default)]
pub enum Value {
    /// `nil`.
    #[default]
    Nil,
    /// `true` or `false`.
    Bool(bool),
    /// A 64-bit integer.
    Int(i64),
    /// A 64-bit float.
    Float(f64),
    /// An immutable string (clones share the text).
    Str(Rc<String>),
    /// A symbol, by name.
    Sym(Rc<String>),
    /// A keyword such as `:key`, stored without the colon.
    Keyword(Rc<String>),
    /// An immutable list; `List(None)` is the empty list `()`.
    List(Option<Rc<Cons>>),
    /// A mutable map, shared by reference.
    Map(Rc<RefCell<MapObj>>),
    /// A function run by the VM: its bytecode with its captured values.
    Func(Rc<Closure>),
    /// A builtin, by its index in [`BUILTINS`](crate::builtins::BUILTINS).
    Builtin(u32),
    /// A Rust function registered by the embedder.
    Native(Rc<NativeFn>),
    /// A function compiled to Rust (`slight!`, `build.rs`): code pointer plus captured values.
    Compiled(Rc<crate::native::rt::CompiledFn>),
    /// A process id.
    Pid(u64),
    /// An error value (what `catch` binds).
    Error(Rc<ErrorValue>),
    /// A class made by `defclass`.
    Class(Rc<Class>),
    /// An instance of a class (`new`).
    Object(Rc<Object>),
    /// A shared mutable variable (captured and assigned). Never visible to Slight code.
    Cell(Rc<RefCell<Value>>),
    /// A GPU array, shader, pipeline or kernel (§8). Shared, not copied, when sent to a process.
    Gpu(Rc<crate::gpu::GpuObject>),
}

impl Clone for Value {
    /// Immediates are copied inline; only heap values take the (out-of-line) reference-count path.
    #[inline(always)]
    fn clone(&self) -> Value {
        match self {
            Value::Nil => Value::Nil,
            Value::Bool(b) => Value::Bool(*b),
            Value::Int(i) => Value::Int(*i),
            Value::Float(f) => Value::Float(*f),
            _ => self.clone_heap(),
        }
    }
}

impl Value {
    #[inline(never)]
    fn clone_heap(&self) -> Value {
        match self {
            Value::Nil => Value::Nil,
            Value::Bool(b) => Value::Bool(*b),
            Value::Int(i) => Value::Int(*i),
            Value::Float(f) => Value::Float(*f),
            Value::Str(s) => Value::Str(s.clone()),
            Value::Sym(s) => Value::Sym(s.clone()),
            Value::Keyword(s) => Value::Keyword(s.clone()),
            Value::List(l) => Value::List(l.clone()),
            Value::Map(m) => Value::Map(m.clone()),
            Value::Func(f) => Value::Func(f.clone()),
            Value::Builtin(b) => Value::Builtin(*b),
            Value::Native(n) => Value::Native(n.clone()),
            Value::Compiled(c) => Value::Compiled(c.clone()),
            Value::Pid(p) => Value::Pid(*p),
            Value::Error(e) => Value::Error(e.clone()),
            Value::Class(c) => Value::Class(c.clone()),
            Value::Object(o) => Value::Object(o.clone()),
            Value::Cell(c) => Value::Cell(c.clone()),
            Value::Gpu(g) => Value::Gpu(g.clone()),
        }
    }
}

/// One list cell. The length is cached so `list/length` and list patterns are O(1).
pub struct Cons {
    /// The element in this cell.
    pub head: Value,
    /// The rest of the list; `None` at its end.
    pub tail: Option<Rc<Cons>>,
    /// The number of elements from this cell to the end (at least 1).
    pub len: usize,
}

impl Drop for Cons {
    // Lists are dropped iteratively: the tail chain in a loop, anything nested through
    // `dismantle`. Freeing a million-element list, or one nested a million deep, cannot
    // overflow the Rust stack.
    fn drop(&mut self) {
        let mut nested: Vec<Value> = Vec::new();
        dismantle_into(std::mem::take(&mut self.head), &mut nested);
        let mut next = self.tail.take();
        loop {
            while let Some(mut rc) = next.take() {
                match Rc::get_mut(&mut rc) {
                    Some(cell) => {
                        // Unlink the children first, so dropping this cell does not recurse.
                        next = cell.tail.take();
                        if may_nest(&cell.head) {
                            dismantle_into(std::mem::take(&mut cell.head), &mut nested);
                        }
                    }
                    None => break, // shared: dropping our reference only decrements
                }
            }
            match nested.pop() {
                Some(Value::List(l)) => next = l,
                Some(other) => dismantle_into(other, &mut nested),
                None => break,
            }
        }
    }
}

/// Values whose drop could recurse (lists, closures, cells, maps, objects, errors);
/// everything else drops flat.
#[inline(always)]
fn may_nest(v: &Value) -> bool {
    matches!(
        v,
        Value::List(Some(_))
            | Value::Func(_)
            | Value::Compiled(_)
            | Value::Cell(_)
            | Value::Map(_)
            | Value::Object(_)
            | Value::Error(_)
    )
}

/// Takes a value apart for iterative dropping: if it is the last reference to a list, closure
/// or cell, its children go onto `work` (lists as themselves) instead of being dropped
/// recursively; everything else is dropped here.
#[inline]
fn dismantle_into(v: Value, work: &mut Vec<Value>) {
    match v {
        Value::List(Some(ref rc)) if Rc::strong_count(rc) == 1 => work.push(v),
        Value::Func(mut rc) => {
            if let Some(c) = Rc::get_mut(&mut rc) {
                work.extend(std::mem::take(&mut c.captures).into_vec());
            }
        }
        Value::Compiled(mut rc) => {
            if let Some(c) = Rc::get_mut(&mut rc) {
                work.extend(std::mem::take(&mut c.env).into_vec());
            }
        }
        Value::Cell(mut rc) => {
            if let Some(c) = Rc::get_mut(&mut rc) {
                work.push(std::mem::take(c.get_mut()));
            }
        }
        Value::Map(mut rc) => {
            if let Some(m) = Rc::get_mut(&mut rc) {
                work.extend(m.get_mut().0.drain(..).flat_map(|(k, v)| [k.0, v]));
            }
        }
        Value::Object(mut rc) => {
            if let Some(o) = Rc::get_mut(&mut rc) {
                work.append(o.slots.get_mut());
            }
        }
        Value::Error(mut rc) => {
            if let Some(e) = Rc::get_mut(&mut rc) {
                work.push(std::mem::take(&mut e.payload));
            }
        }
        _ => {}
    }
}

impl Drop for Closure {
    // Chains of closures capturing closures (or lists) are freed without recursion.
    fn drop(&mut self) {
        if captures_could_recurse(&self.captures) {
            drop_iteratively(std::mem::take(&mut self.captures).into_vec());
        }
    }
}

/// True if dropping these captured values could recurse: one of them is the last reference to
/// a closure, list or cell. Otherwise a plain drop only decrements counts.
pub(crate) fn captures_could_recurse(captures: &[Value]) -> bool {
    captures.iter().any(could_recurse)
}

/// Drops values whose structure may be deep (closure chains, long lists) without recursion.
pub(crate) fn drop_iteratively(mut work: Vec<Value>) {
    while let Some(v) = work.pop() {
        match v {
            Value::List(Some(rc)) if Rc::strong_count(&rc) == 1 => {
                // Drop the list with its own iterative logic, but pull nested closures out first.
                let mut cur = Some(rc);
                while let Some(mut cell) = cur {
                    match Rc::get_mut(&mut cell) {
                        Some(c) => {
                            cur = c.tail.take();
                            dismantle_into(std::mem::take(&mut c.head), &mut work);
                        }
                        None => break,
                    }
                }
            }
            other => dismantle_into(other, &mut work),
        }
    }
}

/// A closure: compiled function plus captured values (cells for shared variables).
///
/// Only the VM builds closures, and only from prototypes the compiler produced and
/// `Proto::verify` accepted: the fields are crate-private, so safe code outside this crate
/// cannot make the VM run unverified bytecode (the VM's register access relies on it).
pub struct Closure {
    pub(crate) proto: Rc<Proto>,
    pub(crate) captures: Box<[Value]>,
}

impl Closure {
    /// The compiled function.
    pub fn proto(&self) -> &Proto {
        &self.proto
    }

    /// The captured values (cells for variables shared with the enclosing scope).
    pub fn captures(&self) -> &[Value] {
        &self.captures
    }
}

/// A class: its name, slot names, `INIT` and methods (functions taking `this` first).
pub struct Class {
    /// The class name given to `defclass`.
    pub name: String,
    /// The slot names, in the order of each object's slot values.
    pub slots: Vec<String>,
    /// `INIT`, called with the new object and `new`'s arguments; `None` when the class has none.
    pub init: Option<Value>,
    /// The methods by name (without the colon), each a function taking `this` first.
    pub methods: indexmap::IndexMap<String, Value>,
}

/// An instance: its class and one value per slot (mutable, like maps).
pub struct Object {
    /// The object's class.
    pub class: Rc<Class>,
    /// The slot values, in the order of `class.slots`.
    pub slots: RefCell<Vec<Value>>,
}

impl Object {
    /// The index of slot `name` in `slots`, if the class has such a slot.
    pub fn slot_index(&self, name: &str) -> Option<usize> {
        self.class.slots.iter().position(|s| s == name)
    }
}

/// A Rust function registered by the embedder.
pub struct NativeFn {
    /// The name it was registered under (used in errors).
    pub name: String,
    /// The exact number of arguments it takes; `None` for any number.
    pub arity: Option<usize>,
    /// The function itself, called with the arguments.
    #[allow(clippy::type_complexity)]
    pub func: Box<dyn Fn(&[Value]) -> Result<Value, ErrorValue>>,
    /// Set for an async host function (`Vm::register_async_fn`): starts its future (`func` is
    /// then not used).
    pub start_async: Option<crate::host_async::AsyncStart>,
}

/// Map contents: insertion-ordered, keys compared structurally.
#[derive(Clone, Default)]
pub struct MapObj(IndexMap<Key, Value>);

impl MapObj {
    /// An empty map.
    pub fn new() -> MapObj {
        MapObj::default()
    }
}

impl std::ops::Deref for MapObj {
    type Target = IndexMap<Key, Value>;
    fn deref(&self) -> &IndexMap<Key, Value> {
        &self.0
    }
}

impl std::ops::DerefMut for MapObj {
    fn deref_mut(&mut self) -> &mut IndexMap<Key, Value> {
        &mut self.0
    }
}

impl FromIterator<(Key, Value)> for MapObj {
    fn from_iter<I: IntoIterator<Item = (Key, Value)>>(iter: I) -> MapObj {
        MapObj(iter.into_iter().collect())
    }
}

impl Drop for MapObj {
    // Maps nested in maps (or holding lists, closures, objects) are freed without recursion,
    // however deep: the entries go to `drop_iteratively`.
    fn drop(&mut self) {
        if self.0.iter().any(|(k, v)| could_recurse(&k.0) || could_recurse(v)) {
            drop_iteratively(self.0.drain(..).flat_map(|(k, v)| [k.0, v]).collect());
        }
    }
}

impl Drop for Object {
    // Objects holding objects (a linked structure of instances) are freed without recursion.
    fn drop(&mut self) {
        if self.slots.get_mut().iter().any(could_recurse) {
            drop_iteratively(std::mem::take(self.slots.get_mut()));
        }
    }
}

/// True if dropping `v` could recurse: it is the last reference to a container.
fn could_recurse(v: &Value) -> bool {
    match v {
        Value::Func(rc) => Rc::strong_count(rc) == 1,
        Value::Compiled(rc) => Rc::strong_count(rc) == 1,
        Value::List(Some(rc)) => Rc::strong_count(rc) == 1,
        Value::Cell(rc) => Rc::strong_count(rc) == 1,
        Value::Map(rc) => Rc::strong_count(rc) == 1,
        Value::Object(rc) => Rc::strong_count(rc) == 1,
        Value::Error(rc) => Rc::strong_count(rc) == 1,
        _ => false,
    }
}

/// A map key: a value hashed and compared structurally (`1` and `1.0` are the same key).
#[derive(Clone)]
pub struct Key(pub Value);

impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        self.0.equals(&other.0)
    }
}
impl Eq for Key {}
impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        hash_value(&self.0, state)
    }
}

fn hash_value<H: Hasher>(v: &Value, state: &mut H) {
    match v {
        Value::Nil => 0u8.hash(state),
        Value::Bool(b) => b.hash(state),
        Value::Int(i) => (*i as f64).to_bits().hash(state),
        // -0.0 == 0 == 0.0, so they must hash alike.
        Value::Float(f) if *f == 0.0 => 0.0f64.to_bits().hash(state),
        Value::Float(f) => f.to_bits().hash(state),
        Value::Str(s) => s.hash(state),
        Value::Sym(s) => (1u8, s).hash(state),
        Value::Keyword(s) => (2u8, s).hash(state),
        Value::List(_) => {
            // Elements only one level deep: enough to spread keys, and no deep recursion.
            v.list_len().hash(state);
            for x in v.list_iter() {
                match x {
                    Value::List(_) => x.list_len().hash(state),
                    other => hash_value(&other, state),
                }
            }
        }
        Value::Pid(p) => p.hash(state),
        _ => 3u8.hash(state),
    }
}

impl Value {
    /// A string value.
    pub fn str(s: impl Into<String>) -> Value {
        Value::Str(Rc::new(s.into()))
    }
    /// A symbol value.
    pub fn sym(s: impl Into<String>) -> Value {
        Value::Sym(Rc::new(s.into()))
    }
    /// A keyword value, from its name without the colon.
    pub fn keyword(s: impl Into<String>) -> Value {
        Value::Keyword(Rc::new(s.into()))
    }
    /// The empty list `()`.
    pub const EMPTY: Value = Value::List(None);

    /// A list cell: `head` in front of `tail` (its length is computed).
    pub fn cons(head: Value, tail: Option<Rc<Cons>>) -> Value {
        let len = tail.as_ref().map_or(0, |t| t.len) + 1;
        Value::List(Some(Rc::new(Cons { head, tail, len })))
    }

    /// Builds a list from values in order.
    pub fn list_from<I>(items: I) -> Value
    where
        I: IntoIterator<Item = Value>,
        I::IntoIter: DoubleEndedIterator,
    {
        let mut tail: Option<Rc<Cons>> = None;
        for v in items.into_iter().rev() {
            let len = tail.as_ref().map_or(0, |t| t.len) + 1;
            tail = Some(Rc::new(Cons { head: v, tail, len }));
        }
        Value::List(tail)
    }

    /// A map of `entries`, in order; a repeated key keeps its first position and takes its last
    /// value.
    pub fn map_from(entries: impl IntoIterator<Item = (Value, Value)>) -> Value {
        Value::Map(Rc::new(RefCell::new(entries.into_iter().map(|(k, v)| (Key(k), v)).collect())))
    }

    /// Slight truthiness: everything except `nil` and `false` is true (the empty list is true).
    pub fn is_truthy(&self) -> bool {
        !matches!(self, Value::Nil | Value::Bool(false))
    }

    /// Iterates a list's elements (nothing for non-lists).
    pub fn list_iter(&self) -> ListIter<'_> {
        match self {
            Value::List(l) => ListIter { cur: l.as_deref() },
            _ => ListIter { cur: None },
        }
    }

    /// The number of elements of a list (0 for anything else).
    pub fn list_len(&self) -> usize {
        match self {
            Value::List(Some(c)) => c.len,
            _ => 0,
        }
    }

    /// `type/of` name (compat: numbers are NUMBER, nil and () are NIL).
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Nil | Value::List(None) => "NIL",
            Value::Bool(_) => "BOOLEAN",
            Value::Int(_) | Value::Float(_) => "NUMBER",
            Value::Str(_) => "STRING",
            Value::Sym(_) => "SYMBOL",
            Value::Keyword(_) => "KEYWORD",
            Value::List(_) => "LIST",
            Value::Map(_) => "MAP",
            Value::Func(_) | Value::Builtin(_) | Value::Native(_) | Value::Compiled(_) => "FUNCTION",
            Value::Pid(_) => "PID",
            Value::Error(_) => "ERROR",
            Value::Class(_) => "CLASS",
            Value::Object(_) => "OBJECT",
            Value::Cell(c) => c.borrow().type_name(),
            Value::Gpu(g) => g.type_name(),
        }
    }

    /// Structural equality (`==`): numbers across int/float, lists element-wise, maps by content.
    pub fn equals(&self, other: &Value) -> bool {
        use Value::*;
        match (self, other) {
            (Nil, Nil) => true,
            (Bool(a), Bool(b)) => a == b,
            (Int(a), Int(b)) => a == b,
            (Float(a), Float(b)) => a == b,
            (Int(a), Float(b)) | (Float(b), Int(a)) => (*a as f64) == *b && (*b as i128) == (*a as i128),
            (Str(a), Str(b)) | (Sym(a), Sym(b)) | (Keyword(a), Keyword(b)) => a == b,
            (List(_), List(_)) | (Map(_), Map(_)) => deep_equal(self, other),
            (Pid(a), Pid(b)) => a == b,
            _ => self.identical(other),
        }
    }

    /// Identity (`eq?`): same heap object, or same immediate value.
    pub fn identical(&self, other: &Value) -> bool {
        use Value::*;
        match (self, other) {
            (Nil, Nil) => true,
            (Bool(a), Bool(b)) => a == b,
            (Int(a), Int(b)) => a == b,
            (Float(a), Float(b)) => a.to_bits() == b.to_bits(),
            (Str(a), Str(b)) => Rc::ptr_eq(a, b) || a == b && a.is_empty(),
            (Sym(a), Sym(b)) | (Keyword(a), Keyword(b)) => a == b,
            (List(None), List(None)) => true,
            (List(Some(a)), List(Some(b))) => Rc::ptr_eq(a, b),
            (Map(a), Map(b)) => Rc::ptr_eq(a, b),
            (Func(a), Func(b)) => Rc::ptr_eq(a, b),
            (Builtin(a), Builtin(b)) => a == b,
            (Native(a), Native(b)) => Rc::ptr_eq(a, b),
            (Compiled(a), Compiled(b)) => Rc::ptr_eq(a, b),
            (Gpu(a), Gpu(b)) => Rc::ptr_eq(a, b),
            (Pid(a), Pid(b)) => a == b,
            (Error(a), Error(b)) => Rc::ptr_eq(a, b),
            (Class(a), Class(b)) => Rc::ptr_eq(a, b),
            (Object(a), Object(b)) => Rc::ptr_eq(a, b),
            _ => false,
        }
    }

    /// The `print`/`say` form: strings raw.
    pub fn to_print_string(&self) -> String {
        let mut s = String::new();
        let _ = write_value(&mut s, self, false, 0, crate::builtins::MAX_STRING_BYTES);
        s
    }

    /// Appends the `print`/`say` form to `out` (what [`to_print_string`](Self::to_print_string)
    /// returns, without the intermediate `String`).
    pub fn write_print(&self, out: &mut String) {
        let _ = write_value(out, self, false, 0, crate::builtins::MAX_STRING_BYTES);
    }

    /// Appends the `print` form to `out` unless that would make `out` longer than `cap` bytes:
    /// false then (`out` holds a cut-off prefix). Builtins use it to stop printing data that
    /// unfolds to more than their limits allow before it is all built.
    pub(crate) fn write_print_within(&self, out: &mut String, cap: usize) -> bool {
        write_value(out, self, false, 0, cap).is_ok() && out.len() <= cap
    }

    /// The REPL form: strings quoted with escapes.
    pub fn repr(&self) -> String {
        let mut s = String::new();
        let _ = write_value(&mut s, self, true, 0, crate::builtins::MAX_STRING_BYTES);
        s
    }
}

/// Iterator over a list's elements, yielding clones (see [`Value::list_iter`]).
pub struct ListIter<'a> {
    cur: Option<&'a Cons>,
}

impl Iterator for ListIter<'_> {
    type Item = Value;
    fn next(&mut self) -> Option<Value> {
        let c = self.cur?;
        self.cur = c.tail.as_deref();
        Some(c.head.clone())
    }
}

/// Structural equality of lists and maps, iterative over nesting (a work list of pairs), so
/// deeply nested data cannot overflow the Rust stack. Maps that contain themselves are handled
/// by assuming a pair of maps already being compared is equal.
fn deep_equal(a: &Value, b: &Value) -> bool {
    let mut work: Vec<(Value, Value)> = vec![(a.clone(), b.clone())];
    let mut maps_seen: std::collections::HashSet<(usize, usize)> = std::collections::HashSet::new();
    // Pairs of lists already compared (or being compared): data that shares sublists compares
    // in time proportional to its distinct parts, not to its size unfolded.
    let mut lists_seen: std::collections::HashSet<(usize, usize)> = std::collections::HashSet::new();
    while let Some((x, y)) = work.pop() {
        match (&x, &y) {
            (Value::List(p), Value::List(q)) => {
                if x.list_len() != y.list_len() {
                    return false;
                }
                if let (Some(p), Some(q)) = (p, q) {
                    if Rc::ptr_eq(p, q) || !lists_seen.insert((Rc::as_ptr(p) as usize, Rc::as_ptr(q) as usize)) {
                        continue;
                    }
                }
                work.extend(x.list_iter().zip(y.list_iter()));
            }
            (Value::Map(p), Value::Map(q)) => {
                if Rc::ptr_eq(p, q) || !maps_seen.insert((Rc::as_ptr(p) as usize, Rc::as_ptr(q) as usize)) {
                    continue;
                }
                let (pm, qm) = (p.borrow(), q.borrow());
                if pm.len() != qm.len() {
                    return false;
                }
                for (k, v) in pm.iter() {
                    match qm.get(k) {
                        Some(w) => work.push((v.clone(), w.clone())),
                        None => return false,
                    }
                }
            }
            _ => {
                if !x.equals(&y) {
                    return false;
                }
            }
        }
    }
    true
}

/// Nesting deeper than this prints as `...` (printing recurses on nesting). Text longer than
/// `builtins::MAX_STRING_BYTES` is cut off with `...` too.
pub const PRINT_DEPTH_LIMIT: usize = 1_000;

/// `#<fun name/arity>` with `N+` for variadic functions.
pub fn function_label(name: &str, arity: usize, variadic: bool) -> String {
    if variadic {
        format!("#<fun {name}/{arity}+>")
    } else {
        format!("#<fun {name}/{arity}>")
    }
}

fn write_value(out: &mut String, v: &Value, quoted: bool, depth: usize, cap: usize) -> fmt::Result {
    if depth > PRINT_DEPTH_LIMIT {
        return out.write_str("...");
    }
    // Data that shares parts (a list holding the same sublist twice, 40 levels deep) can print
    // to far more text than it holds: stop at `cap` bytes.
    if out.len() > cap {
        out.push_str("...");
        return Err(fmt::Error);
    }
    match v {
        Value::Nil => out.write_str("nil"),
        Value::Bool(b) => write!(out, "{b}"),
        Value::Int(i) => write!(out, "{i}"),
        Value::Float(f) => out.write_str(&format_float(*f)),
        Value::Str(s) if quoted => write_escaped(out, s),
        Value::Str(s) => out.write_str(s),
        Value::Sym(s) => out.write_str(s),
        Value::Keyword(k) => write!(out, ":{k}"),
        Value::List(_) => {
            out.push('(');
            for (i, x) in v.list_iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                write_value(out, &x, quoted, depth + 1, cap)?;
            }
            out.write_str(")")
        }
        Value::Map(m) => {
            out.push('{');
            for (i, (k, val)) in m.borrow().iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                write_value(out, &k.0, true, depth + 1, cap)?;
                out.push(' ');
                write_value(out, val, quoted, depth + 1, cap)?;
            }
            out.write_str("}")
        }
        Value::Func(c) => {
            let p = &c.proto;
            out.write_str(&function_label(p.name.as_deref().unwrap_or("lambda"), p.nparams as usize, p.variadic))
        }
        Value::Builtin(id) => {
            let b = &crate::builtins::BUILTINS[*id as usize];
            out.write_str(&function_label(b.name, b.min_args, b.max_args != Some(b.min_args)))
        }
        Value::Native(n) => out.write_str(&function_label(&n.name, n.arity.unwrap_or(0), n.arity.is_none())),
        Value::Compiled(c) => {
            let info = c.info;
            out.write_str(&function_label(info.name.unwrap_or("lambda"), info.nparams as usize, info.variadic))
        }
        Value::Pid(p) => write!(out, "#<pid {p}>"),
        Value::Class(c) => write!(out, "#<class {}>", c.name),
        Value::Gpu(g) => out.write_str(&g.describe()),
        Value::Object(o) => {
            write!(out, "#<{}", o.class.name)?;
            for (name, v) in o.class.slots.iter().zip(o.slots.borrow().iter()) {
                write!(out, " {name}=")?;
                write_value(out, v, true, depth + 1, cap)?;
            }
            out.write_str(">")
        }
        Value::Error(e) => write!(out, "#<error {}: {}>", e.etype, e.message),
        Value::Cell(c) => write_value(out, &c.borrow(), quoted, depth + 1, cap),
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_print_string())
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.repr())
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        self.equals(other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_is_16_bytes() {
        assert_eq!(std::mem::size_of::<Value>(), 16);
    }

    #[test]
    fn printing_and_equality() {
        let l = Value::list_from(vec![Value::Int(1), Value::str("a\n"), Value::Float(5.0), Value::EMPTY]);
        assert_eq!(l.repr(), "(1 \"a\\n\" 5.0 ())");
        assert_eq!(l.to_print_string(), "(1 a\n 5.0 ())");
        assert!(Value::Int(1).equals(&Value::Float(1.0)));
        assert!(!Value::Int(1).equals(&Value::str("1")));
        assert_eq!(Value::EMPTY.type_name(), "NIL");
        let m = Value::map_from(vec![(Value::keyword("a"), Value::Int(1)), (Value::str("b"), Value::Int(2))]);
        assert_eq!(m.repr(), "{:a 1 \"b\" 2}");
    }

    #[test]
    fn deeply_nested_lists_drop_compare_and_print_without_recursion() {
        let build = || {
            let mut v = Value::EMPTY;
            for _ in 0..1_000_000 {
                v = Value::list_from(vec![v]);
            }
            v
        };
        let (a, b) = (build(), build());
        assert!(a.equals(&b));
        assert!(a.repr().contains("(((...)))"));
        drop(a);
        drop(b);
    }

    #[test]
    fn dropping_a_long_list_does_not_overflow() {
        let big = Value::list_from((0..1_000_000).map(Value::Int).collect::<Vec<_>>());
        assert_eq!(big.list_len(), 1_000_000);
        drop(big);
    }
}
