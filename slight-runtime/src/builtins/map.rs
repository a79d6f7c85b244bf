//! `map/` builtins: maps are mutable and insertion-ordered, and keys compare structurally (`1`
//! and `1.0` are the same key, lists compare element-wise).
//!
//! Mutating builtins look a key up under a shared borrow and only then borrow the map mutably to
//! change it by index, so comparing keys that are (or contain) the map being changed never
//! meets a mutable borrow.

use super::{def, expect_list, wrong_type, BuiltinDef, Host};
use crate::error::{type_error, ErrorValue};
use crate::value::{Key, MapObj, Value};
use indexmap::map::raw_entry_v1::{RawEntryApiV1, RawEntryMut};
use std::cell::RefCell;
use std::hash::BuildHasher;
use std::rc::Rc;

pub const TABLE: &[BuiltinDef] = &[
    def(
        "map/create",
        0,
        None,
        b_create,
        "A new map from alternating keys and values (a repeated key keeps its first position and its last \
         value); an odd number of arguments or a NaN key is an error.",
        "(map/create [key value]...)",
        "(map/create :a 1 \"b\" 2) => {:a 1 \"b\" 2}",
    ),
    def(
        "map/get",
        2,
        Some(3),
        b_get,
        "The value stored under key, or default (nil when not given) when the key is absent.",
        "(map/get map key [default])",
        "(map/get (map/create :a 1) :b 0) => 0",
    ),
    def(
        "map/set!",
        3,
        Some(3),
        b_set,
        "Stores value under key (a new key goes last, an existing one keeps its place) and returns the map. \
         A NaN key (or a list key containing NaN) is an error; -0.0 is stored as 0.0.",
        "(map/set! map key value)",
        "(map/set! (map/create :a 1) :b 2) => {:a 1 :b 2}",
    ),
    def(
        "map/has?",
        2,
        Some(2),
        b_has,
        "True when the map has the key (1 and 1.0 are the same key).",
        "(map/has? map key)",
        "(map/has? (map/create 1 :x) 1.0) => true",
    ),
    def(
        "map/delete!",
        2,
        Some(2),
        b_delete,
        "Removes the key if present, keeping the order of the other entries, and returns the map.",
        "(map/delete! map key)",
        "(map/delete! (map/create :a 1 :b 2 :c 3) :b) => {:a 1 :c 3}",
    ),
    def(
        "map/keys",
        1,
        Some(1),
        b_keys,
        "The keys, in insertion order.",
        "(map/keys map)",
        "(map/keys (map/create :a 1 :b 2)) => (:a :b)",
    ),
    def(
        "map/values",
        1,
        Some(1),
        b_values,
        "The values, in insertion order.",
        "(map/values map)",
        "(map/values (map/create :a 1 :b 2)) => (1 2)",
    ),
    def(
        "map/entries",
        1,
        Some(1),
        b_entries,
        "The entries as (key value) lists, in insertion order.",
        "(map/entries map)",
        "(map/entries (map/create :a 1 :b 2)) => ((:a 1) (:b 2))",
    ),
    def(
        "map/size",
        1,
        Some(1),
        b_size,
        "The number of entries.",
        "(map/size map)",
        "(map/size (map/create :a 1)) => 1",
    ),
    def(
        "map/clear!",
        1,
        Some(1),
        b_clear,
        "Removes every entry and returns the (now empty) map.",
        "(map/clear! map)",
        "(map/clear! (map/create :a 1)) => {}",
    ),
    def(
        "map/merge",
        0,
        None,
        b_merge,
        "A new map with the entries of all the maps; for a key in several, the value of the last map wins and \
         the position of the first. The arguments are not changed.",
        "(map/merge map...)",
        "(map/merge (map/create :a 1 :b 2) (map/create :b 3)) => {:a 1 :b 3}",
    ),
    def(
        "map/from-list",
        1,
        Some(1),
        b_from_list,
        "A new map from a list of (key value) lists; a repeated key keeps its first position and its last value.",
        "(map/from-list pairs)",
        "(map/from-list (list (list :a 1) (list \"b\" 2))) => {:a 1 \"b\" 2}",
    ),
];

/// Argument `pos` (1-based) as a map.
fn arg_map<'a>(name: &str, args: &'a [Value], pos: usize) -> Result<&'a Rc<RefCell<MapObj>>, ErrorValue> {
    match &args[pos - 1] {
        Value::Map(m) => Ok(m),
        other => wrong_type(name, pos, "map", other),
    }
}

fn is_negative_zero(v: &Value) -> bool {
    matches!(v, Value::Float(f) if *f == 0.0 && f.is_sign_negative())
}

/// The key for a value. `-0.0` equals `0` and `0.0` but hashes differently, so it becomes `0.0`
/// (also as a direct element of a list key: the hash of a list reads its elements one level deep).
fn key_of(v: &Value) -> Key {
    if is_negative_zero(v) {
        return Key(Value::Float(0.0));
    }
    if matches!(v, Value::List(_)) && v.list_iter().any(|x| is_negative_zero(&x)) {
        let items: Vec<Value> =
            v.list_iter().map(|x| if is_negative_zero(&x) { Value::Float(0.0) } else { x }).collect();
        return Key(Value::list_from(items));
    }
    Key(v.clone())
}

