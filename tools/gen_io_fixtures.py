#!/usr/bin/python3
"""Writes the weight-file fixtures of test/io/ into test/fixtures/io/.

Run with Debian's Python, which has torch 1.13 and numpy (the pyenv `python3` on PATH has no torch):

    /usr/bin/python3 tools/gen_io_fixtures.py

Every reference value comes from an independent writer: numpy.save for .npy files, torch.save
for checkpoints, and safetensors files assembled here with struct + json straight from the
published format description (the `safetensors` package is not installed on this machine).
The generator never loads the hostile fixtures it writes (pickling an object only records the
callable its __reduce__ names; nothing is run).
"""
import collections
import json
import os
import shutil
import struct
import sys
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / 'test' / 'fixtures' / 'io'


def write_npy_fixtures(out: Path) -> dict:
    """numpy.save'd arrays plus a JSON description of each readable one (values spelled out)."""
    rng = np.random.default_rng(1)
    arrays = {
        'f4_2x3': rng.standard_normal((2, 3)).astype('<f4'),
        'f8_5': np.array([0.1, -2.5, 1e300, -1e-300, np.pi], dtype='<f8'),
        'f2_specials': np.array([0.0, -0.0, 1.0, -2.0, 65504.0, 6e-8, np.inf, -np.inf, np.nan, 0.333], dtype='<f2'),
        'i8_extremes': np.array([-2**63, -1, 0, 2**53 + 1, 2**63 - 1], dtype='<i8'),
        'i4_2x2x2': np.arange(-4, 4, dtype='<i4').reshape(2, 2, 2) * 536870911,
        'i2_7': np.array([-32768, -1, 0, 1, 2, 1000, 32767], dtype='<i2'),
        'i1_6': np.array([-128, -1, 0, 1, 64, 127], dtype='|i1'),
        'u1_4x4': np.arange(0, 256, 16, dtype='|u1').reshape(4, 4),
        'b1_5': np.array([True, False, False, True, True]),
        'scalar_f8': np.array(2.5, dtype='<f8'),
        'scalar_i8': np.array(-7, dtype='<i8'),
        'empty_0x3': np.zeros((0, 3), dtype='<f4'),
        'f4_1x1x1x1': np.array([[[[42.0]]]], dtype='<f4'),
    }
    described = {}
    for name, arr in arrays.items():
        np.save(out / f'{name}.npy', arr)
        described[name] = describe_array(arr)

    # Format versions 2.0 and 3.0 (numpy picks 1.0 on its own for small headers).
    v = rng.standard_normal((3, 2)).astype('<f4')
    for version in (2, 3):
        with open(out / f'v{version}_f4_3x2.npy', 'wb') as f:
            np.lib.format.write_array(f, v, version=(version, 0))
        described[f'v{version}_f4_3x2'] = describe_array(v)

    # Files the reader must refuse.
    np.save(out / 'refuse_fortran.npy', np.asfortranarray(np.arange(6, dtype='<f4').reshape(2, 3)))
    np.save(out / 'refuse_bigendian.npy', np.arange(3, dtype='>f4'))
    np.save(out / 'refuse_u2.npy', np.arange(3, dtype='<u2'))
    np.save(out / 'refuse_structured.npy', np.zeros(2, dtype=[('a', '<f4'), ('b', '<i4')]))
    np.save(out / 'refuse_object.npy', np.array([{'k': 1}, None], dtype=object), allow_pickle=True)
    return described


def describe_array(arr: np.ndarray) -> dict:
    flat = arr.reshape(-1)
    if arr.dtype.kind == 'f':
        values = [float_to_json(float(x)) for x in flat]
    elif arr.dtype.kind == 'b':
        values = [bool(x) for x in flat]
    elif arr.dtype.itemsize == 8:
        values = [str(int(x)) for x in flat]  # int64 beyond 2^53: exact as decimal strings
    else:
        values = [int(x) for x in flat]
    out = {'descr': arr.dtype.str, 'shape': list(arr.shape), 'values': values}
    if arr.dtype == np.float16:
        out['bits'] = [int(b) for b in flat.view('<u2')]
    return out


