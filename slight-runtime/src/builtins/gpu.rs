//! `gpu/` builtins (docs/LANGUAGE.md §8): arrays, raw WGSL shaders and pipelines, `defkernel`
//! kernels (`%gpu-kernel`, made by the expander) and `gpu/run`, readback, and `gpu/info`.
//! Readback (`gpu/read`, `gpu/to-list`) suspends only the calling process: while the GPU copies,
//! the other processes run.

use super::{def, BuiltinDef};
#[cfg(feature = "gpu")]
pub(crate) use imp::read_words;
#[cfg(feature = "gpu")]
use imp::*;

pub const TABLE: &[BuiltinDef] = &[
    def(
        "gpu/array",
        2,
        Some(2),
        b_array,
        "An array for kernels with the numbers of a list, as :f32, :i32 or :u32 elements (on the GPU, or in memory on the CPU fallback). Error if the list is empty or a number does not fit.",
        "(gpu/array list type)",
        "(gpu/to-list (gpu/array (list 1 2 3) :i32)) => (1 2 3)",
    ),
    def(
        "gpu/buffer",
        1,
        Some(2),
        b_buffer,
        "A GPU buffer: from a list of numbers, or a number of zeroed elements; the element type is :f32 (the default), :u32 or :i32.",
        "(gpu/buffer data-or-size type)",
        "(gpu/read (gpu/buffer 3 :u32)) => (0 0 0)",
    ),
    def(
        "gpu/write",
        2,
        Some(2),
        b_write,
        "Replaces a buffer's contents with a list of exactly as many numbers; nil.",
        "(gpu/write buffer list)",
        "(let ((b (gpu/buffer 2 :i32))) (gpu/write b (list 5 6)) (gpu/read b)) => (5 6)",
    ),
    def(
        "gpu/read",
        1,
        Some(1),
        b_read,
        "A buffer's contents as a list, once the GPU work before it is done (only the calling process waits).",
        "(gpu/read buffer)",
        "(gpu/read (gpu/buffer (list 1.5 2) :f32)) => (1.5 2.0)",
    ),
    def(
        "gpu/to-list",
        1,
        Some(1),
        b_to_list,
        "Same as gpu/read: an array's contents as a list.",
        "(gpu/to-list array)",
        "(gpu/to-list (gpu/array (list 7) :u32)) => (7)",
    ),
    def(
        "gpu/shader",
        1,
        Some(1),
        b_shader,
        "Compiles WGSL source into a shader; invalid WGSL is an error naming the line.",
        "(gpu/shader wgsl-source)",
        "(type/of (gpu/shader \"@compute @workgroup_size(1) fn main() {}\")) => \"GPU-SHADER\"",
    ),
    def(
        "gpu/pipeline",
        2,
        Some(2),
        b_pipeline,
        "A compute pipeline for a shader's @compute entry point.",
        "(gpu/pipeline shader \"entry\")",
        "(type/of (gpu/pipeline (gpu/shader \"@compute @workgroup_size(1) fn main() {}\") \"main\")) => \"GPU-PIPELINE\"",
    ),
    def(
        "gpu/dispatch",
        3,
        Some(3),
        b_dispatch,
        "Runs a pipeline over (x y z) workgroups with the buffers bound to @group(0) @binding(0), (1), ...; nil. Needs a GPU adapter (raw WGSL does not run on the CPU fallback).",
        "(gpu/dispatch pipeline (list buffer...) (list x y z))",
        "(let ((b (gpu/buffer 4 :u32)) (p (gpu/pipeline (gpu/shader \"@group(0) @binding(0) var<storage, read_write> b: array<u32>; @compute @workgroup_size(4) fn main(@builtin(global_invocation_id) id: vec3<u32>) { b[id.x] = id.x * 10u; }\") \"main\"))) (gpu/dispatch p (list b) (list 1 1 1)) (gpu/read b)) => (0 10 20 30)",
    ),
    def(
        "gpu/run",
        1,
        None,
        b_run,
        "Runs a defkernel over invocations 0 .. n-1 ((gpu/id) is the invocation's index) with the given arguments: numbers for scalar parameters, gpu arrays for array parameters; nil. Results are read with gpu/to-list.",
        "(gpu/run kernel args... :grid n)",
        "(do (defkernel dbl ((xs (array i32))) (set-at! xs (gpu/id) (* 2 (at xs (gpu/id))))) (def a (gpu/array (list 1 2 3) :i32)) (gpu/run dbl a :grid 3) (gpu/to-list a)) => (2 4 6)",
    ),
    def(
        "gpu/info",
        0,
        Some(0),
        b_info,
        "Which back end runs kernels: a map with :backend (\"vulkan\", \"gl\", \"metal\", \"dx12\" or \"cpu\"), :adapter, :device-type, :driver, and :fallback-reason when the CPU fallback is used.",
        "(gpu/info)",
        "(type/of (map/get (gpu/info) :backend)) => \"STRING\"",
    ),
    def(
        "gpu/wgsl",
        1,
        Some(1),
        b_wgsl,
        "The WGSL source generated for a defkernel.",
        "(gpu/wgsl kernel)",
        "(do (defkernel one ((xs (array f32))) (set-at! xs 0 1.0)) (type/of (gpu/wgsl one))) => \"STRING\"",
    ),
    def(
        "%gpu-kernel",
        2,
        Some(2),
        b_kernel,
        "Makes a kernel value (what defkernel expands to): the generated WGSL and the quoted defkernel form.",
        "(%gpu-kernel wgsl form)",
        "(type/of (%gpu-kernel \"\" '(defkernel k ()))) => \"KERNEL\"",
    ),
];

