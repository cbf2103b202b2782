"""Writes python_written.safetensors with the Python `safetensors` package (the format's reference
implementation), read by Tests/VQDataTests/SafeTensorsTests.swift:
    pip install safetensors numpy && python3 make_safetensors_fixture.py
"""
import numpy as np, safetensors
from safetensors.numpy import save_file

tensors = {
    "decoder.conv.weight": np.arange(24, dtype=np.float32).reshape(2, 3, 2, 2) / 8 - 1,
    "codebook": np.array([[1e-3, -2.5], [3.25, 1e6]], dtype=np.float32),
    "scalar": np.array(7.5, dtype=np.float32),
}
save_file(tensors, "python_written.safetensors", metadata={"writer": "safetensors-" + safetensors.__version__})
print("safetensors", safetensors.__version__)