def float_to_json(x: float):
    if x != x:
        return 'nan'
    if x in (float('inf'), float('-inf')):
        return 'inf' if x > 0 else '-inf'
    return x


def build_state_dict() -> 'collections.OrderedDict[str, torch.Tensor]':
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, bias=False), torch.nn.BatchNorm2d(4))
    with torch.no_grad():
        bn = model[1]
        bn.weight.uniform_(0.5, 1.5)
        bn.bias.uniform_(-0.5, 0.5)
        bn.running_mean.uniform_(-1, 1)
        bn.running_var.uniform_(0.5, 2)
        bn.num_batches_tracked.fill_(7)
    return model.state_dict()  # an OrderedDict carrying `_metadata` (pickled with BUILD)


def build_extra_tensors() -> 'collections.OrderedDict[str, torch.Tensor]':
    torch.manual_seed(1)
    extra = collections.OrderedDict()
    extra['extra.half'] = torch.randn(2, 3).half()
    extra['extra.double'] = torch.randn(3).double()
    extra['extra.int64'] = torch.tensor([-2**63, -1, 2**53 + 1, 2**63 - 1], dtype=torch.int64)
    extra['extra.int32'] = torch.tensor([-2**31, 0, 2**31 - 1], dtype=torch.int32)
    extra['extra.int16'] = torch.tensor([-32768, 5, 32767], dtype=torch.int16)
    extra['extra.int8'] = torch.tensor([-128, 3, 127], dtype=torch.int8)
    extra['extra.uint8'] = torch.tensor([0, 128, 255], dtype=torch.uint8)
    extra['extra.bool'] = torch.tensor([True, False, True])
    extra['extra.bf16'] = torch.randn(5).bfloat16()
    extra['extra.scalar_f32'] = torch.tensor(3.25)
    extra['extra.empty'] = torch.zeros(0, 3)
    # Non-contiguous: a transpose (stride (1, 4)), a permutation, and an expand (stride 0).
    extra['extra.transposed'] = torch.randn(3, 4).t()
    extra['extra.permuted'] = torch.randn(2, 3, 4).permute(2, 0, 1)
    extra['extra.expanded'] = torch.randn(3, 1).expand(3, 4)
    # Three views into one storage of 24 floats, at storage offsets 2, 11 and 1.
    base = torch.arange(24, dtype=torch.float32) * 0.5
    extra['extra.view_a'] = base[2:8].view(2, 3)
    extra['extra.view_b'] = base[10:22].view(3, 4)[:, 1:3]
    extra['extra.strided'] = base[1::5]
    return extra


def reference_npy(t: torch.Tensor) -> np.ndarray:
    """The value numpy sees, C order; bfloat16 (which numpy lacks) widened exactly to float32."""
    if t.dtype == torch.bfloat16:
        t = t.float()
    return np.array(t.numpy(), order='C', copy=True)  # (np.ascontiguousarray would make 0-d arrays 1-d)


class ForbiddenSystemCall:
    """Pickles as a call to os.system; only ever pickled here, never unpickled."""

    def __reduce__(self):
        return (os.system, ('echo pwned',))


class SomeModelClass:
    """Pickles by reference to __main__.SomeModelClass (as a whole pickled nn.Module would)."""

    def __init__(self):
        self.width = 1.0


