"""The values the fused kernel (:mod:`divcli.numerics.fused`) reads, in the dtype they were stored in:
float64 and float32 as they are, float16 and bfloat16 as their 16 bits (numba has no such type on the
CPU), each decoded to float64 in a register as it is read, by integer operations that the compiler
vectorises. The decoding is exact (every float16 and bfloat16 value is a float64; ±inf kept; nan never
reaches the kernel: the checks refuse it), so a row gives the same numbers whatever it was stored in,
and no block is ever widened whole. Here too: :func:`jit`, how every function of the kernel is compiled.

An operand reaches the kernel as ``(values, encoding)``: an array of float64, float32 or uint16, and
:data:`AS_IS`, :data:`FLOAT16` or :data:`BFLOAT16` (what a uint16 array holds).
"""

from __future__ import annotations

import math
import platform

import llvmlite.binding
import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import config
from numba.extending import intrinsic, overload

#: What an operand's array holds: its values (float64, float32), float16 bits, bfloat16 bits (uint16).
AS_IS, FLOAT16, BFLOAT16 = 0, 1, 2

_SIGN = 0x7FFFFFFFFFFFFFFF  # every bit of a float64 but the sign


def jit(function=None, fma: bool = False, reorder: bool = False):
    """``function`` compiled by numba: without the GIL (the engine's threads compute blocks at once),
    numpy's float semantics (x/0 is inf, no exception); with ``fma`` its multiplications and additions
    may be fused, with ``reorder`` its additions reassociated (a sum of a loop's terms is then SIMD
    code: several partial sums, in an order set by the compiled code alone); neither applies to the
    functions it calls. Kept in numba's cache where it finds a folder it can write, else compiled in
    memory for this process, silently."""
    if function is None:
        return lambda f: jit(f, fma, reorder)
    fastmath = ({"contract"} if fma else set()) | ({"reassoc"} if reorder else set())
    options = {"nogil": True, "error_model": "numpy", "fastmath": fastmath or False}
    try:
        return njit(cache=True, **options)(function)
    except RuntimeError:  # "cannot cache function …: no locator available": no writable cache folder
        return njit(**options)(function)


def inlined(function):
    """``function`` compiled into each kernel that calls it, before LLVM sees it: a loop that calls a
    function is not vectorised, and LLVM leaves a large function or one called thrice a call. Its
    arithmetic takes the caller's flags, so the kernels' fused multiply-adds (:func:`jit`'s ``fma``):
    never for an error-free transformation, which stays a function of its own. Not cached itself: its
    code is in the cache of each kernel that calls it (fast_path clears those when a source changes)."""
    return njit(inline="always", nogil=True, error_model="numpy", fastmath={"contract"})(function)


def _bitcast(source, target, doc: str):
    """An intrinsic that reads a ``source`` value's bits as a ``target`` (a numba type each, of one
    width): no conversion, the same bits."""
    def typer(typingctx, value):
        def codegen(context, builder, signature, args):
            return builder.bitcast(args[0], context.get_value_type(target))
        return target(source), codegen
    typer.__doc__ = doc
    return intrinsic(typer)


float_of_bits = _bitcast(types.int64, types.float64, "The float64 whose IEEE bits are the int64 ``bits``.")
bits_of_float = _bitcast(types.float64, types.int64, "The IEEE bits of the float64 ``value``, as an int64.")
_float32_of_bits = _bitcast(types.int32, types.float32, "The float32 whose IEEE bits are the int32 ``bits``.")


@intrinsic
def fused_multiply_add(typingctx, a, b, c):
    """a·b + c rounded once (LLVM's fma: the machine's instruction, or the C library's ``fma`` where it
    has none), whatever the flags of the function it is written in: z − q·T exactly, for a quotient q
    of z ÷ T rounded to nearest."""
    def codegen(context, builder, signature, args):
        double = ir.DoubleType()
        function = builder.module.declare_intrinsic("llvm.fma", [double], ir.FunctionType(double, [double] * 3))
        return builder.call(function, args)
    return types.float64(types.float64, types.float64, types.float64), codegen


def _converts_half() -> bool:
    """Whether the machine the kernels are compiled for converts float16 itself (x86's F16C, every
    64-bit Arm): then the compiler's conversion is one instruction, else a library call that a
    compiled kernel may not find."""
    if config.CPU_NAME or config.CPU_FEATURES:  # compiled for another machine than this one
        return False
    if platform.machine().lower() in ("aarch64", "arm64"):
        return True
    return bool(llvmlite.binding.get_host_cpu_features().get("f16c"))


#: float16 bits are converted by the machine's instruction (:func:`_half_of_bits`), else by :func:`half`.
HARDWARE_HALF = _converts_half()


