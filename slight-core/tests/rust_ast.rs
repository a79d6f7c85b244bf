//! Tests of the Rust-AST s-expression format (`slight_core::rust_ast`): every construct prints
//! as the expected Rust, converts s-expr → syn → s-expr unchanged, and reads back from the Rust
//! text; whole functions pretty-print; malformed forms are positioned errors, never panics.
#![cfg(feature = "codegen")]

use slight_core::rust_ast::{
    expr_from_rust, expr_from_syn, expr_to_syn, fast_string, file_from_rust, file_from_syn, file_to_syn, item_from_syn,
    item_to_syn, normalize_tokens, pat_from_syn, pat_to_syn, source, type_from_rust, type_from_syn, type_to_syn,
    Printer, BINOPS, MAX_DEPTH,
};
use slight_core::{ErrorKind, Reader, Sexp, SexpKind, SlightError, Span};

// ------------------------------------------------------------------------------------------
// Helpers
// ------------------------------------------------------------------------------------------

fn read1(src: &str) -> Sexp {
    let mut forms = Reader::read_all(src, 0).unwrap_or_else(|e| panic!("reading {src:?}: {}", e.message));
    assert_eq!(forms.len(), 1, "one form expected in {src:?}");
    forms.remove(0)
}

fn norm(rust: &str) -> String {
    normalize_tokens(rust).unwrap_or_else(|e| panic!("{}", e.message))
}

fn ok<T>(r: Result<T, SlightError>, what: &str) -> T {
    r.unwrap_or_else(|e| panic!("{what}: {} at {}:{}", e.message, e.span.line, e.span.col))
}

/// The expression form prints as `rust`, round-trips through syn, and is what `rust` parses to.
fn check_expr(sexp: &str, rust: &str) {
    let s = read1(sexp);
    let syn_expr = ok(expr_to_syn(&s), sexp);
    assert_eq!(norm(&fast_string(&syn_expr)), norm(rust), "printing {sexp}");
    let back = ok(expr_from_syn(&syn_expr), sexp);
    assert!(back.same(&s), "round trip of {sexp} gave {back}");
    let parsed = ok(expr_from_rust(rust), rust);
    assert!(parsed.same(&s), "Rust {rust:?} read back as {parsed}, expected {sexp}");
}

/// The same for an item form (parsed back as a one-item file).
fn check_item(sexp: &str, rust: &str) {
    let s = read1(sexp);
    let item = ok(item_to_syn(&s), sexp);
    assert_eq!(norm(&fast_string(&item)), norm(rust), "printing {sexp}");
    let back = ok(item_from_syn(&item), sexp);
    assert!(back.same(&s), "round trip of {sexp} gave {back}");
    let parsed = ok(file_from_rust(rust), rust);
    let expected = Sexp::list(vec![Sexp::sym("file", Span::default()), s.clone()], Span::default());
    assert!(parsed.same(&expected), "Rust {rust:?} read back as {parsed}, expected (file {sexp})");
}

fn check_type(sexp: &str, rust: &str) {
    let s = read1(sexp);
    let ty = ok(type_to_syn(&s), sexp);
    assert_eq!(norm(&fast_string(&ty)), norm(rust), "printing {sexp}");
    assert!(ok(type_from_syn(&ty), sexp).same(&s), "round trip of {sexp}");
    assert!(ok(type_from_rust(rust), rust).same(&s), "Rust {rust:?} read back");
}

fn check_pat(sexp: &str, rust: &str) {
    let s = read1(sexp);
    let pat = ok(pat_to_syn(&s), sexp);
    assert_eq!(norm(&fast_string(&pat)), norm(rust), "printing {sexp}");
    assert!(ok(pat_from_syn(&pat), sexp).same(&s), "round trip of {sexp}");
    // Read back through a match arm.
    let m = ok(expr_from_rust(&format!("match x {{ {rust} => 0, }}")), rust);
    let arm = &m.as_list().unwrap()[2].as_list().unwrap()[0];
    assert!(arm.same(&s), "Rust pattern {rust:?} read back as {arm}");
}