def write_torch_fixtures(out: Path) -> None:
    sd = build_state_dict()
    for name, tensor in build_extra_tensors().items():
        sd[name] = tensor
    torch.save(sd, out / 'state_dict.pt')
    torch.save(sd, out / 'state_dict_protocol4.pt', pickle_protocol=4)
    torch.save(sd, out / 'state_dict_legacy.pt', _use_new_zipfile_serialization=False)

    expected = out / 'torch_expected'
    expected.mkdir()
    for name, tensor in sd.items():
        np.save(expected / f'{name}.npy', reference_npy(tensor))

    model_sd = build_state_dict()
    checkpoint = {
        'epoch': 3,
        'arch': 'mobilenet_v2',
        'best_acc1': 71.875,
        'milestones': [30, 60, (90, 'end')],
        'big': 2**70,
        'negative': -5,
        'flag': True,
        'nothing': None,
        'state_dict': model_sd,
        'ema_scale': torch.nn.Parameter(torch.tensor([0.5, 0.25])),
    }
    torch.save(checkpoint, out / 'checkpoint.pt')
    torch.save(checkpoint, out / 'checkpoint_legacy.pt', _use_new_zipfile_serialization=False)

    torch.save({'weight': torch.ones(2), 'payload': ForbiddenSystemCall()}, out / 'refuse_system.pt')
    torch.save({'weight': torch.ones(2), 'config': SomeModelClass()}, out / 'refuse_main_class.pt')


# --- safetensors, assembled from the format description ----------------------------------------

SAFETENSORS_DTYPES = {
    np.dtype('<f8'): 'F64', np.dtype('<f4'): 'F32', np.dtype('<f2'): 'F16', np.dtype('<i8'): 'I64',
    np.dtype('<i4'): 'I32', np.dtype('<i2'): 'I16', np.dtype('|i1'): 'I8', np.dtype('|u1'): 'U8',
    np.dtype('bool'): 'BOOL',
}


