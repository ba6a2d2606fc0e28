"""`torchrun --nproc_per_node 2` (gloo, CPU) gives the same weights as one process with the same global batch."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import torch
import yaml
from safetensors.torch import load_file

from tests.wings_ref.train.train_tiny import base_config
from wings_ref.train.config import config_from_dict
from wings_ref.train.trainer import build_run, train

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def free_port() -> int:
    with socket.socket() as sock:  # torchrun's --master_port 0 hangs with the static rendezvous
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_two_process_ddp_matches_single_process(tmp_path):
    # samples differ in answer length, so per-rank token counts differ: the loss must use the global count
    common = dict(stage=2, max_steps=2, warmup_ratio=0.0)
    single = base_config(tmp_path / "single", per_device_train_batch_size=4, **common)
    train(build_run(config_from_dict(single)))
    ddp = base_config(tmp_path / "ddp", per_device_train_batch_size=2, **common)
    path = tmp_path / "ddp.yaml"
    path.write_text(yaml.safe_dump(ddp), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": ROOT, "OMP_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": ""}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", str(free_port()),
           "-m", "wings_ref.train", str(path)]
    done = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    log = yaml.safe_load((tmp_path / "ddp" / "out" / "train_log.json").read_text())
    assert log["world_size"] == 2 and log["global_step"] == 2
    a = load_file(tmp_path / "single" / "out" / "model.safetensors")
    b = load_file(tmp_path / "ddp" / "out" / "model.safetensors")
    moved = 0
    for name in a:
        torch.testing.assert_close(b[name], a[name], rtol=1e-4, atol=1e-5, msg=name)
        moved += not torch.equal(a[name], load_file(single["model_path"] + "/model.safetensors")[name])
    assert moved > 0