/// The error for a malformed form: kind, message fragment and line:col.
fn check_err(src: &str, convert: fn(&Sexp) -> Result<String, SlightError>, msg: &str, line: u32, col: u32) {
    let s = read1(src);
    let e = match convert(&s) {
        Ok(out) => panic!("{src:?} converted to {out:?}, expected an error"),
        Err(e) => e,
    };
    assert_eq!(e.kind, ErrorKind::Syntax, "{src}");
    assert!(e.message.contains(msg), "error for {src:?} was {:?}, expected it to contain {msg:?}", e.message);
    assert_eq!((e.span.line, e.span.col), (line, col), "position of {:?} in {src:?}", e.message);
}

fn as_expr(s: &Sexp) -> Result<String, SlightError> {
    expr_to_syn(s).map(|e| fast_string(&e))
}
fn as_item(s: &Sexp) -> Result<String, SlightError> {
    item_to_syn(s).map(|e| fast_string(&e))
}
fn as_type(s: &Sexp) -> Result<String, SlightError> {
    type_to_syn(s).map(|e| fast_string(&e))
}

// ------------------------------------------------------------------------------------------
// Expressions
// ------------------------------------------------------------------------------------------

#[test]
fn paths() {
    check_expr("x", "x");
    check_expr("self", "self");
    check_expr("(path a b c)", "a::b::c");
    check_expr("(path :global true slight Value)", "::slight::Value");
    check_expr("(path (generic Vec i64) new)", "Vec::<i64>::new");
    check_expr("(generic f T)", "f::<T>");
    check_expr("(path crate rt (generic call (path slight Value) bool))", "crate::rt::call::<slight::Value, bool>");
}

