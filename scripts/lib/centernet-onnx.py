# Converts the object detector @vladmandic/human ships as a TensorFlow.js graph model
# (models/centernet.json + centernet.bin: MobileNetV3 CenterNet trained on COCO's 80 classes,
# input [1, 512, 512, 3] RGB 0..255, output tower_0/detections [1, 100, 6] = x1, y1, x2, y2, score,
# class in input pixels) to ONNX with tf2onnx, so that onnxruntime-node runs it like the face model.
# Two repairs of the graph JSON first, neither changing what it computes: the fused convolutions
# lack their TArgs attribute (tfjs's converter leaves it out; TensorFlow's importer wants it) and
# several nodes lack attributes that have defaults in TensorFlow's op registry (filled with them).
# tf2onnx 1.17's tfjs reader still calls numpy.product, removed in numpy 2: aliased to numpy.prod.
# Usage: centernet-onnx.py MODEL.json OUT.onnx (the .bin beside the .json).
import json
import os
import sys
import tempfile

import numpy as np

np.product = np.prod
from google.protobuf.json_format import MessageToDict  # noqa: E402
from tensorflow.python.framework import op_def_registry  # noqa: E402
from tf2onnx import convert  # noqa: E402
import onnx  # noqa: E402

source, target = sys.argv[1], sys.argv[2]
with open(source) as f:
    graph = json.load(f)
for node in graph["modelTopology"]["node"]:
    attrs = node.setdefault("attr", {})
    if node["op"] in ("_FusedConv2D", "FusedDepthwiseConv2dNative") and "TArgs" not in attrs:
        count = int(attrs.get("num_args", {}).get("i", "0"))
        attrs["TArgs"] = {"list": {"type": ["DT_FLOAT"] * count}}
    op = op_def_registry.get(node["op"])
    for attr in op.attr if op else []:
        if attr.name not in attrs and attr.HasField("default_value"):
            attrs[attr.name] = MessageToDict(attr.default_value)

work = tempfile.mkdtemp()
repaired = os.path.join(work, "centernet.json")
with open(repaired, "w") as f:
    json.dump(graph, f)
os.symlink(os.path.abspath(os.path.join(os.path.dirname(source), "centernet.bin")), os.path.join(work, "centernet.bin"))
sys.argv = ["tf2onnx.convert", "--tfjs", repaired, "--output", target, "--opset", "13"]
convert.main()

model = onnx.load(target)
onnx.checker.check_model(model)
outputs = {o.name: [d.dim_value for d in o.type.tensor_type.shape.dim] for o in model.graph.output}
if outputs.get("tower_0/detections") != [1, 100, 6]:
    sys.exit(f"the converted model's outputs are not the expected ones: {outputs}")
