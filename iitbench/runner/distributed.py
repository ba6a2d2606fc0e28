"""Data-parallel runs: `torchrun --nproc_per_node N -m iitbench run ...` (or `accelerate launch`).

Each process reads RANK / WORLD_SIZE / LOCAL_RANK from the environment (set by torchrun), takes the items whose index
in the selection is congruent to its rank modulo the world size, and appends its records to its own shard log
`samples.rank<r>-of-<w>.jsonl` (one writer per file: a SIGKILL tears at most that file's last line, which reload
drops). After a barrier (gloo, which works whatever device the model uses) rank 0 reads every log, writes the
canonical samples.jsonl and results.json, and deletes the shard logs; the other ranks wait at a second barrier.

Resume does not depend on the process count: every run reads the records of samples.jsonl and of ALL shard logs,
whatever world size wrote them, so a run with 2 processes resumes a 1-process run and vice versa.
"""

from __future__ import annotations

import atexit
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from iitbench.errors import UserError
from iitbench.runner.samplelog import SAMPLES_FILE, RecordKey, read_records

SHARD_RE = re.compile(r"^samples\.rank(\d+)-of-(\d+)\.jsonl$")


@dataclass(frozen=True)
class World:
    """This process's place in a data-parallel run (rank 0 of 1 when not launched by torchrun)."""

    rank: int = 0
    size: int = 1
    local_rank: int = 0

    @property
    def distributed(self) -> bool:
        return self.size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def shard_name(self) -> str:
        """The sample log this process appends to."""
        return shard_name(self.rank, self.size) if self.distributed else SAMPLES_FILE


def shard_name(rank: int, size: int) -> str:
    return f"samples.rank{rank}-of-{size}.jsonl"


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise UserError(f"environment variable {name}={raw!r}: not an integer; launch with torchrun") from None


def world_from_env() -> World:
    size = _env_int("WORLD_SIZE", 1)
    rank = _env_int("RANK", 0)
    if size < 1 or not 0 <= rank < size:
        raise UserError(f"RANK={rank}, WORLD_SIZE={size}: need 0 <= RANK < WORLD_SIZE; launch with torchrun")
    return World(rank=rank, size=size, local_rank=_env_int("LOCAL_RANK", rank))


def init_world() -> World:
    """The world of this process; joins the torchrun process group (gloo) on first use when WORLD_SIZE > 1."""
    world = world_from_env()
    if not world.distributed:
        return world
    import torch
    import torch.distributed as dist

    if not dist.is_initialized():
        if torch.cuda.is_available() and torch.cuda.device_count() > 1:
            torch.cuda.set_device(world.local_rank % torch.cuda.device_count())  # "cuda" = this rank's GPU
        dist.init_process_group(backend="gloo")  # barriers and counts only: gloo works with any model device
        # Tear the group down before interpreter exit: gloo's destructor at shutdown can abort the process.
        atexit.register(_shutdown)
    return world


def _shutdown() -> None:
    import torch.distributed as dist

    if dist.is_initialized():
        dist.destroy_process_group()


def barrier(world: World) -> None:
    if world.distributed:
        import torch.distributed as dist

        dist.barrier()


def sum_over_ranks(world: World, value: int) -> int:
    if not world.distributed:
        return value
    import torch
    import torch.distributed as dist

    t = torch.tensor([value], dtype=torch.long)
    dist.all_reduce(t)
    return int(t.item())


def my_items(items: list[Any], world: World) -> list[Any]:
    """This rank's share of the selection: item i goes to rank i % world size (deterministic, balanced)."""
    return [it for i, it in enumerate(items) if i % world.size == world.rank]


def shard_files(run_dir: Path) -> list[Path]:
    """Shard logs of any world size in `run_dir`, sorted by name."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        return []
    return sorted(p for p in run_dir.iterdir() if SHARD_RE.match(p.name))


def load_all(run_dir: Path, own: Path | None = None) -> dict[RecordKey, dict[str, Any]]:
    """Finished records of the canonical file and every shard log, by (id, turn). The file this process appends
    to (`own`) is loaded by its SampleLog (which repairs a torn end); the others are only read (a torn last line is
    skipped), since another process may be writing them."""
    out: dict[RecordKey, dict[str, Any]] = {}
    for path in [Path(run_dir) / SAMPLES_FILE, *shard_files(run_dir)]:
        if own is not None and path == own:
            continue
        for r in read_records(path):
            out.setdefault((r["id"], int(r["turn"])), r)
    return out


def remove_shards(run_dir: Path) -> None:
    """After the canonical samples.jsonl is written: its records are all there, the shard logs are redundant."""
    for path in shard_files(run_dir):
        path.unlink(missing_ok=True)