#[cfg(not(feature = "gpu"))]
feature_off! { "gpu", "GPU support";
    b_array => "gpu/array", b_buffer => "gpu/buffer", b_write => "gpu/write", b_read => "gpu/read",
    b_to_list => "gpu/to-list", b_shader => "gpu/shader", b_pipeline => "gpu/pipeline",
    b_dispatch => "gpu/dispatch", b_run => "gpu/run", b_info => "gpu/info", b_wgsl => "gpu/wgsl",
    b_kernel => "defkernel",
}

/// The builtins themselves (feature `gpu`).
#[cfg(feature = "gpu")]
mod imp {
    use super::super::{arg_str, wrong_type, Host};
    use crate::error::ErrorValue;
    use crate::gpu::{self, Buffer, GpuObject, KernelObject, Shader};
    use crate::value::Value;
    use slight_core::kernel::Scalar;
    use std::rc::Rc;

    fn gpu_error(name: &str, message: impl std::fmt::Display) -> ErrorValue {
        ErrorValue::new("GpuError", format!("{name}: {message}"))
    }

    fn wrap(obj: GpuObject) -> Value {
        Value::Gpu(Rc::new(obj))
    }

    fn elem_arg(name: &str, args: &[Value], pos: usize) -> Result<Scalar, ErrorValue> {
        let text = match args.get(pos - 1) {
            None => return Ok(Scalar::F32),
            Some(Value::Keyword(k) | Value::Sym(k) | Value::Str(k)) => k.as_str(),
            Some(other) => return wrong_type(name, pos, "element type (:f32, :i32 or :u32)", other),
        };
        gpu::elem_type(text)
            .ok_or_else(|| gpu_error(name, format!("unknown element type {text} (use :f32, :i32 or :u32)")))
    }

    /// The numbers of a list as words of element type `t`.
    fn words(name: &str, t: Scalar, list: &Value, pos: usize) -> Result<Vec<u32>, ErrorValue> {
        if !matches!(list, Value::List(_) | Value::Nil) {
            return wrong_type(name, pos, "list", list);
        }
        list.list_iter()
            .enumerate()
            .map(|(i, v)| gpu::to_word(t, &v).map_err(|e| gpu_error(name, format!("element {i}: {e}"))))
            .collect()
    }

