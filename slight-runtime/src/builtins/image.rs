//! `image/` builtins: writing pictures computed by a program (for example by a GPU kernel).
//!
//! `image/write-png` takes its pixels as integers `0xRRGGBB`, row by row from the top left,
//! from a list or straight from a gpu array (`:u32` or `:i32`; reading it back suspends only
//! the calling process, as `gpu/read` does). It writes a file, so it needs the `fs` capability
//! and respects the fs root exactly as the `fs/` builtins do (see `fs.rs`). Errors never leave
//! a partial file: the image is encoded in memory, then written in one go.

use super::{def, BuiltinDef};
#[cfg(feature = "image")]
use imp::b_write_png;

pub const TABLE: &[BuiltinDef] = &[def(
    "image/write-png",
    4,
    Some(4),
    b_write_png,
    "Writes an 8-bit RGB PNG file of width x height pixels; nil. The pixels are width*height integers 0xRRGGBB (from 0 to 16777215), row by row from the top left, in a list or a :u32/:i32 gpu array. Needs the fs capability (and stays inside the fs root); an Error for a wrong pixel count, size or colour, an IOError if the file cannot be written.",
    "(image/write-png path width height pixels)",
    "(image/write-png (string/concat (sys/tmpdir) \"/slight-doc.png\") 2 1 (list 0xff0000 0x0000ff)) => nil",
)];

#[cfg(not(feature = "image"))]
feature_off! { "image", "image support"; b_write_png => "image/write-png" }

/// The builtin itself (feature `image`).
#[cfg(feature = "image")]
mod imp {
    use super::super::fs::path_arg;
    use super::super::{arg_int, wrong_type, Host};
    use crate::error::ErrorValue;
    #[cfg(feature = "gpu")]
    use crate::gpu::GpuObject;
    use crate::value::Value;
    #[cfg(feature = "gpu")]
    use slight_core::kernel::Scalar;

    const NAME: &str = "image/write-png";

    /// The largest width or height a PNG can have.
    const MAX_SIDE: i64 = i32::MAX as i64;

    /// The largest colour, `0xFFFFFF`.
    const MAX_COLOUR: i64 = 0xFF_FFFF;

    fn error(message: impl std::fmt::Display) -> ErrorValue {
        ErrorValue::new("Error", format!("{NAME}: {message}"))
    }

    /// The OS's reason without Rust's ` (os error N)` suffix (as the fs/ builtins show it).
    fn reason(e: &std::io::Error) -> String {
        let s = e.to_string();
        match s.rfind(" (os error ") {
            Some(i) if s.ends_with(')') => s[..i].to_string(),
            _ => s,
        }
    }

    fn side(args: &[Value], pos: usize, what: &str) -> Result<u32, ErrorValue> {
        let n = arg_int(NAME, args, pos)?;
        if !(1..=MAX_SIDE).contains(&n) {
            return Err(error(format!("the {what} must be from 1 to {MAX_SIDE}, got {n}")));
        }
        Ok(n as u32)
    }

    fn bad_colour(index: usize, width: u32, shown: impl std::fmt::Display) -> ErrorValue {
        let (x, y) = (index % width as usize, index / width as usize);
        error(format!("pixel {index} (x {x}, y {y}) is {shown}, not a colour 0xRRGGBB from 0 to {MAX_COLOUR}"))
    }

    /// The pixels as RGB bytes: `count` of them, each checked.
    fn rgb_bytes(h: &mut dyn Host, pixels: &Value, count: usize, width: u32) -> Result<Vec<u8>, ErrorValue> {
        let wrong_count = |got: usize| {
            let height = count / width as usize;
            error(format!("a {width}x{height} image needs {count} pixels, got {got}"))
        };
        // Allocated once the count is checked (a huge width*height must not allocate).
        let mut out = Vec::new();
        let push = |out: &mut Vec<u8>, c: u32| out.extend_from_slice(&[(c >> 16) as u8, (c >> 8) as u8, c as u8]);
        match pixels {
            #[cfg(not(feature = "gpu"))]
            Value::Gpu(obj) => match **obj {},
            #[cfg(feature = "gpu")]
            Value::Gpu(obj) => {
                let b = match &**obj {
                    GpuObject::Buffer(b) => b,
                    other => {
                        return Err(error(format!(
                            "the pixels must be a list or a gpu array, got {}",
                            other.describe()
                        )))
                    }
                };
                if b.elem == Scalar::F32 {
                    return Err(error(
                        "the pixels must be integers 0xRRGGBB, got a gpu array of f32 (make a :u32 array, converting in the kernel with (u32 x))",
                    ));
                }
                if b.len != count {
                    return Err(wrong_count(b.len));
                }
                out.reserve_exact(count * 3);
                for (i, w) in super::super::gpu::read_words(h, NAME, b)?.into_iter().enumerate() {
                    if w as i64 > MAX_COLOUR {
                        return Err(match b.elem {
                            Scalar::I32 => bad_colour(i, width, w as i32),
                            _ => bad_colour(i, width, w),
                        });
                    }
                    push(&mut out, w);
                }
            }
            Value::List(_) | Value::Nil => {
                let got = pixels.list_len();
                if got != count {
                    return Err(wrong_count(got));
                }
                out.reserve_exact(count * 3);
                for (i, v) in pixels.list_iter().enumerate() {
                    match v {
                        Value::Int(c) if (0..=MAX_COLOUR).contains(&c) => push(&mut out, c as u32),
                        Value::Int(c) => return Err(bad_colour(i, width, c)),
                        other => return Err(bad_colour(i, width, other.repr())),
                    }
                }
            }
            other => return wrong_type(NAME, 4, "list or gpu array", other),
        }
        Ok(out)
    }

    fn encode(width: u32, height: u32, rgb: &[u8]) -> Result<Vec<u8>, png::EncodingError> {
        let mut bytes = Vec::new();
        let mut encoder = png::Encoder::new(&mut bytes, width, height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header()?;
        writer.write_image_data(rgb)?;
        writer.finish()?;
        Ok(bytes)
    }

    pub(super) fn b_write_png(h: &mut dyn Host, a: &[Value]) -> Result<Value, ErrorValue> {
        let (given, target) = path_arg(h, NAME, "write", a, 1)?;
        let width = side(a, 2, "width")?;
        let height = side(a, 3, "height")?;
        let count = usize::try_from(width as u64 * height as u64)
            .map_err(|_| error(format!("a {width}x{height} image is too large")))?;
        let rgb = rgb_bytes(h, &a[3], count, width)?;
        let png = encode(width, height, &rgb).map_err(|e| error(format!("cannot encode the image: {e}")))?;
        target
            .create()
            .and_then(|mut f| std::io::Write::write_all(&mut f, &png))
            .map_err(|e| ErrorValue::new("IOError", format!("{NAME}: cannot write {given:?}: {}", reason(&e))))?;
        Ok(Value::Nil)
    }
}
