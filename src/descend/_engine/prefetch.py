"""A hint to the processor: start bringing a row of X into cache, without waiting for it.

Shuffled rows are scattered over memory, and a loop that reads one row, then
updates the weights with it, then reads the next, waits for each row's cache
misses in turn. Asking for the row a few steps ahead lets those misses
overlap with the work on the rows before::

    for r in range(len(order)):
        if r + ROWS_AHEAD < len(order):
            prefetch_row(X, order[r + ROWS_AHEAD])
        ... work on row order[r] ...

On per-sample SGD over shuffled 100,000 x 100 rows that took an epoch from
10.7 ms (the engine copying blocks of rows into a buffer first, as it did
before) to 5.2 ms, and over 1,000,000 x 100 from 107 to 105 ms. It changes
no result: a prefetch reads nothing back.

The prefetches are non-temporal (locality 0, x86's ``prefetchnta``): a row
is read once a pass, and brought in that way it does not push the weights,
the order and the rates out of the outer caches. Over 1,000,000 shuffled
rows of 100 columns that took per-sample SGD's epoch from 84 to 61 ms, over
300,000 from 16.8 to 15.5 ms (locality 3, 2 and 1 measured beside it).

:func:`prefetch_row` is a Numba intrinsic, lowered straight to LLVM's
``llvm.prefetch``: a helper function taking the array would cost Numba a
reference count at every row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from llvmlite import binding, ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any, TypeAlias

    from numba.core.base import BaseContext
    from numba.core.typing.context import BaseContext as TypingContext
    from numba.core.typing.templates import Signature

    from .._typing import AnyArray, FloatArray, IntArray

    #: What an intrinsic's typing function returns: the signature and the code generator of a call
    #: with these types, or None when it takes no such call.
    Intrinsic: TypeAlias = (
        tuple[Signature, Callable[[BaseContext, ir.IRBuilder, Signature, Sequence[ir.Value]], ir.Value]] | None
    )

__all__ = ["prefetch_row", "prefetch_csr_ahead", "prefetch_item", "ROWS_AHEAD", "POINTERS_AHEAD", "FEATURES_AHEAD"]

# How many rows ahead to ask for: 8 was the fastest of 2, 4, 8, 16 and 32 on the rows above.
ROWS_AHEAD = 8
# For CSR rows, where a row lies (its pointers) is asked for this many rows ahead: on 160,000 shuffled
# documents of 65 non-zeros, per-sample SGD's epoch went from 39 to 35 ms (32 and 64 alike).
POINTERS_AHEAD = 32
# How many rows ahead the weights and state of a row's features are asked for (prefetch_item): on
# 120,000 shuffled hashed documents (2^20 columns, 37 non-zeros a row) the normalized update's pass went
# from 0.30 to 0.20 s with 2 (1 and 4 alike, within the noise); a row's own work hides the misses of
# the next but one.
FEATURES_AHEAD = 2
# Bytes in a cache line: one prefetch each.
_LINE_BYTES = 64
# The intrinsic's name follows LLVM's pointer types: opaque from LLVM 17 on.
_NAME = "llvm.prefetch.p0" if binding.llvm_version_info[0] >= 17 else "llvm.prefetch.p0i8"


def _prefetch_lines(
    context: BaseContext, builder: ir.IRBuilder, first: ir.Value, n_bytes: ir.Value, locality: int = 0
) -> None:
    """Emit a prefetch (read; non-temporal unless ``locality`` says more) of each cache line of
    ``n_bytes`` bytes from ``first``."""
    byte = ir.PointerType(ir.IntType(8))
    start = builder.bitcast(first, byte)
    lines = builder.udiv(
        builder.add(n_bytes, context.get_constant(types.intp, _LINE_BYTES - 1)),
        context.get_constant(types.intp, _LINE_BYTES),
    )
    function = cgutils.get_or_insert_function(
        builder.module, ir.FunctionType(ir.VoidType(), [byte, ir.IntType(32), ir.IntType(32), ir.IntType(32)]), _NAME
    )
    flag = ir.IntType(32)
    with cgutils.for_range(builder, lines) as loop:
        offset = builder.mul(loop.index, context.get_constant(types.intp, _LINE_BYTES))
        # read (0), locality (0: non-temporal), data cache (1)
        builder.call(function, [builder.gep(start, [offset]), flag(0), flag(locality), flag(1)])


def _item_bytes(context: BaseContext, array_type: types.Array[Any]) -> ir.Value:
    return context.get_constant(types.intp, context.get_abi_sizeof(context.get_data_type(array_type.dtype)))


# An intrinsic's typing function takes the typing context and Numba's types of the arguments; compiled code
# calls it with the arguments alone. The checker is told so by the name's declared type, the call's.
prefetch_row: Callable[[AnyArray, int], None]


@intrinsic  # type: ignore[no-redef]  # the typing function of the call declared above
def prefetch_row(typingctx: TypingContext, matrix: types.Type, row: types.Type) -> Intrinsic:
    """Prefetch every cache line of ``matrix[row]`` (a C-ordered 2-D array) for reading, non-temporal
    (see the module docstring). Compiled code only."""
    if not (isinstance(matrix, types.Array) and matrix.ndim == 2 and matrix.layout == "C"):
        return None
    signature = types.void(matrix, row)

    def codegen(context: BaseContext, builder: ir.IRBuilder, sig: Signature, args: Sequence[ir.Value]) -> ir.Value:
        view = context.make_array(sig.args[0])(context, builder, args[0])
        row_index = context.cast(builder, args[1], sig.args[1], types.intp)
        first = cgutils.get_item_pointer(
            context, builder, sig.args[0], view, [row_index, context.get_constant(types.intp, 0)], wraparound=False
        )
        columns = cgutils.unpack_tuple(builder, view.shape, 2)[1]
        _prefetch_lines(context, builder, first, builder.mul(columns, _item_bytes(context, sig.args[0])))
        return context.get_dummy_value()

    return signature, codegen


prefetch_csr_ahead: Callable[[IntArray, IntArray, FloatArray, IntArray, int], None]


@intrinsic  # type: ignore[no-redef]  # the typing function of the call declared above
def prefetch_csr_ahead(
    typingctx: TypingContext,
    indptr: types.Type,
    indices: types.Type,
    values: types.Type,
    order: types.Type,
    position: types.Type,
) -> Intrinsic:
    """In a loop over the rows ``order`` of a CSR matrix, at ``position``: prefetch the column indices
    and values of the row :data:`ROWS_AHEAD` positions ahead and, :data:`POINTERS_AHEAD` ahead, the
    row pointers of a row to come (finding where a shuffled row lies is a cache miss of its own).
    Past the end of ``order`` it does nothing."""
    arrays = (indptr, indices, values, order)
    if not all(isinstance(a, types.Array) and a.ndim == 1 for a in arrays):
        return None
    signature = types.void(indptr, indices, values, order, position)

    def codegen(context: BaseContext, builder: ir.IRBuilder, sig: Signature, args: Sequence[ir.Value]) -> ir.Value:
        intp = types.intp
        arrays = [context.make_array(sig.args[k])(context, builder, args[k]) for k in range(4)]
        pointers, _, _, rows = arrays
        here = context.cast(builder, args[4], sig.args[4], intp)
        n_rows = cgutils.unpack_tuple(builder, rows.shape, 1)[0]

        def load(k: int, index: ir.Value) -> ir.Value:
            address = cgutils.get_item_pointer(context, builder, sig.args[k], arrays[k], [index], wraparound=False)
            return context.cast(builder, builder.load(address), sig.args[k].dtype, intp)

        def ahead(distance: int) -> tuple[ir.Value, ir.Value]:
            at = builder.add(here, context.get_constant(intp, distance))
            return at, builder.icmp_signed("<", at, n_rows)

        at, inside = ahead(POINTERS_AHEAD)
        with builder.if_then(inside, likely=True):
            row = load(3, at)
            first = cgutils.get_item_pointer(context, builder, sig.args[0], pointers, [row], wraparound=False)
            _prefetch_lines(context, builder, first, _item_bytes(context, sig.args[0]))
        at, inside = ahead(ROWS_AHEAD)
        with builder.if_then(inside, likely=True):
            row = load(3, at)
            start = load(0, row)
            count = builder.sub(load(0, builder.add(row, context.get_constant(intp, 1))), start)
            for k in (1, 2):
                first = cgutils.get_item_pointer(context, builder, sig.args[k], arrays[k], [start], wraparound=False)
                _prefetch_lines(context, builder, first, builder.mul(count, _item_bytes(context, sig.args[k])))
        return context.get_dummy_value()

    return signature, codegen


prefetch_item: Callable[[AnyArray, int], None]


@intrinsic  # type: ignore[no-redef]  # the typing function of the call declared above
def prefetch_item(typingctx: TypingContext, array: types.Type, index: types.Type) -> Intrinsic:
    """Prefetch the cache line of ``array[index]`` (a 1-D array), to be kept (locality 3): a weight
    or an optimizer's state that the row after next will read and write. Compiled code only."""
    if not (isinstance(array, types.Array) and array.ndim == 1):
        return None
    signature = types.void(array, index)

    def codegen(context: BaseContext, builder: ir.IRBuilder, sig: Signature, args: Sequence[ir.Value]) -> ir.Value:
        view = context.make_array(sig.args[0])(context, builder, args[0])
        at = context.cast(builder, args[1], sig.args[1], types.intp)
        first = cgutils.get_item_pointer(context, builder, sig.args[0], view, [at], wraparound=False)
        _prefetch_lines(context, builder, first, _item_bytes(context, sig.args[0]), locality=3)
        return context.get_dummy_value()

    return signature, codegen
