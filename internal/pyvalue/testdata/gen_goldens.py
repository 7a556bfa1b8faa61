#!/usr/bin/env python3
"""Writes goldens.json for package pyvalue's tests: what CPython's repr(),
str() and json.dumps make of floats, strings and JSON values, and what
numpy's str() makes of float32s (its rule, computed here without numpy). Only the
standard library; reproducible (a fixed seed). Run from this directory
with the system Python: /usr/bin/python3 gen_goldens.py"""
import json
import math
import random
import struct
import sys
import unicodedata

rng = random.Random(20261207)


def bits(f):
    return "%016x" % struct.unpack("<Q", struct.pack("<d", f))[0]


floats = [0.0, -0.0, 1.0, -1.0, 1.5, 100.0, 0.1, 0.2, 0.30000000000000004, 1 / 3, 2 / 3, 3.14159, math.pi, math.e,
          1e15, 1e16, 9999999999999998.0, 1e16 - 2, 123456789012345678.0, 1e22, 1e23, 1e-4, 1e-5, 0.00012345,
          0.000012345, -2.5e-7, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 12345.678,
          float("nan"), float("inf"), float("-inf"), 1e100, 1.5e300, 4.35e-5, 0.5, 64.0, 1e-320, float(2 ** 53), float(2 ** 53 + 2)]
for _ in range(300):  # any bit pattern
    f = struct.unpack("<d", struct.pack("<Q", rng.getrandbits(64)))[0]
    if not math.isnan(f):
        floats.append(f)
for _ in range(200):  # around the fixed/exponent boundaries
    floats.append(rng.choice([1, -1]) * rng.random() * 10 ** rng.randint(-7, 18))
float_cases = [{"bits": bits(f), "repr": repr(f), "json": json.dumps(f)} for f in floats]



strings = ["", "plain", "it's", '"double"', "it's \"both\"", "back\\slash", "tab\tnl\nret\r", "\x00\x01\x1f\x7f",
           "\x80\x9f\xa0\xad\xff", "caf\u00e9", "\u2028\u2029", "\ufeff", "\ufffd", "\u200b\u00a0\u3000", "\U0001F600",
           "\U000E0001", "\U0010FFFF", "\uE000", "\u0378", "<&>", "'", '"', "\b\f", "emoji \U0001F600 and \u00e9"]
assigned = [c for c in range(0x20000) if unicodedata.category(chr(c)) not in ("Cn", "Cs")]
for _ in range(200):
    n = rng.randint(1, 8)
    strings.append("".join(chr(rng.choice(assigned)) if rng.random() < 0.5 else chr(rng.randint(0, 0x7f))
                           for _ in range(n)))
string_cases = [{"s": s, "repr": repr(s), "json": json.dumps(s), "json_unicode": json.dumps(s, ensure_ascii=False)}
                for s in strings]

values = ['0.5', '64', '["END"]', '"text"', 'true', 'false', 'null', '1e16', '1e15', '1.5e16', '0.0001', '0.00001',
          '1.0', '100', '-0', '-0.0', '1E2', '123456789012345678901234567890', '3.141592653589793',
          '[1, 2.5, "a", null]', '{"a": 1, "b": ["x", true]}', '{"b": 1, "a": 2, "b": 3}', '"it\'s"',
          '"it\'s \\"q\\""', '"tab\\tnl\\n"', '"caf\\u00e9"', '"\\u0007"', '"\\ud83d\\ude00"', '[]', '{}', '1e400',
          '-1e400', '2.5e-7', '[["nested"]]', '{"a": {}, "b": [], "c": [{"d": [1, {"e": null}]}]}',
          '{"k": "\\u2028", "\\u00e9": [false]}', '["\\ufffd", "\\u0085", "\\u00a0"]']
value_cases = [{"json": v, "str": str(json.loads(v)), "repr": repr(json.loads(v)), "dumps": json.dumps(json.loads(v)),
                "dumps_indent2": json.dumps(json.loads(v), indent=2)} for v in values]

def f32(f):
    """f rounded to a float32, as a float."""
    return struct.unpack("<f", struct.pack("<f", f))[0]


def float32_str(f):
    """str() of a numpy.float32 holding f (numpy's own rule, without numpy):
    the shortest digits that read back as the float32, correctly rounded,
    laid out as repr(float) lays them out."""
    if math.isnan(f) or math.isinf(f):
        return repr(f)
    for p in range(1, 10):
        s = "%.*e" % (p - 1, f)
        try:
            if f32(float(s)) == f:
                return repr(float(s))
        except OverflowError:  # rounded past the largest float32
            pass
    raise AssertionError(f)


f32s = [0.0, -0.0, 1.0, 0.1, 0.2, 1 / 3, math.pi, 1e-4, 1e-5, 1e15, 1e16, 123456789.0, 16777216.0, 16777217.0,
        3.4028234663852886e38, 1.401298464324817e-45, 1.1754943508222875e-38, 0.3, 2.5e-7, float("inf"), float("-inf"),
        float("nan")]
for _ in range(300):  # any float32 bit pattern
    f = struct.unpack("<f", struct.pack("<I", rng.getrandbits(32)))[0]
    if not math.isnan(f):
        f32s.append(f)
for _ in range(100):  # around the fixed/exponent boundaries
    f32s.append(rng.choice([1, -1]) * rng.random() * 10 ** rng.randint(-7, 18))
float32_cases = [{"bits": "%08x" % struct.unpack("<I", struct.pack("<f", f))[0], "str": float32_str(f32(f))}
                 for f in f32s]

with open("goldens.json", "w") as f:
    json.dump({"python": sys.version.split()[0], "unicode": unicodedata.unidata_version, "floats": float_cases,
               "float32s": float32_cases,
               "strings": string_cases, "values": value_cases}, f, indent=1)
    f.write("\n")