#[test]
fn literals() {
    check_expr("(lit 1)", "1");
    check_expr("(lit 42 i64)", "42i64");
    check_expr("(lit 7 usize)", "7usize");
    check_expr("(lit 2.5)", "2.5");
    check_expr("(lit 2.5 f64)", "2.5f64");
    check_expr("(lit 1e300)", "1e300");
    check_expr(r#"(lit "a \"q\"\n")"#, r#""a \"q\"\n""#);
    check_expr(r#"(lit "c" char)"#, "'c'");
    check_expr(r#"(lit "\n" char)"#, r"'\n'");
    check_expr("(lit true)", "true");
    check_expr("(lit false)", "false");
    // Bare atoms and negative numbers are accepted; negatives read back as a negation.
    assert_eq!(ok(as_expr(&read1("7")), "bare int"), "7");
    assert_eq!(ok(as_expr(&read1("(lit -3 i64)")), "negative"), norm("-3i64"));
    assert!(ok(expr_from_rust("-3i64"), "neg").same(&read1("(unop - (lit 3 i64))")));
    assert_eq!(ok(as_expr(&read1("(lit -0.5)")), "negative float"), norm("-0.5"));
}

#[test]
fn calls_fields_and_indexing() {
    check_expr("(call f)", "f()");
    check_expr("(call (path slight rt add) a (lit 1 i64))", "slight::rt::add(a, 1i64)");
    check_expr("(call (call make) x)", "make()(x)");
    check_expr("(method v push (lit 1))", "v.push(1)");
    check_expr("(method it (generic collect (generic Vec i64)))", "it.collect::<Vec<i64>>()");
    check_expr("(method (method a b) c d)", "a.b().c(d)");
    check_expr("(field p x)", "p.x");
    check_expr("(field t 0)", "t.0");
    check_expr("(index v (lit 0))", "v[0]");
    check_expr("(index (field s items) (binop + i (lit 1)))", "s.items[i + 1]");
}

#[test]
fn every_binary_operator() {
    for (name, rust) in BINOPS {
        check_expr(&format!("(binop {name} a b)"), &format!("a {rust} b"));
    }
}

#[test]
fn unary_references_and_postfix() {
    check_expr("(unop - x)", "-x");
    check_expr("(unop ! (call ok))", "!ok()");
    check_expr("(deref r)", "*r");
    check_expr("(ref x)", "&x");
    check_expr("(ref-mut (field s v))", "&mut s.v");
    check_expr("(assign x (lit 1))", "x = 1");
    check_expr("(assign (deref r) (binop + (deref r) (lit 1)))", "*r = *r + 1");
    check_expr("(cast n f64)", "n as f64");
    check_expr("(cast (field v len) (path std primitive i64))", "v.len as std::primitive::i64");
    check_expr("(try (call parse s))", "parse(s)?");
    check_expr("(await (call fetch))", "fetch().await");
    check_expr("(try (await (method rx recv)))", "rx.recv().await?");
}

#[test]
fn precedence_is_printed_from_the_tree() {
    check_expr("(binop * (binop + a b) c)", "(a + b) * c");
    check_expr("(binop + a (binop * b c))", "a + b * c");
    check_expr("(binop - a (binop - b c))", "a - (b - c)");
    check_expr("(binop - (binop - a b) c)", "a - b - c");
    check_expr("(method (binop + a b) abs)", "(a + b).abs()");
    check_expr("(field (deref p) x)", "(*p).x");
    check_expr("(deref (field p x))", "*p.x");
    check_expr("(cast (binop + a b) i64)", "(a + b) as i64");
    check_expr("(unop - (binop + a b))", "-(a + b)");
    check_expr("(binop and (binop or a b) c)", "(a || b) && c");
    check_expr("(call (closure (x) x) (lit 1))", "(|x| x)(1)");
}

#[test]
fn tuples_arrays_ranges() {
    check_expr("(tuple)", "()");
    check_expr("(tuple a)", "(a,)");
    check_expr("(tuple a (lit 1))", "(a, 1)");
    check_expr("(array)", "[]");
    check_expr("(array (lit 1) (lit 2))", "[1, 2]");
    check_expr("(range (lit 0) n)", "0..n");
    check_expr("(range-incl (lit 1) (lit 9))", "1..=9");
}

#[test]
fn blocks_and_statements() {
    check_expr("(block)", "{}");
    check_expr("(block x)", "{ x }");
    check_expr("(block (let x :mut true :ty i64 (lit 1)) (binop += x (lit 2)) x)", "{ let mut x: i64 = 1; x += 2; x }");
    check_expr("(block (call f) (semi (call g)))", "{ f(); g(); }");
    check_expr(
        "(block (let (tuple a b) (call pair)) (let y) (let z :ty u8))",
        "{ let (a, b) = pair(); let y; let z: u8; }",
    );
    check_expr("(block (let _ (call f)))", "{ let _ = f(); }");
    check_expr(
        "(block (fn :name helper :params () :ret i64 :body (block (lit 1))) (call helper))",
        "{ fn helper() -> i64 { 1 } helper() }",
    );
    check_expr(r#"(block (macro println "\"hi\"") (lit 1))"#, r#"{ println!("hi"); 1 }"#);
    check_expr(r#"(block (semi (macro println "\"hi\"")))"#, r#"{ println!("hi"); }"#);
}

#[test]
fn conditionals() {
    check_expr("(if c (lit 1) (lit 2))", "if c { 1 } else { 2 }");
    check_expr("(if c (call f))", "if c { f() }");
    check_expr("(if c (block (call f) (lit 1)) (block (semi (call g))))", "if c { f(); 1 } else { g(); }");
    check_expr("(if a (lit 1) (if b (lit 2) (lit 3)))", "if a { 1 } else if b { 2 } else { 3 }");
    check_expr("(if (binop < n (lit 2)) n (binop - n (lit 1)))", "if n < 2 { n } else { n - 1 }");
}

#[test]
fn loops_and_jumps() {
    check_expr("(loop (break))", "loop { break; }");
    check_expr("(loop :label outer (loop (break :label outer (lit 1))))", "'outer: loop { loop { break 'outer 1; }; }");
    check_expr("(loop (if c (break x)) (continue))", "loop { if c { break x } continue; }");
    check_expr("(loop :label l (continue :label l))", "'l: loop { continue 'l; }");
    check_expr("(while (binop < i n) (binop += i (lit 1)))", "while i < n { i += 1; }");
    check_expr("(while :label w (lit true) (break :label w))", "'w: while true { break 'w; }");
    check_expr("(for x (range (lit 0) n) (call f x))", "for x in 0..n { f(x); }");
    check_expr("(for (tuple k v) (method m iter) (call put k v))", "for (k, v) in m.iter() { put(k, v); }");
    check_expr(
        "(block (while c (call f)) (for x xs (call g x)) (if c (call h)) (loop (break)) (lit 1))",
        "{ while c { f(); } for x in xs { g(x); } if c { h() } loop { break; } 1 }",
    );
    check_expr(
        "(block (loop (break (lit 1))) (loop (loop (break :label l (lit 2)))) (lit 3))",
        "{ loop { break 1; }; loop { loop { break 'l 2; }; }; 3 }",
    );
    check_expr(
        "(block (if c (return)) (if d (break) (continue)) (assign x (lit 1)))",
        "{ if c { return } if d { break } else { continue }; x = 1 }",
    );
    check_expr("(return)", "return");
    check_expr("(return (lit 1))", "return 1");
}

#[test]
fn closures() {
    check_expr("(closure () (lit 1))", "|| 1");
    check_expr("(closure (x) (binop + x (lit 1)))", "|x| x + 1");
    check_expr("(closure :move true ((x i64) y) (binop * x y))", "move |x: i64, y| x * y");
    check_expr("(closure (((tuple a b) _)) a)", "|(a, b)| a");
    check_expr("(closure (((mut acc) _) _) (block (binop += acc (lit 1)) acc))", "|mut acc, _| { acc += 1; acc }");
    check_expr("(closure :ret i64 ((x i64)) (block x))", "|x: i64| -> i64 { x }");
}

#[test]
fn matches_and_patterns() {
    check_expr(
        r#"(match x ((lit 1) (lit "one")) ((or (lit 2) (lit 3)) (lit "few")) (n (binop > n (lit 100)) (lit "many")) (_ (lit "other")))"#,
        r#"match x { 1 => "one", 2 | 3 => "few", n if n > 100 => "many", _ => "other", }"#,
    );
    check_expr(
        "(match v ((variant Some (mut n)) (block (binop += n (lit 1)) n)) (None (lit 0)))",
        "match v { Some(mut n) => { n += 1; n } None => 0, }",
    );
    check_pat("_", "_");
    check_pat("x", "x");
    check_pat("(mut x)", "mut x");
    check_pat("(lit 1)", "1");
    check_pat(r#"(lit "s")"#, r#""s""#);
    check_pat("(path Ordering Less)", "Ordering::Less");
    check_pat("(tuple a _)", "(a, _)");
    check_pat("(tuple a)", "(a,)");
    check_pat("(variant (path slight Value Int) n)", "slight::Value::Int(n)");
    check_pat("(variant Some (tuple a b))", "Some((a, b))");
    check_pat("(or (lit 1) (lit 2))", "1 | 2");
    check_pat("(range-incl (lit 1) (lit 9))", "1..=9");
    check_pat(r#"(range-incl (lit "a" char) (lit "z" char))"#, "'a'..='z'");
}

#[test]
fn macro_calls() {
    check_expr("(macro vec \"1 , 2\" bracket)", "vec![1, 2]");
    check_expr(r#"(macro format "\"{}-{}\" , a , b")"#, r#"format!("{}-{}", a, b)"#);
    check_expr(r#"(macro (path std println) "\"x\"")"#, r#"std::println!("x")"#);
    check_expr("(macro m \"\" brace)", "m! {}");
}

// ------------------------------------------------------------------------------------------
// Types
// ------------------------------------------------------------------------------------------

#[test]
fn types() {
    check_type("i64", "i64");
    check_type("_", "_");
    check_type("(path slight Value)", "slight::Value");
    check_type("(path :global true slight Value)", "::slight::Value");
    check_type("(generic Vec i64)", "Vec<i64>");
    check_type("(generic HashMap String (generic Vec u8))", "HashMap<String, Vec<u8>>");
    check_type("(path std rc (generic Rc (path slight Value)))", "std::rc::Rc<slight::Value>");
    check_type("(ref str)", "&str");
    check_type("(ref-mut (generic Vec u8))", "&mut Vec<u8>");
    check_type("(tuple)", "()");
    check_type("(tuple i64)", "(i64,)");
    check_type("(tuple i64 bool)", "(i64, bool)");
    check_type("(slice u8)", "[u8]");
    check_type("(array f32 4)", "[f32; 4]");
    // The explicit wrapper is accepted anywhere a type goes and dropped when read back.
    assert_eq!(ok(as_type(&read1("(type (ref (type T)))")), "wrapped"), norm("&T"));
    let cast = read1("(cast x (type u8))");
    assert_eq!(ok(as_expr(&cast), "cast"), norm("x as u8"));
}

// ------------------------------------------------------------------------------------------
// Items
// ------------------------------------------------------------------------------------------

#[test]
fn items() {
    check_item("(fn :name f :params () :body (block))", "fn f() {}");
    check_item(
        "(fn :name fib :pub true :params ((n i64)) :ret i64 :body (block n))",
        "pub fn fib(n: i64) -> i64 { n }",
    );
    check_item(
        "(fn :name run :pub true :async true :params (((mut p) (ref-mut Process)) (_ u8)) :body (block (await (call step p))))",
        "pub async fn run(mut p: &mut Process, _: u8) { step(p).await }",
    );
    check_item(
        r#"(fn :name g :attrs ("inline" "allow (unused_mut , dead_code)") :params () :body (block))"#,
        "#[inline] #[allow(unused_mut, dead_code)] fn g() {}",
    );
    check_item("(static N :ty i64 (lit 1))", "static N: i64 = 1;");
    check_item("(static COUNT :pub true :mut true :ty usize (lit 0))", "pub static mut COUNT: usize = 0;");
    check_item(
        "(static GLOBALS :ty (path once_cell sync (generic Lazy (path slight Value))) (call (path once_cell sync Lazy new) (closure () (call init))))",
        "static GLOBALS: once_cell::sync::Lazy<slight::Value> = once_cell::sync::Lazy::new(|| init());",
    );
    check_item("(const LIMIT :pub true :ty usize (lit 10))", "pub const LIMIT: usize = 10;");
    check_item("(use std collections HashMap)", "use std::collections::HashMap;");
    check_item("(use :pub true :global true slight Value)", "pub use ::slight::Value;");
    check_item("(use std io *)", "use std::io::*;");
    check_item("(use std fmt (as Write W))", "use std::fmt::Write as W;");
    check_item("(use std (group (fmt Write) (io *) (rc)))", "use std::{fmt::Write, io::*, rc};");
    check_item(
        "(mod generated :pub true (use super *) (fn :name one :pub true :params () :ret i64 :body (block (lit 1 i64))))",
        "pub mod generated { use super::*; pub fn one() -> i64 { 1i64 } }",
    );
    check_item("(macro thread_local \"static X : u8 = 0 ;\" brace)", "thread_local! { static X: u8 = 0; }");
    check_item("(macro m \"a\")", "m!(a);");
}

// ------------------------------------------------------------------------------------------
// Whole functions: round trip and pretty printing
// ------------------------------------------------------------------------------------------

const FIB: &str = "(fn :name fib :pub true :params ((n i64)) :ret i64
  :body (block (if (binop < n (lit 2)) n
                 (binop + (call fib (binop - n (lit 1))) (call fib (binop - n (lit 2)))))))";

const SUM_LOOP: &str = "(fn :name sum_to :params ((n i64)) :ret i64
  :body (block
          (let acc :mut true (lit 0 i64))
          (let i :mut true (lit 0 i64))
          (loop
            (if (binop > i n) (break))
            (binop += acc i)
            (binop += i (lit 1)))
          acc))";

const ADDER: &str = "(fn :name make_adder :pub true :params ((k i64))
      :ret (path std boxed (generic Box (path slight Adder)))
  :body (block
          (let f (closure :move true ((x i64)) (binop + x k)))
          (call (path Box new) f)))";

fn round_trip_item(src: &str) -> String {
    let s = read1(src);
    let item = ok(item_to_syn(&s), src);
    let back = ok(item_from_syn(&item), src);
    assert!(back.same(&s), "round trip of {src} gave {back}");
    // Printed, read again with the Slight reader: still the same form.
    assert!(read1(&back.to_string()).same(&s), "printed form reads back");
    ok(source(&s, Printer::Pretty), src)
}

#[test]
fn fib_round_trips_and_pretty_prints() {
    let pretty = round_trip_item(FIB);
    assert_eq!(pretty, "pub fn fib(n: i64) -> i64 {\n    if n < 2 { n } else { fib(n - 1) + fib(n - 2) }\n}\n");
    assert_eq!(
        norm(&ok(source(&read1(FIB), Printer::Fast), "fast")),
        norm("pub fn fib(n: i64) -> i64 { if n < 2 { n } else { fib(n - 1) + fib(n - 2) } }")
    );
}

#[test]
fn loop_with_break_round_trips_and_pretty_prints() {
    let pretty = round_trip_item(SUM_LOOP);
    assert_eq!(
        pretty,
        "fn sum_to(n: i64) -> i64 {
    let mut acc = 0i64;
    let mut i = 0i64;
    loop {
        if i > n {
            break;
        }
        acc += i;
        i += 1;
    }
    acc
}
"
    );
}

#[test]
fn closure_round_trips_and_pretty_prints() {
    let pretty = round_trip_item(ADDER);
    assert_eq!(
        pretty,
        "pub fn make_adder(k: i64) -> std::boxed::Box<slight::Adder> {
    let f = move |x: i64| x + k;
    Box::new(f)
}
"
    );
}

#[test]
fn files_round_trip() {
    let src = format!("(file (use std collections HashMap) {FIB} {SUM_LOOP} {ADDER})");
    let s = read1(&src);
    let file = ok(file_to_syn(&s), "file");
    assert!(ok(file_from_syn(&file), "file").same(&s));
    let text = ok(source(&s, Printer::Pretty), "pretty");
    assert!(text.starts_with("use std::collections::HashMap;\npub fn fib"), "{text}");
    // The pretty text parses back to the same forms.
    assert!(ok(file_from_rust(&text), "reparse").same(&s));
}

#[test]
fn pretty_expression() {
    let text = ok(source(&read1("(if c (lit 1) (lit 2))"), Printer::Pretty), "pretty expr");
    assert_eq!(text, "if c { 1 } else { 2 }");
}

// ------------------------------------------------------------------------------------------
// Errors
// ------------------------------------------------------------------------------------------

#[test]
fn malformed_forms_are_positioned_syntax_errors() {
    check_err("(fn :name f\n  :body (block\n    (binop ** a b)))", as_item, "unknown binary operator `**`", 3, 12);
    check_err("(fn :name 1 :body (block))", as_item, "expected an identifier", 1, 11);
    check_err("(fn :name f :body (lit 1))", as_item, "the :body of a fn must be a (block", 1, 19);
    check_err("(fn :name f :nme g :body (block))", as_item, "unknown option :nme", 1, 13);
    check_err("(fn :name f :pub yes :body (block))", as_item, "must be true or false", 1, 18);
    check_err("(fn :name f :params (n) :body (block))", as_item, "expected a parameter (PATTERN TYPE)", 1, 22);
    check_err("(fn :name f :body (block) :name g)", as_item, "given twice", 1, 27);
    check_err("(fn :name f :body)", as_item, "option :body has no value", 1, 13);
    check_err("(static X (lit 1))", as_item, "missing option :ty", 1, 1);
    check_err("(struct S)", as_item, "unknown item form `struct`", 1, 1);
    check_err("(call)", as_expr, "expected (call FUNCTION ARG...)", 1, 1);
    check_err("(lit 1 i65)", as_expr, "invalid suffix `i65`", 1, 8);
    check_err("(lit 1.5 i64)", as_expr, "invalid suffix", 1, 10);
    check_err(r#"(lit "ab" char)"#, as_expr, "exactly one character", 1, 6);
    check_err("(lit nil)", as_expr, "expected a literal", 1, 1);
    check_err("(foo 1)", as_expr, "unknown expression form `foo`", 1, 1);
    check_err("(call make-adder x)", as_expr, "`make-adder` is not a valid Rust identifier", 1, 7);
    check_err("(call fn)", as_expr, "`fn` is not a valid Rust identifier", 1, 7);
    check_err("(block (binop + a))", as_expr, "expected (binop OP LEFT RIGHT)", 1, 8);
    check_err("(let x (lit 1))", as_expr, "`let` is a statement", 1, 1);
    check_err("(if c)", as_expr, "expected (if COND THEN)", 1, 1);
    check_err("(unop ~ x)", as_expr, "unknown unary operator", 1, 7);
    check_err("(macro vec \"(\" bracket)", as_expr, "invalid macro tokens", 1, 12);
    check_err("(macro vec \"1\" square)", as_expr, "macro delimiter", 1, 16);
    check_err("(block (let (tuple a b) :mut true (lit 1)))", as_expr, ":mut true` needs a plain name", 1, 13);
    check_err("(match x ((lit 1)))", as_expr, "expected a match arm", 1, 10);
    check_err("(closure :ret i64 (x) x)", as_expr, "needs a (block ...) body", 1, 23);
    check_err("(field x -1)", as_expr, "tuple field index out of range", 1, 10);
    check_err("(loop :lable l)", as_expr, "unknown option :lable", 1, 7);
    check_err("(path)", as_expr, "empty path", 1, 1);
    check_err("(array f32 n)", as_type, "(array TYPE LENGTH)", 1, 1);
    check_err("(ref)", as_type, "expected (ref TYPE)", 1, 1);
    check_err("(fnptr i64)", as_type, "unknown type form `fnptr`", 1, 1);
    check_err("(generic Vec)", as_type, "at least one type", 1, 1);
    check_err("(fn :name f :body (block (match x ((foo a) (lit 1)))))", as_item, "unknown pattern form `foo`", 1, 36);
    check_err("(fn :name f :attrs (\"not an attr (\") :body (block))", as_item, "invalid attribute", 1, 21);
}

#[test]
fn rust_outside_the_format_is_an_error() {
    for (rust, fragment) in [
        ("x as *const u8", "this type is"),
        ("if let Some(x) = y { x }", "this expression is"),
        ("#[inline] || 1", "attributes here are"),
        ("a..", "an open range is"),
        ("18446744073709551615u64", "beyond i64"),
        ("b\"bytes\"", "this literal is"),
        ("match x { ref y => 1 }", "this pattern is"),
    ] {
        let e = expr_from_rust(rust).expect_err(rust);
        assert_eq!(e.kind, ErrorKind::Syntax);
        assert!(e.message.contains(fragment), "{rust}: {}", e.message);
    }
    for (rust, fragment) in [
        ("struct S;", "this item is"),
        ("fn f<T>(x: T) {}", "generic fn"),
        ("pub(crate) fn f() {}", "restricted visibility"),
        ("impl S { fn f(&self) {} }", "this item is"),
    ] {
        let e = file_from_rust(rust).expect_err(rust);
        assert!(e.message.contains(fragment), "{rust}: {}", e.message);
    }
}

/// Deep nesting is an error, not a stack overflow, and nesting just under the limit converts
/// and prints (both printers) within an 8 MiB stack — the main thread's, and rustc's when the
/// `slight!` macro runs — in unoptimised builds.
#[test]
fn nesting_is_bounded() {
    /// `depth` levels of `wrap` around `x` (each counted level is one expression/statement).
    fn nested(depth: usize, wrap: &str) -> Sexp {
        // Deeper than the reader accepts, so the shape is read once and nested structurally.
        fn subst(t: &Sexp, inner: &Sexp) -> Sexp {
            match &t.kind {
                SexpKind::Sym(n) if n == "X" => inner.clone(),
                SexpKind::List(items) => Sexp::list(items.iter().map(|i| subst(i, inner)).collect(), t.span),
                _ => t.clone(),
            }
        }
        let shape = read1(wrap);
        let mut e = read1("x");
        for _ in 0..depth {
            e = subst(&shape, &e);
        }
        e
    }
    let handle = std::thread::Builder::new()
        .stack_size(8 * 1024 * 1024)
        .spawn(|| {
            // Each shape costs one counted level per wrap, except the block (two: the block
            // expression and its statement).
            for (wrap, per_level) in [
                ("(unop - X)", 1),
                ("(call f X (lit 1))", 1),
                ("(binop + (lit 1) X)", 1),
                ("(if c X (lit 0))", 1),
                ("(method X m)", 1),
                ("(block X)", 2),
            ] {
                let deep = nested(MAX_DEPTH / per_level + 10, wrap);
                let e = as_expr(&deep).expect_err("too deep");
                assert!(e.message.contains("nested too deeply"), "{}", e.message);
                let ok_depth = nested(MAX_DEPTH / per_level - 1, wrap);
                let tree = expr_to_syn(&ok_depth).unwrap_or_else(|e| panic!("{wrap}: {}", e.message));
                assert!(expr_from_syn(&tree).expect("back").same(&ok_depth), "{wrap}");
                assert!(source(&ok_depth, Printer::Fast).is_ok());
                assert!(source(&ok_depth, Printer::Pretty).is_ok());
            }
        })
        .unwrap();
    handle.join().expect("no stack overflow or panic");
}

/// Every form of the suites above with one element removed or replaced by junk converts to an
/// error or to a tree, never a panic.
#[test]
fn mutilated_forms_never_panic() {
    fn variants(s: &Sexp, out: &mut Vec<Sexp>) {
        if let SexpKind::List(items) = &s.kind {
            for i in 0..items.len() {
                let mut fewer = items.clone();
                fewer.remove(i);
                out.push(Sexp::list(fewer, s.span));
                for junk in ["(lit)", "()", "nil", ":k", "1.5", "\"s\"", "(block)", "-"] {
                    let mut replaced = items.clone();
                    replaced[i] = read1(junk);
                    out.push(Sexp::list(replaced, s.span));
                }
                let mut sub = Vec::new();
                variants(&items[i], &mut sub);
                for v in sub {
                    let mut swapped = items.clone();
                    swapped[i] = v;
                    out.push(Sexp::list(swapped, s.span));
                }
            }
        }
    }
    let mut forms = Vec::new();
    for src in [FIB, SUM_LOOP, ADDER] {
        variants(&read1(src), &mut forms);
    }
    let exprs = [
        "(match v ((variant Some (mut n)) n) (_ (lit 0 i64)))",
        "(closure :move true ((x i64) y) (index (field a 0) (cast x usize)))",
        "(block (let (tuple a b) :ty (tuple i64 (ref str)) (macro vec \"1\" bracket)) (for :label l x (range a b) (break :label l)))",
    ];
    for src in exprs {
        variants(&read1(src), &mut forms);
    }
    assert!(forms.len() > 1000, "{} variants", forms.len());
    for f in &forms {
        let result = std::panic::catch_unwind(|| {
            let _ = as_item(f);
            let _ = as_expr(f);
            let _ = as_type(f);
            let _ = pat_to_syn(f);
            let _ = source(f, Printer::Pretty);
        });
        assert!(result.is_ok(), "panicked on {f}");
    }
}