    /// Argument `pos` as the kind of GPU object `pick` accepts: `what` names that kind in the
    /// error for another GPU object, `what_long` in the type error for a value of another type.
    fn gpu_arg<'a, T>(
        name: &str,
        args: &'a [Value],
        pos: usize,
        (what, what_long): (&str, &str),
        pick: fn(&GpuObject) -> Option<&T>,
    ) -> Result<&'a T, ErrorValue> {
        match &args[pos - 1] {
            Value::Gpu(obj) => pick(obj).ok_or_else(|| {
                gpu_error(
                    name,
                    format!("argument {pos} must be {} {what}, got {}", super::super::article(what), obj.describe()),
                )
            }),
            other => wrong_type(name, pos, what_long, other),
        }
    }

    fn buffer_arg<'a>(name: &str, args: &'a [Value], pos: usize) -> Result<&'a Buffer, ErrorValue> {
        gpu_arg(name, args, pos, ("gpu array", "gpu array"), |o| match o {
            GpuObject::Buffer(b) => Some(b),
            _ => None,
        })
    }

    fn kernel_arg<'a>(name: &str, args: &'a [Value], long: &str) -> Result<&'a KernelObject, ErrorValue> {
        gpu_arg(name, args, 1, ("kernel", long), |o| match o {
            GpuObject::Kernel(k) => Some(k),
            _ => None,
        })
    }

    fn check_capability(h: &mut dyn Host) -> Result<(), ErrorValue> {
        if h.state().capabilities.gpu {
            Ok(())
        } else {
            Err(ErrorValue::new("CapabilityError", "capability denied: gpu"))
        }
    }

    pub(super) fn b_array(h: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
        check_capability(h)?;
        let t = elem_arg("gpu/array", a, 2)?;
        let w = words("gpu/array", t, &a[0], 1)?;
        Buffer::new(t, w).map(|b| wrap(GpuObject::Buffer(b))).map_err(|e| gpu_error("gpu/array", e))
    }

    pub(super) fn b_buffer(h: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
        check_capability(h)?;
        let t = elem_arg("gpu/buffer", a, 2)?;
        let buffer = match &a[0] {
            Value::Int(n) if *n > 0 => Buffer::zeroed(t, *n as usize),
            Value::Int(n) => return Err(gpu_error("gpu/buffer", format!("the size must be at least 1, got {n}"))),
            other => Buffer::new(t, words("gpu/buffer", t, other, 1)?),
        };
        buffer.map(|b| wrap(GpuObject::Buffer(b))).map_err(|e| gpu_error("gpu/buffer", e))
    }

    pub(super) fn b_write(h: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
        check_capability(h)?;
        let b = buffer_arg("gpu/write", a, 1)?;
        let w = words("gpu/write", b.elem, &a[1], 2)?;
        b.write(&w).map_err(|e| gpu_error("gpu/write", e))?;
        Ok(Value::Nil)
    }

    /// Reads a buffer back; while the GPU copies, the other processes run.
    pub(super) fn b_to_list(h: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
        check_capability(h)?;
        b_read(h, a)
    }

    pub(super) fn b_read(h: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
        check_capability(h)?;
        let b = buffer_arg("gpu/read", a, 1)?;
        let words = read_words(h, "gpu/read", b)?;
        Ok(Value::list_from(b.to_values(&words)))
    }

    /// An array's words, read back for builtin `name`. While the GPU copies, the other runnable
    /// processes run. When this process is paused to let them, the builtin is called again from
    /// the start and finds the copy in progress (it is kept with the array).
    pub(crate) fn read_words(h: &mut dyn Host, name: &str, b: &Buffer) -> Result<Vec<u32>, ErrorValue> {
        // A copy this call just submitted cannot be done yet: let the others run first.
        if b.begin_read().map_err(|e| gpu_error(name, e))? && h.others_ready() {
            h.yield_now()?;
        }
        loop {
            if let Some(words) = b.poll_read().map_err(|e| gpu_error(name, e))? {
                return Ok(words);
            }
            if h.others_ready() {
                h.yield_now()?;
            } else if let Some(g) = gpu::gpu().map_err(|e| gpu_error(name, e))? {
                g.wait_idle().map_err(|e| gpu_error(name, e))?;
            }
        }
    }

    pub(super) fn b_shader(h: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
        check_capability(h)?;
        let src = arg_str("gpu/shader", a, 1)?;
        Shader::new(src).map(|s| wrap(GpuObject::Shader(Box::new(s)))).map_err(|e| gpu_error("gpu/shader", e))
    }

    pub(super) fn b_pipeline(h: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
        check_capability(h)?;
        let shader = gpu_arg("gpu/pipeline", a, 1, ("shader", "shader"), |o| match o {
            GpuObject::Shader(s) => Some(s),
            _ => None,
        })?;
        let entry = arg_str("gpu/pipeline", a, 2)?;
        shader.pipeline(entry).map(|p| wrap(GpuObject::Pipeline(p))).map_err(|e| gpu_error("gpu/pipeline", e))
    }

    pub(super) fn b_dispatch(h: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
        check_capability(h)?;
        let name = "gpu/dispatch";
        let pipeline = gpu_arg(name, a, 1, ("pipeline", "pipeline"), |o| match o {
            GpuObject::Pipeline(p) => Some(p),
            _ => None,
        })?;
        let buffers: Vec<Value> = a[1].list_iter().collect();
        let mut refs = Vec::with_capacity(buffers.len());
        for i in 0..buffers.len() {
            refs.push(buffer_arg(name, &buffers, i + 1)?);
        }
        let groups: Vec<Value> = a[2].list_iter().collect();
        let mut g = [1u32; 3];
        if groups.is_empty() || groups.len() > 3 {
            return Err(gpu_error(name, "workgroup counts must be a list of 1 to 3 integers"));
        }
        for (i, v) in groups.iter().enumerate() {
            g[i] = match v {
                Value::Int(n) if (0..=u32::MAX as i64).contains(n) => *n as u32,
                other => {
                    return Err(gpu_error(
                        name,
                        format!("workgroup count {} must be an integer >= 0, got {}", i + 1, other.repr()),
                    ))
                }
            };
        }
        pipeline.dispatch(&refs, g).map_err(|e| gpu_error(name, e))?;
        Ok(Value::Nil)
    }

    pub(super) fn b_run(h: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
        check_capability(h)?;
        let name = "gpu/run";
        let kernel = kernel_arg(name, a, "kernel (made by defkernel)")?;
        let rest = &a[1..];
        let grid_at = rest.iter().position(|v| matches!(v, Value::Keyword(k) if k.as_str() == "grid"));
        let (args, grid) = match grid_at {
            Some(i) if i + 2 == rest.len() => (&rest[..i], &rest[i + 1]),
            _ => {
                return Err(gpu_error(
                    name,
                    format!("expects the grid size last: (gpu/run {} args... :grid n)", kernel.ir.name),
                ))
            }
        };
        let grid = match grid {
            Value::Int(n) if (0..=u32::MAX as i64).contains(n) => *n as u32,
            other => {
                return Err(gpu_error(
                    name,
                    format!(":grid must be an integer from 0 to 4294967295, got {}", other.repr()),
                ))
            }
        };
        let kernel_args = kernel.args(args).map_err(|e| gpu_error(&format!("gpu/run {}", kernel.ir.name), e))?;
        kernel.run(&kernel_args, grid).map_err(|e| gpu_error(&format!("gpu/run {}", kernel.ir.name), e))?;
        Ok(Value::Nil)
    }

    pub(super) fn b_info(h: &mut dyn Host, _: &[Value]) -> Result<Value, ErrorValue> {
        check_capability(h)?;
        let info = gpu::info();
        let mut map = crate::value::MapObj::default();
        let mut put = |k: &str, v: &str| {
            map.insert(crate::value::Key(Value::Keyword(Rc::new(k.into()))), Value::Str(Rc::new(v.into())));
        };
        put("backend", info.backend.name());
        put("adapter", &info.adapter);
        put("device-type", &info.device_type);
        put("driver", &info.driver);
        if let Some(r) = &info.reason {
            put("fallback-reason", r);
        }
        Ok(Value::Map(Rc::new(std::cell::RefCell::new(map))))
    }

    pub(super) fn b_wgsl(_: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
        let kernel = kernel_arg("gpu/wgsl", a, "kernel")?;
        Ok(Value::Str(Rc::new(kernel.wgsl.clone())))
    }

    /// `(%gpu-kernel wgsl '(defkernel name params body...))`: checks the form again (it was checked
    /// when expanded) to get the IR the CPU back end runs.
    pub(super) fn b_kernel(_: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
        let wgsl = arg_str("%gpu-kernel", a, 1)?;
        let span = slight_core::Span::default();
        let form = crate::convert::value_to_sexp(&a[1], span).map_err(|e| gpu_error("defkernel", e))?;
        let items = form.as_list().filter(|l| l.first().is_some_and(|h| h.is_sym("defkernel")));
        let Some(items) = items else { return Err(gpu_error("%gpu-kernel", "expects a quoted defkernel form")) };
        let ir = slight_core::kernel::check_kernel(&items[1..], span).map_err(|e| gpu_error("defkernel", e.message))?;
        Ok(wrap(GpuObject::Kernel(Box::new(KernelObject::new(ir, wgsl.to_string())))))
    }
}