@intrinsic
def _half_of_bits(typingctx, bits):
    """The float16 of the low 16 of the int64 ``bits``, widened to float64 (exact) by the machine."""
    def codegen(context, builder, signature, args):
        value = builder.bitcast(builder.trunc(args[0], ir.IntType(16)), ir.HalfType())
        return builder.fpext(value, ir.DoubleType())
    return types.float64(types.int64), codegen


@jit
def half(bits):
    """The float16 of the 16 ``bits`` (an int64), exactly, as a float64 (nan bits excluded). Its
    exponent and fraction, moved into a float64's places, are the value times 2^-1008 where the
    float16 is normal; a subnormal m·2^-24 comes out as 2^-15 + m·2^-25, twice of which less 2^-14
    is it, exactly."""
    magnitude = bits & 0x7FFF
    value = float_of_bits((magnitude << 42) + (1008 << 52))
    value = 2.0 * value - 2.0 ** -14 if magnitude < 0x400 else value
    value = math.inf if magnitude >= 0x7C00 else value
    return -value if bits & 0x8000 else value


@jit
def brain(bits):
    """The bfloat16 of the 16 ``bits`` (an int64), exactly, as a float64: a float32's upper half."""
    return np.float64(_float32_of_bits(np.int32(bits << 16)))


def decoded(values, i, encoding):
    """Element ``i`` of the row ``values`` as a float64: as it is (an array of floats), or decoded
    from its ``encoding`` (uint16 bits). A function of the compiled code only (see :func:`_decoded`)."""
    raise NotImplementedError("decoded is compiled into the fused kernel's loops")


@overload(decoded, jit_options={"nogil": True, "error_model": "numpy"})
def _decoded(values, i, encoding):
    """:func:`decoded` for the dtype of ``values``: for floats nothing but the conversion (no integer
    decoding for the compiler to keep beside it), for bits the decoding of their encoding."""
    if isinstance(values.dtype, types.Float):
        return lambda values, i, encoding: np.float64(values[i])

    def from_bits(values, i, encoding):
        bits = np.int64(values[i])
        return (_half_of_bits(bits) if HARDWARE_HALF else half(bits)) if encoding == FLOAT16 else brain(bits)
    return from_bits


def row_top(values, encoding):
    """The largest value of the row ``values``, as a float64. A float's bits, their magnitude part
    flipped where it is negative, order as integers do: the maximum is an integer one (SIMD code), of
    16-bit keys for float16 and bfloat16 (nothing decoded but the maximum). Compiled code only."""
    raise NotImplementedError("row_top is compiled into the fused kernel")


@overload(row_top, jit_options={"nogil": True, "error_model": "numpy"})
def _row_top(values, encoding):
    if isinstance(values.dtype, types.Float):
        return _float_top

    def bits_top(values, encoding):
        key = 0  # a float16's (or bfloat16's) bits h order as 0x7FFF − h (negative) or h + 0x8000 do
        for i in range(values.shape[0]):
            bits = np.int64(values[i])
            flipped = bits + 0x8000 if bits < 0x8000 else 0xFFFF - bits
            key = flipped if flipped > key else key
        bits = key - 0x8000 if key >= 0x8000 else 0xFFFF - key
        return decoded(np.array([bits], dtype=np.uint16), 0, encoding)
    return bits_top


def _float_top(values, encoding):
    key = -(1 << 63)
    for i in range(values.shape[0]):
        bits = bits_of_float(np.float64(values[i]))
        flipped = bits ^ ((bits >> 63) & _SIGN)
        key = flipped if flipped > key else key
    return float_of_bits(key ^ ((key >> 63) & _SIGN))


@jit
def widened(values, encoding, out):
    """The row ``values`` decoded into ``out`` (float64), which it returns."""
    for i in range(values.shape[0]):
        out[i] = decoded(values, i, encoding)
    return out


_SPLITTER = 134217729.0  # 2^27 + 1, Veltkamp's constant for float64
_SPLIT_LIMIT = 2.0 ** 995


@jit
def two_product(a, b):
    """``p + e == a·b`` exactly (Dekker; accurate.two_product), for fused.py and fused_probs.py, e = 0 beyond the splitter's range.
    Never compiled with fused multiply-adds: they would break the splitting."""
    p = a * b
    safe = abs(a) < _SPLIT_LIMIT and abs(b) < _SPLIT_LIMIT and math.isfinite(p)
    a, b = a if safe else 0.0, b if safe else 0.0
    c = _SPLITTER * a
    a_high = c - (c - a)
    a_low = a - a_high
    c = _SPLITTER * b
    b_high = c - (c - b)
    b_low = b - b_high
    e = ((a_high * b_high - (p if safe else 0.0)) + a_high * b_low + a_low * b_high) + a_low * b_low
    return p, e if safe else 0.0
