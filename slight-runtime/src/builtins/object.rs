//! Classes and objects: `defclass` builds a class with `%make-class`; `new` / `object/new`
//! make instances (calling `INIT` with `this`); `(obj :method args...)` and `method/call` call
//! methods (the VM rewrites both into a plain call of the method with `this` first, so method
//! calls stay in the VM loop); `this.slot` reads a slot and `(set! this.slot v)` writes it.

use super::{arg_str, def, wrong_type, BuiltinDef, Host};
use crate::error::ErrorValue;
use crate::value::{Class, Object, Value};
use std::cell::RefCell;
use std::rc::Rc;

/// The class and object builtins: `%make-class`, `new`, `object/*` and `method/call`.
pub const TABLE: &[BuiltinDef] = &[
    def(
        "%make-class",
        4,
        Some(4),
        b_make_class,
        "Used by defclass: a class from its name, slot names, INIT (or nil) and a list of :method function pairs.",
        "(%make-class name slots init methods)",
        "(%make-class \"P\" '(x) nil ()) => #<class P>",
    ),
    def(
        "new",
        1,
        None,
        b_new,
        "A new instance of the class: slots start as nil, then INIT runs with this and the arguments; a class without INIT takes the slot values in order.",
        "(new Class arg...)",
        "(begin (defclass P (x y)) (new P 1 2)) => #<P x=1 y=2>",
    ),
    def(
        "object/new",
        1,
        None,
        b_new,
        "Same as new (compat).",
        "(object/new Class arg...)",
        "(begin (defclass Q (v)) (object/new Q 7)) => #<Q v=7>",
    ),
    def(
        "method/call",
        2,
        None,
        b_method_call,
        "Calls a method by keyword: (method/call obj :m a) is (obj :m a). Unknown methods are an error naming the class.",
        "(method/call object :method arg...)",
        "(begin (defclass C (n) (:get () this.n)) (method/call (new C 5) :get)) => 5",
    ),
    def(
        "object/get",
        2,
        Some(2),
        |_, a| get_slot("object/get", &a[0], &a[1]),
        "The value of a slot (named by keyword, string or symbol); an unknown slot is an error.",
        "(object/get object slot)",
        "(begin (defclass P2 (x)) (object/get (new P2 3) :x)) => 3",
    ),
    def(
        "object/set!",
        3,
        Some(3),
        b_set_slot,
        "Sets a slot and returns the new value; an unknown slot is an error.",
        "(object/set! object slot value)",
        "(begin (defclass P3 (x)) (object/set! (new P3 3) :x 4)) => 4",
    ),
    def(
        "object/slots",
        1,
        Some(1),
        b_slots,
        "The slots of an object as a map from keyword to value, in declaration order.",
        "(object/slots object)",
        "(begin (defclass P4 (x y)) (object/slots (new P4 1 2))) => {:x 1 :y 2}",
    ),
    def(
        "object/class",
        1,
        Some(1),
        |_, a| match &a[0] {
            Value::Object(o) => Ok(Value::Class(o.class.clone())),
            other => wrong_type("object/class", 1, "object", other),
        },
        "The class of an object.",
        "(object/class object)",
        "(begin (defclass P5 ()) (object/class (new P5))) => #<class P5>",
    ),
];

fn b_make_class(_: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    let name = arg_str("%make-class", a, 1)?.to_string();
    let slots = a[1].list_iter().map(|s| s.to_print_string()).collect();
    let init = match &a[2] {
        Value::Nil => None,
        f => Some(f.clone()),
    };
    let mut methods = indexmap::IndexMap::new();
    let items: Vec<Value> = a[3].list_iter().collect();
    for pair in items.chunks(2) {
        if let [Value::Keyword(k), f] = pair {
            methods.insert(k.to_string(), f.clone());
        }
    }
    Ok(Value::Class(Rc::new(Class { name, slots, init, methods })))
}

fn b_new(h: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    let Value::Class(class) = &a[0] else {
        return Err(ErrorValue::type_error(format!("new: {} is not a class", a[0].repr())));
    };
    let args = &a[1..];
    let obj = Rc::new(Object { class: class.clone(), slots: RefCell::new(vec![Value::Nil; class.slots.len()]) });
    let value = Value::Object(obj.clone());
    match &class.init {
        Some(init) => {
            let mut call_args = Vec::with_capacity(args.len() + 1);
            call_args.push(value.clone());
            call_args.extend_from_slice(args);
            h.call(init, &call_args)?;
        }
        None => {
            if args.len() > class.slots.len() {
                return Err(ErrorValue::arity(format!(
                    "new: {} has {} slots and no INIT, got {} arguments",
                    class.name,
                    class.slots.len(),
                    args.len()
                )));
            }
            obj.slots.borrow_mut()[..args.len()].clone_from_slice(args);
        }
    }
    Ok(value)
}

/// `method/call` when called as a value (the VM rewrites direct calls itself).
fn b_method_call(h: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    let method = find_method(&a[0], &a[1])?;
    let mut args = vec![a[0].clone()];
    args.extend_from_slice(&a[2..]);
    h.call(&method, &args)
}

/// The method `key` of `obj` (for `(obj :key ...)` and `method/call`).
pub fn find_method(obj: &Value, key: &Value) -> Result<Value, ErrorValue> {
    let Value::Object(o) = obj else {
        return Err(ErrorValue::type_error(format!("method/call: {} is not an object", obj.repr())));
    };
    let Value::Keyword(k) = key else {
        return Err(ErrorValue::type_error(format!(
            "Type error: a method call needs a method keyword, as in (obj :method args...), got {}",
            key.type_name()
        )));
    };
    o.class
        .methods
        .get(k.as_str())
        .cloned()
        .ok_or_else(|| ErrorValue::new("NameError", format!("{} has no method :{k}", o.class.name)))
}

fn slot_name(name: &str, v: &Value) -> Result<String, ErrorValue> {
    match v {
        Value::Keyword(s) | Value::Str(s) | Value::Sym(s) => Ok(s.to_string()),
        other => wrong_type(name, 2, "slot name", other),
    }
}

/// Reads a slot (also used for `this.slot`).
pub fn get_slot(name: &str, obj: &Value, slot: &Value) -> Result<Value, ErrorValue> {
    let Value::Object(o) = obj else { return wrong_type(name, 1, "object", obj) };
    let s = slot_name(name, slot)?;
    match o.slot_index(&s) {
        Some(i) => Ok(o.slots.borrow()[i].clone()),
        None => Err(ErrorValue::new("NameError", format!("{} has no slot {s}", o.class.name))),
    }
}

fn b_set_slot(_: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    let Value::Object(o) = &a[0] else { return wrong_type("object/set!", 1, "object", &a[0]) };
    let s = slot_name("object/set!", &a[1])?;
    match o.slot_index(&s) {
        Some(i) => {
            o.slots.borrow_mut()[i] = a[2].clone();
            Ok(a[2].clone())
        }
        None => Err(ErrorValue::new("NameError", format!("{} has no slot {s}", o.class.name))),
    }
}

fn b_slots(_: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    let Value::Object(o) = &a[0] else { return wrong_type("object/slots", 1, "object", &a[0]) };
    let values = o.slots.borrow();
    Ok(Value::map_from(o.class.slots.iter().zip(values.iter()).map(|(k, v)| (Value::keyword(k.clone()), v.clone()))))
}