def safetensors_bytes(tensors, metadata=None) -> bytes:
    """8-byte little-endian header size, compact JSON header padded with spaces to a multiple of
    8, then each tensor's little-endian C-order bytes back to back, in the given order."""
    header = {}
    if metadata:
        header['__metadata__'] = metadata
    data = b''
    for name, (dtype_name, shape, raw) in tensors.items():
        header[name] = {'dtype': dtype_name, 'shape': list(shape), 'data_offsets': [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header, separators=(',', ':')).encode('utf-8')
    text += b' ' * (-len(text) % 8)
    return struct.pack('<Q', len(text)) + text + data


def write_safetensors_fixtures(out: Path, npy_dir: Path) -> None:
    names = ['f4_2x3', 'f2_specials', 'f8_5', 'i8_extremes', 'i4_2x2x2', 'i2_7', 'i1_6', 'u1_4x4', 'b1_5',
             'scalar_f8', 'empty_0x3']
    tensors = {}
    for name in names:
        arr = np.load(npy_dir / f'{name}.npy')
        tensors[name] = (SAFETENSORS_DTYPES[arr.dtype], arr.shape, arr.tobytes(order='C'))
    metadata = {'format': 'pt', 'source': 'tools/gen_io_fixtures.py'}
    (out / 'tensors.safetensors').write_bytes(safetensors_bytes(tensors, metadata))
    (out / 'no_metadata.safetensors').write_bytes(safetensors_bytes({'w': tensors['f4_2x3']}))

    # BF16: the upper halves of float32 values; the reference widens them back exactly.
    rng = np.random.default_rng(2)
    f32 = rng.standard_normal((2, 4)).astype('<f4')
    bits = (f32.view('<u4') >> 16).astype('<u2')
    np.save(out / 'bf16_expected.npy', (bits.astype('<u4') << 16).view('<f4'))
    (out / 'bf16.safetensors').write_bytes(safetensors_bytes({'b': ('BF16', bits.shape, bits.tobytes())}))


README = """# test/fixtures/io

Written by `tools/gen_io_fixtures.py` ({python}, numpy {numpy}, torch {torch}); regenerate with
`/usr/bin/python3 tools/gen_io_fixtures.py`. The tests never run Python.

## npy/ (numpy.save)
- `f4_2x3`, `f8_5`, `f2_specials` (±0, max, subnormal, ±inf, nan), `i8_extremes` (±2^63 range, 2^53+1),
  `i4_2x2x2`, `i2_7`, `i1_6`, `u1_4x4`, `b1_5`, `scalar_f8` and `scalar_i8` (0-d), `empty_0x3`,
  `f4_1x1x1x1`: `np.save`, format 1.0.
- `v2_f4_3x2`, `v3_f4_3x2`: `np.lib.format.write_array(..., version=(2, 0) / (3, 0))`.
- `expected.json`: for each of the above, numpy's `dtype.str`, shape and the values spelled out by
  Python (int64 as decimal strings, float specials as "nan"/"inf"/"-inf", float16 also as raw bits).
- Refused on purpose: `refuse_fortran` (np.asfortranarray 2x3), `refuse_bigendian` ('>f4'),
  `refuse_u2` ('<u2'), `refuse_structured` (record dtype), `refuse_object` (object array: holds a pickle).

## torch (torch.save, zip format)
- `state_dict.pt`: `nn.Sequential(Conv2d(3, 4, 3, bias=False), BatchNorm2d(4)).state_dict()` (an
  OrderedDict with `_metadata`; BN stats randomized, `num_batches_tracked` = 7, int64 0-d) plus
  `extra.*`: float16, float64, int64 extremes, int32, int16, int8, uint8, bool, bfloat16, a 0-d float,
  an empty (0, 3) tensor, a transpose (non-contiguous), a permute, an expand (stride 0), and three
  views into one 24-float storage at offsets 2, 11 (non-contiguous) and 1 (stride 5).
- `state_dict_protocol4.pt`: the same dict with `pickle_protocol=4` (FRAME, MEMOIZE, STACK_GLOBAL, ...).
- `state_dict_legacy.pt`, `checkpoint_legacy.pt`: `state_dict.pt`'s dict and `checkpoint.pt`'s object
  saved with `_use_new_zipfile_serialization=False` (the legacy pickle-stream format of torch < 1.6).
- `torch_expected/<name>.npy`: every tensor of `state_dict.pt`, as `np.save(np.array(t.numpy(), order='C'))`;
  bfloat16 as `t.float()`.
- `checkpoint.pt`: `{{'epoch': 3, 'arch': 'mobilenet_v2', 'best_acc1': 71.875, 'milestones': [30, 60, (90, 'end')],
  'big': 2**70, 'negative': -5, 'flag': True, 'nothing': None, 'state_dict': <the Sequential's state_dict>,
  'ema_scale': nn.Parameter([0.5, 0.25])}}`.
- Refused on purpose (never loaded by the generator): `refuse_system.pt` holds an object whose
  `__reduce__` returns `(os.system, ('echo pwned',))` (pickled as global 'posix system');
  `refuse_main_class.pt` holds an instance of `__main__.SomeModelClass`.

## safetensors (assembled with struct + json from the format description; no safetensors package here)
- `tensors.safetensors`: the npy arrays `f4_2x3 f2_specials f8_5 i8_extremes i4_2x2x2 i2_7 i1_6
  u1_4x4 b1_5 scalar_f8 empty_0x3` in that order, metadata `{{"format": "pt", "source": "tools/gen_io_fixtures.py"}}`;
  compact JSON (`json.dumps(separators=(',', ':'))`), `__metadata__` first, padded with spaces to a
  multiple of 8. Values are those of the same-named npy files.
- `no_metadata.safetensors`: `f4_2x3` as `w`, no `__metadata__`.
- `bf16.safetensors`: one BF16 (2, 4) tensor `b` (upper halves of float32 values); `bf16_expected.npy`
  holds the exact float32 widening.
"""


def main() -> None:
    if OUT.exists():
        shutil.rmtree(OUT)
    (OUT / 'npy').mkdir(parents=True)
    described = write_npy_fixtures(OUT / 'npy')
    (OUT / 'npy' / 'expected.json').write_text(json.dumps(described, indent=1) + '\n')
    write_torch_fixtures(OUT)
    write_safetensors_fixtures(OUT, OUT / 'npy')
    (OUT / 'README.md').write_text(README.format(
        python=f'Python {sys.version.split()[0]}', numpy=np.__version__, torch=torch.__version__))
    total = sum(p.stat().st_size for p in OUT.rglob('*') if p.is_file())
    print(f'wrote {OUT} ({total} bytes)')


if __name__ == '__main__':
    main()
