//! The interface between the Rust the compiled path generates and the runtime it calls: every
//! item of the runtime support library (`slight::__rt`, i.e. `slight_runtime::native::rt`) that
//! generated code names, listed once here.
//!
//! The lowering (`lower::typed`, `lower::dynamic`) names runtime items only through
//! `lower::Rt`, an enum made from this list, so it cannot name an item that is not here. The
//! runtime expands the same list into `use` declarations of its own items, so a name here that
//! the runtime lacks is a compile error of `slight-runtime`. Associated items (`FnInfo::new`,
//! `Value::Nil`) are named through their type, which is what is checked.

/// Calls the macro `$m` with every runtime item that generated code may name, as identifiers.
#[macro_export]
#[doc(hidden)]
macro_rules! rt_items {
    ($m:ident) => {
        $m! {
            // Types and constructors of module tables.
            Value, Vm, Error, Res, Type, FnInfo, Module, Site, Form, EachForm, Part, SpecRes,
            // Running a module and its forms.
            run_program, run_forms, with_thread_vm, from_rust, expect_value, def_macro,
            // Calls, tail calls and the time slice.
            call, call_global, call_static, enter_direct, tail_call, tail_call_global,
            form_tail_call, form_tail_call_global, tick, rest_args, eval,
            // Globals and cells.
            get_global, set_global, def_global, global_is_fn, holds, prelude_holds, closure,
            new_cell, cell_get, cell_set, konst,
            // Errors, positions and type checks.
            at, locate, throw, caught, catchable, match_fail, destructure, check_type, catch_overflow,
            // Operators over values.
            add, sub, mul, div, add_i, sub_i, mul_i, neg, eq, lt, le, gt, ge, lt_i, le_i, gt_i,
            ge_i, cons, head, tail, field, list, append, append_dotted, is_empty, truthy,
            concat_owned,
            // Conversions between typed native code and values.
            int, float, boolean, arg_i64, arg_f64, arg_bool,
            // Typed native code: overflow, depth and tick hooks.
            checked, deeper, typed_tick,
            // Specialized versions of untyped functions.
            spec_on, spec_result, spec_tick, spec_checked, spec_reserve, spec_call,
        }
    };
}
