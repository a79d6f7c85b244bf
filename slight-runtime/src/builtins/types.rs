//! `type/` builtins beyond `type/of`: `type/is?` and `type/assert`.
//!
//! A type name is a `type/of` name (`"NUMBER"`, `"LIST"`, …, plus `"KEYWORD"`, `"CLASS"`), matched
//! against `type/of` of the value, or a §6 annotation name (`i64 f64 bool str list map fn any`,
//! and the aliases `int float`), in any case, given as a string, a symbol or a keyword. `"LIST"`
//! accepts the empty list too (as the `list` annotation does), although `type/of` calls it `"NIL"`.

use super::{def, wrong_type, BuiltinDef, Host};
use crate::error::ErrorValue;
use crate::value::Value;

pub const TABLE: &[BuiltinDef] = &[
    def(
        "type/is?",
        2,
        Some(2),
        b_is,
        "True when the value has the type: a type/of name such as \"NUMBER\" or an annotation name such as \
         \"i64\" (integers only) or \"f64\" (floats only), in any case; \"LIST\" also accepts (). An unknown name \
         is an error.",
        "(type/is? value type-name)",
        "(type/is? 1.5 \"f64\") => true",
    ),
    def(
        "type/assert",
        2,
        Some(2),
        b_assert,
        "Returns the value when (type/is? value type-name), else raises a TypeError \"Type assertion failed: \
         expected NUMBER, got STRING\".",
        "(type/assert value type-name)",
        "(type/assert 42 \"number\") => 42",
    ),
];

/// What a type name accepts.
#[derive(Clone, Copy)]
enum TypeTest {
    /// Values whose `type/of` is this name (so new kinds of values need no change here).
    TypeOf(&'static str),
    /// Any list, the empty one included.
    List,
    Int,
    Float,
    Any,
}

impl TypeTest {
    fn accepts(self, v: &Value) -> bool {
        match self {
            TypeTest::TypeOf(name) => v.type_name() == name,
            TypeTest::List => matches!(v, Value::List(_)),
            TypeTest::Int => matches!(v, Value::Int(_)),
            TypeTest::Float => matches!(v, Value::Float(_)),
            TypeTest::Any => true,
        }
    }
}

/// The `type/of` names (`OBJECT` and `CLASS` match nothing until classes exist).
const TYPE_OF_NAMES: &[&str] = &[
    "NUMBER", "STRING", "BOOLEAN", "LIST", "NIL", "FUNCTION", "ERROR", "OBJECT", "CLASS", "MAP", "SYMBOL", "KEYWORD",
    "PID",
];

/// The test for a type name and the name error messages use: the `type/of` spelling (upper
/// case) when there is one, else the annotation spelling (`i64 f64 bool str fn any`).
fn parse_type(builtin: &str, name: &Value) -> Result<(TypeTest, &'static str), ErrorValue> {
    let text = match name {
        Value::Str(s) | Value::Sym(s) | Value::Keyword(s) => s.as_str(),
        other => return wrong_type(builtin, 2, "string", other),
    };
    let upper = text.to_ascii_uppercase();
    if let Some(&canonical) = TYPE_OF_NAMES.iter().find(|n| **n == upper) {
        let test = if canonical == "LIST" { TypeTest::List } else { TypeTest::TypeOf(canonical) };
        return Ok((test, canonical));
    }
    Ok(match upper.as_str() {
        "I64" | "INT" => (TypeTest::Int, "i64"),
        "F64" | "FLOAT" => (TypeTest::Float, "f64"),
        "BOOL" => (TypeTest::TypeOf("BOOLEAN"), "bool"),
        "STR" => (TypeTest::TypeOf("STRING"), "str"),
        "FN" => (TypeTest::TypeOf("FUNCTION"), "fn"),
        "ANY" => (TypeTest::Any, "any"),
        _ => {
            return Err(ErrorValue::new(
                "Error",
                format!(
                    "{builtin}: unknown type name {} (known: {}, and i64 f64 bool str list map fn any)",
                    name.repr(),
                    TYPE_OF_NAMES.join(" ")
                ),
            ))
        }
    })
}

fn b_is(_: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    let (test, _) = parse_type("type/is?", &a[1])?;
    Ok(Value::Bool(test.accepts(&a[0])))
}

fn b_assert(_: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
    let (test, name) = parse_type("type/assert", &a[1])?;
    if test.accepts(&a[0]) {
        Ok(a[0].clone())
    } else {
        Err(ErrorValue::type_error(format!("Type assertion failed: expected {name}, got {}", a[0].type_name())))
    }
}