/// True when the value is NaN or a list containing NaN at any depth (such a key would never be
/// found again). Iterative over nesting.
fn contains_nan(v: &Value) -> bool {
    let mut work = vec![v.clone()];
    while let Some(x) = work.pop() {
        match x {
            Value::Float(f) if f.is_nan() => return true,
            Value::List(_) => work.extend(x.list_iter()),
            _ => {}
        }
    }
    false
}

/// The key for storing a value: like [`key_of`], but NaN keys are refused.
fn store_key(name: &str, v: &Value) -> Result<Key, ErrorValue> {
    if contains_nan(v) {
        return Err(ErrorValue::new("Error", format!("{name}: NaN cannot be a map key (NaN is not equal to itself)")));
    }
    Ok(key_of(v))
}

fn b_create(_: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    if !a.len().is_multiple_of(2) {
        return Err(ErrorValue::new(
            "Error",
            format!("map/create: expected keys and values in pairs, got an odd number of arguments ({})", a.len()),
        ));
    }
    let mut m = MapObj::new();
    for kv in a.chunks_exact(2) {
        m.insert(store_key("map/create", &kv[0])?, kv[1].clone());
    }
    Ok(Value::Map(Rc::new(RefCell::new(m))))
}

fn b_get(_: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    let m = arg_map("map/get", a, 1)?;
    let found = m.borrow().get(&key_of(&a[1])).cloned();
    Ok(found.unwrap_or_else(|| a.get(2).cloned().unwrap_or(Value::Nil)))
}

fn b_set(_: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    let m = arg_map("map/set!", a, 1)?;
    let key = store_key("map/set!", &a[1])?;
    // Key comparisons may borrow maps (this one too, if a key is or holds it): shared borrow only.
    let index = m.borrow().get_index_of(&key);
    let mut map = m.borrow_mut();
    match index.and_then(|i| map.get_index_mut(i)) {
        Some((_, slot)) => *slot = a[2].clone(),
        None => {
            // Known absent: insert without comparing keys again.
            let hash = map.hasher().hash_one(&key);
            if let RawEntryMut::Vacant(entry) = map.raw_entry_mut_v1().from_hash(hash, |_| false) {
                entry.insert_hashed_nocheck(hash, key, a[2].clone());
            }
        }
    }
    Ok(a[0].clone())
}

fn b_has(_: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    let m = arg_map("map/has?", a, 1)?;
    let has = m.borrow().contains_key(&key_of(&a[1]));
    Ok(Value::Bool(has))
}

fn b_delete(_: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    let m = arg_map("map/delete!", a, 1)?;
    let index = m.borrow().get_index_of(&key_of(&a[1]));
    if let Some(i) = index {
        // Take the entry out, and drop it after the borrow ends.
        let removed = m.borrow_mut().shift_remove_index(i);
        drop(removed);
    }
    Ok(a[0].clone())
}

fn b_keys(_: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    let m = arg_map("map/keys", a, 1)?;
    let keys: Vec<Value> = m.borrow().keys().map(|k| k.0.clone()).collect();
    Ok(Value::list_from(keys))
}

fn b_values(_: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    let m = arg_map("map/values", a, 1)?;
    let values: Vec<Value> = m.borrow().values().cloned().collect();
    Ok(Value::list_from(values))
}

fn b_entries(_: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    let m = arg_map("map/entries", a, 1)?;
    let entries: Vec<Value> = m.borrow().iter().map(|(k, v)| Value::list_from([k.0.clone(), v.clone()])).collect();
    Ok(Value::list_from(entries))
}

fn b_size(_: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    let m = arg_map("map/size", a, 1)?;
    let n = m.borrow().len();
    Ok(Value::Int(n as i64))
}

fn b_clear(_: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    let m = arg_map("map/clear!", a, 1)?;
    // Drop the old entries after the borrow ends (a value may be this map).
    let old = std::mem::take(&mut *m.borrow_mut());
    drop(old);
    Ok(a[0].clone())
}

fn b_merge(h: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    let mut len = Some(0usize);
    for v in a {
        if let Value::Map(m) = v {
            len = len.and_then(|n| n.checked_add(m.borrow().len()));
        }
    }
    super::check_collection(h, "map/merge", len)?;
    let mut out = MapObj::new();
    for pos in 1..=a.len() {
        let m = arg_map("map/merge", a, pos)?;
        for (k, v) in m.borrow().iter() {
            out.insert(k.clone(), v.clone());
        }
    }
    Ok(Value::Map(Rc::new(RefCell::new(out))))
}

fn b_from_list(_: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    let list = expect_list("map/from-list", 1, &a[0])?;
    let mut out = MapObj::new();
    for (i, pair) in list.list_iter().enumerate() {
        if !matches!(pair, Value::List(_)) || pair.list_len() != 2 {
            let got = match &pair {
                Value::List(_) if pair.list_len() == 1 => "a list of 1 element".to_string(),
                Value::List(_) => format!("a list of {} elements", pair.list_len()),
                other => other.type_name().to_string(),
            };
            return type_error(format!(
                "Type error: map/from-list expects (key value) lists, element {} is {got}",
                i + 1
            ));
        }
        let mut kv = pair.list_iter();
        let (k, v) = (kv.next().unwrap_or_default(), kv.next().unwrap_or_default());
        out.insert(store_key("map/from-list", &k)?, v);
    }
    Ok(Value::Map(Rc::new(RefCell::new(out))))
}
